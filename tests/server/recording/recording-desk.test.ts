/**
 * The staff desk's side of a recording, with a real mediasoup worker and real ffmpeg: who spoke
 * when (silencedetect on each stored audio segment) matches the turns the synthetic speakers
 * took; the playback file mixes every audio track in time, plays (ffprobe, full decode) and
 * has sound where the bars say; playing is audited. Retention: an admin's audited setting, the
 * pg-boss job deleting what is past it (files and rows, tombstone with every hash, audit event),
 * deletion by hand with a reason by the case's mediator only, refused on legal hold; the audit
 * chain verifies after each deletion.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Capture } from '../../../bench/lib/rtp-source.ts';
import { speechActivity } from '../../../server/media/speech-activity.ts';
import { WorkerPool } from '../../../server/media/worker-pool.ts';
import { verifyChain } from '../../../server/modules/audit/audit.repository.ts';
import { applyRetention, retentionJob, segmentListHash } from '../../../server/modules/recordings/recording-deletion.ts';
import { connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { api, createTestWorld, rowsOf, type TestWorld } from '../../helpers/test-app.ts';
import { roomFixture } from '../../helpers/room-fixture.ts';
import { admittedWithCode, hostIn, probe, sleep, syntheticParticipant, testCapture } from './recording-helpers.ts';

let world: TestWorld;
let pool: WorkerPool;
let capture: Capture;
const sockets: TestSocket[] = [];
const segmentSeconds = 2;

const open = (auth: Parameters<typeof connectSocket>[1]) => {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
};
const query = async <T>(statement: ReturnType<typeof sql>) => rowsOf<T>(await world.database.db.execute(statement));

interface ListedTrack {
  attendanceId: string;
  kind: 'audio' | 'video';
  segments: { startedAt: string; endedAt: string; speech: [number, number][] | null }[];
}

/** One recording of the fixture's session: the host and the two parties speak in turns; returns ids and when the senders started. */
async function recordTurns(seconds: number) {
  const f = await roomFixture(world);
  const host = await hostIn(world.cookies.mediator, open, f.sessionId);
  const fisherman = await admittedWithCode(open, f.fishermanToken, host.socket);
  const owner = await admittedWithCode(open, f.ownerToken, host.socket);
  expect((await host.socket.call('host:recording', { action: 'start' })).ok).toBe(true);
  const [recording] = await query<{ id: string }>(sql`select id from recordings where session_id = ${f.sessionId}`);
  const media = await world.app.rooms.media.mediaOf(world.app.rooms.roomOf(f.sessionId)!);
  // The loop is 10 s with sound in its first 2.5 s; sender i of 4 starts i × 2.5 s into it, so it
  // speaks when (t + 2.5 i) mod 10 < 2.5: fisherman (0) at [0, 2.5), host (1) at [7.5, 10), owner (2) at [5, 7.5).
  const speakers = [
    { peerId: fisherman.peerId, index: 0 },
    { peerId: host.peerId, index: 1 },
    { peerId: owner.peerId, index: 2 },
  ];
  const t0 = Date.now();
  const senders = await Promise.all(speakers.map((s) => syntheticParticipant(media, capture, s.peerId, 'joint', s.index)));
  try {
    await sleep(seconds * 1000);
  } finally {
    for (const s of senders) s.stop();
  }
  expect((await host.socket.call('host:recording', { action: 'stop' })).ok).toBe(true);
  return { f, recordingId: recording!.id, speakers, t0 };
}

/** Whether ms after t0 falls in sender `index`'s turn (tolerance ms either side). */
function inTurn(ms: number, index: number, tolerance: number) {
  const start = (((10 - 2.5 * index) % 10) + 10) % 10;
  for (let loop = -1; loop < 10; loop++) {
    const from = loop * 10_000 + start * 1000;
    if (ms >= from - tolerance && ms <= from + 2500 + tolerance) return true;
  }
  return false;
}

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true, recording: { segmentSeconds, minFreeBytes: 1 } });
  capture = await testCapture();
}, 120_000);
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

describe('recording on the staff desk', () => {
  it('shows who spoke when from the recorded audio, and plays every track mixed in time (audited)', async () => {
    const { f, recordingId, speakers, t0 } = await recordTurns(13);
    const mediator = api(world.app, world.cookies.mediator);
    const list = await mediator.get(`/api/cases/${f.caseId}/recordings`);
    expect(list.statusCode).toBe(200);
    const recording = list.json().items.find((r: { id: string }) => r.id === recordingId);
    const audio = (recording.tracks as ListedTrack[]).filter((t) => t.kind === 'audio');
    expect(audio.map((t) => t.attendanceId).sort()).toEqual(speakers.map((s) => s.peerId).sort());
    const barsOf = (track: ListedTrack) =>
      track.segments.flatMap((s) => (s.speech ?? []).map(([a, b]) => [new Date(s.startedAt).getTime() + a - t0, new Date(s.startedAt).getTime() + b - t0] as const));
    for (const track of audio) {
      for (const segment of track.segments) expect(segment.speech).not.toBeNull();
      const { index } = speakers.find((s) => s.peerId === track.attendanceId)!;
      const bars = barsOf(track);
      const spoken = bars.reduce((sum, [a, b]) => sum + (b - a), 0);
      // Each spoke in 13 s about one or two turns of 2.5 s, and only in their own turns.
      expect(spoken, `speaker ${index}`).toBeGreaterThan(1500);
      expect(spoken, `speaker ${index}`).toBeLessThan(6500);
      for (const [a, b] of bars) expect(inTurn((a + b) / 2, index, 800), `bar ${a}–${b} ms of speaker ${index}`).toBe(true);
    }
    // Video tracks carry no speech.
    for (const track of (recording.tracks as ListedTrack[]).filter((t) => t.kind === 'video')) for (const s of track.segments) expect(s.speech).toBeNull();

    // Playback: one Opus/WebM file of the whole recording, audible where the bars are.
    const played = await mediator.get(`/api/cases/${f.caseId}/recordings/${recordingId}/playback`);
    expect(played.statusCode).toBe(200);
    expect(played.headers['content-type']).toBe('audio/webm');
    const from = new Date(String(played.headers['x-playback-from'])).getTime();
    const to = new Date(String(played.headers['x-playback-to'])).getTime();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-playback-test-'));
    try {
      const file = path.join(dir, 'playback.webm');
      fs.writeFileSync(file, played.rawPayload);
      const probed = await probe(file);
      expect(probed).toMatchObject({ codec: 'opus', decodes: true });
      expect(Math.abs(probed.duration * 1000 - (to - from))).toBeLessThan(1000);
      const mixSpeech = await speechActivity(file, to - from);
      const overlap = (a: number, b: number) => mixSpeech.reduce((sum, [x, y]) => sum + Math.max(0, Math.min(b, y + from - t0) - Math.max(a, x + from - t0)), 0);
      for (const track of audio) for (const [a, b] of barsOf(track)) if (b - a > 1000) expect(overlap(a, b) / (b - a), `bar ${a}–${b}`).toBeGreaterThan(0.7);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const audits = await query<{ data: { from: string; to: string } }>(sql`select data from audit_events where type = 'recording.played' and data->>'recordingId' = ${recordingId}`);
    expect(audits).toHaveLength(1);
    expect(new Date(audits[0]!.data.from).getTime()).toBe(from);

    // A stretch: only those seconds; a backwards range names the field; outsiders see nothing.
    const stretch = await mediator.get(`/api/cases/${f.caseId}/recordings/${recordingId}/playback?from=${new Date(t0 + 2000).toISOString()}&to=${new Date(t0 + 6000).toISOString()}`);
    expect(stretch.statusCode).toBe(200);
    const backwards = await mediator.get(`/api/cases/${f.caseId}/recordings/${recordingId}/playback?from=${new Date(t0 + 6000).toISOString()}&to=${new Date(t0 + 2000).toISOString()}`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'to' });
    expect((await api(world.app, world.cookies.otherMediator).get(`/api/cases/${f.caseId}/recordings/${recordingId}/playback`)).statusCode).toBe(404);
    expect((await api(world.app, world.cookies.admin).get(`/api/cases/${f.caseId}/recordings/${recordingId}/playback`)).statusCode).toBe(403);
  }, 120_000);

  it('deletes by the retention rule and by hand (with a reason, never on legal hold), keeping a tombstone; the chain still verifies', async () => {
    const a = await recordTurns(3);
    const b = await recordTurns(3);
    const admin = api(world.app, world.cookies.admin);
    const mediator = api(world.app, world.cookies.mediator);

    // The admin sets the center's retention: audited with the old and new value; bad values name the field.
    expect((await admin.put(`/api/admin/organisations/${world.orgs.center}/recording-retention`, { days: 0 })).json().error).toMatchObject({ field: 'days' });
    expect((await mediator.put(`/api/admin/organisations/${world.orgs.center}/recording-retention`, { days: 30 })).statusCode).toBe(403);
    const set = await admin.put(`/api/admin/organisations/${world.orgs.center}/recording-retention`, { days: 30 });
    expect(set.json()).toEqual({ days: 30 });
    expect((await admin.get(`/api/admin/organisations/${world.orgs.center}/recording-retention`)).json()).toEqual({ days: 30 });
    const changed = await query<{ data: unknown }>(sql`select data from audit_events where type = 'organisation.recording_retention_changed'`);
    expect(changed.map((r) => r.data)).toContainEqual({ organisationId: world.orgs.center, from: null, to: 30 });

    // By hand: a reason is required; court staff and admins may not; the case's mediator may.
    const url = `/api/cases/${a.f.caseId}/recordings/${a.recordingId}`;
    const noReason = await mediator.delete(url);
    expect(noReason.statusCode).toBe(400);
    expect((await world.app.inject({ method: 'DELETE', url, headers: { cookie: world.cookies.admin }, payload: { reason: '当事人申请删除' } })).statusCode).toBe(403);
    const segmentsA = await query<{ file_key: string; sha256: string; bytes: number }>(sql`select file_key, sha256, bytes from recording_segments where recording_id = ${a.recordingId}`);
    expect(segmentsA.length).toBeGreaterThan(0);

    // Legal hold: an application filed with the court holds every recording of the case.
    const [agreement] = await query<{ id: string }>(sql`insert into agreements (case_id, template_id, created_by) values (${a.f.caseId}, 'general', gen_random_uuid()) returning id`);
    const [application] = await query<{ id: string }>(
      sql`insert into confirmations (agreement_id, case_id, court_code, status, filed_at, filed_by, accept_by) values (${agreement!.id}, ${a.f.caseId}, 'ningbo', 'filed', now(), gen_random_uuid(), now() + interval '7 days') returning id`,
    );
    const held = await world.app.inject({ method: 'DELETE', url, headers: { cookie: world.cookies.mediator }, payload: { reason: '当事人申请删除' } });
    expect(held.statusCode).toBe(409);
    expect(held.json().error.message).toMatch(/legal hold/);
    // Court staff of that court read the case now, but do not delete.
    expect((await world.app.inject({ method: 'DELETE', url, headers: { cookie: world.cookies.ningboClerk }, payload: { reason: '法院删除' } })).statusCode).toBe(403);
    await world.database.db.execute(sql`update confirmations set status = 'confirmed' where id = ${application!.id}`);

    const deleted = await world.app.inject({ method: 'DELETE', url, headers: { cookie: world.cookies.mediator }, payload: { reason: '当事人申请删除，已核实身份' } });
    expect(deleted.statusCode).toBe(204);
    expect(fs.existsSync(path.join(world.filesDir, 'recordings', a.recordingId))).toBe(false);
    expect(await query(sql`select 1 from recording_segments where recording_id = ${a.recordingId}`)).toHaveLength(0);
    const tombstones = (await mediator.get(`/api/cases/${a.f.caseId}/recording-deletions`)).json().items;
    expect(tombstones).toHaveLength(1);
    expect(tombstones[0]).toMatchObject({ recordingId: a.recordingId, rule: 'manual', reason: '当事人申请删除，已核实身份', retentionDays: null });
    expect(new Set(tombstones[0].segments.map((s: { sha256: string }) => s.sha256))).toEqual(new Set(segmentsA.map((s) => s.sha256)));
    const [event] = await query<{ data: { segmentsSha256: string; rule: string; segments: number } }>(sql`select data from audit_events where type = 'recording.deleted' and data->>'recordingId' = ${a.recordingId}`);
    expect(event!.data).toMatchObject({ rule: 'manual', segments: segmentsA.length, segmentsSha256: segmentListHash(tombstones[0].segments) });
    // The segments' own hashes stay in the chain, which still verifies.
    expect(await query(sql`select 1 from audit_events where type = 'recording.segment_stored' and data->>'recordingId' = ${a.recordingId}`)).toHaveLength(segmentsA.length);
    expect((await verifyChain(world.database.db)).firstBroken).toBeNull();
    expect((await world.app.inject({ method: 'DELETE', url, headers: { cookie: world.cookies.mediator }, payload: { reason: '再删一次试试' } })).statusCode).toBe(404);

    // Retention: the job is scheduled daily; b is 31 days past its stop (the world's clock moves on).
    expect(await query(sql`select name from pgboss.schedule where name = ${retentionJob}`)).toHaveLength(1);
    expect(await applyRetention(world.app.ctx, world.filesDir)).toBe(0);
    const before = world.clock.now;
    world.clock.now = new Date(before.getTime() + 31 * 86_400_000);
    try {
      expect(await applyRetention(world.app.ctx, world.filesDir)).toBeGreaterThanOrEqual(1);
    } finally {
      world.clock.now = before;
    }
    expect(fs.existsSync(path.join(world.filesDir, 'recordings', b.recordingId))).toBe(false);
    expect(await query(sql`select 1 from recordings where id = ${b.recordingId}`)).toHaveLength(0);
    const [byRule] = (await mediator.get(`/api/cases/${b.f.caseId}/recording-deletions`)).json().items;
    expect(byRule).toMatchObject({ recordingId: b.recordingId, rule: 'retention', retentionDays: 30, reason: null, deletedBy: null });
    expect((await verifyChain(world.database.db)).firstBroken).toBeNull();
  }, 120_000);
});
