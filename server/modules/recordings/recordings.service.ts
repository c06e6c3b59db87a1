import path from 'node:path';
import { playbackMaxSeconds, type RecordingManifest, type RecordingView } from '../../../shared/api/recordings.ts';
import type { ServiceContext } from '../../context.ts';
import { invalid, notFound } from '../../errors.ts';
import type { MixSegment } from '../../media/playback-mix.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { Principal } from '../../access/principal.ts';
import { loadCase } from '../../access/case-loading.ts';
import * as repo from './recordings.repository.ts';

type Row = NonNullable<Awaited<ReturnType<typeof repo.findCaseRecording>>>;

/** Recordings are part of the full case record: the case's center and courts it was filed with, not invited courts. */
export async function listRecordings(ctx: ServiceContext, principal: Principal, caseId: string): Promise<RecordingView[]> {
  await loadCase(ctx.db, principal, caseId, 'full');
  const rows = await repo.listCaseRecordings(ctx.db, caseId);
  return Promise.all(rows.map((row) => viewOf(ctx, row)));
}

/** What a package holds: the view, each segment's path in the package and on disk, the manifest. */
export async function packageOf(ctx: ServiceContext, principal: Principal, caseId: string, recordingId: string) {
  const found = await loadCase(ctx.db, principal, caseId, 'full');
  const row = await repo.findCaseRecording(ctx.db, caseId, recordingId);
  if (!row) throw notFound('recording');
  const view = await viewOf(ctx, row);
  const segments = (await repo.segmentsWithNames(ctx.db, recordingId)).map(({ segment }) => ({ fileKey: segment.fileKey, path: `segments/${segment.fileKey.split('/').slice(-2).join('/')}`, sha256: segment.sha256 }));
  const manifest: RecordingManifest = {
    format: 'haiqiao-recording/1',
    recording: view,
    caseId,
    caseNumber: found.case.number,
    files: Object.fromEntries(segments.map((s) => [s.path, s.sha256])),
    createdAt: ctx.now().toISOString(),
  };
  // Custody: who took a copy of the recording, before any byte goes out.
  await ctx.db.transaction((tx) =>
    appendAuditEvent(tx, { type: 'recording.downloaded', caseId, actor: { kind: 'staff', staffUserId: principal.staffUserId }, data: { sessionId: row.recording.sessionId, recordingId, segments: segments.length } }),
  );
  return { manifest, segments };
}

/**
 * What to mix for playback of [from, to] (default: the whole recording, at most an hour): every
 * audio track's segments that overlap it. Audited (`recording.played`) before anything is made.
 */
export async function playbackOf(ctx: ServiceContext, filesDir: string, principal: Principal, caseId: string, recordingId: string, range: { from?: string; to?: string }) {
  await loadCase(ctx.db, principal, caseId, 'full');
  const row = await repo.findCaseRecording(ctx.db, caseId, recordingId);
  if (!row) throw notFound('recording');
  const segments = (await repo.segmentsWithNames(ctx.db, recordingId)).map((s) => s.segment).filter((s) => s.kind === 'audio');
  // Media times are the server's wall clock (the segments), so the default range is theirs.
  const recordedStart = segments.length ? Math.min(...segments.map((s) => s.startedAt.getTime())) : row.recording.startedAt.getTime();
  const recordedEnd = segments.length ? Math.max(...segments.map((s) => s.endedAt.getTime())) : recordedStart;
  const from = range.from ? new Date(range.from) : new Date(recordedStart);
  const to = range.to ? new Date(range.to) : new Date(Math.min(recordedEnd, from.getTime() + playbackMaxSeconds * 1000));
  if (to.getTime() <= from.getTime()) throw invalid('to', range.to ? '`to` must be after `from`' : 'nothing of this recording can be played: no audio was recorded');
  if (to.getTime() - from.getTime() > playbackMaxSeconds * 1000) throw invalid('to', `at most ${playbackMaxSeconds / 60} minutes at a time`);
  const tracks = new Map<string, MixSegment[]>();
  for (const s of segments) {
    if (s.endedAt <= from || s.startedAt >= to) continue;
    const key = `${s.attendanceId}/${s.source}/${s.space}`;
    tracks.set(key, [...(tracks.get(key) ?? []), { file: path.join(filesDir, s.fileKey), startedAt: s.startedAt, endedAt: s.endedAt }]);
  }
  await ctx.db.transaction((tx) =>
    appendAuditEvent(tx, {
      type: 'recording.played',
      caseId,
      actor: { kind: 'staff', staffUserId: principal.staffUserId },
      data: { sessionId: row.recording.sessionId, recordingId, from: from.toISOString(), to: to.toISOString() },
    }),
  );
  return { tracks: [...tracks.values()], from, to };
}

async function viewOf(ctx: ServiceContext, { recording, sessionTitle }: Row): Promise<RecordingView> {
  const [segments, gaps] = await Promise.all([repo.segmentsWithNames(ctx.db, recording.id), repo.gapsOf(ctx.db, recording.id)]);
  const tracks = new Map<string, RecordingView['tracks'][number]>();
  for (const { segment, displayName } of segments) {
    const key = `${segment.attendanceId}/${segment.source}/${segment.space}`;
    let track = tracks.get(key);
    if (!track) {
      track = { attendanceId: segment.attendanceId, displayName: displayName ?? '', kind: segment.kind, source: segment.source, space: segment.space, segments: [] };
      tracks.set(key, track);
    }
    track.segments.push({ id: segment.id, startedAt: segment.startedAt.toISOString(), endedAt: segment.endedAt.toISOString(), bytes: segment.bytes, sha256: segment.sha256, speech: segment.speech });
  }
  return {
    id: recording.id,
    sessionId: recording.sessionId,
    sessionTitle,
    state: recording.state,
    startedAt: recording.startedAt.toISOString(),
    stoppedAt: recording.stoppedAt?.toISOString() ?? null,
    tracks: [...tracks.values()],
    gaps: gaps.map((g) => ({ reason: g.reason, from: g.fromAt.toISOString(), to: g.toAt?.toISOString() ?? null, tracks: g.tracks })),
  };
}
