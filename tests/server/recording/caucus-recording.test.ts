/**
 * A caucus is recorded only when the mediator chooses it (issue 9, point 1): with the session's
 * recording running, a party moved into a caucus stops being written; once the mediator marks
 * that caucus recorded (stored, audited, shown in the host's view) their tracks are written again,
 * and unmarking it stops them. A real mediasoup worker and ffmpeg; the new segments decode.
 */
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Capture } from '../../../bench/lib/rtp-source.ts';
import { WorkerPool } from '../../../server/media/worker-pool.ts';
import { verifyChain } from '../../../server/modules/audit/audit.repository.ts';
import { connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { createTestWorld, rowsOf, type TestWorld } from '../../helpers/test-app.ts';
import { roomFixture } from '../../helpers/room-fixture.ts';
import { admittedWithCode, hostIn, probe, sleep, syntheticParticipant, testCapture } from './recording-helpers.ts';

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

async function query<T>(statement: ReturnType<typeof sql>) {
  return rowsOf<T>(await world.database.db.execute(statement));
}

interface SegmentRow {
  attendance_id: string;
  kind: 'audio' | 'video';
  file_key: string;
  started_at: Date;
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

describe('recording a caucus', () => {
  it('is off unless the mediator chooses it for that caucus; choosing and unchoosing are stored, audited and followed by the recorder', async () => {
    const f = await roomFixture(world);
    const host = await hostIn(world.cookies.mediator, open, f.sessionId);
    const fisherman = await admittedWithCode(open, f.fishermanToken, host.socket);
    const owner = await admittedWithCode(open, f.ownerToken, host.socket);
    expect((await host.socket.call('host:recording', { action: 'start' })).ok).toBe(true);
    const [recording] = await query<{ id: string }>(sql`select id from recordings where session_id = ${f.sessionId}`);
    const segments = () =>
      query<SegmentRow>(
        sql`select attendance_id, kind, file_key, started_at from recording_segments where recording_id = ${recording!.id} order by started_at`,
      );
    const countOf = async (peerId: string, since = 0) =>
      (await segments()).filter((s) => s.attendance_id === peerId && new Date(s.started_at).getTime() >= since).length;
    /** Waits (a loaded machine starts ffmpeg late) until the peer has `n` segments begun at or after `since`. */
    const waitFor = async (peerId: string, n: number, since = 0) => {
      for (const until = Date.now() + 60_000; (await countOf(peerId, since)) < n && Date.now() < until; )
        await sleep(500);
      return countOf(peerId, since);
    };

    const room = world.app.rooms.roomOf(f.sessionId)!;
    const media = await world.app.rooms.media.mediaOf(room);
    const senders = [
      await syntheticParticipant(media, capture, fisherman.peerId, 'joint', 0),
      await syntheticParticipant(media, capture, owner.peerId, 'joint', 1),
    ];
    try {
      // In the joint room both are recorded.
      expect(await waitFor(fisherman.peerId, 2)).toBeGreaterThanOrEqual(2);
      expect(await waitFor(owner.peerId, 2)).toBeGreaterThanOrEqual(2);

      // The fisherman goes into a caucus: not recorded, since nobody chose it.
      const caucus = await host.socket.call('host:caucus-open', { name: '渔民方' });
      if (!caucus.ok) throw new Error(caucus.error.message);
      expect(caucus.data).toMatchObject({ name: '渔民方' });
      const caucusId = caucus.data.id;
      expect(await host.socket.call('host:move', { peerId: fisherman.peerId, space: caucusId })).toEqual({
        ok: true,
        data: {},
      });
      // The segment in progress at the move is finished and stored; after that, nothing more of theirs.
      await sleep(segmentSeconds * 1000 + 1500);
      const movedAt = Date.now();
      const fishermanInCaucus = await countOf(fisherman.peerId);
      const ownerAtMove = await countOf(owner.peerId);
      await sleep(segmentSeconds * 2500);
      expect(await countOf(fisherman.peerId)).toBe(fishermanInCaucus);
      expect(await countOf(fisherman.peerId, movedAt)).toBe(0);
      expect(await countOf(owner.peerId)).toBeGreaterThanOrEqual(ownerAtMove + 2);

      // Only the host chooses; a wrong caucus is refused and changes nothing.
      expect(await fisherman.socket.call('host:caucus-recording', { caucusId, recorded: true })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      expect(
        await host.socket.call('host:caucus-recording', { caucusId: 'no-such-caucus', recorded: true }),
      ).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await countOf(fisherman.peerId, movedAt)).toBe(0);

      // The mediator chooses to record the caucus: the host's view says so and the fisherman is written again.
      const hostView = host.socket.next('room:state', (v) =>
        v.caucuses.some((c) => c.id === caucusId && c.recorded === true),
      );
      const chosenAt = Date.now();
      expect(await host.socket.call('host:caucus-recording', { caucusId, recorded: true })).toEqual({
        ok: true,
        data: {},
      });
      await hostView;
      expect(await query(sql`select 1 from room_caucuses where id = ${caucusId} and recorded`)).toHaveLength(1);
      expect(await waitFor(fisherman.peerId, 2, chosenAt)).toBeGreaterThanOrEqual(2);
      const inCaucus = (await segments()).filter(
        (s) => s.attendance_id === fisherman.peerId && new Date(s.started_at).getTime() >= chosenAt,
      );
      expect(new Set(inCaucus.map((s) => s.kind))).toEqual(new Set(['audio', 'video']));
      for (const s of inCaucus)
        expect(await probe(path.join(world.filesDir, s.file_key))).toMatchObject({
          codec: s.kind === 'audio' ? 'opus' : 'vp8',
          decodes: true,
        });

      // And unchooses it: the recorder lets their tracks go again.
      expect(await host.socket.call('host:caucus-recording', { caucusId, recorded: false })).toEqual({
        ok: true,
        data: {},
      });
      await sleep(segmentSeconds * 1000 + 1500);
      const afterUnchoose = await countOf(fisherman.peerId);
      await sleep(segmentSeconds * 2500);
      expect(await countOf(fisherman.peerId)).toBe(afterUnchoose);
    } finally {
      for (const s of senders) s.stop();
    }
    expect((await host.socket.call('host:recording', { action: 'stop' })).ok).toBe(true);

    const changes = await query<{ data: { caucusId: string; recorded: boolean } }>(
      sql`select data from audit_events where type = 'room.caucus_recording_changed' and data->>'sessionId' = ${f.sessionId} order by seq`,
    );
    expect(changes.map((c) => c.data)).toMatchObject([{ recorded: true }, { recorded: false }]);
    expect((await verifyChain(world.database.db)).firstBroken).toBeNull();
  }, 150_000);
});
