import { and, desc, eq, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { agreements, cases, notifications, obligations, participants, sessions } from '../../db/schema/index.ts';

export type NotificationRow = typeof notifications.$inferSelect;

/** Inserts a message once per dedupe key; returns its id, or null when it already existed. */
export async function insertNotification(db: Db, values: typeof notifications.$inferInsert) {
  const [row] = await db.insert(notifications).values(values).onConflictDoNothing({ target: notifications.dedupeKey }).returning({ id: notifications.id });
  return row?.id ?? null;
}

export async function findNotification(db: Db, id: string) {
  const [row] = await db.select().from(notifications).where(eq(notifications.id, id));
  return row;
}

/** Pending messages due by `now`, oldest first. */
export async function duePending(db: Db, now: Date, limit = 500) {
  const rows = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.status, 'pending'), lte(notifications.sendAfter, now)))
    .orderBy(notifications.sendAfter)
    .limit(limit);
  return rows.map((r) => r.id);
}

/** The session a reminder is about, to check it still takes place when it was computed for. */
export async function sessionOf(db: Db, sessionId: string) {
  const [row] = await db.select({ status: sessions.status, scheduledAt: sessions.scheduledAt }).from(sessions).where(eq(sessions.id, sessionId));
  return row;
}

/** Counts an attempt before the provider is called, so a crash mid-send still shows it. */
export async function recordAttempt(db: Db, id: string) {
  const [row] = await db
    .update(notifications)
    .set({ attempts: sql`${notifications.attempts} + 1` })
    .where(and(eq(notifications.id, id), eq(notifications.status, 'pending')))
    .returning({ attempts: notifications.attempts });
  return row?.attempts ?? null;
}

export async function settle(db: Db, id: string, values: Partial<Pick<NotificationRow, 'status' | 'lastError' | 'provider' | 'providerMessageId' | 'sentAt'>>) {
  const [row] = await db
    .update(notifications)
    .set(values)
    .where(and(eq(notifications.id, id), eq(notifications.status, 'pending')))
    .returning({ id: notifications.id });
  return Boolean(row);
}

/** Puts a failed message back in the queue with a fresh retry budget; undefined unless it had failed. */
export async function reopenFailed(db: Db, id: string) {
  const [row] = await db
    .update(notifications)
    .set({ status: 'pending', attempts: 0 })
    .where(and(eq(notifications.id, id), eq(notifications.status, 'failed')))
    .returning();
  return row;
}

/** Whose outbox a message is in: the organisation it names, else the center holding its case. */
const ownerOf = sql<string>`coalesce(${notifications.organisationId}, ${cases.centerId})`;

/** A message with the center whose outbox holds it (for the outbox's access check). */
export async function findWithCenter(db: Db, id: string) {
  const [row] = await db.select({ n: notifications, caseNumber: cases.number, centerId: ownerOf }).from(notifications).innerJoin(cases, eq(cases.id, notifications.caseId)).where(eq(notifications.id, id));
  return row;
}

/** The outbox of a center: messages of its cases and those addressed to it (a transfer's notice), newest first. */
export function listForCenter(db: Db, centerId: string, limit = 200) {
  return db
    .select({ n: notifications, caseNumber: cases.number })
    .from(notifications)
    .innerJoin(cases, eq(cases.id, notifications.caseId))
    // The same rule as ownerOf, written so that each branch can use an index (organisation, case).
    .where(or(eq(notifications.organisationId, centerId), and(isNull(notifications.organisationId), eq(cases.centerId, centerId))))
    .orderBy(desc(notifications.createdAt))
    .limit(limit);
}


/** The parties of a case who can be reached by SMS (not removed, with a phone). */
export function reachableParties(db: Db, caseId: string) {
  return db
    .select({ id: participants.id, displayName: participants.displayName, phone: participants.phone })
    .from(participants)
    .where(and(eq(participants.caseId, caseId), eq(participants.role, 'party'), isNull(participants.removedAt), isNotNull(participants.phone)))
    .orderBy(participants.createdAt);
}

/** Participants acting for a party (the party itself or its agent) who can be reached by SMS. */
export function reachableFor(db: Db, caseId: string, partyId: string) {
  return db
    .select({ id: participants.id, displayName: participants.displayName, phone: participants.phone })
    .from(participants)
    .where(and(eq(participants.caseId, caseId), or(eq(participants.partyId, partyId), eq(participants.representsPartyId, partyId)), isNull(participants.removedAt), isNotNull(participants.phone)))
    .orderBy(participants.createdAt);
}

/** Whether an instalment is still owed under an agreement in force. */
export async function instalmentOpen(db: Db, obligationId: string) {
  const [row] = await db
    .select({ id: obligations.id })
    .from(obligations)
    .innerJoin(agreements, and(eq(agreements.id, obligations.agreementId), eq(agreements.status, 'sealed')))
    .where(and(eq(obligations.id, obligationId), isNull(obligations.fulfilledAt)));
  return Boolean(row);
}
