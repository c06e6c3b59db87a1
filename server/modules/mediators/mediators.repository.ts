import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { caseMediators, cases, mediatorChoices, mediatorProfiles, participants, sessions, staffUsers } from '../../db/schema/index.ts';
import type { MediatorRole } from '../../../shared/domain/mediators.ts';

export type ProfileRow = typeof mediatorProfiles.$inferSelect;

/** Case statuses that count as a case handled: the mediation reached its end, settled or not. */
const handledStatuses = ['settled', 'following_up', 'closed', 'failed'] as const;

/** The case's lead and co-mediators, lead first. */
export function assignedTo(db: Db, caseId: string) {
  return db
    .select({ staffUserId: caseMediators.staffUserId, role: caseMediators.role, displayName: staffUsers.displayName })
    .from(caseMediators)
    .innerJoin(staffUsers, eq(staffUsers.id, caseMediators.staffUserId))
    .where(eq(caseMediators.caseId, caseId))
    .orderBy(sql`${caseMediators.role} = 'lead' desc`, asc(caseMediators.assignedAt), asc(staffUsers.displayName));
}

/** Replaces the case's mediators (in the caller's transaction, which holds the case's row lock). */
export async function replaceAssignment(db: Db, caseId: string, rows: { staffUserId: string; role: MediatorRole }[], at: Date, by: string | null) {
  await db.delete(caseMediators).where(eq(caseMediators.caseId, caseId));
  if (rows.length > 0) await db.insert(caseMediators).values(rows.map((r) => ({ caseId, ...r, assignedAt: at, assignedBy: by })));
}

/** Of the given staff ids, those that are active mediators of the center. */
export async function activeMediatorsOf(db: Db, centerId: string, ids: string[]) {
  if (ids.length === 0) return new Set<string>();
  const rows = await db
    .select({ id: staffUsers.id })
    .from(staffUsers)
    .where(and(inArray(staffUsers.id, ids), eq(staffUsers.organisationId, centerId), eq(staffUsers.role, 'mediator'), eq(staffUsers.active, true)));
  return new Set(rows.map((r) => r.id));
}

/** The center's active mediators with their profiles and how many cases each has handled. */
export async function roster(db: Db, centerId: string) {
  const handled = db
    .select({ staffUserId: caseMediators.staffUserId, n: count().as('n') })
    .from(caseMediators)
    .innerJoin(cases, eq(cases.id, caseMediators.caseId))
    .where(inArray(cases.status, [...handledStatuses]))
    .groupBy(caseMediators.staffUserId)
    .as('handled');
  return db
    .select({ id: staffUsers.id, displayName: staffUsers.displayName, centerHead: staffUsers.centerHead, profile: mediatorProfiles, handled: sql<number>`coalesce(${handled.n}, 0)::int` })
    .from(staffUsers)
    .leftJoin(mediatorProfiles, eq(mediatorProfiles.staffUserId, staffUsers.id))
    .leftJoin(handled, eq(handled.staffUserId, staffUsers.id))
    .where(and(eq(staffUsers.organisationId, centerId), eq(staffUsers.role, 'mediator'), eq(staffUsers.active, true)))
    .orderBy(asc(staffUsers.displayName), asc(staffUsers.id));
}

/** A staff account with its organisation (for profile edits). */
export async function findStaff(db: Db, id: string) {
  const [row] = await db.select().from(staffUsers).where(eq(staffUsers.id, id));
  return row;
}

export async function findProfile(db: Db, staffUserId: string) {
  const [row] = await db.select().from(mediatorProfiles).where(eq(mediatorProfiles.staffUserId, staffUserId));
  return row;
}

export async function upsertProfile(db: Db, staffUserId: string, values: Partial<Omit<ProfileRow, 'staffUserId'>> & { updatedAt: Date }) {
  const [row] = await db
    .insert(mediatorProfiles)
    .values({ staffUserId, ...values })
    .onConflictDoUpdate({ target: mediatorProfiles.staffUserId, set: values })
    .returning();
  return row!;
}

/** The parties' choices on a case, oldest first. */
export function choicesOn(db: Db, caseId: string) {
  return db
    .select({ participantId: mediatorChoices.participantId, participantName: participants.displayName, staffUserId: mediatorChoices.staffUserId, displayName: staffUsers.displayName, chosenAt: mediatorChoices.chosenAt })
    .from(mediatorChoices)
    .innerJoin(participants, eq(participants.id, mediatorChoices.participantId))
    .innerJoin(staffUsers, eq(staffUsers.id, mediatorChoices.staffUserId))
    .where(and(eq(mediatorChoices.caseId, caseId), sql`${participants.removedAt} is null`))
    .orderBy(asc(mediatorChoices.chosenAt), asc(mediatorChoices.participantId));
}

export async function choiceOf(db: Db, participantId: string) {
  const [row] = await db.select().from(mediatorChoices).where(eq(mediatorChoices.participantId, participantId));
  return row;
}

export async function saveChoice(db: Db, values: typeof mediatorChoices.$inferInsert) {
  await db
    .insert(mediatorChoices)
    .values(values)
    .onConflictDoUpdate({ target: mediatorChoices.participantId, set: { staffUserId: values.staffUserId, chosenAt: values.chosenAt } });
}

/**
 * The statuses of the case's mediation sessions. `lock` takes a share lock on those rows until the
 * transaction ends, so a session cannot go live between this read and the choice being stored.
 */
export async function mediationSessionStatuses(db: Db, caseId: string, lock = false) {
  const query = db.select({ status: sessions.status }).from(sessions).where(and(eq(sessions.caseId, caseId), eq(sessions.kind, 'mediation')));
  const rows = lock ? await query.for('share') : await query;
  return rows.map((r) => r.status);
}
