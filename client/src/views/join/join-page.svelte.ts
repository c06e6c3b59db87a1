/**
 * The participant's first step: exchange the invitation token for who they are and which
 * session they are invited to. Every failure maps to a friendly, specific page.
 */
import { joinResolveRequestSchema, type JoinContext } from '../../../../shared/api/sessions.ts';
import { ApiError, resolveJoin } from '../../lib/join-api.ts';

export type JoinFailure = 'revoked' | 'expired' | 'invalid' | 'network' | 'unknown';

export type JoinPageState = { kind: 'loading' } | { kind: 'ready'; context: JoinContext } | { kind: 'failed'; reason: JoinFailure };

/** Kept for the next join step (device check, lobby) within this browser tab only. */
export const joinTokenStorageKey = 'haiqiao.joinToken';

function failureOf(error: unknown): JoinFailure {
  if (!(error instanceof ApiError)) return 'unknown';
  switch (error.code) {
    case 'INVITATION_REVOKED':
      return 'revoked';
    case 'INVITATION_EXPIRED':
      return 'expired';
    case 'NOT_FOUND':
    case 'VALIDATION_FAILED':
      return 'invalid';
    case 'NETWORK':
      return 'network';
    default:
      return 'unknown';
  }
}

export class JoinPage {
  readonly token: string;
  state = $state<JoinPageState>({ kind: 'loading' });

  constructor(token: string) {
    this.token = token;
  }

  async resolve(): Promise<void> {
    // A token that cannot be one (cut-off SMS link) needs no round trip over a weak link.
    if (!joinResolveRequestSchema.safeParse({ token: this.token }).success) {
      this.state = { kind: 'failed', reason: 'invalid' };
      return;
    }
    this.state = { kind: 'loading' };
    try {
      const context = await resolveJoin(this.token);
      this.remember();
      this.state = { kind: 'ready', context };
    } catch (error) {
      this.state = { kind: 'failed', reason: failureOf(error) };
    }
  }

  private remember(): void {
    try {
      sessionStorage.setItem(joinTokenStorageKey, this.token);
    } catch {
      // storage unavailable: the token is still in the URL
    }
    // Keep the token in the address bar so a reload or a shared screenshot of the URL still works.
    history.replaceState(history.state, '', location.pathname);
  }
}
