/** Who is signed in, and what their role lets them do on the staff desk. */
import type { Me } from '../../../shared/api/auth.ts';
import { fetchMe, logout } from './api.ts';
import { ApiError } from './http.ts';

class Auth {
  me = $state<Me | null>(null);
  /** 'unknown' until the first /api/auth/me answer. */
  status = $state<'unknown' | 'signedIn' | 'signedOut'>('unknown');

  /** Mediators write cases of their own center; clerks and judges only read; admins manage accounts. */
  canWriteCases = $derived(this.me?.role === 'mediator');
  isAdmin = $derived(this.me?.role === 'admin');

  async load(): Promise<void> {
    try {
      this.signedIn(await fetchMe());
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') this.signedOut();
      else throw error;
    }
  }

  signedIn(me: Me): void {
    this.me = me;
    this.status = 'signedIn';
  }

  signedOut(): void {
    this.me = null;
    this.status = 'signedOut';
  }

  async logout(): Promise<void> {
    try {
      await logout();
    } finally {
      this.signedOut();
    }
  }
}

export const auth = new Auth();
