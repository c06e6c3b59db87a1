import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { RecordingState } from '../../../shared/domain/recordings.ts';
import { cases } from './cases.ts';
import { sessions } from './sessions.ts';

/**
 * A session's recording, from the mediator's start to their stop. While `state` is running the
 * server records whatever room it holds (and resumes after a restart or a worker's death); at
 * most one recording of a session is not stopped. Which caucuses are recorded is
 * `room_caucuses.recorded`.
 */
export const recordings = pgTable(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    state: text('state').$type<RecordingState>().notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('recordings_session_idx').on(t.sessionId),
    uniqueIndex('recordings_one_open_per_session').on(t.sessionId).where(sql`${t.state} <> 'stopped'`),
  ],
);

/** One finished segment of one track (a participant's microphone, camera or screen) and its SHA-256. */
export const recordingSegments = pgTable(
  'recording_segments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recordingId: uuid('recording_id').notNull().references(() => recordings.id, { onDelete: 'cascade' }),
    /** 'joint' or a caucus id. */
    space: text('space').notNull(),
    attendanceId: uuid('attendance_id').notNull(),
    kind: text('kind', { enum: ['audio', 'video'] }).notNull(),
    source: text('source', { enum: ['microphone', 'camera', 'screen', 'interpretation'] }).notNull(),
    /** Key under the files directory. */
    fileKey: text('file_key').notNull().unique(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }).notNull(),
    /**
     * Audio only: where someone speaks in this segment, as [from, to] milliseconds from its
     * start, found by ffmpeg's silencedetect in the stored file (media/speech-activity.ts); null
     * for video or when the analysis failed.
     */
    speech: jsonb('speech').$type<[number, number][]>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('recording_segments_recording_idx').on(t.recordingId, t.startedAt)],
);

/** A stretch the recording should have covered but did not: server restart, worker death, full disk. */
export const recordingGaps = pgTable(
  'recording_gaps',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recordingId: uuid('recording_id').notNull().references(() => recordings.id, { onDelete: 'cascade' }),
    reason: text('reason', { enum: ['server_restart', 'worker_died', 'storage_full', 'writer_failed'] }).notNull(),
    fromAt: timestamp('from_at', { withTimezone: true }).notNull(),
    toAt: timestamp('to_at', { withTimezone: true }),
    /** How many tracks the gap concerns (0: all). */
    tracks: integer('tracks').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('recording_gaps_recording_idx').on(t.recordingId)],
);

/**
 * Someone who joined while a recording ran confirmed the plain-language notice: until then the
 * server refuses their media (media:produce).
 */
export const recordingConsents = pgTable(
  'recording_consents',
  {
    recordingId: uuid('recording_id').notNull().references(() => recordings.id, { onDelete: 'cascade' }),
    attendanceId: uuid('attendance_id').notNull(),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.recordingId, t.attendanceId] })],
);

/**
 * What remains of a deleted recording (retention or by hand): which recording, of which case and
 * session, every segment's file key, SHA-256 and size, when, by which rule and (by hand) who and
 * why. The segments' hashes also stay in the audit chain (recording.segment_stored), which a
 * deletion never touches. No foreign key to recordings: that row is gone.
 */
export const recordingDeletions = pgTable(
  'recording_deletions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    recordingId: uuid('recording_id').notNull().unique(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    sessionId: uuid('session_id').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
    rule: text('rule', { enum: ['retention', 'manual'] }).notNull(),
    /** Retention: the organisation's setting in days at the time; manual: null. */
    retentionDays: integer('retention_days'),
    reason: text('reason'),
    deletedBy: uuid('deleted_by'),
    segments: jsonb('segments').$type<{ fileKey: string; sha256: string; bytes: number }[]>().notNull(),
    deletedAt: timestamp('deleted_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('recording_deletions_case_idx').on(t.caseId)],
);
