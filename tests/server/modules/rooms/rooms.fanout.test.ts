import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoomState } from '../../../../shared/realtime.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, type TestWorld } from '../../../helpers/test-app.ts';

// How room:state reaches people: a room's changes are gathered and sent together (at the end of
// the turn, or in a burst once per interval that grows with the room), only to those whose view
// changed, and the one who made a change has its view before the ack. Without media (no worker
// pool): only the views are under test here.

let world: TestWorld;
const sockets: TestSocket[] = [];

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

/** A case, a session and `count` invited observers (none has an ID number: they confirm with a code). */
async function sessionWithGuests(count: number) {
  const mediator = api(world.app, world.cookies.mediator);
  const created = json(
    await mediator.post('/api/cases', {
      title: '渔具损坏',
      disputeType: 'fishing_gear_damage',
      incidentAt: '2026-10-01T03:00:00+08:00',
      seaArea: 'nanji_islands',
      provinces: ['zhejiang', 'fujian'],
      claimedAmountFen: 300_000,
      competentCourt: 'ningbo.wenzhou',
      parties: [
        { kind: 'organisation', name: '苍南渔业合作社' },
        { kind: 'organisation', name: '福鼎远洋运输有限公司' },
      ],
    }),
  );
  const session = json(await mediator.post(`/api/cases/${created.id}/sessions`, { title: '多人联调', scheduledAt: '2026-11-25T06:00:00Z' }));
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const participant = json(await mediator.post(`/api/cases/${created.id}/participants`, { role: 'observer', displayName: `旁听${i}` }));
    const invitation = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id }));
    tokens.push(invitation.link.split('/j/')[1]);
  }
  return { sessionId: session.id as string, tokens };
}

async function hostIn(sessionId: string) {
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  const entered = await host.call('session:enter', { sessionId: sessionId as never });
  if (!entered.ok) throw new Error(`host could not enter: ${JSON.stringify(entered.error)}`);
  return host;
}

/** What the server would show this peer now. */
function currentView(sessionId: string, peerId: string): RoomState {
  const room = world.app.rooms.roomOf(sessionId)!;
  return room.viewFor(room.peers.get(peerId)!);
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

describe('room:state when many join at once', () => {
  it('20 participants join together: each gets a few views before admission (not one per change in the room), the host far fewer than N², and everyone ends with the current state', async () => {
    const n = 20;
    const { sessionId, tokens } = await sessionWithGuests(n);
    const host = await hostIn(sessionId);

    // The mediator admits whoever shows up in the lobby, as the join-storm benchmark does.
    let hostFrames = 0;
    const admitting = new Map<string, Promise<unknown>>();
    host.on('room:state', (state: RoomState) => {
      hostFrames++;
      for (const peer of state.peers) {
        if (peer.state === 'lobby' && !admitting.has(peer.peerId)) admitting.set(peer.peerId, host.call('host:admit', { peerId: peer.peerId }));
      }
    });

    const joins = tokens.map(async (token) => {
      const socket = open({ invitationToken: token });
      const tally = { socket, peerId: '', beforeAdmission: 0, after: 0 };
      let admitted = false;
      socket.on('room:state', () => (admitted ? tally.after++ : tally.beforeAdmission++));
      socket.on('attendance:changed', (c: { state: string }) => (admitted ||= c.state === 'admitted'));
      const told = socket.next('attendance:changed', (c) => c.state === 'admitted', 20_000);
      await connected(socket);
      const entered = await socket.call('session:enter', {});
      if (!entered.ok) throw new Error(entered.error.message);
      tally.peerId = entered.data.peerId;
      expect((await socket.call('device-check:report', deviceCheck)).ok).toBe(true);
      const issued = await host.call('host:issue-code', { peerId: tally.peerId });
      if (!issued.ok) throw new Error(issued.error.message);
      expect(await socket.call('identity:confirm', { method: 'one_time_code', code: issued.data.code })).toEqual({ ok: true, data: { verified: true } });
      expect((await socket.call('lobby:wait', {})).ok).toBe(true);
      await told;
      return tally;
    });
    const joined = await Promise.all(joins);
    const admits = await Promise.all(admitting.values());
    expect(admits).toHaveLength(n);
    for (const ack of admits) expect(ack).toEqual({ ok: true, data: {} });
    await settle();

    // Before admission a participant sees only themselves: entered, identity confirmed, in the
    // lobby — three views, however many others join meanwhile (each used to get one per change
    // anyone made: O(N) each, ≈ 4N here, O(N²) in all).
    const before = joined.map((j) => j.beforeAdmission);
    expect(Math.max(...before)).toBeLessThanOrEqual(3);
    expect(Math.min(...before)).toBeGreaterThanOrEqual(1);
    // The host sees every join's five steps: at most one view each (fewer when they are gathered
    // into one flush), far from N².
    expect(hostFrames).toBeLessThanOrEqual(5 * n);
    // Once admitted, views change with every later admission: at most one each.
    for (const j of joined) expect(j.after).toBeLessThanOrEqual(n + 1);

    // Everyone ends with the current state: all 21 in the room, as the server sees it.
    for (const j of joined) {
      const latest = j.socket.latest['room:state']!;
      expect(latest).toEqual(currentView(sessionId, j.peerId));
      expect(latest.selfPeerId).toBe(j.peerId);
      expect(latest.peers).toHaveLength(n + 1);
      expect(latest.peers.every((p) => p.state === 'admitted' && p.connected)).toBe(true);
    }
    const hostView = host.latest['room:state']!;
    expect(hostView).toEqual(currentView(sessionId, hostView.selfPeerId));
    expect(hostView.peers.filter((p) => p.state === 'admitted')).toHaveLength(n + 1);
  });
});

describe('room:state for one person', () => {
  it('reflects their own change before the ack, is not sent again unchanged, and a new connection gets the current state', async () => {
    const { sessionId, tokens } = await sessionWithGuests(1);
    const host = await hostIn(sessionId);
    const guest = open({ invitationToken: tokens[0]! });
    await connected(guest);
    const entered = await guest.call('session:enter', {});
    if (!entered.ok) throw new Error(entered.error.message);
    const { peerId, resumeToken } = entered.data;
    // The view of the entered peer came ahead of the enter's ack.
    expect(guest.latest['room:state']).toMatchObject({ selfPeerId: peerId, peers: [{ peerId, state: 'joining', connected: true }] });
    await guest.call('device-check:report', deviceCheck);
    const issued = await host.call('host:issue-code', { peerId });
    await guest.call('identity:confirm', { method: 'one_time_code', code: issued.ok ? issued.data.code : '' });
    expect(guest.latest['room:state']!.peers[0]).toMatchObject({ identityVerified: true });
    await guest.call('lobby:wait', {});
    expect(guest.latest['room:state']!.peers[0]).toMatchObject({ state: 'lobby' });
    const admitted = guest.next('attendance:changed');
    await host.call('host:admit', { peerId });
    await admitted;
    await settle();

    const guestFrames: RoomState[] = [];
    const hostFrames: RoomState[] = [];
    guest.on('room:state', (s: RoomState) => guestFrames.push(s));
    host.on('room:state', (s: RoomState) => hostFrames.push(s));
    expect(await guest.call('hand:raise', { raised: true })).toEqual({ ok: true, data: {} });
    // Already there when the ack is: the change of the request that was answered.
    expect(guestFrames).toHaveLength(1);
    expect(guestFrames[0]!.peers.find((p) => p.peerId === peerId)).toMatchObject({ handRaised: true });
    await settle();
    expect(hostFrames).toHaveLength(1);
    expect(hostFrames[0]!.peers.find((p) => p.peerId === peerId)).toMatchObject({ handRaised: true });

    // The same again changes nothing: nobody is sent the same view twice.
    expect(await guest.call('hand:raise', { raised: true })).toEqual({ ok: true, data: {} });
    expect(await host.call('host:lock', { locked: false })).toEqual({ ok: true, data: {} });
    await settle();
    expect(guestFrames).toHaveLength(1);
    expect(hostFrames).toHaveLength(1);

    // A new connection (the phone reconnecting) is sent the current view, unchanged or not.
    guest.disconnect();
    await host.next('room:state', (s) => s.peers.some((p) => p.peerId === peerId && !p.connected));
    const back = open({ resumeToken });
    await connected(back);
    expect(await back.call('session:enter', { resumeToken })).toMatchObject({ ok: true, data: { state: 'admitted' } });
    expect(back.latest['room:state']).toEqual(currentView(sessionId, peerId));
    expect(back.latest['room:state']!.peers.find((p) => p.peerId === peerId)).toMatchObject({ handRaised: true, connected: true });
    await settle();
    expect(host.latest['room:state']!.peers.find((p) => p.peerId === peerId)).toMatchObject({ connected: true });
  });

  it('the session ending is the last thing anyone is told', async () => {
    const { sessionId, tokens } = await sessionWithGuests(1);
    const host = await hostIn(sessionId);
    expect(await host.call('host:session', { to: 'live' })).toMatchObject({ ok: true });
    const guest = open({ invitationToken: tokens[0]! });
    await connected(guest);
    const entered = await guest.call('session:enter', {});
    if (!entered.ok) throw new Error(entered.error.message);
    const order: string[] = [];
    guest.onAny((event: string) => order.push(event));
    const ended = guest.next('session:ended');
    // A change just before the end: its view may go first, but nothing goes after session:ended.
    const [, end] = await Promise.all([host.call('host:lock', { locked: true }), host.call('host:session', { to: 'ended' })]);
    expect(end).toMatchObject({ ok: true, data: { status: 'ended' } });
    await ended;
    await settle(300);
    expect(order.at(-1)).toBe('session:ended');
  });
});
