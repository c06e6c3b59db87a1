// One session's media: a mediasoup router on the least-loaded worker, each peer's transports,
// producers and consumers, and the isolation of spaces (joint room, caucuses). mediasoup only:
// no database, no sockets. The owner learns what to tell clients through MediaRoomListener.
import type { types } from 'mediasoup';
import { type MediaTap, openTap } from './media-tap.ts';
import type { WorkerPool } from './worker-pool.ts';

/** `interpretation`: an interpreter's channel, audio apart from their own microphone. */
export type MediaSource = 'microphone' | 'camera' | 'screen' | 'interpretation';
export type MediaKind = 'audio' | 'video';

export interface ConsumerInfo {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: types.RtpParameters;
  producerPaused: boolean;
}

export interface TransportInfo {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
}

/** A plain RTP transport's local end: where its peer sends RTP (and RTCP, muxed). */
export interface PlainTransportInfo {
  id: string;
  ip: string;
  port: number;
}

/**
 * A peer that speaks plain RTP instead of WebRTC: a recorder, a SIP/PSTN gateway, a load
 * generator. RTCP is muxed on the RTP port; there is no ICE, DTLS or SRTP, so keep these
 * transports on a loopback or private address.
 */
export interface PlainPeerOptions {
  /** Open a transport the peer sends RTP to (comedia: its address is learnt from its first packet). */
  produce?: boolean;
  /** Forward what the peer's space produces to this address. */
  sendTo?: { ip: string; port: number };
  /** Codecs the receiving end accepts; defaults to the router's (the consumer's parameters say which were chosen). */
  rtpCapabilities?: types.RtpCapabilities;
  /** Local address of the plain transports; defaults to the room's listenIp, else 127.0.0.1. */
  listenIp?: string;
}

/** A producer as a recorder sees it: whose, in which space, what. */
export interface ProducerInfo {
  producerId: string;
  peerId: string;
  space: string;
  kind: MediaKind;
  source: MediaSource;
}

export interface MediaRoomListener {
  consumerCreated(peerId: string, consumer: ConsumerInfo): void;
  consumerClosed(peerId: string, consumerId: string): void;
  consumerPaused(peerId: string, consumerId: string, paused: boolean): void;
  activeSpeaker(peerId: string | null): void;
  /** A consumer could not be created (e.g. capabilities the router cannot serve); the others go on. */
  consumeFailed?(peerId: string, producerId: string, error: unknown): void;
  /**
   * The router is gone, every transport with it: its worker died ('worker-died': the owner
   * rebuilds the room on another worker), or close() or the pool closed it ('closed').
   */
  closed(reason: string, cause: 'worker-died' | 'closed'): void;
}

/** Raised for a request that names something the peer does not own or may not do. */
export class MediaRequestError extends Error {}

export const mediaCodecs: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 300 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 300 },
  },
];

interface ProducerEntry {
  producer: types.Producer;
  source: MediaSource;
}

/** A WebRTC peer's transports, or a plain RTP peer's (see startPlainPeer). */
type PeerTransport = types.WebRtcTransport | types.PlainTransport;

interface PeerMedia {
  id: string;
  space: string;
  rtpCapabilities: types.RtpCapabilities | undefined;
  /** The transport the peer sends on (its producers) and the one it receives on (its consumers). */
  send: PeerTransport | undefined;
  recv: PeerTransport | undefined;
  producers: Map<string, ProducerEntry>;
  consumers: Map<string, types.Consumer>;
  hostMuted: Record<MediaKind, boolean>;
  audioOnly: boolean;
  /** The most the SFU may send this peer, bit/s (null: no cap); kept for a receive transport made later. */
  downlinkCap: number | null;
  /** Consumers being made for this peer, as "receive transport id/producer id": two calls at once must not make two. */
  consuming: Set<string>;
}

export interface MediaRoomOptions {
  /** listenIp for WebRtcTransports when the pool has no WebRtcServer (tests). */
  listenIp?: string;
  announcedAddress?: string | undefined;
  /** Start low: fishermen at sea are on weak links; BWE ramps up if the link allows. */
  initialOutgoingBitrate?: number;
  maxIncomingBitrate?: number;
}

export class MediaRoom {
  readonly #worker: types.Worker;
  readonly #router: types.Router;
  readonly #webRtcServer: types.WebRtcServer | undefined;
  readonly #speakers: types.ActiveSpeakerObserver;
  readonly #listener: MediaRoomListener;
  readonly #options: MediaRoomOptions;
  readonly #peers = new Map<string, PeerMedia>();
  /** Told whenever the set of producers or their spaces changes (recorders follow it). */
  readonly #producerWatchers = new Set<() => void>();
  #closed = false;
  #closedByOwner = false;

  private constructor(
    worker: types.Worker,
    router: types.Router,
    webRtcServer: types.WebRtcServer | undefined,
    speakers: types.ActiveSpeakerObserver,
    listener: MediaRoomListener,
    options: MediaRoomOptions,
  ) {
    this.#worker = worker;
    this.#router = router;
    this.#webRtcServer = webRtcServer;
    this.#speakers = speakers;
    this.#listener = listener;
    this.#options = options;
    speakers.on('dominantspeaker', ({ producer }) => listener.activeSpeaker((producer.appData.peerId as string | undefined) ?? null));
    router.observer.once('close', () => this.#onRouterClosed());
  }

  /** A router on the least-loaded worker (waiting a little for one if a dead worker's replacement is starting). */
  static async create(pool: WorkerPool, listener: MediaRoomListener, options: MediaRoomOptions = {}): Promise<MediaRoom> {
    const worker = await pool.nextWorker();
    const router = await worker.createRouter({ mediaCodecs });
    try {
      const speakers = await router.createActiveSpeakerObserver({ interval: 500 });
      return new MediaRoom(worker, router, pool.webRtcServerOf(worker), speakers, listener, options);
    } catch (error) {
      router.close();
      throw error;
    }
  }

  /** The process id of the worker holding this room's router: for tests and diagnostics. */
  get workerPid(): number {
    return this.#worker.pid;
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#router.rtpCapabilities;
  }

  get closed(): boolean {
    return this.#closed;
  }

  hasPeer(peerId: string): boolean {
    return this.#peers.has(peerId);
  }

  addPeer(peerId: string, space: string): void {
    if (this.#peers.has(peerId)) return;
    this.#peers.set(peerId, {
      id: peerId,
      space,
      rtpCapabilities: undefined,
      send: undefined,
      recv: undefined,
      producers: new Map(),
      consumers: new Map(),
      hostMuted: { audio: false, video: false },
      audioOnly: false,
      downlinkCap: null,
      consuming: new Set(),
    });
  }

  /**
   * (Re)starts a peer's media: drops its old transports (and so its producers and consumers),
   * creates a send and a receive transport. Used on first join and after long outages.
   */
  async startPeer(peerId: string): Promise<{ send: TransportInfo; recv: TransportInfo }> {
    const peer = this.#peer(peerId);
    const { send, recv } = await this.#replaceTransports(peer, () => Promise.all([this.#createTransport(peer, 'send'), this.#createTransport(peer, 'recv')]));
    return { send: transportInfo(send), recv: transportInfo(recv) };
  }

  /**
   * (Re)starts a plain RTP peer (added with addPeer like any other): `produce` opens the
   * transport it sends to, for produce(); `sendTo` starts forwarding its space there at once.
   * Everything else is as for WebRTC peers: spaces, host mutes, audio only, consumers created
   * paused (consumerCreated tells the owner the SSRC and payload types; resumeConsumer starts them).
   */
  async startPlainPeer(peerId: string, options: PlainPeerOptions): Promise<{ send?: PlainTransportInfo; recv?: PlainTransportInfo }> {
    if (!options.produce && !options.sendTo) throw new MediaRequestError('a plain peer sends, receives or both');
    const peer = this.#peer(peerId);
    const listenIp = options.listenIp ?? this.#options.listenIp ?? '127.0.0.1';
    const create = async (direction: 'send' | 'recv') =>
      this.#router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: listenIp }, rtcpMux: true, comedia: direction === 'send', appData: { peerId, direction } });
    const { send, recv } = await this.#replaceTransports(peer, async () => {
      const created = await Promise.all([options.produce ? create('send') : undefined, options.sendTo ? create('recv') : undefined]);
      try {
        if (created[1] && options.sendTo) await created[1].connect({ ip: options.sendTo.ip, port: options.sendTo.port });
      } catch (error) {
        for (const t of created) t?.close();
        throw error;
      }
      return created;
    });
    if (recv) {
      peer.rtpCapabilities = options.rtpCapabilities ?? this.#router.rtpCapabilities;
      await this.#consumeSpace(peer);
    }
    return { ...(send && { send: plainTransportInfo(send) }), ...(recv && { recv: plainTransportInfo(recv) }) };
  }

  /** Closes the peer's transports, then installs new ones (closed again if the peer left meanwhile). */
  async #replaceTransports<S extends PeerTransport | undefined, R extends PeerTransport | undefined>(peer: PeerMedia, create: () => Promise<[S, R]>): Promise<{ send: S; recv: R }> {
    this.#closeTransports(peer);
    peer.rtpCapabilities = undefined;
    const [send, recv] = await create();
    if (this.#peers.get(peer.id) !== peer) {
      send?.close();
      recv?.close();
      throw new MediaRequestError('peer left while media was starting');
    }
    peer.send = send;
    peer.recv = recv;
    return { send, recv };
  }

  /** The peer's device is loaded: consume what its space produces (consumers start paused). */
  async setRtpCapabilities(peerId: string, rtpCapabilities: types.RtpCapabilities): Promise<void> {
    const peer = this.#peer(peerId);
    if (!peer.recv) throw new MediaRequestError('start media first');
    peer.rtpCapabilities = rtpCapabilities;
    await this.#consumeSpace(peer);
  }

  async #createTransport(peer: PeerMedia, direction: 'send' | 'recv'): Promise<types.WebRtcTransport> {
    const common = {
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: this.#options.initialOutgoingBitrate ?? 300_000,
      appData: { peerId: peer.id, direction },
    };
    const listenIp = this.#options.listenIp ?? '127.0.0.1';
    const transport = this.#webRtcServer
      ? await this.#router.createWebRtcTransport({ ...common, webRtcServer: this.#webRtcServer })
      : await this.#router.createWebRtcTransport({
          ...common,
          listenInfos: [
            { protocol: 'udp', ip: listenIp, ...(this.#options.announcedAddress ? { announcedAddress: this.#options.announcedAddress } : {}) },
            { protocol: 'tcp', ip: listenIp, ...(this.#options.announcedAddress ? { announcedAddress: this.#options.announcedAddress } : {}) },
          ],
        });
    if (direction === 'send') await transport.setMaxIncomingBitrate(this.#options.maxIncomingBitrate ?? 1_500_000);
    if (direction === 'recv' && peer.downlinkCap !== null) await transport.setMaxOutgoingBitrate(peer.downlinkCap);
    return transport;
  }

  async connectTransport(peerId: string, transportId: string, dtlsParameters: types.DtlsParameters): Promise<void> {
    await this.#webRtcTransport(this.#peer(peerId), transportId).connect({ dtlsParameters });
  }

  async restartIce(peerId: string, transportId: string): Promise<types.IceParameters> {
    return this.#webRtcTransport(this.#peer(peerId), transportId).restartIce();
  }

  async produce(peerId: string, transportId: string, kind: MediaKind, rtpParameters: types.RtpParameters, source: MediaSource): Promise<string> {
    const peer = this.#peer(peerId);
    if (peer.send?.id !== transportId) throw new MediaRequestError('not your send transport');
    if ((source === 'microphone' || source === 'interpretation') !== (kind === 'audio')) throw new MediaRequestError(`a ${source} does not produce ${kind}`);
    for (const entry of peer.producers.values()) {
      if (entry.source === source) throw new MediaRequestError(`already producing ${source}`);
    }
    const producer = await peer.send.produce({ kind, rtpParameters, appData: { peerId, source } });
    const entry = { producer, source };
    peer.producers.set(producer.id, entry);
    producer.observer.once('close', () => {
      peer.producers.delete(producer.id);
      this.#producersChanged();
    });
    this.#producersChanged();
    // A host mute applies to media produced later too.
    if (peer.hostMuted[kind]) await producer.pause();
    if (kind === 'audio') await this.#speakers.addProducer({ producerId: producer.id }).catch(() => {});
    for (const other of this.#peers.values()) {
      if (other.id !== peer.id && other.space === peer.space) await this.#consume(other, peer, entry);
    }
    return producer.id;
  }

  closeProducer(peerId: string, producerId: string): void {
    this.#producer(this.#peer(peerId), producerId).producer.close();
  }

  /** Closes whatever the peer produces from this source (e.g. a screen share no longer allowed). */
  closeSource(peerId: string, source: MediaSource): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    for (const entry of [...peer.producers.values()]) if (entry.source === source) entry.producer.close();
  }

  /** The peer's own mute; refused while the host holds that kind muted. */
  async setProducerPaused(peerId: string, producerId: string, paused: boolean): Promise<void> {
    const peer = this.#peer(peerId);
    const { producer } = this.#producer(peer, producerId);
    if (!paused && peer.hostMuted[producer.kind]) throw new MediaRequestError('the mediator has muted you');
    if (paused) await producer.pause();
    else await producer.resume();
  }

  /** Server-side mute: pauses the peer's producers of that kind and keeps them paused. */
  async setHostMuted(peerId: string, kind: MediaKind, muted: boolean): Promise<void> {
    const peer = this.#peer(peerId);
    peer.hostMuted[kind] = muted;
    if (!muted) return; // unmuting lets the peer resume; it does not turn their microphone on for them
    for (const { producer } of peer.producers.values()) {
      if (producer.kind === kind) await producer.pause();
    }
  }

  isHostMuted(peerId: string, kind: MediaKind): boolean {
    return this.#peers.get(peerId)?.hostMuted[kind] ?? false;
  }

  async resumeConsumer(peerId: string, consumerId: string): Promise<void> {
    await this.#consumer(this.#peer(peerId), consumerId).resume();
  }

  async setConsumerPaused(peerId: string, consumerId: string, paused: boolean): Promise<void> {
    const consumer = this.#consumer(this.#peer(peerId), consumerId);
    if (paused) await consumer.pause();
    else await consumer.resume();
  }

  async setConsumerLayer(peerId: string, consumerId: string, spatialLayer: number): Promise<void> {
    const consumer = this.#consumer(this.#peer(peerId), consumerId);
    if (consumer.type === 'simulcast') await consumer.setPreferredLayers({ spatialLayer });
  }

  /** Audio only: no video is forwarded to this peer (saves their downlink). */
  async setAudioOnly(peerId: string, audioOnly: boolean): Promise<void> {
    const peer = this.#peer(peerId);
    peer.audioOnly = audioOnly;
    if (audioOnly) {
      for (const consumer of [...peer.consumers.values()]) if (consumer.kind === 'video') consumer.close();
    } else {
      await this.#consumeSpace(peer);
    }
  }

  /** Caps what the SFU sends this peer (its bandwidth estimate, and so its probing bursts), bit/s; null lifts the cap. */
  async setDownlinkCap(peerId: string, bps: number | null): Promise<void> {
    const peer = this.#peer(peerId);
    if (peer.downlinkCap === bps) return;
    peer.downlinkCap = bps;
    const recv = peer.recv;
    // 0 lifts mediasoup's cap.
    if (recv && !recv.closed) await recv.setMaxOutgoingBitrate(bps ?? 0);
  }

  /**
   * What the SFU may and does send a peer (its receive transport's cap, estimate and probing),
   * bit/s; null before media starts or before anything is sent. `cap` is the cap set here:
   * mediasoup reports its own only once the transport is connected.
   */
  async downlinkStats(peerId: string): Promise<{ cap: number | null; maxOutgoingBitrate: number | null; availableOutgoingBitrate: number | null; probationBytesSent: number } | null> {
    const peer = this.#peer(peerId);
    const recv = peer.recv;
    if (!recv || recv.closed) return null;
    const [stats] = await recv.getStats();
    if (!stats) return null;
    return { cap: peer.downlinkCap, maxOutgoingBitrate: stats.maxOutgoingBitrate ?? null, availableOutgoingBitrate: stats.availableOutgoingBitrate ?? null, probationBytesSent: stats.probationBytesSent };
  }

  /** Which protocol each of a peer's WebRTC transports carries media over now (ICE's selected tuple): TCP hides loss as delay. */
  iceProtocols(peerId: string): { send: 'udp' | 'tcp' | null; recv: 'udp' | 'tcp' | null } {
    const peer = this.#peer(peerId);
    const protocol = (t: PeerTransport | undefined) => (t && !t.closed && 'iceSelectedTuple' in t ? (t.iceSelectedTuple?.protocol ?? null) : null);
    return { send: protocol(peer.send), recv: protocol(peer.recv) };
  }

  /** Moves a peer to another space; media across spaces is cut both ways, on the server. */
  async movePeer(peerId: string, space: string): Promise<void> {
    const peer = this.#peer(peerId);
    if (peer.space === space) return;
    peer.space = space;
    for (const consumer of [...peer.consumers.values()]) {
      const producerPeer = this.#peers.get(consumer.appData.producerPeerId as string);
      if (!producerPeer || producerPeer.space !== space) consumer.close();
    }
    for (const other of this.#peers.values()) {
      if (other.id === peer.id) continue;
      for (const consumer of [...other.consumers.values()]) {
        if (consumer.appData.producerPeerId === peer.id && other.space !== space) consumer.close();
      }
    }
    this.#producersChanged();
    await this.#consumeSpace(peer);
    for (const other of this.#peers.values()) {
      if (other.id === peer.id || other.space !== space) continue;
      for (const entry of peer.producers.values()) await this.#consume(other, peer, entry);
    }
  }

  /** Every producer of the room, with its peer's space. */
  allProducers(): ProducerInfo[] {
    return [...this.#peers.values()].flatMap((peer) =>
      [...peer.producers.values()].map(({ producer, source }) => ({ producerId: producer.id, peerId: peer.id, space: peer.space, kind: producer.kind, source })),
    );
  }

  /** Calls `watcher` after each change of producers or spaces; returns the unsubscribe function. */
  watchProducers(watcher: () => void): () => void {
    this.#producerWatchers.add(watcher);
    return () => this.#producerWatchers.delete(watcher);
  }

  /** A tap that will send one producer as plain RTP to a local receiver, paused until resumed (see media-tap.ts). */
  async openTap(producerId: string): Promise<MediaTap> {
    if (this.#closed) throw new MediaRequestError('the media room is closed');
    return openTap(this.#router, producerId);
  }

  #producersChanged(): void {
    for (const watcher of this.#producerWatchers) watcher();
  }

  spaceOf(peerId: string): string | undefined {
    return this.#peers.get(peerId)?.space;
  }

  /** Producers a peer receives right now: for tests and diagnostics. */
  consumedProducerPeers(peerId: string): string[] {
    const peer = this.#peers.get(peerId);
    return peer ? [...peer.consumers.values()].map((c) => c.appData.producerPeerId as string) : [];
  }

  /** A peer's producers and whether each is paused: for tests and diagnostics. */
  producersOf(peerId: string): { id: string; kind: MediaKind; source: MediaSource; paused: boolean; rtpParameters: types.RtpParameters }[] {
    const peer = this.#peers.get(peerId);
    return peer ? [...peer.producers.values()].map(({ producer, source }) => ({ id: producer.id, kind: producer.kind, source, paused: producer.paused, rtpParameters: producer.rtpParameters })) : [];
  }

  removePeer(peerId: string): void {
    const peer = this.#peers.get(peerId);
    if (!peer) return;
    this.#peers.delete(peerId);
    this.#closeTransports(peer);
    this.#producersChanged();
  }

  close(): void {
    if (this.#closed) return;
    this.#closedByOwner = true;
    this.#router.close();
  }

  async #consumeSpace(peer: PeerMedia): Promise<void> {
    for (const other of this.#peers.values()) {
      if (other.id === peer.id || other.space !== peer.space) continue;
      for (const entry of other.producers.values()) await this.#consume(peer, other, entry);
    }
  }

  /**
   * Creates a paused consumer for `peer` of `producerPeer`'s producer, if it may and can. A
   * failure concerns this one pair only: it must not fail the producer's own request.
   */
  async #consume(peer: PeerMedia, producerPeer: PeerMedia, entry: ProducerEntry): Promise<void> {
    try {
      await this.#consumeOrThrow(peer, producerPeer, entry);
    } catch (error) {
      this.#listener.consumeFailed?.(peer.id, entry.producer.id, error);
    }
  }

  async #consumeOrThrow(peer: PeerMedia, producerPeer: PeerMedia, entry: ProducerEntry): Promise<void> {
    const { producer, source } = entry;
    if (!peer.recv || !peer.rtpCapabilities || producer.closed) return;
    if (peer.space !== producerPeer.space) return;
    if (peer.audioOnly && producer.kind === 'video') return;
    for (const existing of peer.consumers.values()) if (existing.producerId === producer.id) return;
    // A second call while the first awaits the worker (media:ready twice, or with a new producer's
    // fan-out) would pass the check above too: one peer got two consumers of one microphone.
    const pending = `${peer.recv.id}/${producer.id}`;
    if (peer.consuming.has(pending)) return;
    if (!this.#router.canConsume({ producerId: producer.id, rtpCapabilities: peer.rtpCapabilities })) return;
    peer.consuming.add(pending);
    let consumer: types.Consumer;
    try {
      consumer = await peer.recv.consume({
        producerId: producer.id,
        rtpCapabilities: peer.rtpCapabilities,
        paused: true, // resumed when the client says it is ready, so no keyframe is lost
        appData: { producerPeerId: producerPeer.id },
        ...(producer.kind === 'video' && source === 'camera' ? { preferredLayers: { spatialLayer: 2 } } : {}),
      });
    } finally {
      peer.consuming.delete(pending);
    }
    peer.consumers.set(consumer.id, consumer);
    const notifyClosed = () => {
      if (peer.consumers.delete(consumer.id) && this.#peers.get(peer.id) === peer) this.#listener.consumerClosed(peer.id, consumer.id);
    };
    consumer.on('transportclose', notifyClosed);
    consumer.on('producerclose', notifyClosed);
    consumer.observer.once('close', notifyClosed);
    consumer.on('producerpause', () => this.#listener.consumerPaused(peer.id, consumer.id, true));
    consumer.on('producerresume', () => this.#listener.consumerPaused(peer.id, consumer.id, false));
    this.#listener.consumerCreated(peer.id, {
      consumerId: consumer.id,
      producerId: producer.id,
      peerId: producerPeer.id,
      kind: consumer.kind,
      source,
      rtpParameters: consumer.rtpParameters,
      producerPaused: consumer.producerPaused,
    });
  }

  #closeTransports(peer: PeerMedia): void {
    peer.send?.close();
    peer.recv?.close();
    peer.send = undefined;
    peer.recv = undefined;
    peer.producers.clear();
    peer.consumers.clear();
  }

  #onRouterClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#peers.clear();
    const died = !this.#closedByOwner && this.#worker.died;
    this.#listener.closed(died ? 'media worker died' : 'media router closed', died ? 'worker-died' : 'closed');
  }

  #peer(peerId: string): PeerMedia {
    const peer = this.#peers.get(peerId);
    if (!peer) throw new MediaRequestError('not in this room');
    return peer;
  }

  #webRtcTransport(peer: PeerMedia, transportId: string): types.WebRtcTransport {
    const transport = peer.send?.id === transportId ? peer.send : peer.recv?.id === transportId ? peer.recv : undefined;
    if (!transport) throw new MediaRequestError('not your transport');
    if (transport.type !== 'webrtc') throw new MediaRequestError('not a WebRTC transport');
    return transport;
  }

  #producer(peer: PeerMedia, producerId: string): ProducerEntry {
    const entry = peer.producers.get(producerId);
    if (!entry) throw new MediaRequestError('not your producer');
    return entry;
  }

  #consumer(peer: PeerMedia, consumerId: string): types.Consumer {
    const consumer = peer.consumers.get(consumerId);
    if (!consumer) throw new MediaRequestError('not your consumer');
    return consumer;
  }
}

function transportInfo(t: types.WebRtcTransport): TransportInfo {
  return { id: t.id, iceParameters: t.iceParameters, iceCandidates: t.iceCandidates, dtlsParameters: t.dtlsParameters };
}

function plainTransportInfo(t: types.PlainTransport): PlainTransportInfo {
  return { id: t.id, ip: t.tuple.localAddress, port: t.tuple.localPort };
}
