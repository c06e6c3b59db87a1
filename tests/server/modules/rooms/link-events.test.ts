/**
 * link:event (issue 13): a person's own weak-link controller reports each decision. Parsed
 * against shared/realtime.ts, admitted people only, within the event budget; everyone sees the
 * person's levels (receivers discount loss a weak uplink caused), only the mediator sees why.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../../server/media/worker-pool.ts';
import type { LinkEvent } from '../../../../shared/realtime.ts';
import { eventBudgets } from '../../../../server/plugins/socket-gate.ts';
import { downlinkCap } from '../../../../shared/realtime.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { roomFixture } from '../../../helpers/room-fixture.ts';
import { createTestWorld, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let pool: WorkerPool;
const sockets: TestSocket[] = [];

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };
const weakUplink: LinkEvent = { direction: 'send', from: 'full', to: 'voice', reasons: ['loss'], lossPct: 10.2, rttMs: 610 };

/** To the lobby: by ID number, or (the agent, who has none on file) by a code the mediator issues. */
async function toLobby(token: string, identity: { name: string; last4: string } | { host: TestSocket }) {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  expect((await socket.call('device-check:report', deviceCheck)).ok).toBe(true);
  if ('host' in identity) {
    const issued = await identity.host.call('host:issue-code', { peerId: entered.data.peerId });
    if (!issued.ok) throw new Error(issued.error.message);
    expect((await socket.call('identity:confirm', { method: 'one_time_code', code: issued.data.code })).ok).toBe(true);
  } else {
    expect((await socket.call('identity:confirm', { method: 'id_last4', ...identity })).ok).toBe(true);
  }
  expect((await socket.call('lobby:wait', {})).ok).toBe(true);
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken };
}

/** A new session's room with the mediator in it. */
async function roomWithMediator() {
  const f = await roomFixture(world);
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
  return { f, host };
}

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

describe('link:event', () => {
  it('is refused before admission and when malformed; once admitted, everyone sees the levels and only the mediator why', async () => {
    const { f, host } = await roomWithMediator();
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    const owner = await toLobby(f.ownerToken, { host });

    // In the lobby: not theirs to report yet.
    expect(await fisherman.socket.call('link:event', weakUplink)).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    expect((await host.call('host:admit', { peerId: fisherman.peerId })).ok).toBe(true);
    expect((await host.call('host:admit', { peerId: owner.peerId })).ok).toBe(true);

    // Malformed: an error ack naming the field, nothing stored.
    expect(await fisherman.socket.callRaw('link:event', { ...weakUplink, direction: 'up' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'direction' } });
    expect(await fisherman.socket.callRaw('link:event', { ...weakUplink, reasons: [] })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'reasons' } });
    expect(await fisherman.socket.callRaw('link:event', { ...weakUplink, lossPct: 140 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'lossPct' } });
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.get(fisherman.peerId)!.link).toBeNull();

    const hostSees = host.next('room:state', (s) => s.peers.some((p) => p.peerId === fisherman.peerId && p.link?.send === 'voice'));
    const ownerSees = owner.socket.next('room:state', (s) => s.peers.some((p) => p.peerId === fisherman.peerId && p.link?.send === 'voice'));
    expect(await fisherman.socket.call('link:event', weakUplink)).toEqual({ ok: true, data: {} });
    const inHost = (await hostSees).peers.find((p) => p.peerId === fisherman.peerId)!;
    expect(inHost.link).toMatchObject({ send: 'voice', recv: 'full', last: { ...weakUplink, at: expect.any(String) } });
    const inOwner = (await ownerSees).peers.find((p) => p.peerId === fisherman.peerId)!;
    expect(inOwner.link).toEqual({ send: 'voice', recv: 'full' });

    // The other direction is kept apart; a step back up is reported the same way.
    const recvSeen = host.next('room:state', (s) => s.peers.some((p) => p.peerId === fisherman.peerId && p.link?.recv === 'reduced'));
    expect((await fisherman.socket.call('link:event', { direction: 'recv', from: 'full', to: 'reduced', reasons: ['loss', 'concealment'], lossPct: 6, rttMs: 600 })).ok).toBe(true);
    expect((await recvSeen).peers.find((p) => p.peerId === fisherman.peerId)!.link).toMatchObject({ send: 'voice', recv: 'reduced', last: { direction: 'recv', reasons: ['loss', 'concealment'] } });
  });

  it('a level told again is no change; after a restart the new server learns it when told again, and caps the new downlink by it', async () => {
    const { f, host } = await roomWithMediator();
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    expect((await host.call('host:admit', { peerId: fisherman.peerId })).ok).toBe(true);
    const weakDownlink: LinkEvent = { direction: 'recv', from: 'full', to: 'low', reasons: ['loss'], lossPct: 9, rttMs: 620 };
    expect((await fisherman.socket.call('link:event', weakDownlink)).ok).toBe(true);
    const peerOf = () => world.app.rooms.roomOf(f.sessionId)!.peers.get(fisherman.peerId)!;
    const decided = peerOf().link!.last!;

    // Told again on the same server (the client cannot know whether it kept the levels): the decision stays the one made.
    world.clock.now = new Date(world.clock.now.getTime() + 5_000);
    const retold: LinkEvent = { direction: 'recv', from: 'full', to: 'low', reasons: ['loss'], lossPct: null, rttMs: null };
    expect(await fisherman.socket.call('link:event', retold)).toEqual({ ok: true, data: {} });
    expect(peerOf().link).toEqual({ send: 'full', recv: 'low', last: decided });

    // A restart: the room is rebuilt from the database, the levels (kept in memory only) are gone.
    for (const s of sockets.splice(0)) s.disconnect();
    await world.restart();
    const back = open({ resumeToken: fisherman.resumeToken });
    await connected(back);
    expect((await back.call('session:enter', { resumeToken: fisherman.resumeToken })).ok).toBe(true);
    expect(peerOf().link).toBeNull();
    expect((await back.call('link:event', retold)).ok).toBe(true);
    expect(peerOf().link).toMatchObject({ send: 'full', recv: 'low', last: { ...retold, at: expect.any(String) } });
    // Media starts after it: what the SFU may send the fisherman is the cap of his level, not full.
    expect((await back.call('media:start', {})).ok).toBe(true);
    const stats = await world.app.rooms.roomOf(f.sessionId)!.media!.downlinkStats(fisherman.peerId);
    expect(stats?.cap).toBe(downlinkCap('low', false));
  });

  it('has its own event budget: a flood is refused with RATE_LIMITED', async () => {
    const { host } = await roomWithMediator();
    const acks = [];
    for (let i = 0; i <= eventBudgets['link:event']; i++) acks.push(await host.call('link:event', { ...weakUplink, from: i % 2 ? 'voice' : 'full', to: i % 2 ? 'full' : 'voice', reasons: [i % 2 ? 'stable' : 'loss'] }));
    expect(acks.slice(0, eventBudgets['link:event']).every((a) => a.ok)).toBe(true);
    expect(acks.at(-1)).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });
});
