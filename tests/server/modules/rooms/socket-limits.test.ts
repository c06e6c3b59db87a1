/**
 * Issue 10's socket findings, replayed: a party flooding events, a made-up resume token reaching
 * the network test, a cross-origin handshake, invitation tokens tried without end. Each is now a
 * coded ack or a refused handshake, and the database is as it was (every row of every table).
 */
import { randomBytes } from 'node:crypto';
import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventBudgets, defaultSocketLimits } from '../../../../server/plugins/socket-gate.ts';
import { networkTestMaxBytes } from '../../../../shared/realtime.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, tableDigests, type TestWorld, worldState } from '../../../helpers/test-app.ts';
import { type RoomFixture, roomFixture } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];
const guessing = { tokenFailuresPerAddress: 4, tokenBlockSeconds: 2 };

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

type Fixture = RoomFixture;
const fixture = () => roomFixture(world);

/** The mediator in the room and the fisherman admitted: what a party's socket had when it flooded. */
async function partyInRoom(f: Fixture) {
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
  const socket = open({ invitationToken: f.fishermanToken });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  expect((await socket.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true })).ok).toBe(true);
  expect((await socket.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: '002X' })).ok).toBe(true);
  expect((await socket.call('lobby:wait', {})).ok).toBe(true);
  expect((await host.call('host:admit', { peerId: entered.data.peerId })).ok).toBe(true);
  return { host, socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken };
}

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

const withoutAudit = (digests: Record<string, string>) => ({ ...digests, audit_events: 'ignored' });

beforeAll(async () => {
  world = await createTestWorld({ listen: true, guessingLimits: guessing });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(() => world?.close());

describe('finding 2: every socket event has a budget per connection and per person', () => {
  it('3,000 chat:send from one party: the budget is accepted, the rest RATE_LIMITED and unwritten; the flood is cut off and audited once', async () => {
    const f = await fixture();
    const { socket, peerId } = await partyInRoom(f);
    const budget = eventBudgets['chat:send'];
    for (let i = 0; i < budget; i++) expect((await socket.call('chat:send', { text: `第${i}条` })).ok).toBe(true);

    const before = await worldState(world);
    for (let i = 0; i < 10; i++) {
      expect(await socket.call('chat:send', { text: 'flood' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', message: expect.stringContaining('chat:send') } });
    }
    expect(await worldState(world)).toEqual(before);

    // Then the rest of the 3,000 at once, as found: no more rows, the connection is cut.
    const cut = disconnection(socket);
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < 3_000 - budget - 10; i++) acks.push(socket.timeout(3_000).emitWithAck('chat:send', { text: 'flood' }).catch(() => 'no answer: disconnected'));
    expect(await cut).toBe('io server disconnect');
    const answers = await Promise.all(acks);
    expect(answers.some((a) => (a as { ok?: boolean }).ok === true)).toBe(false);
    expect(answers.filter((a) => (a as { error?: { code: string } }).error?.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(defaultSocketLimits.refusalsBeforeDisconnect - 10 - 1);

    const after = await tableDigests(world.database);
    expect(withoutAudit(after)).toEqual(withoutAudit(before.tables));
    const audit = json(await api(world.app, world.cookies.mediator).get(`/api/cases/${f.caseId}/audit`)).items as { type: string; data: Record<string, unknown>; actor: Record<string, unknown> }[];
    const abuse = audit.filter((e) => e.type === 'realtime.abuse_disconnected');
    expect(abuse).toHaveLength(1);
    expect(abuse[0]!.data).toMatchObject({ event: 'chat:send', sessionId: f.sessionId, peerId });
    expect(abuse[0]!.actor).toMatchObject({ kind: 'participant' });
    expect(Number(after.audit_events!.split(':')[0])).toBe(Number(before.tables.audit_events!.split(':')[0]) + 1);
  });

  it('hand:raise and net:ping floods are refused the same way', async () => {
    const f = await fixture();
    const { socket } = await partyInRoom(f);
    const answers = [];
    for (let i = 0; i < eventBudgets['hand:raise'] + 3; i++) answers.push(await socket.call('hand:raise', { raised: i % 2 === 0 }));
    expect(answers.slice(0, eventBudgets['hand:raise']).every((a) => a.ok)).toBe(true);
    expect(answers.slice(eventBudgets['hand:raise']).map((a) => (a.ok ? 'ok' : a.error.code))).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    const pings = await Promise.all(Array.from({ length: eventBudgets['net:ping'] + 5 }, () => socket.call('net:ping', { sentAt: Date.now() })));
    expect(pings.filter((p) => p.ok)).toHaveLength(eventBudgets['net:ping']);
    expect(pings.filter((p) => !p.ok && p.error.code === 'RATE_LIMITED')).toHaveLength(5);
  });

  it('a person’s budget spans their connections: a second and third tab do not multiply it', async () => {
    const f = await fixture();
    const tabs = [open({ invitationToken: f.fishermanToken }), open({ invitationToken: f.fishermanToken }), open({ invitationToken: f.fishermanToken })];
    await Promise.all(tabs.map(connected));
    const per = eventBudgets['net:ping'];
    const sent = async (tab: TestSocket, n: number) => Promise.all(Array.from({ length: n }, () => tab.call('net:ping', { sentAt: 1 })));
    expect((await sent(tabs[0]!, per)).every((a) => a.ok)).toBe(true);
    expect((await sent(tabs[1]!, per)).every((a) => a.ok)).toBe(true);
    expect(await tabs[2]!.call('net:ping', { sentAt: 1 })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  it('events outside the contract count too', async () => {
    const f = await fixture();
    const socket = open({ invitationToken: f.fishermanToken });
    await connected(socket);
    const answers = await Promise.all(Array.from({ length: eventBudgets.unknown + 2 }, () => socket.callRaw('nonsense:event', {})));
    expect(answers.filter((a) => a.error.code === 'NOT_FOUND')).toHaveLength(eventBudgets.unknown);
    expect(answers.filter((a) => a.error.code === 'RATE_LIMITED')).toHaveLength(2);
  });
});

describe('finding 3: the handshake checks resume tokens; the network test needs an invitation or a login and is capped', () => {
  it('a made-up resume token is refused at the handshake, and nothing is written', async () => {
    const before = await worldState(world);
    await expect(connected(open({ resumeToken: 'x' }))).rejects.toMatchObject({ data: { code: 'UNAUTHENTICATED' } });
    expect(await worldState(world)).toEqual(before);
  });

  it('a real resume token connects, but the network test is not for it', async () => {
    const f = await fixture();
    const { socket, resumeToken } = await partyInRoom(f);
    socket.disconnect();
    const back = open({ resumeToken });
    await connected(back);
    for (const [event, payload] of [
      ['net:ping', { sentAt: 1 }],
      ['net:download', { bytes: 1000 }],
      ['net:upload', { payload: new Uint8Array(1000) }],
    ] as const) {
      expect(await back.callRaw(event, payload), event).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    }
    expect((await back.call('session:enter', { resumeToken })).ok).toBe(true);
  });

  it('with an invitation: one sample is at most 1 MB either way, and a connection moves at most 4 MB a minute', async () => {
    const f = await fixture();
    const socket = open({ invitationToken: f.fishermanToken });
    await connected(socket);
    expect(await socket.callRaw('net:download', { bytes: networkTestMaxBytes + 1 })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'bytes' } });
    expect(await socket.callRaw('net:upload', { payload: new Uint8Array(networkTestMaxBytes + 1) })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'payload' } });
    // Those two counted as 1 MB each (capped per call); two more full samples reach 4 MB.
    const down = await socket.call('net:download', { bytes: networkTestMaxBytes });
    expect(down.ok && (down.data.payload as Uint8Array).byteLength).toBe(networkTestMaxBytes);
    expect((await socket.call('net:upload', { payload: new Uint8Array(networkTestMaxBytes) })).ok).toBe(true);
    expect(await socket.call('net:download', { bytes: 1000 })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', message: expect.stringContaining('network test') } });
  });

  it('60 large downloads before entering, as found: at most 4 MB answered, the rest refused', async () => {
    const f = await fixture();
    const socket = open({ invitationToken: f.fishermanToken });
    await connected(socket);
    const answers = await Promise.all(Array.from({ length: 60 }, () => socket.callRaw('net:download', { bytes: networkTestMaxBytes })));
    const bytes = answers.filter((a) => a.ok).reduce((sum, a) => sum + (a.data.payload as Uint8Array).byteLength, 0);
    expect(bytes).toBeLessThanOrEqual(defaultSocketLimits.networkTestBytesPerMinute);
    expect(answers.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(56);
  });
});

describe('finding 7: cross-origin handshakes and invitation-token guessing over sockets', () => {
  const withOrigin = (origin: string, auth: Record<string, string>) =>
    io(world.baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false, auth, extraHeaders: { origin } }) as unknown as TestSocket;

  it('a page of another origin cannot open a socket; the public origin and the address itself can', async () => {
    const f = await fixture();
    const foreign = withOrigin('https://evil.example', { invitationToken: f.fishermanToken });
    sockets.push(foreign);
    await expect(connected(foreign)).rejects.toThrow();
    for (const origin of ['https://haiqiao.test', world.baseUrl]) {
      const own = withOrigin(origin, { invitationToken: f.fishermanToken });
      sockets.push(own);
      await connected(own);
    }
  });

  it('made-up invitation and resume tokens at the handshake get the address refused, even for a real token, until the block ends', async () => {
    const f = await fixture();
    // The earlier made-up resume token counted against this address too: start from a clean slate.
    await new Promise((resolve) => setTimeout(resolve, guessing.tokenBlockSeconds * 1000 + 200));
    const before = await worldState(world);
    const madeUp = () => randomBytes(32).toString('base64url');
    for (let i = 0; i < guessing.tokenFailuresPerAddress; i++) {
      const auth = i % 2 === 0 ? { invitationToken: madeUp() } : { resumeToken: madeUp() };
      await expect(connected(open(auth))).rejects.toMatchObject({ data: { code: i % 2 === 0 ? 'NOT_FOUND' : 'UNAUTHENTICATED' } });
    }
    await expect(connected(open({ invitationToken: madeUp() }))).rejects.toMatchObject({ data: { code: 'RATE_LIMITED' } });
    await expect(connected(open({ invitationToken: f.fishermanToken }))).rejects.toMatchObject({ data: { code: 'RATE_LIMITED' } });
    expect(await worldState(world)).toEqual(before);
    await new Promise((resolve) => setTimeout(resolve, guessing.tokenBlockSeconds * 1000 + 200));
    await connected(open({ invitationToken: f.fishermanToken }));
  });
});
