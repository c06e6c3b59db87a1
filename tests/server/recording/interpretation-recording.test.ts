/**
 * Issue 9 point 1 with issue 12 point 4: the interpreter's channel is recorded as its own track,
 * apart from the voices of the floor, listed as such by the staff desk and in the package's
 * manifest, and its segments decode with ffprobe/ffmpeg. Real mediasoup worker, real ffmpeg.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Capture } from '../../../bench/lib/rtp-source.ts';
import { recordingManifestSchema } from '../../../shared/api/recordings.ts';
import { WorkerPool } from '../../../server/media/worker-pool.ts';
import { checkRecordingPackage } from '../../../server/modules/recordings/check-package.ts';
import { connected, connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { createTestWorld, rowsOf, sampleResidentId, type TestWorld } from '../../helpers/test-app.ts';
import { roomFixtureWithInterpreter } from '../../helpers/room-fixture.ts';
import { probe, sleep, syntheticParticipant, testCapture } from './recording-helpers.ts';

const run = promisify(execFile);
let world: TestWorld;
let pool: WorkerPool;
let capture: Capture;
const sockets: TestSocket[] = [];
const segmentSeconds = 2;
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
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
  expect((await host.call('host:admit', { peerId: entered.data.peerId })).ok).toBe(true);
  return entered.data.peerId;
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

describe('recording the interpreter channel', () => {
  it('records the interpretation as its own track, listed as such in the staff desk and the manifest, and decodable', async () => {
    const f = await roomFixtureWithInterpreter(world);
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
    const fisherman = await admitted(f.fishermanToken, host, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    const interpreter = await admitted(f.interpreterToken, host);
    expect((await host.call('host:recording', { action: 'start' })).ok).toBe(true);
    const [recording] = rowsOf<{ id: string }>(await world.database.db.execute(sql`select id from recordings where session_id = ${f.sessionId}`));

    const room = world.app.rooms.roomOf(f.sessionId)!;
    const media = await world.app.rooms.media.mediaOf(room);
    const senders = [
      await syntheticParticipant(media, capture, fisherman, 'joint', 0),
      // The interpreter's voice goes into their channel (their camera as usual).
      await syntheticParticipant(media, capture, interpreter, 'joint', 1, 'interpretation'),
    ];
    const perTrack = async () => {
      const rows = rowsOf<{ track: string; n: number }>(
        await world.database.db.execute(sql`select attendance_id || '/' || source as track, count(*)::int as n from recording_segments where recording_id = ${recording!.id} group by 1`),
      );
      return rows;
    };
    try {
      // Each of the four tracks has two segments or more (a loaded machine starts ffmpeg slowly).
      const deadline = Date.now() + 45_000;
      while ((await perTrack()).filter((t) => t.n >= 2).length < 4 && Date.now() < deadline) await sleep(500);
      expect((await host.call('host:recording', { action: 'stop' })).ok).toBe(true);
    } finally {
      for (const s of senders) s.stop();
    }

    const segments = rowsOf<{ attendance_id: string; kind: string; source: string; file_key: string }>(
      await world.database.db.execute(sql`select attendance_id, kind, source, file_key from recording_segments where recording_id = ${recording!.id}`),
    );
    const tracks = [...new Set(segments.map((s) => `${s.attendance_id}/${s.kind}/${s.source}`))].sort();
    expect(tracks).toEqual(
      [`${fisherman}/audio/microphone`, `${fisherman}/video/camera`, `${interpreter}/audio/interpretation`, `${interpreter}/video/camera`].sort(),
    );
    const channel = segments.filter((s) => s.source === 'interpretation');
    expect(channel.length).toBeGreaterThanOrEqual(2);
    for (const segment of channel) {
      expect(segment.file_key).toContain(`${interpreter}.interpretation.`);
      expect(await probe(path.join(world.filesDir, segment.file_key))).toMatchObject({ codec: 'opus', decodes: true });
    }

    // The staff desk lists it as the interpreter's channel; so does the package's manifest.
    const list = await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/recordings`, headers: { cookie: world.cookies.mediator } });
    expect(list.statusCode).toBe(200);
    const listed = list.json().items[0].tracks.find((t: { source: string }) => t.source === 'interpretation');
    expect(listed).toMatchObject({ attendanceId: interpreter, displayName: '林翻译', kind: 'audio', space: 'joint' });
    expect(listed.segments).toHaveLength(channel.length);

    const pkg = await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/recordings/${recording!.id}/package`, headers: { cookie: world.cookies.mediator } });
    expect(pkg.statusCode).toBe(200);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-interpretation-package-'));
    try {
      const tarFile = path.join(dir, 'package.tar');
      fs.writeFileSync(tarFile, pkg.rawPayload);
      expect((await checkRecordingPackage(tarFile)).ok).toBe(true);
      await run('tar', ['-xf', tarFile, '-C', dir]);
      const manifest = recordingManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')));
      const track = manifest.recording.tracks.find((t) => t.source === 'interpretation')!;
      expect(track).toMatchObject({ attendanceId: interpreter, kind: 'audio' });
      // Its segments are in the package and play with ffprobe from there too.
      const first = Object.keys(manifest.files).find((file) => file.includes('.interpretation.'))!;
      expect(first).toBeDefined();
      expect(await probe(path.join(dir, first))).toMatchObject({ codec: 'opus', decodes: true });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
