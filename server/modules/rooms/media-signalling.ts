import type { types } from 'mediasoup';
import { type ClientRequest, downlinkCap } from '../../../shared/realtime.ts';
import { AppError, forbidden } from '../../errors.ts';
import { MediaRequestError, MediaRoom, type MediaRoomListener } from '../../media/media-room.ts';
import type { Interpretation } from './interpretation.ts';
import type { LiveRoom, RoomPeer } from './live-room.ts';
import type { RoomContext } from './room-context.ts';
import type { RoomRecording } from './room-recording.ts';
import type { Connection } from './room-types.ts';

/**
 * The mediasoup signalling of admitted peers: a room's router (made on first use, remade on a
 * live worker when its worker dies), transports, producers and consumers. Spaces, host mutes and
 * audio-only choices live on the peers and are applied again at every media:start.
 */
export class MediaSignalling {
  private readonly ctx: RoomContext;
  private readonly recording: RoomRecording;
  private readonly interpretation: Interpretation;

  constructor(ctx: RoomContext, recording: RoomRecording, interpretation: Interpretation) {
    this.ctx = ctx;
    this.recording = recording;
    this.interpretation = interpretation;
  }

  /** The room's codecs for the device, or null without media (a worker problem must not stop entering). */
  async routerCapabilities(room: LiveRoom): Promise<Record<string, unknown> | null> {
    if (!this.ctx.deps.pool) return null;
    try {
      return (await this.mediaOf(room)).rtpCapabilities as unknown as Record<string, unknown>;
    } catch (err) {
      if (this.#held(room)) this.ctx.deps.log.warn({ err, sessionId: room.sessionId }, 'no media router for this room');
      return null;
    }
  }

  async startMedia(conn: Connection, { rtpCapabilities }: ClientRequest<'media:start'>) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    // No worker (none came back after a death): a MEDIA_ERROR ack the client retries on.
    const media = await mediaCall(() => this.mediaOf(room));
    media.addPeer(peer.peerId, peer.space);
    if (peer.hostMuted.audio) await media.setHostMuted(peer.peerId, 'audio', true);
    if (peer.hostMuted.video) await media.setHostMuted(peer.peerId, 'video', true);
    if (peer.audioOnly) await media.setAudioOnly(peer.peerId, true);
    await applyDownlinkCap(room, peer, this.ctx.deps.log);
    const { send, recv } = await mediaCall(() => media.startPeer(peer.peerId));
    // The consumers go out before this ack: the client keeps them until its transports exist.
    if (rtpCapabilities) await mediaCall(() => media.setRtpCapabilities(peer.peerId, rtpCapabilities as unknown as types.RtpCapabilities));
    // TURN (if configured) only for someone admitted: the credential is valid for this peer alone.
    const iceServers = this.ctx.deps.turn?.iceServersFor(peer.peerId) ?? [];
    return { routerRtpCapabilities: media.rtpCapabilities as unknown as Record<string, unknown>, send: asRecord(send), recv: asRecord(recv), iceServers };
  }

  mediaReady(conn: Connection, { rtpCapabilities }: ClientRequest<'media:ready'>) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setRtpCapabilities(peer.peerId, rtpCapabilities as unknown as types.RtpCapabilities);
      return {};
    });
  }

  connectTransport(conn: Connection, { transportId, dtlsParameters }: ClientRequest<'media:connect'>) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.connectTransport(peer.peerId, transportId, dtlsParameters as unknown as types.DtlsParameters);
      return {};
    });
  }

  restartIce(conn: Connection, { transportId }: { transportId: string }) {
    return this.#withMedia(conn, async (media, peer) => ({ iceParameters: asRecord(await media.restartIce(peer.peerId, transportId)) }));
  }

  produce(conn: Connection, request: ClientRequest<'media:produce'>) {
    const { room } = this.ctx.registry.admittedOf(conn);
    return this.#withMedia(conn, async (media, peer) => {
      if (request.source === 'screen' && !peer.canShareScreen) throw forbidden('ask the mediator for permission to share your screen');
      this.interpretation.assertMayProduce(peer, request.source);
      // While recording is on, nothing is sent before the person confirmed the notice.
      this.recording.assertMayProduce(room, peer);
      const producerId = await media.produce(peer.peerId, request.transportId, request.kind, request.rtpParameters as unknown as types.RtpParameters, request.source);
      return { producerId };
    });
  }

  closeProducer(conn: Connection, { producerId }: { producerId: string }) {
    return this.#withMedia(conn, async (media, peer) => {
      media.closeProducer(peer.peerId, producerId);
      return {};
    });
  }

  pauseProducer(conn: Connection, { producerId, paused }: { producerId: string; paused: boolean }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setProducerPaused(peer.peerId, producerId, paused);
      return {};
    });
  }

  resumeConsumer(conn: Connection, { consumerId }: { consumerId: string }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.resumeConsumer(peer.peerId, consumerId);
      return {};
    });
  }

  pauseConsumer(conn: Connection, { consumerId, paused }: { consumerId: string; paused: boolean }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setConsumerPaused(peer.peerId, consumerId, paused);
      return {};
    });
  }

  consumerLayers(conn: Connection, { consumerId, spatialLayer }: { consumerId: string; spatialLayer: number }) {
    return this.#withMedia(conn, async (media, peer) => {
      await media.setConsumerLayer(peer.peerId, consumerId, spatialLayer);
      return {};
    });
  }

  async audioOnly(conn: Connection, { audioOnly }: { audioOnly: boolean }) {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    peer.audioOnly = audioOnly;
    if (room.media?.hasPeer(peer.peerId)) await mediaCall(() => room.media!.setAudioOnly(peer.peerId, audioOnly));
    await applyDownlinkCap(room, peer, this.ctx.deps.log);
    this.ctx.views.broadcast(room);
    return {};
  }

  async mediaOf(room: LiveRoom): Promise<MediaRoom> {
    if (room.media && !room.media.closed) return room.media;
    if (!this.ctx.deps.pool) throw new AppError('MEDIA_ERROR', 'media is disabled on this server');
    if (!this.#held(room)) throw roomGone();
    room.mediaStarting ??= MediaRoom.create(this.ctx.deps.pool, this.#listener(room)).finally(() => {
      room.mediaStarting = null;
    });
    const created = await room.mediaStarting;
    // Let go of while its router was being made (ended, moved to another node, shutdown, or the
    // rebuild after a worker death outlived it): nothing would ever close this router but us.
    if (!this.#held(room)) {
      created.close();
      throw roomGone();
    }
    if (room.media !== created) {
      room.media = created;
      // A recording that runs follows the new router (first media, restart, or a dead worker's replacement).
      await this.recording.resume(room).catch((err) => this.ctx.deps.log.error({ err, sessionId: room.sessionId }, 'could not resume recording'));
    }
    return room.media;
  }

  /** The room is still the one this node holds for its session, and not ended. */
  #held(room: LiveRoom): boolean {
    return !room.ended && this.ctx.registry.holds(room);
  }

  #listener(room: LiveRoom): MediaRoomListener {
    const { registry, views, deps } = this.ctx;
    const tell = (peerId: string, act: (peer: RoomPeer) => void) => {
      const peer = room.peers.get(peerId);
      if (peer) act(peer);
    };
    return {
      consumerCreated: (peerId, consumer) =>
        tell(peerId, (peer) => registry.tell(peer, 'media:consumer-new', { ...consumer, rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown> })),
      consumerClosed: (peerId, consumerId) => tell(peerId, (peer) => registry.tell(peer, 'media:consumer-closed', { consumerId })),
      consumerPaused: (peerId, consumerId, paused) => tell(peerId, (peer) => registry.tell(peer, 'media:consumer-paused', { consumerId, paused })),
      consumeFailed: (peerId, producerId, err) => deps.log.warn({ err, peerId, producerId }, 'could not create a consumer'),
      activeSpeaker: (peerId) => {
        room.activeSpeakerPeerId = peerId;
        views.broadcast(room);
      },
      closed: (reason, cause) => {
        if (room.media?.closed) room.media = null;
        if (cause === 'worker-died') this.recording.mediaLost(room);
        if (cause !== 'worker-died' || !registry.holds(room)) return;
        void this.#rebuild(room, reason);
      },
    };
  }

  /**
   * The room's worker died: a new router on a live worker (the replacement, if it was the only
   * one), then everyone admitted is told to make new transports there.
   */
  async #rebuild(room: LiveRoom, reason: string): Promise<void> {
    try {
      const media = await this.mediaOf(room);
      this.ctx.deps.log.warn({ sessionId: room.sessionId, workerPid: media.workerPid }, 'media room rebuilt after its worker died');
    } catch (err) {
      if (!this.#held(room)) return; // ended meanwhile: its router (if any was made) is closed
      // Clients still start over; their media:start retries until a worker is back.
      this.ctx.deps.log.error({ err, sessionId: room.sessionId }, 'could not rebuild a media room');
    }
    if (!this.ctx.registry.holds(room)) return;
    for (const peer of room.peers.values()) if (peer.state === 'admitted') this.ctx.registry.tell(peer, 'media:reset', { reason });
  }

  async #withMedia<T>(conn: Connection, act: (media: MediaRoom, peer: RoomPeer) => Promise<T>): Promise<T> {
    const { room, peer } = this.ctx.registry.admittedOf(conn);
    const media = room.media;
    if (!media || media.closed || !media.hasPeer(peer.peerId)) throw new AppError('MEDIA_ERROR', 'media not started: call media:start');
    return mediaCall(() => act(media, peer));
  }
}

const roomGone = () => new AppError('MEDIA_ERROR', 'this room is closed');

/**
 * What the SFU may send a person follows their receive level and audio only (`downlinkCap`). A
 * failure is logged, never the request's: what it served is done, and a receive transport made
 * later gets the cap anyway.
 */
export async function applyDownlinkCap(room: LiveRoom, peer: RoomPeer, log: RoomContext['deps']['log']): Promise<void> {
  if (!room.media?.hasPeer(peer.peerId)) return;
  await room.media
    .setDownlinkCap(peer.peerId, downlinkCap(peer.link?.recv ?? 'full', peer.audioOnly))
    .catch((err: unknown) => log.warn({ err, sessionId: room.sessionId, peerId: peer.peerId }, 'could not cap the downlink'));
}

/** mediasoup refusals become MEDIA_ERROR acks rather than crashes. */
export async function mediaCall<T>(act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof MediaRequestError) throw new AppError('MEDIA_ERROR', error.message);
    throw new AppError('MEDIA_ERROR', error instanceof Error ? error.message : 'media request failed');
  }
}

function asRecord<T extends object>(value: T): Record<string, unknown> & T {
  return value as Record<string, unknown> & T;
}
