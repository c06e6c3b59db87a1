import { and, asc, desc, eq, gt, inArray, isNull, lte, or, type SQL } from 'drizzle-orm';
import type { ConsultationStatus } from '../../../shared/domain/consultations.ts';
import type { Db } from '../../db/client.ts';
import { cases, consultations, dutyShifts, lawFirms, lawyers, lawyerSlots, participants, parties, sessions, staffUsers } from '../../db/schema/index.ts';

export type ConsultationRow = typeof consultations.$inferSelect;

export async function insertFirm(db: Db, values: typeof lawFirms.$inferInsert) {
  const [row] = await db.insert(lawFirms).values(values).returning();
  return row!;
}

export async function findFirm(db: Db, centerId: string, id: string) {
  const [row] = await db.select().from(lawFirms).where(and(eq(lawFirms.id, id), eq(lawFirms.centerId, centerId)));
  return row;
}

export function listFirms(db: Db, centerId: string) {
  return db.select().from(lawFirms).where(eq(lawFirms.centerId, centerId)).orderBy(asc(lawFirms.name));
}

export async function insertLawyer(db: Db, values: typeof lawyers.$inferInsert) {
  const [row] = await db.insert(lawyers).values(values).returning();
  return row!;
}

const lawyerColumns = {
  id: lawyers.staffUserId,
  displayName: staffUsers.displayName,
  centerId: staffUsers.organisationId,
  active: staffUsers.active,
  phone: lawyers.phone,
  specialities: lawyers.specialities,
  lawFirmName: lawFirms.name,
};

function lawyersWhere(db: Db, where: SQL | undefined) {
  return db
    .select(lawyerColumns)
    .from(lawyers)
    .innerJoin(staffUsers, eq(staffUsers.id, lawyers.staffUserId))
    .innerJoin(lawFirms, eq(lawFirms.id, lawyers.lawFirmId))
    .where(where)
    .orderBy(asc(lawFirms.name), asc(staffUsers.displayName));
}

/** The center's active lawyers, firm by firm. */
export function listLawyers(db: Db, centerId: string) {
  return lawyersWhere(db, and(eq(staffUsers.organisationId, centerId), eq(staffUsers.active, true)));
}

/** One active lawyer of the center. */
export async function findLawyer(db: Db, centerId: string, id: string) {
  const [row] = await lawyersWhere(db, and(eq(lawyers.staffUserId, id), eq(staffUsers.organisationId, centerId), eq(staffUsers.active, true)));
  return row;
}

export async function insertShift(db: Db, values: typeof dutyShifts.$inferInsert) {
  const [row] = await db.insert(dutyShifts).values(values).returning();
  return row!;
}

/** Removes one shift of the center's lawyers; undefined when there is none. */
export async function deleteShift(db: Db, centerId: string, id: string) {
  const [row] = await db
    .delete(dutyShifts)
    .where(and(eq(dutyShifts.id, id), inArray(dutyShifts.lawyerId, db.select({ id: staffUsers.id }).from(staffUsers).where(eq(staffUsers.organisationId, centerId)))))
    .returning();
  return row;
}

/** The center's shifts overlapping [from, to). */
export function shiftsBetween(db: Db, centerId: string, from: Date, to: Date) {
  return db
    .select({ id: dutyShifts.id, lawyerId: dutyShifts.lawyerId, lawyerName: staffUsers.displayName, startsAt: dutyShifts.startsAt, endsAt: dutyShifts.endsAt })
    .from(dutyShifts)
    .innerJoin(staffUsers, eq(staffUsers.id, dutyShifts.lawyerId))
    .where(and(eq(staffUsers.organisationId, centerId), eq(staffUsers.active, true), lte(dutyShifts.startsAt, to), gt(dutyShifts.endsAt, from)))
    .orderBy(asc(dutyShifts.startsAt));
}

export async function insertSlot(db: Db, values: typeof lawyerSlots.$inferInsert) {
  const [row] = await db.insert(lawyerSlots).values(values).onConflictDoNothing().returning();
  return row;
}

const slotColumns = {
  id: lawyerSlots.id,
  lawyerId: lawyerSlots.lawyerId,
  lawyerName: staffUsers.displayName,
  lawFirmName: lawFirms.name,
  centerId: staffUsers.organisationId,
  startsAt: lawyerSlots.startsAt,
  endsAt: lawyerSlots.endsAt,
  consultationId: lawyerSlots.consultationId,
};

function slotsWhere(db: Db, where: SQL | undefined) {
  return db
    .select(slotColumns)
    .from(lawyerSlots)
    .innerJoin(lawyers, eq(lawyers.staffUserId, lawyerSlots.lawyerId))
    .innerJoin(staffUsers, eq(staffUsers.id, lawyers.staffUserId))
    .innerJoin(lawFirms, eq(lawFirms.id, lawyers.lawFirmId))
    .where(where)
    .orderBy(asc(lawyerSlots.startsAt));
}

/** The center's slots from `from` on (open ones only, unless a lawyer asks for their own). */
export function slotsFrom(db: Db, centerId: string, from: Date, only: { lawyerId?: string; open: boolean }) {
  return slotsWhere(
    db,
    and(
      eq(staffUsers.organisationId, centerId),
      eq(staffUsers.active, true),
      gt(lawyerSlots.startsAt, from),
      only.open ? isNull(lawyerSlots.consultationId) : undefined,
      only.lawyerId ? eq(lawyerSlots.lawyerId, only.lawyerId) : undefined,
    ),
  ).limit(200);
}

export async function findSlot(db: Db, centerId: string, id: string) {
  const [row] = await slotsWhere(db, and(eq(lawyerSlots.id, id), eq(staffUsers.organisationId, centerId), eq(staffUsers.active, true)));
  return row;
}

/** Takes a slot for a consultation, only if it is still open: null when someone else was quicker. */
export async function takeSlot(db: Db, id: string, consultationId: string) {
  const [row] = await db
    .update(lawyerSlots)
    .set({ consultationId })
    .where(and(eq(lawyerSlots.id, id), isNull(lawyerSlots.consultationId)))
    .returning({ id: lawyerSlots.id });
  return row ?? null;
}

/** A cancelled booking gives its slot back. */
export async function releaseSlot(db: Db, consultationId: string) {
  await db.update(lawyerSlots).set({ consultationId: null }).where(eq(lawyerSlots.consultationId, consultationId));
}

export async function insertConsultation(db: Db, values: typeof consultations.$inferInsert) {
  const [row] = await db.insert(consultations).values(values).returning();
  return row!;
}

export async function findConsultation(db: Db, id: string) {
  const [row] = await db.select().from(consultations).where(eq(consultations.id, id));
  return row;
}

/** The conditional update of the transition pattern: nothing when the status moved meanwhile. */
export async function updateConsultationWhereStatus(db: Db, id: string, from: ConsultationStatus, values: Partial<typeof consultations.$inferInsert>) {
  const [row] = await db
    .update(consultations)
    .set(values)
    .where(and(eq(consultations.id, id), eq(consultations.status, from)))
    .returning();
  return row;
}

/** Consultations with what a view shows (case number, lawyer and firm, the party advised). */
export function consultationsWhere(db: Db, where: SQL | undefined) {
  return db
    .select({ c: consultations, caseNumber: cases.number, lawyerName: staffUsers.displayName, lawFirmName: lawFirms.name, forName: participants.displayName })
    .from(consultations)
    .innerJoin(cases, eq(cases.id, consultations.caseId))
    .leftJoin(lawyers, eq(lawyers.staffUserId, consultations.lawyerId))
    .leftJoin(staffUsers, eq(staffUsers.id, lawyers.staffUserId))
    .leftJoin(lawFirms, eq(lawFirms.id, lawyers.lawFirmId))
    .leftJoin(participants, eq(participants.id, consultations.forParticipantId))
    .where(where)
    .orderBy(desc(consultations.scheduledAt))
    .limit(200);
}

export const byId = (id: string) => eq(consultations.id, id);
export const ofCenter = (centerId: string) => eq(consultations.centerId, centerId);
/** A lawyer's own, and (while on duty) the center's on-duty requests nobody has taken. */
export const forLawyer = (centerId: string, lawyerId: string, onDuty: boolean) =>
  or(
    eq(consultations.lawyerId, lawyerId),
    onDuty ? and(eq(consultations.centerId, centerId), eq(consultations.kind, 'on_duty'), eq(consultations.status, 'requested'), isNull(consultations.lawyerId)) : undefined,
  );
export const forParticipant = (participantId: string) =>
  or(eq(consultations.forParticipantId, participantId), eq(consultations.requestedByParticipantId, participantId));

/** Work for the sweep: bookings whose time came, requests nobody answered, accepted ones nobody started. */
export function dueForSweep(db: Db, now: Date, answerBefore: Date, startBefore: Date) {
  return db
    .select()
    .from(consultations)
    .where(
      or(
        and(eq(consultations.status, 'booked'), lte(consultations.scheduledAt, now)),
        and(eq(consultations.status, 'requested'), lte(consultations.requestedAt, answerBefore)),
        and(eq(consultations.status, 'accepted'), lte(consultations.answeredAt, startBefore)),
      ),
    )
    .limit(500);
}

/** Phones of a participant (for the party's SMS). */
export async function participantPhone(db: Db, participantId: string) {
  const [row] = await db.select({ displayName: participants.displayName, phone: participants.phone }).from(participants).where(eq(participants.id, participantId));
  return row;
}

export function lawyersByIds(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return lawyersWhere(db, inArray(lawyers.staffUserId, ids));
}

/** The case and its parties' names and kinds: all a consultation's summary shows. */
export async function caseSummary(db: Db, caseId: string) {
  const [kase] = await db.select().from(cases).where(eq(cases.id, caseId));
  const people = await db.select({ name: parties.name, kind: parties.kind }).from(parties).where(eq(parties.caseId, caseId)).orderBy(asc(parties.createdAt), asc(parties.id));
  return kase ? { case: kase, parties: people } : undefined;
}

/** The case's session a mediator's request joins: the latest one not over. */
export async function openSessionOf(db: Db, caseId: string) {
  const [row] = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.caseId, caseId), inArray(sessions.status, ['scheduled', 'lobby', 'live', 'paused'])))
    .orderBy(desc(sessions.scheduledAt))
    .limit(1);
  return row;
}
