import type { SessionCreate } from '../../../shared/api/sessions.ts';
import { caseMachine } from '../../../shared/domain/cases.ts';
import type { AuditActor } from '../../../shared/audit-events.ts';
import type { ParticipantInput } from '../../../shared/domain/participants.ts';
import { sessionMachine, type SessionStatus } from '../../../shared/domain/sessions.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, invalid, notFound } from '../../errors.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { applyTransition } from '../transitions.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import { loadCase, loadSession } from '../../access/case-loading.ts';
import type { AccessEffects } from './access-effects.ts';
import { participantView, sessionView } from './session-views.ts';
import * as repo from './sessions.repository.ts';
import { assertLinkableStaff } from './staff-link.ts';

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
      languagePair: input.languagePair ?? null,
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
