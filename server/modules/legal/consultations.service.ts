import type { ConsultationCreate, ConsultationView } from '../../../shared/api/legal.ts';
import { beijingParts } from '../../../shared/beijing-time.ts';
import { answerWindowMinutes, bookingReminderMinutes, consultationMachine, type ConsultationStatus, onDutyAt, type RequestedMove, unansweredAdvice } from '../../../shared/domain/consultations.ts';
import { actorOf, type Caller } from '../../access/caller.ts';
import { loadCase } from '../../access/case-loading.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { hashToken, newToken } from '../../security/tokens.ts';
import type { AuditActor } from '../../../shared/audit-events.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import * as invitationsRepo from '../invitations/invitations.repository.ts';
import { joinLink } from '../invitations/invitation-message.ts';
import { addToOutbox, type NotificationEffects } from '../notifications/notifications.service.ts';
import type { AccessEffects, AccessWithdrawal } from '../sessions/access-effects.ts';
import * as sessionsRepo from '../sessions/sessions.repository.ts';
import { applyTransition } from '../transitions.ts';
import type { DeskPush } from './desk-push.ts';
import * as repo from './legal.repository.ts';

/** After the commit: SMS to deliver, a consulting lawyer to let go of a room, lawyers' desks to tell. */
export interface ConsultationEffects {
  notifications: NotificationEffects;
  access: AccessEffects;
  desk: DeskPush;
}

/**
 * After the commit, tells the desks showing it: its lawyer's, and for an on-duty request those of
 * the lawyers on duty now (a request taken by one leaves the others' desks). A failure to push is
 * no error for a committed change: the desk's slow poll catches up.
 */
async function pushed(ctx: ServiceContext, effects: ConsultationEffects, row: repo.ConsultationRow) {
  try {
    const onDuty = row.kind === 'on_duty' ? await onDutyNow(ctx.db, row.centerId, ctx.now()) : [];
    effects.desk(row, [...new Set([...(row.lawyerId ? [row.lawyerId] : []), ...onDuty])]);
  } catch {
    // Nothing to undo: the change is committed and the desk polls as a fallback.
  }
}

type Listed = Awaited<ReturnType<typeof repo.consultationsWhere>>[number];

/** `partyLink`: the party's own link into the private room, given to that party only. */
function view(r: Listed, partyLink: (c: repo.ConsultationRow) => string | null = () => null): ConsultationView {
  const { c } = r;
  return {
    id: c.id,
    caseId: c.caseId,
    caseNumber: r.caseNumber,
    kind: c.kind,
    status: c.status,
    lawyer: c.lawyerId && r.lawyerName && r.lawFirmName ? { id: c.lawyerId, displayName: r.lawyerName, lawFirmName: r.lawFirmName } : null,
    forParticipant: c.forParticipantId && r.forName ? { id: c.forParticipantId, displayName: r.forName } : null,
    question: c.question,
    scheduledAt: c.scheduledAt.toISOString(),
    requestedAt: c.requestedAt?.toISOString() ?? null,
    answeredAt: c.answeredAt?.toISOString() ?? null,
    sessionId: c.sessionId,
    advice: c.status === 'expired' || c.status === 'declined' ? unansweredAdvice[c.status] : null,
    roomLink: partyLink(c),
  };
}

async function viewOf(db: Db, id: string) {
  const [row] = await repo.consultationsWhere(db, repo.byId(id));
  return view(row!);
}

const clock = (at: Date) => {
  const b = beijingParts(at);
  return `${b.month}月${b.day}日${String(b.hour).padStart(2, '0')}:${String(b.minute).padStart(2, '0')}`;
};

/** Lawyers on duty now at the center. */
async function onDutyNow(db: Db, centerId: string, now: Date) {
  return onDutyAt(await repo.shiftsBetween(db, centerId, now, now), now);
}

/** The lawyer (or, on duty, every lawyer on duty) hears of a request by SMS; returns the messages due now. */
async function tellLawyers(tx: Db, ctx: ServiceContext, c: repo.ConsultationRow, lawyerIds: string[], caseNumber: string) {
  const ids: string[] = [];
  const how = c.kind === 'on_duty' ? '值班咨询' : c.kind === 'booked' ? '预约咨询' : c.kind === 'called_in' ? '调解员邀请介入' : '当事人点选';
  for (const lawyer of await repo.lawyersByIds(tx, lawyerIds)) {
    const body = `【海桥云调解】${lawyer.displayName}律师您好：纠纷${caseNumber}有一项法律咨询请求（${how}），请在${answerWindowMinutes}分钟内登录海桥工作台接听。`;
    const id = await addToOutbox(tx, ctx, { caseId: c.caseId, kind: 'consultation_request', to: lawyer.phone, body, dedupeKey: `consultation_request:${c.id}:${lawyer.id}`, sendAfter: ctx.now() });
    if (id) ids.push(id);
  }
  return ids;
}

/** A booking's reminders to the lawyer and the party (an hour and ten minutes before), delivered by the outbox's sweep. */
async function queueBookingReminders(tx: Db, ctx: ServiceContext, c: repo.ConsultationRow, caseNumber: string) {
  const lawyer = (await repo.lawyersByIds(tx, [c.lawyerId!]))[0]!;
  const party = c.forParticipantId ? await repo.participantPhone(tx, c.forParticipantId) : undefined;
  const people = [{ key: lawyer.id, name: `${lawyer.displayName}律师`, phone: lawyer.phone, participantId: undefined }];
  if (party?.phone) people.push({ key: c.forParticipantId!, name: party.displayName, phone: party.phone, participantId: c.forParticipantId! as never });
  for (const minutes of bookingReminderMinutes) {
    const sendAfter = new Date(c.scheduledAt.getTime() - minutes * 60_000);
    if (sendAfter <= ctx.now()) continue;
    for (const person of people) {
      const body = `【海桥云调解】${person.name}您好：纠纷${caseNumber}的法律咨询预约在${clock(c.scheduledAt)}（北京时间）开始，请准时打开海桥。`;
      await addToOutbox(tx, ctx, {
        caseId: c.caseId,
        ...(person.participantId ? { participantId: person.participantId } : {}),
        kind: 'consultation_reminder',
        to: person.phone,
        body,
        dedupeKey: `consultation_reminder:${c.id}:${person.key}:${minutes}`,
        sendAfter,
      });
    }
  }
}

/** Where the request comes from: a party by their link (their case and session), or the case's mediator. */
async function requestContext(tx: Db, caller: Caller, input: ConsultationCreate) {
  if (caller.kind === 'participant') {
    const p = caller.participant;
    if (p.role !== 'party') throw forbidden('a party asks for legal help');
    if (input.kind === 'called_in') throw forbidden('the mediator calls a lawyer in');
    if (input.caseId && input.caseId !== p.caseId) throw invalid('caseId', 'your link is for another case');
    if (input.forParticipantId && input.forParticipantId !== p.participantId) throw invalid('forParticipantId', 'you ask for yourself');
    const found = await casesRepo.findCase(tx, p.caseId);
    if (!found) throw notFound('case');
    return { kase: found.case, forParticipantId: p.participantId, sessionId: p.sessionId, requestedByParticipantId: p.participantId, requestedByStaffId: null };
  }
  const p = caller.principal;
  if (p.role !== 'mediator') throw forbidden('a party or the mediator asks for legal help');
  if (input.kind === 'chosen') throw invalid('kind', 'a party chooses; the mediator calls a lawyer in');
  if (!input.caseId) throw invalid('caseId', 'name the case');
  const { case: kase } = await loadCase(tx, p, input.caseId, 'write');
  let forParticipantId: string | null = null;
  if (input.forParticipantId) {
    const party = await sessionsRepo.findActiveParticipant(tx, kase.id, input.forParticipantId);
    if (party?.role !== 'party') throw invalid('forParticipantId', 'not a party participant of this case');
    forParticipantId = party.id;
  }
  const session = await repo.openSessionOf(tx, kase.id);
  return { kase, forParticipantId, sessionId: session?.id ?? null, requestedByParticipantId: null, requestedByStaffId: p.staffUserId };
}

/** A request for legal help: on duty, a chosen or called-in lawyer, or a booked slot. */
export async function requestConsultation(ctx: ServiceContext, effects: ConsultationEffects, caller: Caller, input: ConsultationCreate) {
  const now = ctx.now();
  const { id, row, queued } = await ctx.db.transaction(async (tx) => {
    const from = await requestContext(tx, caller, input);
    const centerId = from.kase.centerId;
    let lawyerId: string | null = null;
    let toTell: string[] = [];
    let scheduledAt = now;
    let slotId: string | undefined;
    if (input.kind === 'on_duty') {
      toTell = await onDutyNow(tx, centerId, now);
      if (toTell.length === 0) throw conflict('no lawyer is on duty now; book a time or try again later');
    } else if (input.kind === 'booked') {
      const slot = await repo.findSlot(tx, centerId, input.slotId!);
      if (!slot) throw invalid('slotId', 'not a published time of your center’s lawyers');
      if (slot.startsAt <= now) throw invalid('slotId', 'that time has passed');
      lawyerId = slot.lawyerId;
      scheduledAt = slot.startsAt;
      slotId = slot.id;
    } else {
      const lawyer = await repo.findLawyer(tx, centerId, input.lawyerId!);
      if (!lawyer) throw invalid('lawyerId', 'not a lawyer of your center');
      lawyerId = lawyer.id;
      toTell = [lawyer.id];
    }
    const status = input.kind === 'booked' ? 'booked' : 'requested';
    const row = await repo.insertConsultation(tx, {
      centerId,
      caseId: from.kase.id,
      kind: input.kind,
      status,
      lawyerId,
      forParticipantId: from.forParticipantId,
      requestedByParticipantId: from.requestedByParticipantId,
      requestedByStaffId: from.requestedByStaffId,
      sessionId: from.sessionId,
      question: input.question,
      scheduledAt,
      requestedAt: status === 'requested' ? now : null,
    });
    if (slotId && !(await repo.takeSlot(tx, slotId, row.id))) throw conflict('that time was just booked by someone else; choose another');
    await appendAuditEvent(tx, {
      type: 'consultation.requested',
      caseId: row.caseId,
      actor: actorOf(caller),
      data: { consultationId: row.id, kind: row.kind, status, lawyerId, forParticipantId: row.forParticipantId, ...(slotId ? { slotId } : {}) },
    });
    if (status === 'booked') await queueBookingReminders(tx, ctx, row, from.kase.number);
    return { id: row.id, row, queued: await tellLawyers(tx, ctx, row, toTell, from.kase.number) };
  });
  effects.notifications.queued(queued);
  await pushed(ctx, effects, row);
  return viewOf(ctx.db, id);
}

/** Who may move a consultation: its lawyer (or, for an untaken on-duty request, a lawyer on duty), the one who asked, the center's mediator. */
async function assertMayMove(db: Db, caller: Caller, c: repo.ConsultationRow, to: RequestedMove, now: Date) {
  if (caller.kind === 'participant') {
    const p = caller.participant;
    if (c.forParticipantId !== p.participantId && c.requestedByParticipantId !== p.participantId) throw notFound('consultation');
    if (to !== 'cancelled') throw forbidden('the lawyer answers the request');
    return;
  }
  const p = caller.principal;
  if (p.role === 'mediator') {
    if (c.centerId !== p.organisationId) throw notFound('consultation');
    if (to !== 'cancelled') throw forbidden('the lawyer answers the request');
    return;
  }
  // Lawyers (others were refused before the lookup).
  const onDutyHere = c.kind === 'on_duty' && c.centerId === p.organisationId;
  const untakenOnDuty = onDutyHere && c.lawyerId === null;
  // Another lawyer on duty saw the same request on their desk; the one who came second is told it is taken.
  if (onDutyHere && c.lawyerId !== null && c.lawyerId !== p.staffUserId && to === 'accepted') throw conflict('another lawyer on duty has taken this request');
  if (c.lawyerId !== p.staffUserId && !untakenOnDuty) throw notFound('consultation');
  if (to === 'cancelled') throw forbidden('a lawyer declines; the one who asked cancels');
  if (untakenOnDuty && !(await onDutyNow(db, c.centerId, now)).includes(p.staffUserId)) throw forbidden('you are not on duty now');
}

/** Refused by role before any lookup: admins and court staff have nothing to do with consultations. */
function assertConsultationRole(caller: Caller) {
  if (caller.kind === 'participant') {
    if (caller.participant.role !== 'party') throw forbidden('a party asks for legal help');
  } else if (caller.principal.role !== 'lawyer' && caller.principal.role !== 'mediator') throw forbidden('for lawyers and mediators');
}

/**
 * The consulting lawyer's place: a participant (role consulting_lawyer, linked to their account,
 * no party's agent) with a link shown once. `private`: a new consultation session for the lawyer
 * (who hosts it) and the party alone, whose link is kept encrypted for the party to read back;
 * `live`: the party's (or the case's) mediation session, where the mediator admits them.
 */
async function seatLawyer(tx: Db, ctx: ServiceContext, c: repo.ConsultationRow, lawyer: { id: string; displayName: string }, actor: AuditActor, origin: string, room: 'private' | 'live') {
  const base = ctx.publicUrl ?? origin;
  const expiresAt = new Date(ctx.now().getTime() + ctx.sessionHours * 3_600_000);
  const invite = async (sessionId: string, participantId: string) => {
    const token = newToken();
    const invitation = await invitationsRepo.insertInvitation(tx, { sessionId, participantId, tokenHash: hashToken(token), expiresAt, createdBy: lawyer.id });
    await appendAuditEvent(tx, { type: 'invitation.issued', caseId: c.caseId, actor, data: { invitationId: invitation.id, sessionId, participantId, expiresAt: expiresAt.toISOString() } });
    return { id: invitation.id, link: joinLink(base, token) };
  };
  let sessionId = c.sessionId;
  let party: { id: string; link: string } | null = null;
  if (room === 'private') {
    if (!c.forParticipantId) throw invalid('room', 'a private room is for the party advised; this consultation names none');
    const session = await sessionsRepo.insertSession(tx, { caseId: c.caseId, title: '法律咨询', kind: 'consultation', scheduledAt: ctx.now(), durationMinutes: 30, createdBy: lawyer.id });
    await appendAuditEvent(tx, { type: 'session.scheduled', caseId: c.caseId, actor, data: { sessionId: session.id, scheduledAt: session.scheduledAt.toISOString() } });
    sessionId = session.id;
    party = await invite(session.id, c.forParticipantId);
  } else if (sessionId) {
    const session = await sessionsRepo.findSession(tx, sessionId);
    if (!session || session.status === 'ended' || session.status === 'cancelled') sessionId = null;
  }
  if (!sessionId) throw invalid('room', 'the case has no session open to join; choose a private room');
  const participant = await sessionsRepo.insertParticipant(tx, { caseId: c.caseId, role: 'consulting_lawyer', displayName: `${lawyer.displayName}（咨询律师）`, staffUserId: lawyer.id });
  await appendAuditEvent(tx, { type: 'participant.added', caseId: c.caseId, actor, data: { participantId: participant.id, role: 'consulting_lawyer' } });
  const own = await invite(sessionId, participant.id);
  await repo.updateConsultationWhereStatus(tx, c.id, 'accepted', {
    sessionId,
    lawyerParticipantId: participant.id,
    partyInvitationId: party?.id ?? null,
    partyLinkCiphertext: party ? ctx.cipher.encrypt(party.link) : null,
  });
  return own.link;
}

const endings: ReadonlySet<ConsultationStatus> = new Set(['closed', 'declined', 'expired', 'cancelled']);

/** Values written with a move; the lawyer taking an on-duty request becomes its lawyer. */
function movedValues(to: ConsultationStatus, now: Date, by: string | null, reason: string | undefined) {
  if (to === 'accepted') return { lawyerId: by, answeredAt: now };
  if (to === 'requested') return { requestedAt: now };
  if (to === 'in_progress') return { startedAt: now };
  return { endedAt: now, reason: reason ?? null };
}

/**
 * One move of a consultation in its own transaction: the table, the conditional update, the
 * audit event; an ended one gives back its slot and ends the lawyer's place in the room.
 */
async function move(tx: Db, ctx: ServiceContext, c: repo.ConsultationRow, to: ConsultationStatus, actor: AuditActor, by: string | null, reason?: string) {
  const row = await applyTransition(tx, {
    subject: 'consultation',
    machine: consultationMachine,
    from: c.status,
    to,
    update: () => repo.updateConsultationWhereStatus(tx, c.id, c.status, { status: to, ...movedValues(to, ctx.now(), by, reason) }),
    event: {
      type: 'consultation.status_changed',
      caseId: c.caseId,
      actor,
      data: { consultationId: c.id, from: c.status, to, ...(to === 'accepted' && by ? { lawyerId: by } : {}), ...(reason ? { reason } : {}) },
    },
  });
  if (to === 'cancelled' && c.kind === 'booked') await repo.releaseSlot(tx, c.id);
  const withdrawn: AccessWithdrawal[] = [];
  if (endings.has(to) && c.lawyerParticipantId) {
    if (await sessionsRepo.removeParticipant(tx, c.caseId, c.lawyerParticipantId, ctx.now())) {
      await appendAuditEvent(tx, { type: 'participant.removed', caseId: c.caseId, actor, data: { participantId: c.lawyerParticipantId } });
      withdrawn.push({ cause: 'participant_removed', caseId: c.caseId, participantId: c.lawyerParticipantId, sessionId: null, invitationId: null });
    }
  }
  // The private room closes for the party too: their link into it is withdrawn.
  if (endings.has(to) && c.partyInvitationId && c.forParticipantId) {
    if (await invitationsRepo.revoke(tx, c.partyInvitationId, ctx.now())) {
      await appendAuditEvent(tx, { type: 'invitation.revoked', caseId: c.caseId, actor, data: { invitationId: c.partyInvitationId } });
      withdrawn.push({ cause: 'invitation_revoked', caseId: c.caseId, participantId: c.forParticipantId, sessionId: c.sessionId, invitationId: c.partyInvitationId });
    }
  }
  return { row, withdrawn };
}

export async function moveConsultation(
  ctx: ServiceContext,
  effects: ConsultationEffects,
  caller: Caller,
  id: string,
  input: { to: RequestedMove; reason?: string | undefined; room?: 'private' | 'live' | undefined },
  origin: string,
) {
  assertConsultationRole(caller);
  const now = ctx.now();
  const done = await ctx.db.transaction(async (tx) => {
    const c = await repo.findConsultation(tx, id);
    if (!c) throw notFound('consultation');
    await assertMayMove(tx, caller, c, input.to, now);
    const actor = actorOf(caller);
    const by = caller.kind === 'staff' ? caller.principal.staffUserId : null;
    const moved = await move(tx, ctx, c, input.to, actor, by, input.reason);
    let link: string | null = null;
    if (input.to === 'accepted' && caller.kind === 'staff') {
      const room = input.room ?? (c.forParticipantId ? 'private' : 'live');
      link = await seatLawyer(tx, ctx, moved.row, { id: caller.principal.staffUserId, displayName: caller.principal.displayName }, actor, origin, room);
    }
    return { link, withdrawn: moved.withdrawn, row: moved.row };
  });
  for (const w of done.withdrawn) await effects.access.withdrawn(w);
  await pushed(ctx, effects, done.row);
  return { consultation: await viewOf(ctx.db, id), joinLink: done.link };
}

/** The caller's consultations: a lawyer's own and (on duty) the open on-duty requests; the center's for a mediator; a party's own. */
export async function listConsultations(ctx: ServiceContext, caller: Caller) {
  assertConsultationRole(caller);
  if (caller.kind === 'participant') {
    const self = caller.participant.participantId;
    const partyLink = (c: repo.ConsultationRow) =>
      c.forParticipantId === self && c.partyLinkCiphertext && (c.status === 'accepted' || c.status === 'in_progress') ? ctx.cipher.decrypt(c.partyLinkCiphertext) : null;
    return { items: (await repo.consultationsWhere(ctx.db, repo.forParticipant(self))).map((r) => view(r, partyLink)) };
  }
  const p = caller.principal;
  if (p.role === 'mediator') return { items: (await repo.consultationsWhere(ctx.db, repo.ofCenter(p.organisationId))).map((r) => view(r)) };
  const onDuty = (await onDutyNow(ctx.db, p.organisationId, ctx.now())).includes(p.staffUserId);
  return { items: (await repo.consultationsWhere(ctx.db, repo.forLawyer(p.organisationId, p.staffUserId, onDuty))).map((r) => view(r)) };
}

/**
 * What a consulting lawyer reads of the case: its summary and the question, no evidence, drafts,
 * caucus or either side's private material; only their own consultation while it is accepted or
 * running; each reading is audited.
 */
export async function consultationSummary(ctx: ServiceContext, p: Principal, id: string) {
  return ctx.db.transaction(async (tx) => {
    const c = await repo.findConsultation(tx, id);
    if (c?.lawyerId !== p.staffUserId) throw notFound('consultation');
    if (c.status !== 'accepted' && c.status !== 'in_progress') throw conflict(`the consultation is ${c.status}`);
    const found = await repo.caseSummary(tx, c.caseId);
    if (!found) throw notFound('consultation');
    await appendAuditEvent(tx, { type: 'consultation.summary_viewed', caseId: c.caseId, actor: staffActor(p), data: { consultationId: c.id } });
    const k = found.case;
    return {
      consultationId: c.id,
      caseNumber: k.number,
      title: k.title,
      disputeType: k.disputeType,
      seaArea: k.seaArea,
      incidentAt: k.incidentAt.toISOString(),
      incidentDescription: k.incidentDescription,
      claimedAmountFen: k.claimedAmountFen,
      parties: found.parties.map((x) => ({ displayName: x.name, kind: x.kind })),
      question: c.question,
    };
  });
}

/**
 * The every-minute sweep: a booking whose time came becomes a request (its lawyer is told), a
 * request nobody answered in time expires (the party is told what to do next), an accepted one
 * nobody started expires. Each in its own transaction; one moved meanwhile is skipped.
 */
export async function sweepConsultations(ctx: ServiceContext, effects: ConsultationEffects, windows: { answerMinutes: number; startMinutes: number }) {
  const now = ctx.now();
  const due = await repo.dueForSweep(ctx.db, now, new Date(now.getTime() - windows.answerMinutes * 60_000), new Date(now.getTime() - windows.startMinutes * 60_000));
  const system = { kind: 'system' as const };
  for (const c of due) {
    try {
      const result = await ctx.db.transaction(async (tx) => {
        const kase = await casesRepo.findCase(tx, c.caseId);
        const caseNumber = kase?.case.number ?? '';
        if (c.status === 'booked') {
          const { row } = await move(tx, ctx, c, 'requested', system, null);
          return { row, queued: await tellLawyers(tx, ctx, row, [c.lawyerId!], caseNumber), withdrawn: [] };
        }
        const { row, withdrawn } = await move(tx, ctx, c, 'expired', system, null, c.status === 'requested' ? 'nobody answered' : 'not started');
        const queued: string[] = [];
        const party = c.status === 'requested' && c.forParticipantId ? await repo.participantPhone(tx, c.forParticipantId) : undefined;
        if (party?.phone) {
          const body = `【海桥云调解】${party.displayName}您好：${unansweredAdvice.expired}`;
          const id = await addToOutbox(tx, ctx, { caseId: c.caseId, participantId: c.forParticipantId!, kind: 'consultation_unanswered', to: party.phone, body, dedupeKey: `consultation_unanswered:${c.id}`, sendAfter: now });
          if (id) queued.push(id);
        }
        return { row, queued, withdrawn };
      });
      effects.notifications.queued(result.queued);
      await pushed(ctx, effects, result.row);
      for (const w of result.withdrawn) await effects.access.withdrawn(w);
    } catch (err) {
      // Moved by someone meanwhile (accepted as it expired): the next sweep sees its new state.
      if (!(err instanceof Error && 'code' in err && err.code === 'CONFLICT')) throw err;
    }
  }
}

