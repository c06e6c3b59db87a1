/**
 * TURN credentials reach admitted participants only, with media:start's transports; they are
 * time-limited (expiry on the server's clock) and name the peer they were made for.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../../server/media/worker-pool.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { createTestWorld, sampleResidentId, type TestWorld } from '../../../helpers/test-app.ts';
import { roomFixture } from '../../../helpers/room-fixture.ts';

const turn = { secret: 'turn-secret-for-this-test-only', urls: ['turns:turn.haiqiao.test:443?transport=tcp'], ttlSeconds: 900 };
let pool: WorkerPool;
let world: TestWorld;
const sockets: TestSocket[] = [];

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true, turn });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

/** The shared room fixture, as the fisherman's session, link and ID digits. */
async function sessionWithFisherman() {
  const f = await roomFixture(world);
  return { sessionId: f.sessionId, token: f.fishermanToken, last4: sampleResidentId.slice(-4) };
}

describe('TURN credentials over the room socket', () => {
  it('a person still joining or waiting in the lobby gets none; once admitted, media:start carries credentials for them', async () => {
    const f = await sessionWithFisherman();
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);

    const fisherman = open({ invitationToken: f.token });
    await connected(fisherman);
    const entered = await fisherman.call('session:enter', {});
    if (!entered.ok) throw new Error(entered.error.message);
    const peerId = entered.data.peerId;
    expect(await fisherman.call('media:start', {})).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    expect((await fisherman.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true })).ok).toBe(true);
    expect((await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: f.last4 })).ok).toBe(true);
    expect((await fisherman.call('lobby:wait', {})).ok).toBe(true);
    expect(await fisherman.call('media:start', {})).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });

    const admitted = fisherman.next('attendance:changed');
    expect((await host.call('host:admit', { peerId })).ok).toBe(true);
    await admitted;
    const started = await fisherman.call('media:start', {});
    if (!started.ok) throw new Error(started.error.message);
    const expiry = world.clock.now.getTime() / 1000 + turn.ttlSeconds;
    expect(started.data.iceServers).toEqual([
      { urls: turn.urls, username: `${expiry}:${peerId}`, credential: createHmac('sha1', turn.secret).update(`${expiry}:${peerId}`).digest('base64') },
    ]);

    // Staff get theirs too (the mediator may sit behind a firewall as well), for their own peer.
    const hostStart = await host.call('media:start', {});
    if (!hostStart.ok) throw new Error(hostStart.error.message);
    expect(hostStart.data.iceServers[0]!.username).toMatch(/^\d+:/);
    expect(hostStart.data.iceServers[0]!.username).not.toBe(started.data.iceServers[0]!.username);
  });
});
