/**
 * Link adaptation decisions (issue 13) on the server: the room shows where each person's own
 * send and receive paths stand and why, the audit trail gets a link event at most every 10 s per
 * person (the rest counted), and a decision that mixes the two directions' levels is refused.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { linkAuditIntervalMs } from '../../../../server/modules/rooms/link-events.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, type TestWorld } from '../../../helpers/test-app.ts';
import { roomFixture } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
});

async function linkEvents(caseId: string) {
  const items = json(await api(world.app, world.cookies.mediator).get(`/api/cases/${caseId}/audit`)).items as { type: string; data: Record<string, unknown> }[];
  return items.filter((e) => e.type === 'attendance.link_adapted').map((e) => e.data);
}

describe('link adaptation decisions', () => {
  it('are shown to the room with their reason and logged as rate-limited link events', async () => {
    const f = await roomFixture(world);
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
    const fisherman = open({ invitationToken: f.fishermanToken });
    await connected(fisherman);
    const entered = await fisherman.call('session:enter', {});
    if (!entered.ok) throw new Error(entered.error.message);
    const peerId = entered.data.peerId;
    // Not admitted yet: no decisions from the lobby.
    expect(await fisherman.call('link:adapt', { direction: 'send', from: 'high', to: 'off', reason: 'loss', value: 10 })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    await fisherman.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true });
    await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: '002X' });
    await fisherman.call('lobby:wait', {});
    expect(await host.call('host:admit', { peerId })).toEqual({ ok: true, data: {} });

    const seen = host.next('room:state', (s) => s.peers.some((p) => p.peerId === peerId && p.link?.send === 'off'));
    expect(await fisherman.call('link:adapt', { direction: 'send', from: 'high', to: 'off', reason: 'loss', value: 10.4 })).toEqual({ ok: true, data: {} });
    const view = (await seen).peers.find((p) => p.peerId === peerId)!;
    expect(view.link).toMatchObject({ send: 'off', recv: 'high', last: { direction: 'send', reason: 'loss', value: 10.4 } });

    // Within the interval: shown, not logged; the next logged one counts it.
    const both = fisherman.next('room:state', (s) => s.peers.some((p) => p.peerId === peerId && p.link?.recv === 'off'));
    expect((await fisherman.call('link:adapt', { direction: 'recv', from: 'high', to: 'off', reason: 'concealment', value: 9 })).ok).toBe(true);
    expect((await both).peers.find((p) => p.peerId === peerId)!.link).toMatchObject({ send: 'off', recv: 'off' });
    expect(await linkEvents(f.caseId)).toEqual([{ sessionId: f.sessionId, attendanceId: peerId, direction: 'send', from: 'high', to: 'off', reason: 'loss', value: 10.4, suppressed: 0 }]);

    world.clock.now = new Date(world.clock.now.getTime() + linkAuditIntervalMs);
    expect((await fisherman.call('link:adapt', { direction: 'send', from: 'off', to: 'low', reason: 'stable', value: null })).ok).toBe(true);
    const events = await linkEvents(f.caseId);
    expect(events).toHaveLength(2);
    expect(events.find((e) => e.reason === 'stable')).toMatchObject({ from: 'off', to: 'low', suppressed: 1 });
  });

  it('refuse a level of the other direction, naming the field', async () => {
    const f = await roomFixture(world);
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    await host.call('session:enter', { sessionId: f.sessionId as never });
    expect(await host.callRaw('link:adapt', { direction: 'send', from: 'high', to: 'minimal', reason: 'loss', value: 3 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'to' } });
    expect(await host.callRaw('link:adapt', { direction: 'recv', from: 'high', to: 'low', reason: 'guess', value: 3 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'reason' } });
  });
});
