import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { attendances, recordingGaps, recordingSegments, recordings, sessions } from '../../db/schema/index.ts';

/** A case's recordings, oldest first, with their session's title. */
export function listCaseRecordings(db: Db, caseId: string) {
  return db
    .select({ recording: recordings, sessionTitle: sessions.title })
    .from(recordings)
    .innerJoin(sessions, eq(sessions.id, recordings.sessionId))
    .where(eq(recordings.caseId, caseId))
    .orderBy(asc(recordings.startedAt), asc(recordings.id));
}

export async function findCaseRecording(db: Db, caseId: string, recordingId: string) {
  const [row] = await db
    .select({ recording: recordings, sessionTitle: sessions.title })
    .from(recordings)
    .innerJoin(sessions, eq(sessions.id, recordings.sessionId))
    .where(and(eq(recordings.id, recordingId), eq(recordings.caseId, caseId)));
  return row;
}

/** The segments of a recording in time order, with the display name of whose track each is. */
export function segmentsWithNames(db: Db, recordingId: string) {
  return db
    .select({ segment: recordingSegments, displayName: attendances.displayName })
    .from(recordingSegments)
    .leftJoin(attendances, eq(attendances.id, recordingSegments.attendanceId))
    .where(eq(recordingSegments.recordingId, recordingId))
    .orderBy(asc(recordingSegments.startedAt), asc(recordingSegments.id));
}

export function gapsOf(db: Db, recordingId: string) {
  return db.select().from(recordingGaps).where(eq(recordingGaps.recordingId, recordingId)).orderBy(asc(recordingGaps.fromAt));
}
