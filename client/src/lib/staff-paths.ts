import type { Me } from '../../../shared/api/auth';

/** Where a staff member lands: admins manage accounts, everyone else works on cases. */
export function homePath(me: Me | null): string {
  return me?.role === 'admin' ? '/admin' : '/';
}

export function loginPath(next: string): string {
  return next && next !== '/' && next !== '/login' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/** The `next` query parameter, accepted only as a same-site path (no open redirect). */
export function nextPathFrom(search: string): string | null {
  const next = new URLSearchParams(search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : null;
}
