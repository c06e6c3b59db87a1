import type { z } from 'zod';
import type { dutyShiftCreateSchema, LawyerCreate, slotCreateSchema } from '../../../shared/api/legal.ts';
import { onDutyAt } from '../../../shared/domain/consultations.ts';
import type { Caller } from '../../access/caller.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { createStaffUser } from '../admin/admin.service.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import * as repo from './legal.repository.ts';

/**
 * The center's side of legal help: the law firms it works with, their lawyers' accounts, the
 * duty roster (admins) and the slots lawyers publish for bookings.
 */

/** The center's admin: the one who records firms, lawyers and the roster. */
function centerAdmin(p: Principal) {
  if (p.role !== 'admin' || p.organisationKind !== 'mediation_center') throw forbidden('the mediation center’s admin arranges legal help');
  return p.organisationId;
}

/** Staff of a mediation center (mediators, admins, lawyers) read its firms, lawyers, roster and slots. */
function centerStaff(p: Principal) {
  if (p.organisationKind !== 'mediation_center') throw forbidden('legal help belongs to a mediation center');
  return p.organisationId;
}

/** Whose center: a staff member's own, or a participant's case's center (a party choosing a lawyer). */
export async function centerOf(db: Db, caller: Caller): Promise<string> {
  if (caller.kind === 'staff') return centerStaff(caller.principal);
  if (caller.participant.role !== 'party') throw forbidden('a party asks for legal help');
  const found = await casesRepo.findCase(db, caller.participant.caseId);
  if (!found) throw forbidden();
  return found.case.centerId;
}

export async function createFirm(ctx: ServiceContext, p: Principal, name: string) {
  const centerId = centerAdmin(p);
  return ctx.db.transaction(async (tx) => {
    const row = await repo.insertFirm(tx, { centerId, name });
    await appendAuditEvent(tx, { type: 'law_firm.created', actor: staffActor(p), data: { lawFirmId: row.id, name } });
    return { id: row.id, name: row.name };
  });
}

export async function listFirms(ctx: ServiceContext, p: Principal) {
  const rows = await repo.listFirms(ctx.db, centerStaff(p));
  return { items: rows.map((r) => ({ id: r.id, name: r.name })) };
}

/** A lawyer's account: a staff login (role lawyer, in the center) and the firm they belong to, in one transaction. */
export async function createLawyer(ctx: ServiceContext, p: Principal, input: LawyerCreate) {
  const centerId = centerAdmin(p);
  return ctx.db.transaction(async (tx) => {
    const firm = await repo.findFirm(tx, centerId, input.lawFirmId);
    if (!firm) throw invalid('lawFirmId', 'not a law firm of your center');
    const user = await createStaffUser(tx, p, { organisationId: centerId as never, username: input.username, displayName: input.displayName, role: 'lawyer', password: input.password });
    await repo.insertLawyer(tx, { staffUserId: user.id, lawFirmId: firm.id, phone: input.phone, licenceNumber: input.licenceNumber, specialities: input.specialities });
    await appendAuditEvent(tx, { type: 'lawyer.created', actor: staffActor(p), data: { staffUserId: user.id, lawFirmId: firm.id } });
    return { id: user.id, displayName: user.displayName, lawFirmName: firm.name, specialities: input.specialities, onDutyNow: false };
  });
}

/** The firm's list a party chooses from (自选制), with who is on duty now. */
export async function listLawyers(ctx: ServiceContext, caller: Caller) {
  const centerId = await centerOf(ctx.db, caller);
  const now = ctx.now();
  const [rows, shifts] = await Promise.all([repo.listLawyers(ctx.db, centerId), repo.shiftsBetween(ctx.db, centerId, now, now)]);
  const onDuty = new Set(onDutyAt(shifts, now));
  return { items: rows.map((r) => ({ id: r.id, displayName: r.displayName, lawFirmName: r.lawFirmName, specialities: r.specialities, onDutyNow: onDuty.has(r.id) })) };
}

export async function addDutyShift(ctx: ServiceContext, p: Principal, input: z.infer<typeof dutyShiftCreateSchema>) {
  const centerId = centerAdmin(p);
  return ctx.db.transaction(async (tx) => {
    const lawyer = await repo.findLawyer(tx, centerId, input.lawyerId);
    if (!lawyer) throw invalid('lawyerId', 'not an active lawyer of your center');
    const row = await repo.insertShift(tx, { lawyerId: lawyer.id, startsAt: new Date(input.startsAt), endsAt: new Date(input.endsAt), createdBy: p.staffUserId });
    await appendAuditEvent(tx, {
      type: 'duty_shift.added',
      actor: staffActor(p),
      data: { dutyShiftId: row.id, lawyerId: lawyer.id, startsAt: row.startsAt.toISOString(), endsAt: row.endsAt.toISOString() },
    });
    return { id: row.id, lawyerId: lawyer.id, lawyerName: lawyer.displayName, startsAt: row.startsAt.toISOString(), endsAt: row.endsAt.toISOString() };
  });
}

/** The admin takes a shift off the roster (a lawyer who cannot come); requests already sent stay. */
export async function removeDutyShift(ctx: ServiceContext, p: Principal, id: string) {
  const centerId = centerAdmin(p);
  return ctx.db.transaction(async (tx) => {
    const row = await repo.deleteShift(tx, centerId, id);
    if (!row) throw notFound('duty shift');
    await appendAuditEvent(tx, {
      type: 'duty_shift.removed',
      actor: staffActor(p),
      data: { dutyShiftId: row.id, lawyerId: row.lawyerId, startsAt: row.startsAt.toISOString(), endsAt: row.endsAt.toISOString() },
    });
    return { id: row.id };
  });
}

const dayMs = 86_400_000;

/** The roster from `from` (default now) over at most 31 days. */
export async function dutyRoster(ctx: ServiceContext, p: Principal, q: { from?: string | undefined; to?: string | undefined }) {
  const centerId = centerStaff(p);
  const from = q.from ? new Date(q.from) : ctx.now();
  const to = q.to ? new Date(q.to) : new Date(from.getTime() + 7 * dayMs);
  if (to < from) throw invalid('to', 'must not be before from');
  if (to.getTime() - from.getTime() > 31 * dayMs) throw invalid('to', 'at most 31 days after from');
  const rows = await repo.shiftsBetween(ctx.db, centerId, from, to);
  return { items: rows.map((r) => ({ id: r.id, lawyerId: r.lawyerId, lawyerName: r.lawyerName, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString() })) };
}

const slotView = (r: Awaited<ReturnType<typeof repo.slotsFrom>>[number]) => ({
  id: r.id,
  lawyerId: r.lawyerId,
  lawyerName: r.lawyerName,
  lawFirmName: r.lawFirmName,
  startsAt: r.startsAt.toISOString(),
  endsAt: r.endsAt.toISOString(),
  booked: r.consultationId !== null,
});

/**
 * A time others may book (预约制): a lawyer publishes their own; the center's admin publishes one
 * for a lawyer of the center (`lawyerId`), e.g. the firm's weekly hours agreed by phone.
 */
export async function publishSlot(ctx: ServiceContext, p: Principal, input: z.infer<typeof slotCreateSchema>, lawyerId?: string) {
  const forLawyer = lawyerId === undefined ? null : centerAdmin(p);
  if (forLawyer === null && p.role !== 'lawyer') throw forbidden('lawyers publish their own times');
  const startsAt = new Date(input.startsAt);
  if (startsAt <= ctx.now()) throw invalid('startsAt', 'must be in the future');
  if (startsAt.getTime() - ctx.now().getTime() > 90 * dayMs) throw invalid('startsAt', 'at most 90 days ahead');
  return ctx.db.transaction(async (tx) => {
    const lawyer = await repo.findLawyer(tx, p.organisationId, lawyerId ?? p.staffUserId);
    if (!lawyer) throw lawyerId === undefined ? forbidden('your account is not attached to a law firm') : notFound('lawyer');
    const row = await repo.insertSlot(tx, { lawyerId: lawyer.id, startsAt, endsAt: new Date(startsAt.getTime() + input.durationMinutes * 60_000) });
    if (!row) throw conflict('a slot of this lawyer already starts at that time');
    await appendAuditEvent(tx, { type: 'lawyer_slot.published', actor: staffActor(p), data: { slotId: row.id, lawyerId: lawyer.id, startsAt: row.startsAt.toISOString(), endsAt: row.endsAt.toISOString() } });
    return slotView({ ...row, lawyerName: lawyer.displayName, lawFirmName: lawyer.lawFirmName, centerId: lawyer.centerId });
  });
}

/** Open slots of the center (a lawyer sees their own, booked ones included). */
export async function listSlots(ctx: ServiceContext, caller: Caller) {
  const centerId = await centerOf(ctx.db, caller);
  const own = caller.kind === 'staff' && caller.principal.role === 'lawyer';
  const rows = await repo.slotsFrom(ctx.db, centerId, ctx.now(), own ? { lawyerId: caller.principal.staffUserId, open: false } : { open: true });
  return { items: rows.map(slotView) };
}
