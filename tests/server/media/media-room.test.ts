import { createSocket } from 'node:dgram';
import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerInfo, MediaRoom, type MediaRoomListener } from '../../../server/media/media-room.ts';
import { WorkerPool } from '../../../server/media/worker-pool.ts';

let pool: WorkerPool;
beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
});
afterAll(() => pool?.close());

function recordingListener() {
  const created: { peerId: string; consumer: ConsumerInfo }[] = [];
  const closed: { peerId: string; consumerId: string }[] = [];
  const listener: MediaRoomListener = {
    consumerCreated: (peerId, consumer) => created.push({ peerId, consumer }),
    consumerClosed: (peerId, consumerId) => closed.push({ peerId, consumerId }),
    consumerPaused: () => {},
    activeSpeaker: () => {},
    closed: () => {},
  };
  return { listener, created, closed };
}

const opusParameters = (ssrc: number): types.RtpParameters => ({
  mid: '0',
  codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }],
  headerExtensions: [],
  encodings: [{ ssrc }],
  rtcp: { cname: `peer-${ssrc}`, reducedSize: true },
});

async function joinPeer(room: MediaRoom, peerId: string, space = 'joint') {
  room.addPeer(peerId, space);
  const { send } = await room.startPeer(peerId);
  await room.setRtpCapabilities(peerId, room.rtpCapabilities);
  return send.id;
}

describe('MediaRoom on a real mediasoup worker', () => {
  it('consumers are created paused, only within a space, and caucus moves cut media both ways', async () => {
    const { listener, created } = recordingListener();
    const room = await MediaRoom.create(pool, listener);
    const sends = {
      mediator: await joinPeer(room, 'mediator'),
      fisherman: await joinPeer(room, 'fisherman'),
      owner: await joinPeer(room, 'owner'),
    };
    let ssrc = 1000;
    for (const [peerId, transportId] of Object.entries(sends)) {
      await room.produce(peerId, transportId, 'audio', opusParameters(ssrc++), 'microphone');
    }
    expect(room.consumedProducerPeers('fisherman').sort()).toEqual(['mediator', 'owner']);
    expect(created.every((c) => c.consumer.kind === 'audio')).toBe(true);

    // Caucus A: the mediator visits the fisherman; the ship owner stays in the joint room.
    await room.movePeer('fisherman', 'caucus-a');
    await room.movePeer('mediator', 'caucus-a');
    expect(room.consumedProducerPeers('fisherman')).toEqual(['mediator']);
    expect(room.consumedProducerPeers('mediator')).toEqual(['fisherman']);
    expect(room.consumedProducerPeers('owner')).toEqual([]);

    // Caucus B for the owner: nothing crosses between A and B.
    await room.movePeer('owner', 'caucus-b');
    expect(room.consumedProducerPeers('owner')).toEqual([]);
    expect(room.consumedProducerPeers('fisherman')).toEqual(['mediator']);

    // Back to the joint room: everyone hears everyone again.
    for (const peer of ['fisherman', 'mediator', 'owner']) await room.movePeer(peer, 'joint');
    expect(room.consumedProducerPeers('owner').sort()).toEqual(['fisherman', 'mediator']);
    room.close();
  });

  it('two calls at once (media:ready sent twice) make one consumer of each producer, not two', async () => {
    const { listener, created } = recordingListener();
    const room = await MediaRoom.create(pool, listener);
    const send = await joinPeer(room, 'fisherman');
    await room.produce('fisherman', send, 'audio', opusParameters(5000), 'microphone');
    room.addPeer('owner', 'joint');
    await room.startPeer('owner');
    await Promise.all([room.setRtpCapabilities('owner', room.rtpCapabilities), room.setRtpCapabilities('owner', room.rtpCapabilities)]);
    expect(created.filter((c) => c.peerId === 'owner').map((c) => c.consumer.peerId)).toEqual(['fisherman']);
    expect(room.consumedProducerPeers('owner')).toEqual(['fisherman']);
    room.close();
  });

  it('a host mute pauses the producer and refuses the peer’s own unmute', async () => {
    const paused: boolean[] = [];
    const { listener } = recordingListener();
    const room = await MediaRoom.create(pool, { ...listener, consumerPaused: (_peer, _consumer, p) => paused.push(p) });
    const send = await joinPeer(room, 'fisherman');
    await joinPeer(room, 'mediator');
    const producerId = await room.produce('fisherman', send, 'audio', opusParameters(2000), 'microphone');
    await room.setHostMuted('fisherman', 'audio', true);
    await expect(room.setProducerPaused('fisherman', producerId, false)).rejects.toThrow(/muted/);
    await expect.poll(() => paused).toEqual([true]);
    await room.setHostMuted('fisherman', 'audio', false);
    await room.setProducerPaused('fisherman', producerId, false);
    await expect.poll(() => paused).toEqual([true, false]);
    room.close();
  });

  it('refuses requests on transports and producers the peer does not own', async () => {
    const { listener } = recordingListener();
    const room = await MediaRoom.create(pool, listener);
    const mine = await joinPeer(room, 'a');
    const theirs = await joinPeer(room, 'b');
    await expect(room.produce('a', theirs, 'audio', opusParameters(3000), 'microphone')).rejects.toThrow(/send transport/);
    await expect(room.produce('a', mine, 'audio', opusParameters(3001), 'camera')).rejects.toThrow(/does not produce/);
    const producerId = await room.produce('b', theirs, 'audio', opusParameters(3002), 'microphone');
    expect(() => room.closeProducer('a', producerId)).toThrow(/not your producer/);
    room.close();
  });

  it('forwards RTP from one plain peer to another in its space, and not across spaces', async () => {
    const { listener, created } = recordingListener();
    const room = await MediaRoom.create(pool, listener);
    const sink = createSocket('udp4');
    const source = createSocket('udp4');
    const received: number[] = []; // SSRCs of the RTP packets reaching the recorder
    sink.on('message', (packet) => {
      const payloadType = packet[1]! & 0x7f;
      if (payloadType < 64 || payloadType > 95) received.push(packet.readUInt32BE(8)); // RTCP is 64–95 with the marker bit masked
    });
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => source.bind(0, '127.0.0.1', resolve));
    let seq = 0;
    /** Sends 20 ms Opus packets (the payload is never decoded) until `until()` or `max` packets. */
    const sendOpus = async (max: number, until: () => boolean = () => false) => {
      for (let i = 0; i < max && !until(); i++, seq++) {
        const packet = Buffer.alloc(12 + 40);
        packet[0] = 0x80;
        packet[1] = 111;
        packet.writeUInt16BE(seq & 0xffff, 2);
        packet.writeUInt32BE(seq * 960, 4);
        packet.writeUInt32BE(4000, 8);
        await new Promise<void>((resolve, reject) => source.send(packet, send!.port, send!.ip, (error) => (error ? reject(error) : resolve())));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    room.addPeer('gateway', 'joint');
    room.addPeer('recorder', 'joint');
    const { send } = await room.startPlainPeer('gateway', { produce: true });
    try {
      await room.startPlainPeer('recorder', { sendTo: { ip: '127.0.0.1', port: sink.address().port } });
      await room.produce('gateway', send!.id, 'audio', opusParameters(4000), 'microphone');
      expect(created.map((c) => c.peerId)).toEqual(['recorder']);
      await expect(room.connectTransport('gateway', send!.id, { fingerprints: [] } as never)).rejects.toThrow(/not a WebRTC transport/);
      const forwarded = () => received.filter((ssrc) => ssrc === created[0]!.consumer.rtpParameters.encodings![0]!.ssrc).length;

      await sendOpus(10); // the consumer starts paused: nothing goes out yet
      expect(forwarded()).toBe(0);
      await room.resumeConsumer('recorder', created[0]!.consumer.consumerId);
      await sendOpus(100, () => forwarded() >= 20);
      expect(forwarded()).toBeGreaterThanOrEqual(20);

      // Moved to a caucus, the recorder receives nothing more from the joint room.
      await room.movePeer('recorder', 'caucus-a');
      expect(room.consumedProducerPeers('recorder')).toEqual([]);
      received.length = 0;
      await sendOpus(10);
      await new Promise((r) => setTimeout(r, 100));
      expect(forwarded()).toBe(0);
    } finally {
      room.close();
      sink.close();
      source.close();
    }
  });

  it('closes a peer’s screen share on request, and only that', async () => {
    const { listener, closed } = recordingListener();
    const room = await MediaRoom.create(pool, listener);
    const send = await joinPeer(room, 'fisherman');
    await joinPeer(room, 'mediator');
    await room.produce('fisherman', send, 'audio', opusParameters(5000), 'microphone');
    const vp8 = { mid: '1', codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }], headerExtensions: [], encodings: [{ ssrc: 5001 }], rtcp: { cname: 'screen', reducedSize: true } };
    await room.produce('fisherman', send, 'video', vp8, 'screen');
    expect(room.producersOf('fisherman').map((p) => p.source).sort()).toEqual(['microphone', 'screen']);
    room.closeSource('fisherman', 'screen');
    expect(room.producersOf('fisherman').map((p) => p.source)).toEqual(['microphone']);
    // The mediator's consumer of the screen is closed (and told); the microphone's stays.
    await expect.poll(() => closed.filter((c) => c.peerId === 'mediator').length).toBe(1);
    expect(room.consumedProducerPeers('mediator')).toEqual(['fisherman']);
    room.close();
  });

  it('tells its owner whether it was closed or its worker died', async () => {
    const closes: string[] = [];
    const { listener } = recordingListener();
    const closedByOwner = await MediaRoom.create(pool, { ...listener, closed: (_reason, cause) => closes.push(cause) });
    closedByOwner.close();
    expect(closes).toEqual(['closed']);

    let closedReason = '';
    const room = await MediaRoom.create(pool, {
      ...listener,
      closed: (reason, cause) => {
        closedReason = reason;
        closes.push(cause);
      },
    });
    const pid = room.workerPid;
    expect(pool.workers.map((w) => w.pid)).toContain(pid);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => closedReason, { timeout: 5000 }).not.toBe('');
    expect(closes).toEqual(['closed', 'worker-died']);
    expect(room.closed).toBe(true);
    // A room created right away waits for the replacement worker instead of failing.
    const rebuilt = await MediaRoom.create(pool, listener);
    expect(rebuilt.workerPid).not.toBe(pid);
    expect(pool.status().alive).toBe(1);
    rebuilt.close();
  });
});
