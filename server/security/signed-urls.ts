import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './tokens.ts';

/**
 * Short-lived links to files (for <img src> in a participant's browser, which sends no
 * credentials): `?exp=<unix seconds>&sig=<HMAC-SHA256>` over the path and expiry.
 */
export function createUrlSigner(key: Uint8Array, now: () => Date) {
  const sign = (pathname: string, exp: number) => createHmac('sha256', key).update(`${pathname}\n${exp}`).digest('base64url');
  return {
    sign(pathname: string, ttlSeconds: number) {
      const exp = Math.floor(now().getTime() / 1000) + ttlSeconds;
      // A path may carry its own query (e.g. who the link is for): it is signed with it.
      return `${pathname}${pathname.includes('?') ? '&' : '?'}exp=${exp}&sig=${sign(pathname, exp)}`;
    },
    verify(pathname: string, exp: unknown, sig: unknown): boolean {
      const expiry = Number(exp);
      if (!Number.isInteger(expiry) || typeof sig !== 'string') return false;
      if (expiry < now().getTime() / 1000) return false;
      return constantTimeEqual(sign(pathname, expiry), sig);
    },
  };
}
export type UrlSigner = ReturnType<typeof createUrlSigner>;
