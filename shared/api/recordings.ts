import { z } from 'zod';
import { recordingStates } from '../domain/recordings.ts';

export const recordingSegmentViewSchema = z.object({
  id: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
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
