import { AppError } from '../errors.ts';
import { type LimiterFactory, refusedFor, take } from './rate-limit-store.ts';

/** Budgets against guessing; the defaults are in force, tests shorten the windows. */
export interface GuessingLimitSettings {
  /** Wrong passwords per account before it is locked, and for how long (seconds). */
  loginFailuresPerAccount: number;
  loginLockSeconds: number;
  /** Unknown invitation or resume tokens per client address, and how long that address is then refused. */
  tokenFailuresPerAddress: number;
  tokenBlockSeconds: number;
}

export const defaultGuessingLimits: GuessingLimitSettings = {
  loginFailuresPerAccount: 10,
  loginLockSeconds: 15 * 60,
  tokenFailuresPerAddress: 20,
  tokenBlockSeconds: 10 * 60,
};

const minutes = (ms: number) => Math.max(1, Math.ceil(ms / 60_000));

/**
 * Login guessing per account (on top of the per-address limit on the route) and token guessing
 * per address on every path that accepts an invitation or resume token. Only failures count, so
 * the rightful user is never slowed; a lock ends by itself, and a correct login after it clears
 * the account's count.
 */
export function createGuessingLimits(limiter: LimiterFactory, settings: GuessingLimitSettings = defaultGuessingLimits) {
  const loginFailures = limiter('login-account', { points: settings.loginFailuresPerAccount, seconds: settings.loginLockSeconds, blockSeconds: settings.loginLockSeconds });
  const tokenFailures = limiter('token-address', { points: settings.tokenFailuresPerAddress, seconds: settings.tokenBlockSeconds, blockSeconds: settings.tokenBlockSeconds });
  const accountKey = (username: string) => username.trim().toLowerCase().slice(0, 100);
  const locked = (ms: number) => new AppError('RATE_LIMITED', `too many wrong passwords for this account: try again in ${minutes(ms)} minute(s)`);
  const blocked = (ms: number) => new AppError('RATE_LIMITED', `too many invalid links from your address: try again in ${minutes(ms)} minute(s)`);
  return {
    settings,
    /** Throws RATE_LIMITED while the account is locked, whatever the password. */
    async assertLoginAllowed(username: string) {
      const ms = await refusedFor(loginFailures, accountKey(username));
      if (ms !== null) throw locked(ms);
    },
    async loginFailed(username: string) {
      const ms = await take(loginFailures, accountKey(username));
      if (ms !== null) throw locked(ms);
    },
    clearLoginFailures: (username: string) => loginFailures.delete(accountKey(username)),
    /** Throws RATE_LIMITED while the address is refused for guessing tokens. */
    async assertTokenAllowed(address: string) {
      const ms = await refusedFor(tokenFailures, address);
      if (ms !== null) throw blocked(ms);
    },
    async tokenFailed(address: string) {
      await take(tokenFailures, address);
    },
  };
}
export type GuessingLimits = ReturnType<typeof createGuessingLimits>;
