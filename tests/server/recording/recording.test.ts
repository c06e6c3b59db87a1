/**
 * Session recording with a real mediasoup worker and real ffmpeg: synthetic participants send
 * Opus and VP8 into the room; each producer is written as its own track of independent Matroska
 * segments; every segment's SHA-256 is in recording_segments and in the audit chain; pausing
 * writes nothing; a restart leaves a gap row and recording goes on.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Capture } from '../../../bench/lib/rtp-source.ts';
import { WorkerPool } from '../../../server/media/worker-pool.ts';
import { verifyChain } from '../../../server/modules/audit/audit.repository.ts';
import { checkRecordingPackage } from '../../../server/modules/recordings/check-package.ts';
import { connected, connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { createTestWorld, rowsOf, sampleResidentId, type TestWorld } from '../../helpers/test-app.ts';
import { type RoomFixture, roomFixture } from '../../helpers/room-fixture.ts';
import { probe, sleep, syntheticParticipant, testCapture } from './recording-helpers.ts';

const run = promisify(execFile);
let world: TestWorld;
let pool: WorkerPool;
let capture: Capture;
const sockets: TestSocket[] = [];
const segmentSeconds = 2;

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

async function hostIn(f: RoomFixture) {
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  const entered = await host.call('session:enter', { sessionId: f.sessionId as never });
  if (!entered.ok) throw new Error(`host could not enter: ${entered.error.message}`);
  return { socket: host, peerId: entered.data.peerId };
}

async function admitted(token: string, host: TestSocket, identity?: { name: string; last4: string }) {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  expect((await socket.call('device-check:report', deviceCheck)).ok).toBe(true);
  if (identity) expect((await socket.call('identity:confirm', { method: 'id_last4', ...identity })).ok).toBe(true);
  else {
    const code = await host.call('host:issue-code', { peerId: entered.data.peerId });
    if (!code.ok) throw new Error(code.error.message);
    expect((await socket.call('identity:confirm', { method: 'one_time_code', code: code.data.code })).ok).toBe(true);
  }
  expect((await socket.call('lobby:wait', {})).ok).toBe(true);
  expect(await host.call('host:admit', { peerId: entered.data.peerId })).toEqual({ ok: true, data: {} });
  return { socket, peerId: entered.data.peerId };
}

async function query<T>(statement: ReturnType<typeof sql>) {
  return rowsOf<T>(await world.database.db.execute(statement));
}

interface SegmentRow {
  id: string;
  attendance_id: string;
  kind: 'audio' | 'video';
  source: string;
  file_key: string;
  bytes: number;
  sha256: string;
  started_at: Date;
}

const segmentsOf = (recordingId: string) => query<SegmentRow>(sql`select * from recording_segments where recording_id = ${recordingId} order by started_at, id`);

/**
 * Both sides of a gap play: every segment before and after it decodes (ffprobe, full decode) as
 * the codec of its track, and the staff desk's list and the package's manifest show the gap.
 */
async function expectDecodableAroundGap(caseId: string, recordingId: string, before: SegmentRow[], after: SegmentRow[], reason: string) {
  for (const side of [before, after]) {
    expect(new Set(side.map((s) => s.kind))).toEqual(new Set(['audio', 'video']));
    for (const segment of side) expect(await probe(path.join(world.filesDir, segment.file_key))).toMatchObject({ codec: segment.kind === 'audio' ? 'opus' : 'vp8', decodes: true });
  }
  const list = await world.app.inject({ method: 'GET', url: `/api/cases/${caseId}/recordings`, headers: { cookie: world.cookies.mediator } });
  const listed = list.json().items.find((r: { id: string }) => r.id === recordingId);
  expect(listed.gaps).toMatchObject([{ reason }]);
  const pkg = await world.app.inject({ method: 'GET', url: `/api/cases/${caseId}/recordings/${recordingId}/package`, headers: { cookie: world.cookies.mediator } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-recording-gap-test-'));
  try {
    fs.writeFileSync(path.join(dir, 'package.tar'), pkg.rawPayload);
    await run('tar', ['-xf', path.join(dir, 'package.tar'), '-C', dir, 'manifest.json']);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.recording.gaps).toMatchObject([{ reason, to: expect.any(String) }]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function mediaOf(sessionId: string) {
  const room = world.app.rooms.roomOf(sessionId)!;
  return world.app.rooms.media.mediaOf(room);
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

describe('session recording', () => {
  it('records each participant’s audio and video as separate tracks of independent segments, hashed into the audit chain; a pause writes nothing', async () => {
    const f = await roomFixture(world);
    const host = await hostIn(f);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    const owner = await admitted(f.ownerToken, host.socket);

    const started = await host.socket.call('host:recording', { action: 'start' });
    expect(started).toEqual({ ok: true, data: { state: 'running' } });
    const [recording] = await query<{ id: string; state: string }>(sql`select id, state from recordings where session_id = ${f.sessionId}`);
    expect(recording!.state).toBe('running');

    const media = await mediaOf(f.sessionId);
    let pausedCount = 0;
    const senders = [await syntheticParticipant(media, capture, fisherman.peerId, 'joint', 0), await syntheticParticipant(media, capture, owner.peerId, 'joint', 1)];
    try {
      await sleep(segmentSeconds * 2500);
      expect(await host.socket.call('host:recording', { action: 'pause' })).toEqual({ ok: true, data: { state: 'paused' } });
      const afterPause = await segmentsOf(recording!.id);
      const filesAfterPause = fs.readdirSync(path.join(world.filesDir, 'recordings', recording!.id), { recursive: true }).length;
      // Four tracks (two people × audio and video), each with at least two segments by now.
      const tracks = new Set(afterPause.map((s) => `${s.attendance_id}/${s.kind}`));
      expect([...tracks].sort()).toEqual([`${fisherman.peerId}/audio`, `${fisherman.peerId}/video`, `${owner.peerId}/audio`, `${owner.peerId}/video`].sort());
      for (const track of tracks) expect(afterPause.filter((s) => `${s.attendance_id}/${s.kind}` === track).length).toBeGreaterThanOrEqual(2);

      // Paused: the senders go on, nothing is written.
      await sleep(segmentSeconds * 1500);
      expect(await segmentsOf(recording!.id)).toHaveLength(afterPause.length);
      pausedCount = afterPause.length;
      expect(fs.readdirSync(path.join(world.filesDir, 'recordings', recording!.id), { recursive: true }).length).toBe(filesAfterPause);

      expect(await host.socket.call('host:recording', { action: 'resume' })).toEqual({ ok: true, data: { state: 'running' } });
      await sleep(segmentSeconds * 2500);
      expect(await host.socket.call('host:recording', { action: 'stop' })).toEqual({ ok: true, data: { state: 'stopped' } });
    } finally {
      for (const s of senders) s.stop();
    }

    const segments = await segmentsOf(recording!.id);
    // Resumed: each of the four tracks wrote again.
    expect(segments.length).toBeGreaterThanOrEqual(pausedCount + 4);
    const audits = await query<{ data: { segmentId: string; sha256: string; fileKey: string } }>(
      sql`select data from audit_events where type = 'recording.segment_stored' and data->>'recordingId' = ${recording!.id}`,
    );
    const auditedHash = new Map(audits.map((a) => [a.data.segmentId, a.data.sha256]));
    expect(auditedHash.size).toBe(segments.length);
    for (const segment of segments) {
      const file = path.join(world.filesDir, segment.file_key);
      const bytes = fs.readFileSync(file);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect(sha256).toBe(segment.sha256);
      expect(auditedHash.get(segment.id)).toBe(sha256);
      expect(Number(segment.bytes)).toBe(bytes.length);
      // Each segment plays on its own: ffprobe reads it and ffmpeg decodes it without an error.
      const probed = await probe(file);
      expect(probed).toMatchObject({ codec: segment.kind === 'audio' ? 'opus' : 'vp8', decodes: true });
      // The last segment before a pause or stop may be short (on a loaded machine one packet, which
      // ffprobe gives a duration of 0); none is empty.
      expect(probed.packets).toBeGreaterThan(0);
      expect(probed.duration).toBeLessThan(segmentSeconds * 3);
    }
    const types = (await query<{ type: string }>(sql`select type from audit_events where data->>'recordingId' = ${recording!.id} and type <> 'recording.segment_stored' order by seq`)).map((r) => r.type);
    expect(types).toEqual(['recording.started', 'recording.paused', 'recording.resumed', 'recording.stopped']);
    expect((await verifyChain(world.database.db)).firstBroken).toBeNull();

    // The staff desk: the case lists the recording with its four tracks; the package checks itself.
    const list = await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/recordings`, headers: { cookie: world.cookies.mediator } });
    expect(list.statusCode).toBe(200);
    const [listed] = list.json().items;
    expect(listed).toMatchObject({ id: recording!.id, state: 'stopped' });
    expect(listed.tracks).toHaveLength(4);
    expect(listed.tracks.flatMap((t: { segments: unknown[] }) => t.segments)).toHaveLength(segments.length);
    const pkg = await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/recordings/${recording!.id}/package`, headers: { cookie: world.cookies.mediator } });
    expect(pkg.statusCode).toBe(200);
    expect(pkg.headers['content-type']).toBe('application/x-tar');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-recording-package-test-'));
    try {
      const tarFile = path.join(dir, 'package.tar');
      fs.writeFileSync(tarFile, pkg.rawPayload);
      expect(await checkRecordingPackage(tarFile)).toEqual({ ok: true, files: segments.length, problems: [] });
      // The documented check without Node: unpack, sha256sum -c.
      fs.mkdirSync(path.join(dir, 'p'));
      await run('tar', ['-xf', tarFile, '-C', path.join(dir, 'p')]);
      const sums = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: path.join(dir, 'p') });
      expect(sums.stdout.trim().split('\n')).toHaveLength(segments.length);
      // One byte changed in one segment: both checks name that file.
      const bytes = fs.readFileSync(tarFile);
      const victim = Object.keys(JSON.parse(fs.readFileSync(path.join(dir, 'p', 'manifest.json'), 'utf8')).files)[0]!;
      // Its tar header: the name at the start of a 512-byte block (the name also appears in the text files).
      let at = bytes.indexOf(Buffer.from(victim));
      while (at !== -1 && at % 512 !== 0) at = bytes.indexOf(Buffer.from(victim), at + 1);
      expect(at).toBeGreaterThan(-1);
      bytes[at + 512 + 600] = bytes[at + 512 + 600]! ^ 0xff; // inside that file's data, after its 512-byte header
      fs.writeFileSync(tarFile, bytes);
      const broken = await checkRecordingPackage(tarFile);
      expect(broken.ok).toBe(false);
      expect(broken.problems).toEqual([expect.stringContaining(`${victim}: SHA-256`)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(await query(sql`select 1 from audit_events where type = 'recording.downloaded' and data->>'recordingId' = ${recording!.id}`)).toHaveLength(1);
  }, 90_000);

  it('a restart while recording: the room comes back recording, and the time in between is stored as a gap', async () => {
    const f = await roomFixture(world);
    const host = await hostIn(f);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    expect((await host.socket.call('host:recording', { action: 'start' })).ok).toBe(true);
    const [recording] = await query<{ id: string }>(sql`select id from recordings where session_id = ${f.sessionId}`);
    let sender = await syntheticParticipant(await mediaOf(f.sessionId), capture, fisherman.peerId, 'joint', 0);
    await sleep(segmentSeconds * 1500);
    // Both tracks have a finished segment before the restart (video's first waits for a key frame).
    const bothKinds = async (since: number) => new Set((await segmentsOf(recording!.id)).filter((x) => new Date(x.started_at).getTime() >= since).map((x) => x.kind)).size === 2;
    for (const wait = Date.now() + 60_000; !(await bothKinds(0)) && Date.now() < wait; ) await sleep(500);
    sender.stop();
    const before = await segmentsOf(recording!.id);
    expect(before.length).toBeGreaterThan(0);
    const lastEnd = (await query<{ end: Date }>(sql`select max(ended_at) as "end" from recording_segments where recording_id = ${recording!.id}`))[0]!.end;

    for (const s of sockets.splice(0)) s.disconnect();
    await world.restart();

    // The host comes back: the room is rebuilt with its recording running, and its media resumes it.
    const back = open({ cookie: world.cookies.mediator });
    await connected(back);
    const view = back.next('room:state');
    expect((await back.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
    expect((await view).recording).toMatchObject({ state: 'running', consentNeeded: false });
    const resumedAt = Date.now();
    sender = await syntheticParticipant(await mediaOf(f.sessionId), capture, fisherman.peerId, 'joint', 0);
    try {
      await sleep(segmentSeconds * 1500);
      for (const wait = Date.now() + 60_000; !(await bothKinds(resumedAt)) && Date.now() < wait; ) await sleep(500);
    } finally {
      sender.stop();
    }
    expect((await back.call('host:recording', { action: 'stop' })).ok).toBe(true);

    const gaps = await query<{ id: string; reason: string; from_at: Date; to_at: Date | null }>(sql`select * from recording_gaps where recording_id = ${recording!.id}`);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.reason).toBe('server_restart');
    expect(new Date(gaps[0]!.from_at).getTime()).toBe(new Date(lastEnd).getTime());
    expect(gaps[0]!.to_at).not.toBeNull();
    const after = (await segmentsOf(recording!.id)).filter((s) => new Date(s.started_at) >= new Date(gaps[0]!.to_at!));
    expect(after.length).toBeGreaterThan(0);
    const gapAudit = await query<{ data: { gapId: string; reason: string } }>(sql`select data from audit_events where type = 'recording.gap' and data->>'recordingId' = ${recording!.id}`);
    expect(gapAudit.map((a) => a.data)).toMatchObject([{ gapId: gaps[0]!.id, reason: 'server_restart' }]);
    await expectDecodableAroundGap(f.caseId, recording!.id, before, after, 'server_restart');
  }, 90_000);

  it('a media worker killed while recording: the room is rebuilt on the replacement and recording resumes, the stretch between stored as a gap', async () => {
    const f = await roomFixture(world);
    const host = await hostIn(f);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    expect((await host.socket.call('host:recording', { action: 'start' })).ok).toBe(true);
    const [recording] = await query<{ id: string }>(sql`select id from recordings where session_id = ${f.sessionId}`);
    const room = world.app.rooms.roomOf(f.sessionId)!;
    let sender = await syntheticParticipant(await mediaOf(f.sessionId), capture, fisherman.peerId, 'joint', 0);
    await sleep(segmentSeconds * 2000);
    // A loaded machine starts ffmpeg late: both tracks have a stored segment before the kill.
    for (const wait = Date.now() + 60_000; new Set((await segmentsOf(recording!.id)).map((s) => s.kind)).size < 2 && Date.now() < wait; ) await sleep(500);
    const dead = room.media!.workerPid;
    const killedAt = Date.now();
    process.kill(dead, 'SIGKILL');
    sender.stop();
    // The pool starts a replacement and the server rebuilds the room's router there.
    const deadline = Date.now() + 30_000;
    while (!(room.media && !room.media.closed && room.media.workerPid !== dead)) {
      if (Date.now() > deadline) throw new Error('the room was not rebuilt on a new worker');
      await sleep(100);
    }
    const before = (await segmentsOf(recording!.id)).filter((s) => new Date(s.started_at).getTime() < killedAt);
    expect(before.length).toBeGreaterThan(0);
    // The participant's media comes back on the new router (a browser does this on media:reset).
    sender = await syntheticParticipant(room.media!, capture, fisherman.peerId, 'joint', 0);
    try {
      await sleep(segmentSeconds * 2000);
    } finally {
      sender.stop();
    }
    expect((await host.socket.call('host:recording', { action: 'stop' })).ok).toBe(true);
    const gaps = await query<{ reason: string; from_at: Date; to_at: Date | null }>(sql`select * from recording_gaps where recording_id = ${recording!.id}`);
    expect(gaps.map((g) => g.reason)).toEqual(['worker_died']);
    expect(new Date(gaps[0]!.from_at).getTime()).toBeGreaterThanOrEqual(killedAt - 1000);
    expect(gaps[0]!.to_at).not.toBeNull();
    const after = (await segmentsOf(recording!.id)).filter((s) => new Date(s.started_at) >= new Date(gaps[0]!.to_at!));
    expect(after.length).toBeGreaterThan(0);
    await expectDecodableAroundGap(f.caseId, recording!.id, before, after, 'worker_died');
  }, 90_000);

  it('someone who joins while recording must confirm the notice before the server takes their media; only the host controls recording', async () => {
    const f = await roomFixture(world);
    const host = await hostIn(f);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    expect(await fisherman.socket.call('host:recording', { action: 'start' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await host.socket.callRaw('host:recording', { action: 'rewind' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'action' } });
    expect(await host.socket.call('host:recording', { action: 'pause' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await query(sql`select * from recordings where session_id = ${f.sessionId}`)).toHaveLength(0);

    const notice = fisherman.socket.next('room:state', (v) => v.recording !== null);
    expect((await host.socket.call('host:recording', { action: 'start' })).ok).toBe(true);
    expect((await notice).recording).toEqual({ state: 'running', recordedHere: true, consentNeeded: true });
    expect(await host.socket.call('host:recording', { action: 'start' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    const started = await fisherman.socket.call('media:start', {});
    if (!started.ok) throw new Error(started.error.message);
    const produce = () =>
      fisherman.socket.call('media:produce', {
        transportId: started.data.send.id,
        kind: 'audio',
        source: 'microphone',
        rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000, channels: 2 }], encodings: [{ ssrc: 424_242 }] },
      });
    expect(await produce()).toMatchObject({ ok: false, error: { code: 'RECORDING_CONSENT_REQUIRED' } });
    expect(world.app.rooms.roomOf(f.sessionId)!.media!.producersOf(fisherman.peerId)).toEqual([]);

    const confirmed = fisherman.socket.next('room:state', (v) => v.recording?.consentNeeded === false);
    expect(await fisherman.socket.call('recording:consent', {})).toEqual({ ok: true, data: {} });
    await confirmed;
    expect((await produce()).ok).toBe(true);
    const consents = await query<{ attendance_id: string }>(sql`select attendance_id from recording_consents`);
    expect(consents.map((c) => c.attendance_id)).toContain(fisherman.peerId);
    expect(await query(sql`select 1 from audit_events where type = 'recording.consented' and data->>'attendanceId' = ${fisherman.peerId}`)).toHaveLength(1);
    expect((await host.socket.call('host:recording', { action: 'stop' })).ok).toBe(true);
  }, 60_000);
});
