import { and, eq, isNull, max, ne } from 'drizzle-orm';
import type { RecordingState } from '../../../shared/domain/recordings.ts';
import type { Db } from '../../db/client.ts';
import { recordingConsents, recordingGaps, recordingSegments, recordings, roomCaucuses } from '../../db/schema/index.ts';

export type GapRow = typeof recordingGaps.$inferSelect;

/** The session's recording that is not stopped (at most one: a partial unique index). */
export async function findOpenRecording(db: Db, sessionId: string) {
  const [row] = await db.select().from(recordings).where(and(eq(recordings.sessionId, sessionId), ne(recordings.state, 'stopped')));
  return row;
}

export async function insertRecording(db: Db, values: typeof recordings.$inferInsert) {
  const [row] = await db.insert(recordings).values(values).returning();
  return row!;
}

/** Moves the recording from `from` to `to`; undefined when it was no longer in `from`. */
export async function moveRecording(db: Db, id: string, from: RecordingState, to: RecordingState, at: Date) {
  const [row] = await db
    .update(recordings)
    .set({ state: to, updatedAt: at, ...(to === 'stopped' ? { stoppedAt: at } : {}) })
    .where(and(eq(recordings.id, id), eq(recordings.state, from)))
    .returning();
  return row;
}

export async function insertSegment(db: Db, values: typeof recordingSegments.$inferInsert) {
  const [row] = await db.insert(recordingSegments).values(values).returning();
  return row!;
}

/** When the last stored segment of the recording ended (null: none yet). */
export async function lastSegmentEnd(db: Db, recordingId: string): Promise<Date | null> {
  const [row] = await db.select({ end: max(recordingSegments.endedAt) }).from(recordingSegments).where(eq(recordingSegments.recordingId, recordingId));
  return row?.end ?? null;
}

export async function insertGap(db: Db, values: typeof recordingGaps.$inferInsert) {
  const [row] = await db.insert(recordingGaps).values(values).returning();
  return row!;
}

/** Sets whether an open caucus of the session is recorded; undefined when it is not open. */
export async function setCaucusRecorded(db: Db, sessionId: string, caucusId: string, recorded: boolean) {
  const [row] = await db
    .update(roomCaucuses)
    .set({ recorded })
    .where(and(eq(roomCaucuses.id, caucusId), eq(roomCaucuses.sessionId, sessionId), isNull(roomCaucuses.closedAt)))
    .returning();
  return row;
}

/** Records a confirmation of the notice; false when it was already there. */
export async function insertConsent(db: Db, recordingId: string, attendanceId: string, at: Date): Promise<boolean> {
  const rows = await db.insert(recordingConsents).values({ recordingId, attendanceId, confirmedAt: at }).onConflictDoNothing().returning();
  return rows.length > 0;
}

export async function listConsents(db: Db, recordingId: string): Promise<string[]> {
  const rows = await db.select({ attendanceId: recordingConsents.attendanceId }).from(recordingConsents).where(eq(recordingConsents.recordingId, recordingId));
  return rows.map((r) => r.attendanceId);
}
