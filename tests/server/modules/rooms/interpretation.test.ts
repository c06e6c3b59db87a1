/**
 * The interpreter channel's media, with a real mediasoup worker: only an interpreter may produce
 * `interpretation` (audio, one channel, apart from their microphone); the channel is forwarded
 * inside the interpreter's space only: a caucus's interpretation never reaches the joint room,
 * whatever a listener there chose. (Stored choices: interpretation-choices.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerPayload } from '../../../../shared/realtime.ts';
import { WorkerPool } from '../../../../server/media/worker-pool.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { createTestWorld, sampleResidentId, type TestWorld } from '../../../helpers/test-app.ts';
import { roomFixtureWithInterpreter } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
let pool: WorkerPool;
const sockets: TestSocket[] = [];
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };
const opus = (ssrc: number) => ({ codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000, channels: 2 }], encodings: [{ ssrc }] });

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

interface InRoom {
  socket: TestSocket;
  peerId: string;
  resumeToken: string;
  /** Consumers announced to this person (source and whose), minus those closed since. */
  consumers: Map<string, ServerPayload<'media:consumer-new'>>;
  sendTransportId: string;
}

function trackConsumers(socket: TestSocket) {
  const consumers = new Map<string, ServerPayload<'media:consumer-new'>>();
  socket.on('media:consumer-new', (c: ServerPayload<'media:consumer-new'>) => consumers.set(c.consumerId, c));
  socket.on('media:consumer-closed', ({ consumerId }: { consumerId: string }) => consumers.delete(consumerId));
  return consumers;
}

/** Media started with the router's own capabilities (as a loaded device would send). */
async function startMedia(socket: TestSocket, capabilities: unknown) {
  const started = await socket.call('media:start', { rtpCapabilities: capabilities as never });
  if (!started.ok) throw new Error(started.error.message);
  return started.data.send.id;
}

async function hostIn(sessionId: string): Promise<InRoom> {
  const socket = open({ cookie: world.cookies.mediator });
  await connected(socket);
  const consumers = trackConsumers(socket);
  const entered = await socket.call('session:enter', { sessionId: sessionId as never });
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken, consumers, sendTransportId: await startMedia(socket, entered.data.routerRtpCapabilities) };
}

async function admitted(token: string, host: TestSocket, identity?: { name: string; last4: string }): Promise<InRoom> {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const consumers = trackConsumers(socket);
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
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken, consumers, sendTransportId: await startMedia(socket, entered.data.routerRtpCapabilities) };
}

const fixtureWithInterpreter = () => roomFixtureWithInterpreter(world);

const interpretationFrom = (who: InRoom, interpreterPeerId: string) => [...who.consumers.values()].filter((c) => c.peerId === interpreterPeerId && c.source === 'interpretation');
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true });
}, 120_000);
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

describe('interpreter channel', () => {
  it('only the interpreter may produce the interpretation channel, apart from their own microphone', async () => {
    const f = await fixtureWithInterpreter();
    const host = await hostIn(f.sessionId);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    const interpreter = await admitted(f.interpreterToken, host.socket);
    const produce = (who: InRoom, source: 'microphone' | 'interpretation', ssrc: number, kind: 'audio' | 'video' = 'audio') =>
      who.socket.call('media:produce', { transportId: who.sendTransportId, kind, source, rtpParameters: opus(ssrc) });

    expect(await produce(fisherman, 'interpretation', 1001)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await produce(host, 'interpretation', 1002)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await produce(interpreter, 'interpretation', 1003, 'video')).toMatchObject({ ok: false, error: { code: 'MEDIA_ERROR' } });
    expect((await produce(interpreter, 'interpretation', 1004)).ok).toBe(true);
    expect((await produce(interpreter, 'microphone', 1005)).ok).toBe(true);
    expect(await produce(interpreter, 'interpretation', 1006)).toMatchObject({ ok: false, error: { code: 'MEDIA_ERROR' } }); // one channel each
    const media = world.app.rooms.roomOf(f.sessionId)!.media!;
    expect(media.producersOf(fisherman.peerId)).toEqual([]);
    expect(media.producersOf(interpreter.peerId).map((p) => p.source).sort()).toEqual(['interpretation', 'microphone']);
    await settle();
    // Everyone in the room receives the channel as its own consumer, marked as interpretation.
    expect(interpretationFrom(fisherman, interpreter.peerId)).toHaveLength(1);
    expect(interpretationFrom(host, interpreter.peerId)).toHaveLength(1);

  }, 60_000);


  it('the channel follows caucus membership: nobody outside the caucus receives the interpretation made in it', async () => {
    const f = await fixtureWithInterpreter();
    const host = await hostIn(f.sessionId);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    const owner = await admitted(f.ownerToken, host.socket);
    const interpreter = await admitted(f.interpreterToken, host.socket);
    // The owner's side wants the interpretation of the fisherman: that must not open the caucus to them.
    expect((await owner.socket.call('interpretation:listen', { speakerPeerId: fisherman.peerId, mode: 'interpretation' })).ok).toBe(true);
    expect((await interpreter.socket.call('media:produce', { transportId: interpreter.sendTransportId, kind: 'audio', source: 'interpretation', rtpParameters: opus(2001) })).ok).toBe(true);
    await settle();
    expect(interpretationFrom(owner, interpreter.peerId)).toHaveLength(1);

    const opened = await host.socket.call('host:caucus-open', { name: '渔民方' });
    if (!opened.ok) throw new Error(opened.error.message);
    const caucusId = opened.data.id;
    expect((await host.socket.call('host:move', { peerId: fisherman.peerId, space: caucusId })).ok).toBe(true);
    expect((await host.socket.call('host:move', { peerId: interpreter.peerId, space: caucusId })).ok).toBe(true);
    await settle();
    const media = world.app.rooms.roomOf(f.sessionId)!.media!;
    // In the caucus: the fisherman receives it. In the joint room: neither the owner nor the host, on the server.
    expect(interpretationFrom(fisherman, interpreter.peerId)).toHaveLength(1);
    expect(interpretationFrom(owner, interpreter.peerId)).toHaveLength(0);
    expect(interpretationFrom(host, interpreter.peerId)).toHaveLength(0);
    expect(media.consumedProducerPeers(owner.peerId)).not.toContain(interpreter.peerId);
    expect(media.consumedProducerPeers(host.peerId)).not.toContain(interpreter.peerId);
    // A new channel made in the caucus (after a restart of the interpreter's media) stays there too.
    const restarted = await interpreter.socket.call('media:start', {});
    if (!restarted.ok) throw new Error(restarted.error.message);
    expect((await interpreter.socket.call('media:produce', { transportId: restarted.data.send.id, kind: 'audio', source: 'interpretation', rtpParameters: opus(2002) })).ok).toBe(true);
    await settle();
    expect(interpretationFrom(owner, interpreter.peerId)).toHaveLength(0);
    expect(media.consumedProducerPeers(owner.peerId)).not.toContain(interpreter.peerId);
    expect(media.consumedProducerPeers(fisherman.peerId)).toContain(interpreter.peerId);

    // The caucus closes: the interpreter is back in the joint room, and so is the channel.
    expect((await host.socket.call('host:caucus-close', { caucusId })).ok).toBe(true);
    await settle();
    expect(interpretationFrom(owner, interpreter.peerId)).toHaveLength(1);
    expect(media.consumedProducerPeers(owner.peerId)).toContain(interpreter.peerId);
  }, 60_000);

});
