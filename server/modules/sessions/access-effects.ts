import type { AccessWithdrawnCause } from '../../../shared/realtime.ts';

/**
 * Someone lost the right to be in a session: their invitation was revoked (that session), or
 * they were removed from the case (every session of it).
 */
export interface AccessWithdrawal {
  cause: AccessWithdrawnCause;
  caseId: string;
  participantId: string;
  /** The invitation's session; null: every session of the case. */
  sessionId: string | null;
  /** The revoked invitation; null when the participant was removed. */
  invitationId: string | null;
}

/**
 * Side effects after the commit that withdrew access: the live rooms end that person's
 * connections and resume tokens. Injected by app.ts, so these modules know nothing of sockets.
 * Awaited before the request is answered, so that once the mediator sees "revoked" the person is
 * out; it never rejects (a failure is logged: the withdrawal itself is committed).
 */
export interface AccessEffects {
  withdrawn(withdrawal: AccessWithdrawal): Promise<void>;
  /** The session was ended or cancelled from the case page: its live room ends too (everyone out, router closed). */
  sessionClosed(sessionId: string): Promise<void>;
}
