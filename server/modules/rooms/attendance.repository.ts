import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { type AttendanceState, presentStates } from '../../../shared/domain/attendance.ts';
import type { Db } from '../../db/client.ts';
import { attendances, chatMessages, invitations, participants } from '../../db/schema/index.ts';

export type AttendanceRow = typeof attendances.$inferSelect;

export async function findAttendance(db: Db, id: string) {
  const [row] = await db.select().from(attendances).where(eq(attendances.id, id));
  return row;
}

export async function findByResumeHash(db: Db, resumeTokenHash: string) {
  const [row] = await db.select().from(attendances).where(eq(attendances.resumeTokenHash, resumeTokenHash));
  return row;
}

export async function findForParticipant(db: Db, sessionId: string, participantId: string) {
  const [row] = await db.select().from(attendances).where(and(eq(attendances.sessionId, sessionId), eq(attendances.participantId, participantId)));
  return row;
}

export async function findForStaff(db: Db, sessionId: string, staffUserId: string) {
  const [row] = await db.select().from(attendances).where(and(eq(attendances.sessionId, sessionId), eq(attendances.staffUserId, staffUserId)));
  return row;
}

/** Creates the attendance, or returns the one a concurrent first connection created. */
export async function insertAttendance(db: Db, values: typeof attendances.$inferInsert) {
  const [row] = await db.insert(attendances).values(values).onConflictDoNothing().returning();
  if (row) return row;
  const existing = values.participantId
    ? await findForParticipant(db, values.sessionId, values.participantId)
    : await findForStaff(db, values.sessionId, values.staffUserId!);
  return existing!;
}

/** A participant's attendances: in one session, or in every session (of their one case). */
export function listForParticipant(db: Db, participantId: string, sessionId: string | null) {
  return db
    .select()
    .from(attendances)
    .where(sessionId ? and(eq(attendances.participantId, participantId), eq(attendances.sessionId, sessionId)) : eq(attendances.participantId, participantId));
}

/** Whether a participant still on the case holds a link to this session that was not revoked. */
export async function hasUnrevokedInvitation(db: Db, sessionId: string, participantId: string) {
  const [row] = await db
    .select({ id: invitations.id })
    .from(invitations)
    .innerJoin(participants, eq(participants.id, invitations.participantId))
    .where(and(eq(invitations.sessionId, sessionId), eq(invitations.participantId, participantId), isNull(invitations.revokedAt), isNull(participants.removedAt)))
    .limit(1);
  return row !== undefined;
}

export async function updateAttendance(db: Db, id: string, values: Partial<typeof attendances.$inferInsert>) {
  const [row] = await updateAttendanceQuery(db, id, values);
  return row!;
}

/** updateAttendance's query, not run (for changeAudited). */
export function updateAttendanceQuery(db: Db, id: string, values: Partial<typeof attendances.$inferInsert>) {
  return db.update(attendances).set(values).where(eq(attendances.id, id)).returning();
}

/**
 * A change to someone still present in this session (not refused, removed or left), in one
 * statement: the update's row lock stands for a `select … for update` first. The query (run it, or
 * hand it to changeAudited): no row when the attendance is not present in this session.
 */
export function updatePresent(db: Db, id: string, sessionId: string, values: Partial<typeof attendances.$inferInsert>) {
  return db
    .update(attendances)
    .set(values)
    .where(and(eq(attendances.id, id), eq(attendances.sessionId, sessionId), inArray(attendances.state, [...presentStates])))
    .returning();
}

/** State change only from the expected state; undefined when someone else moved it first. */
export async function moveAttendance(db: Db, id: string, from: AttendanceState, values: Partial<typeof attendances.$inferInsert> & { state: AttendanceState }) {
  const [row] = await moveAttendanceQuery(db, id, from, values);
  return row;
}

/** moveAttendance's conditional update, not run (for changeAudited). */
export function moveAttendanceQuery(db: Db, id: string, from: AttendanceState, values: Partial<typeof attendances.$inferInsert> & { state: AttendanceState }) {
  return db.update(attendances).set(values).where(and(eq(attendances.id, id), eq(attendances.state, from))).returning();
}

export async function insertChatMessage(db: Db, values: typeof chatMessages.$inferInsert) {
  const [row] = await db.insert(chatMessages).values(values).returning();
  return row!;
}

export function listChat(db: Db, sessionId: string) {
  return db
    .select({ message: chatMessages, displayName: attendances.displayName })
    .from(chatMessages)
    .innerJoin(attendances, eq(attendances.id, chatMessages.attendanceId))
    .where(eq(chatMessages.sessionId, sessionId))
    .orderBy(asc(chatMessages.sentAt), asc(chatMessages.id));
}
