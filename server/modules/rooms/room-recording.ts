import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { AuditActor } from '../../../shared/audit-events.ts';
import { type RecordingAction, recordingActions, recordingMachine, recordingSegmentSeconds, type RecordingState } from '../../../shared/domain/recordings.ts';
import type { ClientRequest } from '../../../shared/realtime.ts';
import { AppError, conflict, notFound } from '../../errors.ts';
import type { MediaRoom } from '../../media/media-room.ts';
import { Recorder, type RecordedTrack } from '../../media/recorder.ts';
import type { FinishedSegment, WriterFailure } from '../../media/track-writer.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { LiveRoom, RoomPeer } from './live-room.ts';
import * as repo from './recording.repository.ts';
import type { RoomContext } from './room-context.ts';
import { actorOf } from './room-record.ts';
import { applyTransition } from '../transitions.ts';
import type { Connection } from './room-types.ts';

/** Where and how recordings are written (RoomsDeps.recording). */
export interface RecordingSettings {
  /** The files directory: segments go under `recordings/<recording id>/` in it. */
  filesDir: string;
  segmentSeconds?: number;
  /** Below this much free space recording refuses to start and tracks stop (STORAGE_FULL, a gap). Default 256 MiB. */
  minFreeBytes?: number;
}

const system: AuditActor = { kind: 'system' };
const auditTypeOf = { start: 'recording.started', pause: 'recording.paused', resume: 'recording.resumed', stop: 'recording.stopped' } as const;

/**
 * Recording of the session, decided here and written by server/media/recorder.ts. The host's
 * decisions (start, pause, resume, stop, which caucuses) are stored with their audit event
 * before the recorder follows; each finished segment is stored with its SHA-256 and an audit
 * event in one transaction; a restart or a dead worker leaves a gap row, and recording goes on
 * once the room's media is back.
 */
export class RoomRecording {
  private readonly ctx: RoomContext;

  constructor(ctx: RoomContext) {
    this.ctx = ctx;
  }

  get #settings(): RecordingSettings {
    const settings = this.ctx.deps.recording;
    if (!settings || !this.ctx.deps.pool) throw new AppError('MEDIA_ERROR', 'recording is not available on this server');
    return settings;
  }

  async control(conn: Connection, { action }: ClientRequest<'host:recording'>): Promise<{ state: RecordingState }> {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    const settings = this.#settings;
    const to = recordingActions[action as RecordingAction];
    const current = room.recording;
    if (action === 'start' ? current !== null : !current || !recordingMachine.canTransition(current.state, to)) {
      throw conflict(current ? `the recording is ${current.state}` : 'nothing is being recorded');
    }
    if (to === 'running') await this.#assertSpace(settings);
    const { db, now } = this.ctx.deps;
    const event = (recording: { id: string }) => ({ type: auditTypeOf[action], caseId: room.caseId, actor: actorOf(host), data: { sessionId: room.sessionId, recordingId: recording.id } });
    const row = await db.transaction(async (tx) => {
      if (current) {
        const update = () => repo.moveRecording(tx, current.id, current.state, to, now());
        return applyTransition(tx, { subject: 'recording', machine: recordingMachine, from: current.state, to, update, event });
      }
      const started = await repo.insertRecording(tx, { sessionId: room.sessionId, caseId: room.caseId, state: 'running', startedAt: now(), updatedAt: now() });
      await appendAuditEvent(tx, event(started));
      return started;
    });
    room.recordingStopped = null;
    if (row.state === 'stopped') room.recording = null;
    else if (current) Object.assign(current, { state: row.state, problem: null });
    else room.recording = { id: row.id, state: 'running', consented: new Set(), resumeGap: null, problem: null };
    if (row.state === 'running') await this.resume(room);
    else await this.#stopRecorder(room);
    this.ctx.views.broadcast(room);
    return { state: row.state };
  }

  async setCaucusRecorded(conn: Connection, { caucusId, recorded }: ClientRequest<'host:caucus-recording'>) {
    const { room, peer: host } = this.ctx.registry.hostOf(conn);
    if (!room.caucuses.has(caucusId)) throw notFound('caucus');
    await this.ctx.deps.db.transaction(async (tx) => {
      if (!(await repo.setCaucusRecorded(tx, room.sessionId, caucusId, recorded))) throw notFound('caucus');
      await appendAuditEvent(tx, { type: 'room.caucus_recording_changed', caseId: room.caseId, actor: actorOf(host), data: { sessionId: room.sessionId, caucusId, recorded } });
    });
    if (recorded) room.recordedCaucuses.add(caucusId);
    else room.recordedCaucuses.delete(caucusId);
    await room.recorder?.setSpaces(room.recordedSpaces());
    this.ctx.views.broadcast(room);
    return {};
  }

  /** The notice was confirmed: stored (once per recording) with its audit event; media may start. */
  async consent(conn: Connection) {
    const { room, peer } = this.ctx.registry.peerOf(conn);
    const recording = room.recording;
    if (!recording) throw conflict('nothing is being recorded');
    await this.ctx.deps.db.transaction(async (tx) => {
      if (await repo.insertConsent(tx, recording.id, peer.peerId, this.ctx.deps.now())) {
        await appendAuditEvent(tx, { type: 'recording.consented', caseId: room.caseId, actor: actorOf(peer), data: { sessionId: room.sessionId, recordingId: recording.id, attendanceId: peer.peerId } });
      }
    });
    recording.consented.add(peer.peerId);
    this.ctx.views.toHosts(room, peer);
    return {};
  }

  /** Refuses new media from someone who has not confirmed the notice while recording is on. */
  assertMayProduce(room: LiveRoom, peer: RoomPeer) {
    if (room.needsRecordingConsent(peer)) throw new AppError('RECORDING_CONSENT_REQUIRED', 'this session is being recorded: confirm the notice first');
  }

  /**
   * Recording runs and the room has media: make sure a recorder follows this media room (a new
   * one after a restart or a worker's death, with the gap stored first).
   */
  async resume(room: LiveRoom): Promise<void> {
    const recording = room.recording;
    const media = room.media;
    if (recording?.state !== 'running' || !media || media.closed || !this.ctx.deps.recording) return;
    if (room.recorder && room.recorder.media === media) return;
    room.recorder?.abandon();
    if (recording.resumeGap) {
      const { reason, from } = recording.resumeGap;
      recording.resumeGap = null;
      await this.#storeGap(room, recording.id, reason, from, new Date(), 0);
    }
    room.recorder = this.#recorderFor(room, media, recording.id);
  }

  /** The room's worker died: its recorder ended with it; recording resumes with the new router. */
  mediaLost(room: LiveRoom) {
    if (!room.recorder) return;
    void room.recorder.stop();
    room.recorder = null;
    if (room.recording?.state === 'running') room.recording.resumeGap = { reason: 'worker_died', from: new Date() };
  }

  /** The session ends: the recording stops with it (segments in progress are finished and stored). */
  async sessionEnding(room: LiveRoom) {
    const recording = room.recording;
    if (!recording) return;
    await this.#stopRecorder(room);
    const { db, now } = this.ctx.deps;
    await db.transaction(async (tx) => {
      if (!(await repo.moveRecording(tx, recording.id, recording.state, 'stopped', now()))) return;
      await appendAuditEvent(tx, { type: 'recording.stopped', caseId: room.caseId, actor: system, data: { sessionId: room.sessionId, recordingId: recording.id, cause: 'session_ended' } });
    });
    room.recording = null;
  }

  async #stopRecorder(room: LiveRoom) {
    const recorder = room.recorder;
    room.recorder = null;
    await recorder?.stop();
  }

  async #assertSpace(settings: RecordingSettings) {
    const free = await statfs(settings.filesDir).then((s) => s.bavail * s.bsize);
    if (free < (settings.minFreeBytes ?? defaultMinFreeBytes)) throw new AppError('STORAGE_FULL', `the recordings disk is full (${Math.floor(free / 2 ** 20)} MiB free)`);
  }

  #recorderFor(room: LiveRoom, media: MediaRoom, recordingId: string): Recorder {
    const settings = this.ctx.deps.recording!;
    const keyPrefix = path.join('recordings', recordingId);
    return new Recorder(
      media,
      room.recordedSpaces(),
      {
        segment: (track, segment) => this.#storeSegment(room, recordingId, keyPrefix, track, segment),
        trackFailed: (track, reason, detail) => void this.#trackFailed(room, recordingId, track, reason, detail),
      },
      { dir: path.join(settings.filesDir, keyPrefix), segmentSeconds: settings.segmentSeconds ?? recordingSegmentSeconds, minFreeBytes: settings.minFreeBytes ?? defaultMinFreeBytes },
    );
  }

  async #storeSegment(room: LiveRoom, recordingId: string, keyPrefix: string, track: RecordedTrack, segment: FinishedSegment) {
    try {
      await this.ctx.deps.db.transaction(async (tx) => {
        const row = await repo.insertSegment(tx, {
          recordingId,
          space: track.space,
          attendanceId: track.peerId,
          kind: track.kind,
          source: track.source,
          fileKey: path.join(keyPrefix, segment.relativePath),
          bytes: segment.bytes,
          sha256: segment.sha256,
          startedAt: segment.startedAt,
          endedAt: segment.endedAt,
          speech: segment.speech,
        });
        await appendAuditEvent(tx, {
          type: 'recording.segment_stored',
          caseId: room.caseId,
          actor: system,
          data: { sessionId: room.sessionId, recordingId, segmentId: row.id, attendanceId: track.peerId, kind: track.kind, source: track.source, space: track.space, fileKey: row.fileKey, bytes: row.bytes, sha256: row.sha256 },
        });
      });
    } catch (err) {
      this.ctx.deps.log.error({ err, recordingId, file: segment.relativePath }, 'could not store a recording segment');
    }
  }

  async #trackFailed(room: LiveRoom, recordingId: string, track: RecordedTrack, reason: WriterFailure, detail: string) {
    this.ctx.deps.log.warn({ recordingId, producerId: track.producerId, reason, detail }, 'a recording track stopped');
    if (room.recording?.id === recordingId) room.recording.problem = reason === 'storage_full' ? 'STORAGE_FULL' : `a track could not be recorded: ${detail.slice(0, 200)}`;
    await this.#storeGap(room, recordingId, reason, new Date(), null, 1).catch((err) => this.ctx.deps.log.error({ err }, 'could not store a recording gap'));
    if (reason === 'storage_full') await this.#stopForStorage(room, recordingId).catch((err) => this.ctx.deps.log.error({ err, recordingId }, 'could not stop a recording on a full disk'));
    if (this.ctx.registry.holds(room)) this.ctx.views.toHosts(room);
  }

  /**
   * The disk filled during the recording: it stops for the whole session, as a stop would (the
   * other tracks close their segments; one that could not be completed is not stored), recorded
   * with the cause storage_full. The mediator is told until recording starts again.
   */
  async #stopForStorage(room: LiveRoom, recordingId: string) {
    const recording = room.recording;
    if (recording?.id !== recordingId) return; // stopped already (by another track's failure too)
    room.recording = null;
    room.recordingStopped = 'STORAGE_FULL';
    await this.#stopRecorder(room);
    const { db, now } = this.ctx.deps;
    await db.transaction(async (tx) => {
      if (!(await repo.moveRecording(tx, recording.id, recording.state, 'stopped', now()))) return;
      await appendAuditEvent(tx, { type: 'recording.stopped', caseId: room.caseId, actor: system, data: { sessionId: room.sessionId, recordingId: recording.id, cause: 'storage_full' } });
    });
    if (this.ctx.registry.holds(room)) this.ctx.views.broadcast(room);
  }

  /** A stretch not recorded (to: null while it lasts), with its audit event. tracks: 0 = all. */
  async #storeGap(room: LiveRoom, recordingId: string, reason: repo.GapRow['reason'], fromAt: Date, toAt: Date | null, tracks: number) {
    await this.ctx.deps.db.transaction(async (tx) => {
      const gap = await repo.insertGap(tx, { recordingId, reason, fromAt, toAt, tracks });
      await appendAuditEvent(tx, {
        type: 'recording.gap',
        caseId: room.caseId,
        actor: system,
        data: { sessionId: room.sessionId, recordingId, gapId: gap.id, reason, from: fromAt.toISOString(), to: toAt?.toISOString() ?? null, tracks },
      });
    });
  }
}

const defaultMinFreeBytes = 256 * 2 ** 20;
