import { hearingInviteeRoles, type InvitationView, type JoinContext } from '../../../shared/api/sessions.ts';
import type { AccessEffects } from '../sessions/access-effects.ts';
import type { ParticipantRow } from '../sessions/sessions.repository.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { hashToken, newToken } from '../../security/tokens.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import * as sessionsRepo from '../sessions/sessions.repository.ts';
import { asNotFound, loadSession, loadSessionToInvite } from '../../access/case-loading.ts';
import { joinLink, qrSvg, reminderText, smsText } from './invitation-message.ts';
import { reminderTimes } from '../../../shared/domain/notifications.ts';
import { addToOutbox, type NotificationEffects } from '../notifications/notifications.service.ts';
import * as repo from './invitations.repository.ts';

function stateOf(row: repo.InvitationRow, now: Date): InvitationView['state'] {
  if (row.revokedAt) return 'revoked';
  return row.expiresAt <= now ? 'expired' : 'active';
}

function invitationView(row: repo.InvitationRow, participant: ParticipantRow, now: Date): InvitationView {
  return {
    id: row.id,
    sessionId: row.sessionId,
    participantId: row.participantId,
    participantName: participant.displayName,
    participantRole: participant.role,
    state: stateOf(row, now),
    expiresAt: row.expiresAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastOpenedAt: row.lastOpenedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listInvitations(ctx: ServiceContext, p: Principal, sessionId: string) {
  await loadSession(ctx.db, p, sessionId, 'read');
  const rows = await repo.listForSession(ctx.db, sessionId);
  return { items: rows.map((r) => invitationView(r.invitation, r.participant, ctx.now())) };
}

/** Issues a link for one participant; the token exists only in this response. */
export async function issueInvitation(
  ctx: ServiceContext,
  p: Principal,
  sessionId: string,
  input: { participantId: string; expiresInHours: number },
  requestOrigin: string,
  notifications: NotificationEffects,
) {
  const token = newToken();
  const now = ctx.now();
  const expiresAt = new Date(now.getTime() + input.expiresInHours * 3_600_000);
  const link = joinLink(ctx.publicUrl ?? requestOrigin, token);
  const issued = await ctx.db.transaction(async (tx) => {
    const { session, case: caseRow } = await loadSessionToInvite(tx, p, sessionId);
    if (session.status === 'ended' || session.status === 'cancelled') throw conflict(`session is ${session.status}`);
    if (session.kind === 'consultation') throw forbidden('a legal consultation is private to the lawyer and the party');
    const participant = await sessionsRepo.findActiveParticipant(tx, session.caseId, input.participantId);
    if (!participant) throw invalid('participantId', 'not a participant of this case');
    if (session.kind === 'hearing' && !hearingInviteeRoles.includes(participant.role)) throw invalid('participantId', 'a hearing is for the parties and their agents');
    const row = await repo.insertInvitation(tx, { sessionId, participantId: participant.id, tokenHash: hashToken(token), expiresAt, createdBy: p.staffUserId });
    await appendAuditEvent(tx, {
      type: 'invitation.issued',
      caseId: session.caseId,
      actor: staffActor(p),
      data: { invitationId: row.id, sessionId, participantId: participant.id, expiresAt: expiresAt.toISOString() },
    });
    const text = smsText({
      name: participant.displayName,
      caseNumber: caseRow.number,
      scheduledAt: session.scheduledAt,
      link,
      expiresAt,
      ...(session.kind === 'hearing' ? { hearingCourt: caseRow.competentCourt } : {}),
    });
    const queued = participant.phone ? await queueInvitationMessages(tx, ctx, { invitationId: row.id, participant: { ...participant, phone: participant.phone }, session, caseNumber: caseRow.number, link, text, expiresAt }) : [];
    return { row, participant, text, queued };
  });
  notifications.queued(issued.queued);
  return { invitation: invitationView(issued.row, issued.participant, now), link, qrSvg: await qrSvg(link), smsText: issued.text };
}

/**
 * The invitation SMS, due now, and the session's reminders (the day before, an hour before)
 * that are still ahead and fall while the link is valid; written in the invitation's transaction.
 */
async function queueInvitationMessages(
  tx: Db,
  ctx: ServiceContext,
  m: { invitationId: string; participant: { id: string; displayName: string; phone: string }; session: { id: string; caseId: string; scheduledAt: Date }; caseNumber: string; link: string; text: string; expiresAt: Date },
) {
  const base = { caseId: m.session.caseId, sessionId: m.session.id, participantId: m.participant.id, to: m.participant.phone };
  const ids = [await addToOutbox(tx, ctx, { ...base, kind: 'invitation', body: m.text, dedupeKey: `invitation:${m.invitationId}`, sendAfter: ctx.now() })];
  const reminder = reminderText({ name: m.participant.displayName, caseNumber: m.caseNumber, scheduledAt: m.session.scheduledAt, link: m.link });
  for (const { kind, sendAfter } of reminderTimes(m.session.scheduledAt)) {
    if (sendAfter <= ctx.now() || sendAfter >= m.expiresAt) continue;
    const dedupeKey = `${kind}:${m.session.id}:${m.participant.id}:${m.session.scheduledAt.toISOString()}`;
    await addToOutbox(tx, ctx, { ...base, kind, body: reminder, dedupeKey, sendAfter, forScheduledAt: m.session.scheduledAt });
  }
  // Only the invitation is due now; reminders wait for the sweep.
  return ids.filter((id): id is string => id !== null);
}

/** Revokes a link; after the commit, whoever is in the session through it is let go (effects). */
export async function revokeInvitation(ctx: ServiceContext, effects: AccessEffects, p: Principal, invitationId: string) {
  const { view, caseId, sessionId, participantId } = await ctx.db.transaction(async (tx) => {
    const found = await repo.findWithParticipant(tx, invitationId);
    if (!found) throw notFound('invitation');
    const { session } = await loadSessionToInvite(tx, p, found.invitation.sessionId).catch(asNotFound('invitation'));
    const row = await repo.revoke(tx, invitationId, ctx.now());
    if (!row) throw conflict('invitation is already revoked');
    await appendAuditEvent(tx, { type: 'invitation.revoked', caseId: session.caseId, actor: staffActor(p), data: { invitationId } });
    return { view: invitationView(row, found.participant, ctx.now()), caseId: session.caseId, sessionId: row.sessionId, participantId: row.participantId };
  });
  await effects.withdrawn({ cause: 'invitation_revoked', caseId, sessionId, participantId, invitationId });
  return view;
}

/** Opening a link: identifies the participant and their case, nothing more. */
export async function resolveInvitation(ctx: ServiceContext, token: string): Promise<JoinContext> {
  return ctx.db.transaction(async (tx) => {
    const found = await repo.findByTokenHash(tx, hashToken(token));
    if (!found) throw new AppError('NOT_FOUND', 'this invitation link is not valid');
    const now = ctx.now();
    if (found.invitation.revokedAt || found.participant.removedAt) throw new AppError('INVITATION_REVOKED', 'this invitation link has been withdrawn');
    if (found.invitation.expiresAt <= now) throw new AppError('INVITATION_EXPIRED', 'this invitation link has expired');
    await repo.markOpened(tx, found.invitation.id, now);
    await appendAuditEvent(tx, {
      type: 'invitation.opened',
      caseId: found.case.id,
      actor: { kind: 'participant', participantId: found.participant.id },
      data: { invitationId: found.invitation.id },
    });
    return {
      participant: { id: found.participant.id, displayName: found.participant.displayName, role: found.participant.role },
      case: { id: found.case.id, number: found.case.number, title: found.case.title, disputeType: found.case.disputeType },
      session: { id: found.session.id, title: found.session.title, scheduledAt: found.session.scheduledAt.toISOString(), status: found.session.status },
      expiresAt: found.invitation.expiresAt.toISOString(),
    };
  });
}

/** For the realtime handshake: who a token belongs to, without recording an opening. */
export async function participantForToken(ctx: Pick<ServiceContext, 'db' | 'now'>, token: string) {
  const found = await repo.findPrincipalByTokenHash(ctx.db, hashToken(token));
  if (!found) throw new AppError('NOT_FOUND', 'this invitation link is not valid');
  if (found.invitation.revokedAt || found.participant.removedAt) throw new AppError('INVITATION_REVOKED', 'this invitation link has been withdrawn');
  if (found.invitation.expiresAt <= ctx.now()) throw new AppError('INVITATION_EXPIRED', 'this invitation link has expired');
  return {
    participantId: found.participant.id,
    invitationId: found.invitation.id,
    sessionId: found.sessionId,
    caseId: found.caseId,
    role: found.participant.role,
    displayName: found.participant.displayName,
    partyId: found.participant.partyId,
    representsPartyId: found.participant.representsPartyId,
  };
}

export type ParticipantPrincipal = Awaited<ReturnType<typeof participantForToken>>;
