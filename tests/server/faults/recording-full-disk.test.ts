/**
 * Full disk during a recording: the files directory is a small tmpfs, a real mediasoup worker
 * and real ffmpeg record a synthetic participant's Opus and VP8, then something else fills the
 * disk. ffmpeg still lists the segment it could not finish; that one must not be stored. The
 * recording stops with the cause storage_full (audited), the mediator's view says why, every
 * stored segment still verifies (hash, complete file, decodes, the package check), no partial
 * file is left, and once there is room again the service records again without a restart.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Capture } from '../../../bench/lib/rtp-source.ts';
import { isCompleteMatroska } from '../../../server/media/matroska-check.ts';
import { WorkerPool } from '../../../server/media/worker-pool.ts';
import { verifyChain } from '../../../server/modules/audit/audit.repository.ts';
import { checkRecordingPackage } from '../../../server/modules/recordings/check-package.ts';
import { type RoomFixture, roomFixture } from '../../helpers/room-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { createTestWorld, rowsOf, sampleResidentId, type TestWorld } from '../../helpers/test-app.ts';
import { probe, sleep, syntheticParticipant, testCapture } from '../recording/recording-helpers.ts';

let world: TestWorld;
let pool: WorkerPool;
let capture: Capture;
let filesDir: string;
const sockets: TestSocket[] = [];
const segmentSeconds = 1;

beforeAll(async () => {
  filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-recording-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', filesDir]);
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true, filesDir, recording: { segmentSeconds, minFreeBytes: 1 } });
  capture = await testCapture();
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await world?.close();
  pool?.close();
  execFileSync('umount', [filesDir]);
  fs.rmSync(filesDir, { recursive: true, force: true });
});

async function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  await connected(socket);
  return socket;
}

async function hostAndFisherman(f: RoomFixture) {
  const host = await open({ cookie: world.cookies.mediator });
  if (!(await host.call('session:enter', { sessionId: f.sessionId as never })).ok) throw new Error('host could not enter');
  const fisherman = await open({ invitationToken: f.fishermanToken });
  const entered = await fisherman.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  await fisherman.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true });
  await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: sampleResidentId.slice(-4) });
  await fisherman.call('lobby:wait', {});
  expect(await host.call('host:admit', { peerId: entered.data.peerId })).toEqual({ ok: true, data: {} });
  return { host, fishermanPeerId: entered.data.peerId };
}

const query = async <T>(statement: ReturnType<typeof sql>) => rowsOf<T>(await world.database.db.execute(statement));
const segmentsOf = (recordingId: string) =>
  query<{ file_key: string; bytes: number; sha256: string; kind: string }>(sql`select file_key, bytes, sha256, kind from recording_segments where recording_id = ${recordingId}`);

/** Until `check` holds (polled), or fails with what it saw last. */
async function until<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await sleep(200);
    value = await read();
  }
  return value;
}

/** Every .mkv file under the recording's directory. */
const segmentFiles = (recordingId: string) =>
  fs
    .readdirSync(path.join(filesDir, 'recordings', recordingId), { recursive: true, encoding: 'utf8' })
    .filter((e) => e.endsWith('.mkv'))
    .map((e) => path.join('recordings', recordingId, e));

it('the disk fills during a recording: it stops with cause storage_full, the mediator is told, no partial segment is stored or left, the stored ones verify; with room again recording works', async () => {
  const f = await roomFixture(world);
  const { host, fishermanPeerId } = await hostAndFisherman(f);
  expect(await host.call('host:recording', { action: 'start' })).toEqual({ ok: true, data: { state: 'running' } });
  const [recording] = await query<{ id: string }>(sql`select id from recordings where session_id = ${f.sessionId}`);
  const media = world.app.rooms.media.mediaOf(world.app.rooms.roomOf(f.sessionId)!);
  const sender = await syntheticParticipant(await media, capture, fishermanPeerId, 'joint', 0);
  const filler = path.join(filesDir, 'filler');
  try {
    // Both tracks have stored segments; then something else takes all the space left.
    await until('segments of both tracks', () => segmentsOf(recording!.id), (rows) => new Set(rows.map((r) => r.kind)).size === 2 && rows.length >= 4);
    const stopped = host.next('room:state', (v) => v.recording === null && v.recordingStopped === 'STORAGE_FULL', 30_000);
    const fd = fs.openSync(filler, 'w');
    try {
      const block = Buffer.alloc(64 * 1024, 1);
      for (;;) fs.writeSync(fd, block);
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    // The mediator's view: not recording any more, and why.
    await stopped;
  } finally {
    sender.stop();
  }

  const [row] = await query<{ state: string }>(sql`select state from recordings where id = ${recording!.id}`);
  expect(row!.state).toBe('stopped');
  const stops = await query<{ data: { cause?: string } }>(sql`select data from audit_events where type = 'recording.stopped' and data->>'recordingId' = ${recording!.id}`);
  expect(stops.map((s) => s.data.cause)).toEqual(['storage_full']);
  const gaps = await query<{ reason: string }>(sql`select reason from recording_gaps where recording_id = ${recording!.id}`);
  expect(gaps.length).toBeGreaterThan(0);
  expect(new Set(gaps.map((g) => g.reason))).toEqual(new Set(['storage_full']));

  // Every stored segment is a complete file with the stored hash that decodes; no other segment file is left.
  const segments = await segmentsOf(recording!.id);
  expect(segments.length).toBeGreaterThanOrEqual(4);
  for (const segment of segments) {
    const file = path.join(filesDir, segment.file_key);
    const bytes = fs.readFileSync(file);
    expect(Number(segment.bytes)).toBe(bytes.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(segment.sha256);
    expect(await isCompleteMatroska(file)).toBe(true);
    expect(await probe(file)).toMatchObject({ codec: segment.kind === 'audio' ? 'opus' : 'vp8', decodes: true });
  }
  expect(segmentFiles(recording!.id).sort()).toEqual(segments.map((s) => s.file_key).sort());
  expect((await verifyChain(world.database.db)).firstBroken).toBeNull();

  // Room again: the service, still running, sends the recording's package and records anew.
  fs.rmSync(filler);
  const pkg = await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/recordings/${recording!.id}/package`, headers: { cookie: world.cookies.mediator } });
  expect(pkg.statusCode).toBe(200);
  const tarFile = path.join(os.tmpdir(), `haiqiao-full-disk-package-${recording!.id}.tar`);
  fs.writeFileSync(tarFile, pkg.rawPayload);
  try {
    expect(await checkRecordingPackage(tarFile)).toEqual({ ok: true, files: segments.length, problems: [] });
  } finally {
    fs.rmSync(tarFile, { force: true });
  }
  const cleared = host.next('room:state', (v) => v.recording?.state === 'running' && v.recordingStopped === undefined);
  expect(await host.call('host:recording', { action: 'start' })).toEqual({ ok: true, data: { state: 'running' } });
  await cleared;
  const again = await syntheticParticipant(await media, capture, fishermanPeerId, 'joint', 0);
  try {
    const [second] = await query<{ id: string }>(sql`select id from recordings where session_id = ${f.sessionId} and state = 'running'`);
    await until('a segment of the new recording', () => segmentsOf(second!.id), (rows) => rows.length > 0);
  } finally {
    again.stop();
  }
  expect((await host.call('host:recording', { action: 'stop' })).ok).toBe(true);
}, 180_000);
