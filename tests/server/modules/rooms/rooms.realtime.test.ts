import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../../server/media/worker-pool.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, type TestWorld } from '../../../helpers/test-app.ts';
import { type RoomFixture, roomFixture } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
let pool: WorkerPool;
const sockets: TestSocket[] = [];

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

const tokenOf = (link: string) => link.split('/j/')[1]!;

type Fixture = RoomFixture;
const fixture = () => roomFixture(world);

const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

async function hostIn(f: Fixture) {
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  const entered = await host.call('session:enter', { sessionId: f.sessionId as never });
  if (!entered.ok) throw new Error(`host could not enter: ${JSON.stringify(entered.error)}`);
  return host;
}

/** A participant through the whole join flow, up to the lobby. */
/** Enters on an invitation without going further (the person is still joining). */
async function enterOnly(token: string) {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, peerId: entered.data.peerId };
}

async function toLobby(token: string, identity: { name: string; last4: string } | { code: string }) {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  expect((await socket.call('device-check:report', deviceCheck)).ok).toBe(true);
  const confirm = 'code' in identity ? { method: 'one_time_code' as const, code: identity.code } : { method: 'id_last4' as const, ...identity };
  const confirmed = await socket.call('identity:confirm', confirm);
  if (!confirmed.ok) throw new Error(confirmed.error.message);
  expect(await socket.call('lobby:wait', {})).toMatchObject({ ok: true, data: { state: 'lobby' } });
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken };
}

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true, reconnectGraceMs: 1500 });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

describe('who may connect', () => {
  it('refuses a socket with neither a login nor an invitation', async () => {
    await expect(connected(open({}))).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses revoked and expired invitations at the handshake', async () => {
    const f = await fixture();
    await api(world.app, world.cookies.mediator).post(`/api/invitations/${f.ownerInvitationId}/revoke`);
    await expect(connected(open({ invitationToken: f.ownerToken }))).rejects.toMatchObject({ data: { code: 'INVITATION_REVOKED' } });
    const saved = world.clock.now;
    world.clock.now = new Date(saved.getTime() + 721 * 3_600_000); // the fixture's links last 720 hours
    try {
      await expect(connected(open({ invitationToken: f.fishermanToken }))).rejects.toMatchObject({ data: { code: 'INVITATION_EXPIRED' } });
    } finally {
      world.clock.now = saved;
    }
    await expect(connected(open({ invitationToken: 'x'.repeat(43) }))).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('keeps staff of another center out of the session', async () => {
    const f = await fixture();
    const stranger = open({ cookie: world.cookies.otherMediator });
    await connected(stranger);
    expect(await stranger.call('session:enter', { sessionId: f.sessionId as never })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });
});

describe('the join flow', () => {
  it('device check, identity by ID number, lobby, admission; the mediator sees the network test', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const session = json(await api(world.app, world.cookies.mediator).get(`/api/sessions/${f.sessionId}`));
    expect(session.status).toBe('lobby'); // the mediator opening the room opens the lobby

    const fisherman = open({ invitationToken: f.fishermanToken });
    await connected(fisherman);
    const entered = await fisherman.call('session:enter', {});
    expect(entered).toMatchObject({ ok: true, data: { state: 'joining', identityMethod: 'id_last4', deviceCheckDone: false } });
    expect(await fisherman.call('lobby:wait', {})).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED' } });
    expect(await fisherman.call('device-check:report', { ...deviceCheck, downKbps: 120 })).toEqual({ ok: true, data: { audioOnlySuggested: true } });
    const wrong = await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: '1234' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED', message: expect.stringContaining('4 attempts left') } });
    expect(await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈 阿海', last4: '002x' })).toEqual({ ok: true, data: { verified: true } });

    const lobbySeen = host.next('room:state', (s) => s.peers.some((p) => p.displayName === '陈阿海' && p.state === 'lobby'));
    expect(await fisherman.call('lobby:wait', {})).toEqual({ ok: true, data: { state: 'lobby' } });
    const hostView = await lobbySeen;
    const waiting = hostView.peers.find((p) => p.displayName === '陈阿海')!;
    expect(waiting).toMatchObject({ identityVerified: true, networkTest: { downKbps: 120, rttMs: 40 } });

    const admitted = fisherman.next('attendance:changed');
    expect(await host.call('host:admit', { peerId: waiting.peerId })).toEqual({ ok: true, data: {} });
    expect(await admitted).toEqual({ state: 'admitted' });

    const media = await fisherman.call('media:start', {});
    expect(media.ok).toBe(true);
    if (media.ok) {
      expect(media.data.send.iceCandidates.length).toBeGreaterThan(0);
      expect(media.data.routerRtpCapabilities).toHaveProperty('codecs');
      expect((await fisherman.call('media:ready', { rtpCapabilities: media.data.routerRtpCapabilities })).ok).toBe(true);
    }
    const audit = json(await api(world.app, world.cookies.mediator).get(`/api/cases/${f.caseId}/audit`)).items.map((e: { type: string }) => e.type);
    expect(audit).toEqual(expect.arrayContaining(['attendance.identity_confirmed', 'attendance.lobby_entered', 'attendance.admitted']));
  });

  it('someone without an ID number on file confirms with the code the mediator reads out', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const agent = open({ invitationToken: f.ownerToken });
    await connected(agent);
    const entered = await agent.call('session:enter', {});
    expect(entered).toMatchObject({ ok: true, data: { identityMethod: 'one_time_code' } });
    const peerId = entered.ok ? entered.data.peerId : '';
    const issued = await host.call('host:issue-code', { peerId });
    expect(issued).toMatchObject({ ok: true, data: { code: expect.stringMatching(/^\d{6}$/) } });
    const code = issued.ok ? issued.data.code : '';
    const wrongCode = code === '000000' ? '111111' : '000000';
    expect(await agent.call('identity:confirm', { method: 'one_time_code', code: wrongCode })).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED' } });
    expect(await agent.call('identity:confirm', { method: 'one_time_code', code })).toEqual({ ok: true, data: { verified: true } });
  });

  it('a refused participant cannot come back; a locked room keeps newcomers out of the lobby', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    const refused = fisherman.socket.next('attendance:changed');
    await host.call('host:refuse', { peerId: fisherman.peerId, reason: '身份存疑' });
    expect(await refused).toEqual({ state: 'refused', reason: '身份存疑' });

    const again = open({ invitationToken: f.fishermanToken });
    await connected(again);
    expect(await again.call('session:enter', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    await host.call('host:lock', { locked: true });
    const agent = open({ invitationToken: f.ownerToken });
    await connected(agent);
    const entered = await agent.call('session:enter', {});
    const peerId = entered.ok ? entered.data.peerId : '';
    await agent.call('device-check:report', deviceCheck);
    const { data } = (await host.call('host:issue-code', { peerId })) as { data: { code: string } };
    await agent.call('identity:confirm', { method: 'one_time_code', code: data.code });
    expect(await agent.call('lobby:wait', {})).toMatchObject({ ok: false, error: { code: 'ROOM_LOCKED' } });
  });
});

describe('bad payloads', () => {
  it('get error acks naming the field, and the room keeps working', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    expect(await host.callRaw('host:admit', { peerId: 123 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'peerId' } });
    expect(await host.callRaw('chat:send', { text: '' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'text' } });
    expect(await host.callRaw('chat:send', 'not an object')).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await host.callRaw('host:mute', { peerId: 'p', kind: 'smell', muted: true })).toMatchObject({ ok: false, error: { field: 'kind' } });
    expect(await host.callRaw('media:connect', { transportId: 'nope', dtlsParameters: {} })).toMatchObject({ ok: false, error: { code: 'MEDIA_ERROR' } });
    expect(await host.callRaw('host:admit', { peerId: 'no-such-peer' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await host.callRaw('chat:send', { text: 'x'.repeat(2001) })).toMatchObject({ ok: false, error: { field: 'text' } });

    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    expect(await fisherman.socket.call('host:admit', { peerId: fisherman.peerId })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    await host.call('host:admit', { peerId: fisherman.peerId });
    expect(await fisherman.socket.call('host:mute', { peerId: fisherman.peerId, kind: 'audio', muted: false })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

    const heard = fisherman.socket.next('chat:message');
    const sent = await host.call('chat:send', { text: '请双方陈述事实' });
    expect(sent).toMatchObject({ ok: true, data: { text: '请双方陈述事实' } });
    expect(await heard).toMatchObject({ text: '请双方陈述事实', displayName: 'mediator' });
    const stored = await world.database.db.execute(sql`select text from chat_messages where session_id = ${f.sessionId}`);
    expect(JSON.stringify(stored)).toContain('请双方陈述事实');
  });
});

describe('caucus', () => {
  it('chat said in a caucus stays in it', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    const caucus = await host.call('host:caucus-open', { name: '渔民方' });
    const caucusId = caucus.ok ? caucus.data.id : '';
    expect(await host.call('host:move', { peerId: fisherman.peerId, space: caucusId })).toEqual({ ok: true, data: {} });
    expect(await host.call('host:move', { peerId: fisherman.peerId, space: 'no-such-caucus' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const received: string[] = [];
    host.on('chat:message', (m: { text: string }) => received.push(m.text));
    await fisherman.socket.call('chat:send', { text: '背对背说的话' });
    const state = world.app.rooms.roomOf(f.sessionId)!;
    expect(state.peers.get(fisherman.peerId)!.space).toBe(caucusId);
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toEqual([]); // the host is still in the joint room
  });

  it('only the host sees every caucus; a participant learns the name of the one they are in, and nobody in the lobby any', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    const ours = await host.call('host:caucus-open', { name: '渔民方' });
    const theirs = await host.call('host:caucus-open', { name: '船东方' });
    if (!ours.ok || !theirs.ok) throw new Error('caucus not opened');
    const waiting = await enterOnly(f.ownerToken); // still joining: device check not done
    const room = world.app.rooms.roomOf(f.sessionId)!;
    const caucusNames = (peerId: string) => room.viewFor(room.peers.get(peerId)!).caucuses.map((c) => c.name);

    expect(caucusNames(fisherman.peerId)).toEqual([]); // in the joint room
    expect((await host.call('host:move', { peerId: fisherman.peerId, space: ours.data.id })).ok).toBe(true);
    expect(caucusNames(fisherman.peerId)).toEqual(['渔民方']);
    const hostPeer = [...room.peers.values()].find((p) => p.isHost)!;
    expect(caucusNames(hostPeer.peerId)).toEqual(['渔民方', '船东方']);
    expect(caucusNames(waiting.peerId)).toEqual([]);
  });
});

describe('reconnection', () => {
  it('a dropped participant keeps their place and returns without the lobby; after the grace period they have left', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });

    const reconnecting = host.next('room:state', (s) => s.peers.some((p) => p.peerId === fisherman.peerId && !p.connected));
    fisherman.socket.disconnect();
    expect((await reconnecting).peers.find((p) => p.peerId === fisherman.peerId)!.state).toBe('admitted');

    const back = open({ resumeToken: fisherman.resumeToken });
    await connected(back);
    expect(await back.call('session:enter', { resumeToken: fisherman.resumeToken })).toMatchObject({ ok: true, data: { state: 'admitted', identityMethod: null, deviceCheckDone: true } });
    expect((await back.call('media:start', {})).ok).toBe(true);

    back.disconnect();
    await new Promise((r) => setTimeout(r, 2000)); // grace is 1.5 s in this world
    const late = open({ resumeToken: fisherman.resumeToken });
    await connected(late);
    expect(await late.call('session:enter', {})).toMatchObject({ ok: true, data: { state: 'left' } });
  });

  it('after a server restart an admitted participant is back in the room with their resume token', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    await host.call('host:session', { to: 'live' });

    await world.restart();

    const back = open({ resumeToken: fisherman.resumeToken, invitationToken: f.fishermanToken });
    await connected(back);
    const entered = await back.call('session:enter', { resumeToken: fisherman.resumeToken });
    expect(entered).toMatchObject({ ok: true, data: { state: 'admitted', mediaActive: false, session: { status: 'live' } } });
    expect((await back.call('media:start', {})).ok).toBe(true);
  });
});

describe('media signalling in few round trips', () => {
  it('session:enter carries the room codecs; media:start with the device capabilities announces consumers ahead of its ack', async () => {
    const f = await fixture();
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    const entered = await host.call('session:enter', { sessionId: f.sessionId as never });
    if (!entered.ok) throw new Error(entered.error.message);
    const routerCapabilities = entered.data.routerRtpCapabilities as { codecs: { mimeType: string }[] };
    expect(routerCapabilities.codecs.map((c) => c.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8']));

    // Someone already speaking in the joint room: a plain RTP peer producing Opus.
    const media = world.app.rooms.roomOf(f.sessionId)!.media!;
    media.addPeer('plain-speaker', 'joint');
    try {
      const { send } = await media.startPlainPeer('plain-speaker', { produce: true });
      await media.produce('plain-speaker', send!.id, 'audio', { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000, channels: 2 }], encodings: [{ ssrc: 22_334_455 }] }, 'microphone');

      const order: string[] = [];
      host.on('media:consumer-new', (c: { kind: string; producerPaused: boolean }) => order.push(`consumer ${c.kind}`));
      const started = await host.call('media:start', { rtpCapabilities: routerCapabilities as never });
      order.push('ack');
      expect(started.ok).toBe(true);
      // No media:ready needed: the consumer came first, so the client has it when it makes its transports.
      expect(order).toEqual(['consumer audio', 'ack']);
      expect(await host.call('media:start', { rtpCapabilities: { codecs: [{ kind: 'audio', mimeType: 5 }] } as never })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    } finally {
      media.removePeer('plain-speaker');
    }
  });
});

describe('resume tokens', () => {
  it('do not bring back a participant the mediator removed from the case', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    fisherman.socket.disconnect();
    const participants = json(await api(world.app, world.cookies.mediator).get(`/api/cases/${f.caseId}/participants`));
    const participantId = (participants.items ?? participants).find((p: { displayName: string }) => p.displayName === '陈阿海').id;
    const removed = await api(world.app, world.cookies.mediator).delete(`/api/cases/${f.caseId}/participants/${participantId}`);
    expect(removed.statusCode).toBeLessThan(300);

    // Only the resume token (no invitation, which the handshake would refuse): the removal was
    // answered after the token was voided, so it no longer names a place at all: the handshake refuses it.
    await expect(connected(open({ resumeToken: fisherman.resumeToken }))).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    expect(world.app.rooms.roomOf(f.sessionId)?.peers.has(fisherman.peerId) ?? false).toBe(false);
  });
});

/** Resolves with the reason once the socket is disconnected (by the server). */
function disconnection(socket: TestSocket, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (socket.disconnected) return resolve('already');
    const timer = setTimeout(() => reject(new Error('still connected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

const participantIdOf = async (caseId: string, name: string) => {
  const participants = json(await api(world.app, world.cookies.mediator).get(`/api/cases/${caseId}/participants`));
  return (participants.items ?? participants).find((p: { displayName: string }) => p.displayName === name).id as string;
};

describe('access withdrawn while someone is in', () => {
  it('revoking the link of a participant in the room ends their connection at once, with the cause, and voids their resume token', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    expect((await fisherman.socket.call('media:start', {})).ok).toBe(true);
    const invitations = json(await api(world.app, world.cookies.mediator).get(`/api/sessions/${f.sessionId}/invitations`)).items;
    const fishermanInvitation = invitations.find((i: { participantName: string }) => i.participantName === '陈阿海').id;

    const told = fisherman.socket.next('attendance:changed');
    const dropped = disconnection(fisherman.socket);
    const gone = host.next('room:state', (s) => !s.peers.some((p) => p.peerId === fisherman.peerId));
    const revoked = await api(world.app, world.cookies.mediator).post(`/api/invitations/${fishermanInvitation}/revoke`);
    expect(revoked.statusCode).toBe(200);
    expect(await told).toEqual({ state: 'left', reason: 'your invitation has been revoked', cause: 'invitation_revoked' });
    expect(await dropped).toBe('io server disconnect');
    await gone;
    const room = world.app.rooms.roomOf(f.sessionId)!;
    expect(room.peers.has(fisherman.peerId)).toBe(false);
    expect(room.media!.hasPeer(fisherman.peerId)).toBe(false);

    // Recorded: the place is left (with why), and the resume token is gone.
    const [row] = (await world.database.db.execute(sql`select state, resume_token_hash from attendances where id = ${fisherman.peerId}`)) as unknown as { state: string; resume_token_hash: string | null }[];
    expect(row).toEqual({ state: 'left', resume_token_hash: null });
    const audit = json(await api(world.app, world.cookies.mediator).get(`/api/cases/${f.caseId}/audit`)).items;
    expect(audit.find((e: { type: string; data: { attendanceId?: string } }) => e.type === 'attendance.left' && e.data.attendanceId === fisherman.peerId)?.data).toMatchObject({ cause: 'invitation_revoked', from: 'admitted' });

    // Neither the resume token nor the link gets them back (both refused at the handshake).
    await expect(connected(open({ resumeToken: fisherman.resumeToken }))).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    await expect(connected(open({ invitationToken: f.fishermanToken, resumeToken: fisherman.resumeToken }))).rejects.toMatchObject({ data: { code: 'INVITATION_REVOKED' } });
  });

  it('a resume token is refused once the link is revoked, even where nobody let the connection go', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    fisherman.socket.disconnect();
    // Revoked behind the rooms' back (as if the server had stopped between commit and the hook).
    const participantId = await participantIdOf(f.caseId, '陈阿海');
    await world.database.db.execute(sql`update invitations set revoked_at = now() where participant_id = ${participantId}`);
    await expect(connected(open({ resumeToken: fisherman.resumeToken }))).rejects.toMatchObject({ data: { code: 'INVITATION_REVOKED' } });
  });

  it('removing a participant waiting in the lobby from the case lets them go with that cause', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    const told = fisherman.socket.next('attendance:changed');
    const dropped = disconnection(fisherman.socket);
    const removed = await api(world.app, world.cookies.mediator).delete(`/api/cases/${f.caseId}/participants/${await participantIdOf(f.caseId, '陈阿海')}`);
    expect(removed.statusCode).toBe(204);
    expect(await told).toMatchObject({ state: 'left', cause: 'participant_removed' });
    await dropped;
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.has(fisherman.peerId)).toBe(false);
    expect(host.latest['room:state']!.peers.some((p) => p.peerId === fisherman.peerId)).toBe(false);
  });

  it('revoking an old link lets go only of a connection made with it, not of one made with the new link', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const mediator = api(world.app, world.cookies.mediator);
    const participantId = await participantIdOf(f.caseId, '陈阿海');
    const oldLink = json(await mediator.get(`/api/sessions/${f.sessionId}/invitations`)).items.find((i: { participantId: string }) => i.participantId === participantId).id;
    const fresh = json(await mediator.post(`/api/sessions/${f.sessionId}/invitations`, { participantId }));
    const fisherman = await toLobby(tokenOf(fresh.link), { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });

    const events: unknown[] = [];
    fisherman.socket.on('attendance:changed', (e: unknown) => events.push(e));
    expect((await mediator.post(`/api/invitations/${oldLink}/revoke`)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual([]);
    expect(fisherman.socket.connected).toBe(true);
    expect(await fisherman.socket.call('hand:raise', { raised: true })).toEqual({ ok: true, data: {} });

    // Revoking the link they came in with lets them go.
    const dropped = disconnection(fisherman.socket);
    expect((await mediator.post(`/api/invitations/${fresh.invitation.id}/revoke`)).statusCode).toBe(200);
    await dropped;
    expect(events).toEqual([{ state: 'left', reason: 'your invitation has been revoked', cause: 'invitation_revoked' }]);
  });

  it('a failed revocation lets nobody go', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    const invitations = json(await api(world.app, world.cookies.mediator).get(`/api/sessions/${f.sessionId}/invitations`)).items;
    const id = invitations.find((i: { participantName: string }) => i.participantName === '陈阿海').id;
    // Another center's mediator may not revoke it (404), and nothing happens to the fisherman.
    expect((await api(world.app, world.cookies.otherMediator).post(`/api/invitations/${id}/revoke`)).statusCode).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    expect(fisherman.socket.connected).toBe(true);
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.get(fisherman.peerId)!.state).toBe('admitted');
  });
});

describe('a newer connection of the same person', () => {
  it('tells the old socket it was replaced before letting it go', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    const order: string[] = [];
    fisherman.socket.on('session:replaced', () => order.push('replaced'));
    const dropped = disconnection(fisherman.socket).then((reason) => order.push(`disconnect: ${reason}`));

    const tab = open({ invitationToken: f.fishermanToken });
    await connected(tab);
    expect(await tab.call('session:enter', {})).toMatchObject({ ok: true, data: { peerId: fisherman.peerId, state: 'admitted' } });
    await dropped;
    expect(order).toEqual(['replaced', 'disconnect: io server disconnect']);
    // The new connection itself is told nothing of the kind.
    expect(tab.latest['session:replaced']).toBeUndefined();
  });
});

describe('a media worker that dies', () => {
  it('the room gets a router on the replacement worker, admitted peers are told to start media again, and caucus spaces and host mutes hold', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await toLobby(f.fishermanToken, { name: '陈阿海', last4: '002X' });
    await host.call('host:admit', { peerId: fisherman.peerId });
    const hostPeer = host.latest['room:state']!.selfPeerId;
    for (const s of [host, fisherman.socket]) expect((await s.call('media:start', {})).ok).toBe(true);
    const caucus = await host.call('host:caucus-open', { name: '渔民方' });
    const caucusId = caucus.ok ? caucus.data.id : '';
    await host.call('host:move', { peerId: fisherman.peerId, space: caucusId });
    await host.call('host:mute', { peerId: fisherman.peerId, kind: 'audio', muted: true });
    const room = world.app.rooms.roomOf(f.sessionId)!;
    const dead = room.media!.workerPid;

    const resets = [host.next('media:reset'), fisherman.socket.next('media:reset')];
    process.kill(dead, 'SIGKILL');
    expect(await Promise.all(resets)).toEqual([{ reason: 'media worker died' }, { reason: 'media worker died' }]);
    // When they are told, the new router already exists, on a live worker.
    expect(room.media!.closed).toBe(false);
    expect(room.media!.workerPid).not.toBe(dead);
    expect(pool.workers.map((w) => w.pid)).toContain(room.media!.workerPid);

    const started = await fisherman.socket.call('media:start', {});
    expect(started.ok).toBe(true);
    expect((await host.call('media:start', {})).ok).toBe(true);
    expect(room.media!.spaceOf(fisherman.peerId)).toBe(caucusId);
    expect(room.media!.spaceOf(hostPeer)).toBe('joint');
    expect(room.media!.isHostMuted(fisherman.peerId, 'audio')).toBe(true);
    // Nothing else changed for them: same place, same space, still muted, the socket never dropped.
    expect(room.peers.get(fisherman.peerId)).toMatchObject({ state: 'admitted', space: caucusId, hostMuted: { audio: true, video: false } });
    expect(fisherman.socket.connected).toBe(true);
  });
});
