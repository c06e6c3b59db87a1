import { z } from 'zod';
import { recordingStates } from '../domain/recordings.ts';

export const recordingSegmentViewSchema = z.object({
  id: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  /** Audio: where someone speaks, [from, to] ms from the segment's start (silencedetect on the stored file); null for video. */
  speech: z.array(z.tuple([z.number(), z.number()])).nullable(),
});

/** One person's microphone, camera, screen or interpreter channel in one space: its segments in time order. */
export const recordingTrackViewSchema = z.object({
  attendanceId: z.string(),
  displayName: z.string(),
  kind: z.enum(['audio', 'video']),
  source: z.enum(['microphone', 'camera', 'screen', 'interpretation']),
  space: z.string(),
  segments: z.array(recordingSegmentViewSchema),
});

export const recordingViewSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  sessionTitle: z.string(),
  state: z.enum(recordingStates),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  tracks: z.array(recordingTrackViewSchema),
  gaps: z.array(z.object({ reason: z.string(), from: z.string(), to: z.string().nullable(), tracks: z.number().int() })),
});
export type RecordingView = z.infer<typeof recordingViewSchema>;

export const recordingListSchema = z.object({ items: z.array(recordingViewSchema) });

/** manifest.json of a downloaded package: what `npm run recording:check-package` checks against. */
export const recordingManifestSchema = z.object({
  format: z.literal('haiqiao-recording/1'),
  recording: recordingViewSchema,
  caseId: z.string(),
  caseNumber: z.string(),
  /** Path in the package → SHA-256 (as in SHA256SUMS and in the audit chain's recording.segment_stored). */
  files: z.record(z.string(), z.string()),
  createdAt: z.string(),
});
export type RecordingManifest = z.infer<typeof recordingManifestSchema>;

/** A recording deleted (retention or by hand): what the tombstone says. */
export const recordingDeletionViewSchema = z.object({
  id: z.string(),
  recordingId: z.string(),
  sessionId: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
  rule: z.enum(['retention', 'manual']),
  retentionDays: z.number().int().nullable(),
  reason: z.string().nullable(),
  deletedBy: z.string().nullable(),
  deletedAt: z.string(),
  segments: z.array(z.object({ fileKey: z.string(), sha256: z.string(), bytes: z.number().int() })),
});
export type RecordingDeletionView = z.infer<typeof recordingDeletionViewSchema>;
export const recordingDeletionListSchema = z.object({ items: z.array(recordingDeletionViewSchema) });

/** Deleting a recording by hand needs a reason (kept in the tombstone and the audit event). */
export const deleteRecordingSchema = z.object({ reason: z.string().trim().min(4).max(500) });

/** Which stretch to play: ISO instants within the recording (default: all of it). At most one hour. */
export const recordingPlaybackQuerySchema = z.object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() });
export const playbackMaxSeconds = 3600;

/** An organisation's retention setting: days after a recording stops, or null (kept until deleted by hand). */
export const recordingRetentionSchema = z.object({ days: z.number().int().min(1).max(36500).nullable() });
