import type { Me } from '../../../shared/api/auth.ts';

/** Where a staff member lands: admins manage accounts, court staff the confirmation queue, mediators their cases. */
export function homePath(me: Me | null): string {
  if (me?.role === 'admin') return '/admin';
  if (me?.role === 'clerk' || me?.role === 'judge') return '/court';
  if (me?.role === 'lawyer') return '/legal';
  return '/';
}

/** Clerks and judges work on the court desk. */
export function isCourtStaff(me: Me | null): boolean {
  return me?.role === 'clerk' || me?.role === 'judge';
}

export function loginPath(next: string): string {
  return next && next !== '/' && next !== '/login' ? `/login?next=${encodeURIComponent(next)}` : '/login';
}

/** The `next` query parameter, accepted only as a same-site path (no open redirect). */
export function nextPathFrom(search: string): string | null {
  const next = new URLSearchParams(search).get('next');
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : null;
}
