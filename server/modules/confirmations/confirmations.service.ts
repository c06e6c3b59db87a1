import type { ConfirmationDetail } from '../../../shared/api/agreements.ts';
import { confirmationMachine, type ConfirmationStatus } from '../../../shared/domain/agreements.ts';
import type { CourtCode } from '../../../shared/domain/courts.ts';
import { beijingYear, deadlineAfter, limits } from '../../../shared/beijing-time.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, invalid, notFound } from '../../errors.ts';
import * as agreementsRepo from '../agreements/agreements.repository.ts';
import { moveAgreement } from '../agreements/agreements.service.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import { courtsServedBy, seesApplication } from '../../access/case-access.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import { asNotFound, loadApplicationForCourt, loadCase } from '../../access/case-loading.ts';
import { moveCaseIfAllowed } from '../cases/cases.service.ts';
import { queueCourtDecision } from '../notifications/notifications.service.ts';
import { insertSession } from '../sessions/sessions.repository.ts';
import { applyTransition } from '../transitions.ts';
import { confirmationSummary } from './confirmation-views.ts';
import * as repo from './confirmations.repository.ts';
import type { ConfirmationRow } from './confirmations.repository.ts';

/** After commit: the ruling document is generated and sealed by the sealing queue; live rooms hear of a set-aside agreement. */
export interface ConfirmationEffects {
  decided(confirmationId: string): void;
  agreementChanged(caseId: string, agreementId: string): void;
  /** SMS to the parties written with the decision, to deliver now. */
  notified(notificationIds: string[]): void;
}

/** The mediator files the parties' joint application (their consent is part of each signature). */
export async function fileApplication(ctx: ServiceContext, p: Principal, agreementId: string) {
  const agreement = await agreementsRepo.findAgreement(ctx.db, agreementId);
  if (!agreement) throw notFound('agreement');
  const { case: caseRow } = await loadCase(ctx.db, p, agreement.caseId, 'write').catch(asNotFound('agreement'));
  const now = ctx.now();
  const id = await ctx.db.transaction(async (tx) => {
    // The court is read under the case's lock: a change of court waits for the filing, then finds it.
    const court = (await casesRepo.lockCase(tx, caseRow.id))!.competentCourt;
    const locked = (await agreementsRepo.lockAgreement(tx, agreementId))!;
    if (locked.status !== 'sealed') throw conflict('only a signed and sealed agreement can be filed');
    const version = (await agreementsRepo.findVersionById(tx, locked.currentVersionId!))!;
    if ((version.terms as { applyForConfirmation?: boolean }).applyForConfirmation === false) throw conflict('the parties did not agree to apply for judicial confirmation');
    const applyBy = deadlineAfter(locked.effectiveAt!, limits.applyForConfirmationDays);
    if (now > applyBy) throw conflict(`the 30-day period for applying ended on ${applyBy.toISOString()}`);
    const open = await repo.latestConfirmation(tx, agreementId);
    if (open && repo.openConfirmationStatuses.includes(open.status)) throw conflict(open.status === 'confirmed' ? 'the court has already confirmed this agreement' : 'an application is already pending');
    const row = await repo.insertConfirmation(tx, {
      agreementId,
      caseId: caseRow.id,
      courtCode: court,
      filedAt: now,
      filedBy: p.staffUserId,
      acceptBy: deadlineAfter(now, limits.acceptDays),
    });
    await appendAuditEvent(tx, { type: 'confirmation.status_changed', caseId: caseRow.id, actor: staffActor(p), data: { confirmationId: row.id, agreementId, to: 'filed', court } });
    return row.id;
  });
  return confirmationSummary(ctx, (await repo.findConfirmation(ctx.db, id))!);
}

export async function courtQueue(ctx: ServiceContext, p: Principal, status?: ConfirmationStatus) {
  const rows = await repo.queueForCourts(ctx.db, courtsServedBy(p), status ? [status] : undefined);
  const names = await casesRepo.partyNamesByCase(ctx.db, [...new Set(rows.map((r) => r.c.caseId))]);
  return {
    items: rows.map((r) => ({
      ...confirmationSummary(ctx, { ...r.c, rulingDocument: r.d?.id ? r.d : null }),
      caseId: r.c.caseId,
      caseNumber: r.caseNumber,
      caseTitle: r.caseTitle,
      agreementId: r.c.agreementId,
      partyNames: names.get(r.c.caseId) ?? [],
    })),
  };
}

export async function getConfirmation(ctx: ServiceContext, p: Principal, confirmationId: string): Promise<ConfirmationDetail> {
  const row = await repo.findConfirmation(ctx.db, confirmationId);
  if (!row) throw notFound('confirmation application');
  // Court staff of that court, or the case's mediation center.
  const found = await casesRepo.findCase(ctx.db, row.caseId);
  if (!seesApplication(p, row, found?.case)) throw notFound('confirmation application');
  return { ...confirmationSummary(ctx, row), caseId: row.caseId, agreementId: row.agreementId };
}

/**
 * The court's own time limits (3 days to accept, 15 (+10) to rule) bind the court, not the
 * parties: a late step is still taken, but it is recorded as late in the audit trail (and the
 * desk shows the negative days left). The deadline that applies to a step, if any.
 */
function deadlineOf(row: ConfirmationRow, to: ConfirmationStatus): Date | null {
  if (to === 'accepted' || to === 'not_accepted') return row.acceptBy;
  if (to === 'confirmed' || to === 'rejected' || to === 'returned') return row.ruleBy;
  return null;
}

async function move(ctx: ServiceContext, p: Principal, confirmationId: string, to: ConfirmationStatus, values: Parameters<typeof repo.updateWhereStatus>[3], role: 'clerk' | 'judge', extra: Record<string, unknown> = {}) {
  if (p.role !== role) throw forbidden(role === 'clerk' ? 'the clerk decides on acceptance' : 'the judge reviews and rules');
  return ctx.db.transaction(async (tx) => {
    const row = await loadApplicationForCourt(tx, p, confirmationId);
    const deadline = deadlineOf(row, to);
    const late = deadline ? ctx.now() > deadline : false;
    const moved = await applyTransition(tx, {
      subject: 'application',
      machine: confirmationMachine,
      from: row.status,
      to,
      update: () => repo.updateWhereStatus(tx, confirmationId, row.status, { ...values, status: to }),
      event: { type: 'confirmation.status_changed', caseId: row.caseId, actor: staffActor(p), data: { confirmationId, from: row.status, to, ...extra, ...(late ? { late: true, deadline: deadline!.toISOString() } : {}) } },
    });
    return { before: row, after: moved };
  });
}

export async function accept(ctx: ServiceContext, p: Principal, confirmationId: string) {
  const now = ctx.now();
  await move(ctx, p, confirmationId, 'accepted', { acceptedAt: now, ruleBy: deadlineAfter(now, limits.ruleDays), clerkId: p.staffUserId }, 'clerk');
  return getConfirmation(ctx, p, confirmationId);
}

export async function notAccept(ctx: ServiceContext, p: Principal, confirmationId: string, reason: string) {
  await move(ctx, p, confirmationId, 'not_accepted', { decidedAt: ctx.now(), reason, clerkId: p.staffUserId }, 'clerk', { reason });
  return getConfirmation(ctx, p, confirmationId);
}

export async function startReview(ctx: ServiceContext, p: Principal, confirmationId: string) {
  await move(ctx, p, confirmationId, 'under_review', { judgeId: p.staffUserId }, 'judge');
  return getConfirmation(ctx, p, confirmationId);
}

/**
 * Once, by ten days, for cause, while the 15-day period is still running: the period becomes 25
 * days from acceptance (a last day on a weekend moves to Monday, as for any period).
 */
export async function extend(ctx: ServiceContext, p: Principal, confirmationId: string, reason: string) {
  if (p.role !== 'judge') throw forbidden('the judge reviews and rules');
  await ctx.db.transaction(async (tx) => {
    const row = await loadApplicationForCourt(tx, p, confirmationId);
    if (row.status !== 'under_review' && row.status !== 'accepted') throw conflict(`the application is ${row.status}`);
    if (row.extended) throw conflict('the review period has already been extended once');
    if (ctx.now() > row.ruleBy!) throw conflict(`the review period ended on ${row.ruleBy!.toISOString()}; it can only be extended while it runs`);
    const ruleBy = deadlineAfter(row.acceptedAt!, limits.ruleDays + limits.ruleExtensionDays);
    // Conditional: of two extensions at once, one finds it already extended.
    const moved = await repo.updateWhere(tx, confirmationId, { statuses: ['accepted', 'under_review'], extended: false }, { extended: true, ruleBy });
    if (!moved) throw conflict('the review period has already been extended once');
    await appendAuditEvent(tx, { type: 'confirmation.extended', caseId: row.caseId, actor: staffActor(p), data: { confirmationId, from: row.ruleBy!.toISOString(), ruleBy: ruleBy.toISOString(), reason } });
  });
  return getConfirmation(ctx, p, confirmationId);
}

/** A short video hearing in the room system, hosted by the court, within the review period. */
export async function scheduleHearing(ctx: ServiceContext, p: Principal, confirmationId: string, input: { scheduledAt: string; durationMinutes: number }) {
  if (p.role !== 'judge') throw forbidden('the judge reviews and rules');
  await ctx.db.transaction(async (tx) => {
    const row = await loadApplicationForCourt(tx, p, confirmationId);
    if (row.status !== 'under_review') throw conflict(row.status === 'accepted' ? 'start the review first' : `the application is ${row.status}`);
    const at = new Date(input.scheduledAt);
    if (at < ctx.now()) throw invalid('scheduledAt', 'the hearing must be in the future');
    if (at > row.ruleBy!) throw invalid('scheduledAt', `the hearing must be held before the ruling deadline (${row.ruleBy!.toISOString()})`);
    const session = await insertSession(tx, { caseId: row.caseId, title: '司法确认询问', kind: 'hearing', scheduledAt: at, durationMinutes: input.durationMinutes, createdBy: p.staffUserId });
    const moved = await repo.updateWhere(tx, confirmationId, { statuses: ['under_review'] }, { hearingSessionId: session.id });
    if (!moved) throw conflict('the application changed meanwhile; reload');
    await appendAuditEvent(tx, { type: 'confirmation.hearing_scheduled', caseId: row.caseId, actor: staffActor(p), data: { confirmationId, sessionId: session.id, scheduledAt: input.scheduledAt } });
  });
  return getConfirmation(ctx, p, confirmationId);
}

/**
 * The ruling. Confirmed: the case becomes enforceable (the ruling PDF is sealed after commit).
 * Rejected or returned: the agreement is set aside and mediation reopens.
 */
export async function decide(ctx: ServiceContext, effects: ConfirmationEffects, p: Principal, confirmationId: string, decision: 'confirmed' | 'rejected' | 'returned', reason: string) {
  if (p.role !== 'judge') throw forbidden('the judge reviews and rules');
  const now = ctx.now();
  const decided = await ctx.db.transaction(async (tx) => {
    const row = await loadApplicationForCourt(tx, p, confirmationId);
    if (row.status !== 'under_review') throw conflict(row.status === 'accepted' ? 'start the review first' : `the application is ${row.status}`);
    const rulingNumber = decision === 'returned' ? null : await nextRulingNumber(tx, row.courtCode, now);
    const late = row.ruleBy !== null && now > row.ruleBy;
    await applyTransition(tx, {
      subject: 'application',
      machine: confirmationMachine,
      from: 'under_review',
      to: decision,
      update: () => repo.updateWhereStatus(tx, confirmationId, 'under_review', { status: decision, decidedAt: now, reason, judgeId: p.staffUserId, rulingNumber }),
      event: {
        type: 'confirmation.status_changed',
        caseId: row.caseId,
        actor: staffActor(p),
        data: { confirmationId, from: 'under_review', to: decision, reason, rulingNumber, ...(late ? { late: true, deadline: row.ruleBy!.toISOString() } : {}) },
      },
    });
    const caseRow = (await casesRepo.findCase(tx, row.caseId))!.case;
    const notices = await queueCourtDecision(tx, ctx, { confirmationId, caseId: row.caseId, caseNumber: caseRow.number, courtCode: row.courtCode, decision, rulingNumber });
    if (decision === 'confirmed') {
      const enforceable = await casesRepo.updateCaseWhereStatus(tx, caseRow.id, caseRow.status, { enforceableAt: now });
      if (!enforceable) throw conflict('the case changed meanwhile; reload');
      await appendAuditEvent(tx, { type: 'case.enforceable', caseId: caseRow.id, actor: staffActor(p), data: { confirmationId, rulingNumber } });
      return { row, notices };
    }
    // Rejected or returned: the agreement no longer binds and mediation reopens.
    const agreement = (await agreementsRepo.lockAgreement(tx, row.agreementId))!;
    if (agreement.status !== 'sealed') throw conflict(`the agreement is ${agreement.status}, not sealed`);
    await moveAgreement(tx, agreement, 'set_aside', staffActor(p), {}, { confirmationId });
    await moveCaseIfAllowed(tx, caseRow, 'mediating', staffActor(p), { confirmationId });
    return { row, notices };
  });
  if (decision !== 'returned') effects.decided(confirmationId);
  effects.agreementChanged(decided.row.caseId, decided.row.agreementId);
  effects.notified(decided.notices);
  return getConfirmation(ctx, p, confirmationId);
}

/** （2026）浙72民特1号: the court's code (浙72 Ningbo, 闽72 Xiamen), 民特 for special procedure. */
async function nextRulingNumber(tx: Db, courtCode: CourtCode, now: Date) {
  const year = beijingYear(now);
  const prefix = courtCode.startsWith('ningbo') ? '浙72' : '闽72';
  await repo.lockRulingNumbers(tx, courtCode);
  return `（${year}）${prefix}民特${(await repo.countRulings(tx, courtCode, year)) + 1}号`;
}
