import type { SessionCreate } from '../../../shared/api/sessions';
import { caseMachine } from '../../../shared/domain/cases';
import type { AuditActor } from '../../../shared/audit-events';
import type { ParticipantInput } from '../../../shared/domain/participants';
import { sessionMachine, type SessionStatus } from '../../../shared/domain/sessions';
import type { ServiceContext } from '../../context';
import type { Db } from '../../db/client';
import { conflict, invalid, notFound } from '../../errors';
import { appendAuditEvent } from '../audit/audit.repository';
import { applyTransition } from '../transitions';
import type { Principal } from '../auth/principal';
import { assertWorksOnCases, type CaseNeed } from '../cases/case-access';
import * as casesRepo from '../cases/cases.repository';
import { loadCase } from '../cases/cases.service';
import type { AccessEffects } from './access-effects';
import { participantView, sessionView } from './session-views';
import * as repo from './sessions.repository';
import { assertLinkableStaff } from './staff-link';

const staffActor = (p: Principal) => ({ kind: 'staff' as const, staffUserId: p.staffUserId });

/** A session and its case, when the caller may see (or change) that case. */
export async function loadSession(db: Db, p: Principal, sessionId: string, need: CaseNeed) {
  assertWorksOnCases(p);
  const session = await repo.findSession(db, sessionId);
  if (!session) throw notFound('session');
  const found = await loadCase(db, p, session.caseId, need).catch((error: unknown) => {
    throw error instanceof Error && 'code' in error && error.code === 'NOT_FOUND' ? notFound('session') : error;
  });
  return { session, case: found.case };
}

export async function listSessions(ctx: ServiceContext, p: Principal, caseId: string) {
  await loadCase(ctx.db, p, caseId, 'read');
  return { items: (await repo.listSessions(ctx.db, caseId)).map(sessionView) };
}

export async function getSession(ctx: ServiceContext, p: Principal, sessionId: string) {
  return sessionView((await loadSession(ctx.db, p, sessionId, 'read')).session);
}

export async function scheduleSession(ctx: ServiceContext, p: Principal, caseId: string, input: Required<SessionCreate>) {
  return ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'write');
    if (caseMachine.isTerminal(found.case.status)) throw conflict(`case is ${found.case.status}; no new sessions`);
    const row = await repo.insertSession(tx, {
      caseId,
      title: input.title,
      scheduledAt: new Date(input.scheduledAt),
      durationMinutes: input.durationMinutes,
      createdBy: p.staffUserId,
    });
    await appendAuditEvent(tx, { type: 'session.scheduled', caseId, actor: staffActor(p), data: { sessionId: row.id, scheduledAt: input.scheduledAt } });
    return sessionView(row);
  });
}

export async function transitionSession(ctx: ServiceContext, p: Principal, sessionId: string, to: SessionStatus) {
  return ctx.db.transaction(async (tx) => {
    await loadSession(tx, p, sessionId, 'write');
    return sessionView(await moveSession(tx, sessionId, to, staffActor(p)));
  });
}

/** The one place a session changes state: machine check, conditional update, audit event. */
export async function moveSession(tx: Db, sessionId: string, to: SessionStatus, actor: AuditActor) {
  const session = await repo.findSession(tx, sessionId);
  if (!session) throw notFound('session');
  const from = session.status;
  return applyTransition(tx, {
    subject: 'session',
    machine: sessionMachine,
    from,
    to,
    update: () => repo.updateSessionStatus(tx, sessionId, from, to),
    event: { type: 'session.status_changed', caseId: session.caseId, actor, data: { sessionId, from, to } },
  });
}

export async function listParticipants(ctx: ServiceContext, p: Principal, caseId: string) {
  await loadCase(ctx.db, p, caseId, 'read');
  return { items: (await repo.listActiveParticipants(ctx.db, caseId)).map(participantView) };
}

export async function addParticipant(ctx: ServiceContext, p: Principal, caseId: string, input: ParticipantInput) {
  return ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'write');
    if (caseMachine.isTerminal(found.case.status)) throw conflict(`case is ${found.case.status}`);
    for (const field of ['partyId', 'representsPartyId'] as const) {
      const partyId = input[field];
      if (partyId && !(await casesRepo.findParty(tx, caseId, partyId))) throw invalid(field, 'not a party of this case');
    }
    if (input.staffUserId) await assertLinkableStaff(tx, found.case, input.staffUserId, input.role);
    const row = await repo.insertParticipant(tx, {
      caseId,
      role: input.role,
      displayName: input.displayName,
      phone: input.phone ?? null,
      partyId: input.partyId ?? null,
      representsPartyId: input.representsPartyId ?? null,
      staffUserId: input.staffUserId ?? null,
    });
    await appendAuditEvent(tx, { type: 'participant.added', caseId, actor: staffActor(p), data: { participantId: row.id, role: row.role } });
    return participantView(row);
  });
}

/** Removes a participant (and their links); after the commit, they are let go from live sessions (effects). */
export async function removeParticipant(ctx: ServiceContext, effects: AccessEffects, p: Principal, caseId: string, participantId: string) {
  await ctx.db.transaction(async (tx) => {
    await loadCase(tx, p, caseId, 'write');
    if (!(await repo.removeParticipant(tx, caseId, participantId, ctx.now()))) throw notFound('participant');
    await appendAuditEvent(tx, { type: 'participant.removed', caseId, actor: staffActor(p), data: { participantId } });
  });
  await effects.withdrawn({ cause: 'participant_removed', caseId, participantId, sessionId: null, invitationId: null });
}
