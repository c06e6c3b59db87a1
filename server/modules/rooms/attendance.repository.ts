import { and, asc, eq, gt, gte, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { type AttendanceState, presentStates } from '../../../shared/domain/attendance.ts';
import type { Db } from '../../db/client.ts';
import { placeholderValues, preparedFor, valuesFromPlaceholders, valuesShape } from '../../db/prepared.ts';
import { attendances, chatMessages, invitations, participants } from '../../db/schema/index.ts';
import { type AuditedChange, type NewAuditEvent, prepareChangeAudited } from '../audit/audit.repository.ts';

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

/** Creates the attendance, or returns the one a concurrent first connection created. Prepared (one statement per shape of `values`): every entry makes one. */
export async function insertAttendance(db: Db, values: typeof attendances.$inferInsert) {
  const shape = valuesShape(values);
  const statement = preparedFor(db, `attendance.insert:${shape.join(',')}`, () =>
    db
      .insert(attendances)
      .values(valuesFromPlaceholders<typeof attendances.$inferInsert>(shape))
      .onConflictDoNothing()
      .returning()
      .prepare('insert_attendance'),
  );
  const [row] = await statement.execute(placeholderValues(values));
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
  const [row] = await db.update(attendances).set(values).where(and(eq(attendances.id, id), eq(attendances.state, from))).returning();
  return row;
}

type AttendanceValues = Partial<typeof attendances.$inferInsert>;

/**
 * An update of one attendance and its audit event in one prepared statement, one per kind and
 * set of columns changed (`where` is built once, with the statement): the row, or undefined when `where` matched nothing (nothing recorded).
 */
function updateAudited(db: Db, kind: string, values: AttendanceValues, where: () => SQL | undefined, keys: Record<string, unknown>, event: NewAuditEvent) {
  const shape = valuesShape(values);
  const run = preparedFor<AuditedChange<AttendanceRow>>(db, `attendance.${kind}:${shape.join(',')}`, () =>
    prepareChangeAudited(db, db.update(attendances).set(valuesFromPlaceholders<AttendanceValues>(shape)).where(where()).returning()),
  );
  return run({ ...placeholderValues(values), ...keys }, event);
}

/** moveAttendance and its audit event in one statement: undefined when it was no longer in `from`. */
export function moveAttendanceAudited(db: Db, id: string, from: AttendanceState, values: AttendanceValues & { state: AttendanceState }, event: NewAuditEvent) {
  const where = () => and(eq(attendances.id, sql.placeholder('id')), eq(attendances.state, sql.placeholder('from')));
  return updateAudited(db, 'move', values, where, { id, from }, event);
}

/** updatePresent and its audit event in one statement: undefined when they are not present. */
export function updatePresentAudited(db: Db, id: string, sessionId: string, values: AttendanceValues, event: NewAuditEvent) {
  const where = () => and(eq(attendances.id, sql.placeholder('id')), eq(attendances.sessionId, sql.placeholder('sessionId')), inArray(attendances.state, [...presentStates]));
  return updateAudited(db, 'updatePresent', values, where, { id, sessionId }, event);
}

/**
 * Identity confirmed by the one-time code, in one prepared statement with its audit event: only
 * while the code (its hash `codeHash`) is the attendance's, unexpired and not spent, and the ID
 * number route is closed (as it is once a code was issued). The update's row lock orders it
 * with concurrent guesses, as the locked read of the full check does. No row: not confirmed
 * here (wrong code, or another case), and nothing recorded.
 */
export function confirmByCodeAudited(
  db: Db,
  id: string,
  check: { codeHash: string; now: Date; maxCodeGuesses: number; maxIdentityFailures: number },
  event: NewAuditEvent,
) {
  const run = preparedFor<AuditedChange<{ id: string }>>(db, 'attendance.confirmByCode', () =>
    prepareChangeAudited(
      db,
      db
        .update(attendances)
        .set({ identityMethod: 'one_time_code', identityVerifiedAt: sql.placeholder('verifiedAt') as unknown as Date, oneTimeCodeHash: null })
        .where(
          and(
            eq(attendances.id, sql.placeholder('id')),
            eq(attendances.oneTimeCodeHash, sql.placeholder('codeHash')),
            // A placeholder in a comparison is not encoded by its column: the time goes as text.
            gt(attendances.oneTimeCodeExpiresAt, sql`${sql.placeholder('now')}::timestamptz`),
            lt(attendances.oneTimeCodeFailures, sql.placeholder('maxCodeGuesses')),
            gte(attendances.identityFailures, sql.placeholder('maxIdentityFailures')),
          ),
        )
        .returning({ id: attendances.id }),
    ),
  );
  return run({ id, ...check, verifiedAt: check.now, now: check.now.toISOString() }, event);
}

/** The device check's result (prepared: one of every join's statements). */
export async function saveNetworkTest(db: Db, id: string, networkTest: AttendanceRow['networkTest']) {
  const statement = preparedFor(db, 'attendance.saveNetworkTest', () =>
    db
      .update(attendances)
      .set({ networkTest: sql.placeholder('networkTest') as unknown as AttendanceRow['networkTest'] })
      .where(eq(attendances.id, sql.placeholder('id')))
      .prepare('save_network_test'),
  );
  await statement.execute({ id, networkTest });
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
