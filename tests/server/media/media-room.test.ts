import type { types } from 'mediasoup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerInfo, MediaRoom, type MediaRoomListener } from '../../../server/media/media-room';
import { WorkerPool } from '../../../server/media/worker-pool';

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

  it('tells its owner when the worker dies', async () => {
    let closedReason = '';
    const { listener } = recordingListener();
    const room = await MediaRoom.create(pool, { ...listener, closed: (reason) => (closedReason = reason) });
    const worker = pool.leastLoaded();
    process.kill(worker.pid, 'SIGKILL');
    await expect.poll(() => closedReason, { timeout: 5000 }).not.toBe('');
    expect(room.closed).toBe(true);
    await expect.poll(() => pool.status().alive, { timeout: 10_000 }).toBe(1);
  });
});
