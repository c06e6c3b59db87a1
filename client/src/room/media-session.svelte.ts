/**
 * The client twin of the server's MediaRoom: one mediasoup-client Device, a send and a receive
 * transport, this person's producers (microphone, camera, screen) and the consumers of everyone
 * else in their space. Weak links first: simulcast video with a 100 kbps bottom layer, Opus with
 * FEC and DTX at 24 kbps, ICE restart for short drops, a full restart after failures, a worker
 * replacement or a server restart.
 */
import { Device, type types } from 'mediasoup-client';
import type { ClientRequest, IceServer, MediaSource, ServerPayload, TransportParams } from '../../../shared/realtime.ts';
import { IceFallback } from './ice-fallback.ts';
import type { LocalMedia } from './local-media.svelte.ts';
import type { LinkLevel } from '../../../shared/realtime.ts';
import { mainCameraPeer, receivePlan } from './link-adaptation/receive-plan.ts';
import { layerForWidth } from './link-stats.ts';
import type { RoomCall } from './room-connection.svelte.ts';

export type MediaState = 'idle' | 'starting' | 'ready' | 'failed';

/** A remote track this person receives. */
export interface Feed {
  consumerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: MediaSource;
  track: MediaStreamTrack;
  /** The sender paused it (muted their microphone, or was muted by the mediator). */
  paused: boolean;
}

/** Three simulcast layers of a 720p capture: 320×180, 640×360 and 1280×720. */
export const cameraEncodings: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 100_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 2, maxBitrate: 300_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000, scalabilityMode: 'L1T3' },
];
/** Speech on poor links: forward error correction, silence suppression, 24 kbps. */
export const microphoneCodecOptions: types.ProducerCodecOptions = { opusFec: true, opusDtx: true, opusMaxAverageBitrate: 24_000 };

const iceRestartDelayMs = 2_000;

/** What the media session asks of the person's session. */
export interface MediaOwner {
  call: RoomCall;
  local: LocalMedia;
  /** Entered and in the room: media may (re)start. */
  inRoom(): boolean;
  /** The person's own choices and the mediator's mutes, as they are now. */
  wishes(): { audioOnly: boolean; cameraOff: boolean; micMuted: boolean; hostMutedAudio: boolean; serverAudioOnly: boolean };
  /** First time a transport connected, for the join-latency benchmark. */
  connected(direction: 'send' | 'recv'): void;
  /** A transport was replaced (link statistics start over). */
  transportsReplaced(): void;
  /** The screen share's track ended (the browser's own "stop sharing"). */
  screenEnded(): void;
  /** False while the session is recorded and the person has not confirmed the notice: nothing is sent. */
  mayProduce(): boolean;
}

export class MediaSession {
  feeds = $state.raw<Feed[]>([]);
  state = $state<MediaState>('idle');
  sendState = $state<types.ConnectionState | 'none'>('none');
  recvState = $state<types.ConnectionState | 'none'>('none');
  producing = $state({ microphone: false, camera: false, screen: false, interpretation: false });

  #device: Device | null = null;
  /** The room's codecs from session:enter: the device loads before media:start. */
  #routerCapabilities: types.RtpCapabilities | null = null;
  /** Consumers announced before the receive transport existed (they come before media:start's ack). */
  #earlyConsumers: ServerPayload<'media:consumer-new'>[] = [];
  #send: types.Transport | null = null;
  #recv: types.Transport | null = null;
  readonly #producers = new Map<MediaSource, types.Producer>();
  readonly #consumers = new Map<string, types.Consumer>();
  /** Consumers the server closed while we were still creating them. */
  readonly #closedEarly = new Set<string>();
  readonly #layers = new Map<string, number>();
  /** The layer each camera tile's width asks for, and the weak-link cap over all of them (null: none). */
  readonly #tileLayers = new Map<string, number>();
  #layerCap: number | null = null;
  /** Video consumers paused for this person's own weak downlink (the receive plan), not by their sender. */
  readonly #linkPaused = new Set<string>();
  /** How many videos the receive plan has paused, for the person's notice. */
  linkPausedCount = $state(0);
  readonly #layerTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #gen = 0;
  #run: Promise<void> = Promise.resolve();
  readonly #iceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Set when the path watch found the path gone: the next resume restarts ICE on both transports. */
  #pathLost = false;
  /** TURN servers from the last media:start and whether the next transports use them only. */
  #iceServers: IceServer[] = [];
  readonly #ice = new IceFallback();
  #retry: ReturnType<typeof setTimeout> | null = null;
  #cameraStarting: { send: types.Transport | null; done: Promise<void> } | null = null;

  private readonly owner: MediaOwner;

  constructor(owner: MediaOwner) {
    this.owner = owner;
  }

  get device(): Device | null {
    return this.#device;
  }

  get sendTransport(): types.Transport | null {
    return this.#send;
  }

  get recvTransport(): types.Transport | null {
    return this.#recv;
  }

  get consumers(): types.Consumer[] {
    return [...this.#consumers.values()];
  }

  get producers(): [MediaSource, types.Producer][] {
    return [...this.#producers.entries()];
  }

  producer(source: MediaSource): types.Producer | undefined {
    return this.#producers.get(source);
  }

  /** The room's codecs as session:enter gave them (null without media). */
  setRouterCapabilities(capabilities: Record<string, unknown> | null | undefined): void {
    if (capabilities) this.#routerCapabilities = capabilities as unknown as types.RtpCapabilities;
  }

  /**
   * Back in the room after a socket drop: when the media kept flowing, only catch up (producers
   * announced while we were away, ICE that dropped meanwhile); otherwise start over.
   */
  async resume(mediaStillActive: boolean, missedSomeone: boolean): Promise<void> {
    // Only when the last media start finished: one cut short by the drop (transports made, but
    // nothing produced yet) is started again in full.
    if (mediaStillActive && this.state === 'ready' && this.#transportsUsable() && !missedSomeone) {
      const device = this.#device;
      if (device?.loaded) await this.owner.call('media:ready', { rtpCapabilities: recvCapabilities(device) }).catch((e: unknown) => console.warn(e));
      // ICE that dropped while the socket was down could not be restarted then: do it now. After
      // a lost path (new address) the browser may not have noticed yet: restart it anyway.
      const pathLost = this.#pathLost;
      this.#pathLost = false;
      for (const transport of [this.#send, this.#recv]) {
        if (transport && (pathLost || transport.connectionState === 'disconnected')) void this.#restartIce(transport, this.#gen, pathLost);
      }
      return;
    }
    this.restart();
  }

  /** The path media took is gone (the socket is being opened again): restart ICE once back in. */
  pathLost(): void {
    this.#pathLost = true;
  }

  /** Queues a full media (re)start: new transports, produce again. Runs one at a time. */
  restart(): void {
    const gen = ++this.#gen;
    if (this.#retry) clearTimeout(this.#retry);
    this.#run = this.#run.then(() => this.#start(gen)).catch((error: unknown) => {
      if (gen !== this.#gen || !this.owner.inRoom()) return;
      console.warn('media start failed', error);
      this.state = 'failed';
      this.#retry = setTimeout(() => this.restart(), 5_000);
    });
  }

  /** Closes transports (and so producers and consumers) locally; the tracks stay ours. */
  close(): void {
    for (const timer of this.#iceTimers.values()) clearTimeout(timer);
    this.#iceTimers.clear();
    for (const timer of this.#layerTimers.values()) clearTimeout(timer);
    this.#layerTimers.clear();
    this.#send?.close();
    this.#recv?.close();
    this.#send = null;
    this.#recv = null;
    this.#producers.clear();
    this.#consumers.clear();
    this.#closedEarly.clear();
    this.#layers.clear();
    this.#linkPaused.clear();
    this.linkPausedCount = 0;
    this.#tileLayers.clear();
    this.producing = { microphone: false, camera: false, screen: false, interpretation: false };
    this.feeds = [];
    this.sendState = 'none';
    this.recvState = 'none';
    this.owner.transportsReplaced();
  }

  /** For good (the page or the session is gone). */
  dispose(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#gen++;
    this.close();
  }

  async #start(gen: number): Promise<void> {
    const current = () => gen === this.#gen && this.owner.inRoom();
    if (!current()) return;
    const { local, call } = this.owner;
    this.state = 'starting';
    this.close();
    // Devices first (on a reload there was no device check on this page).
    let wishes = this.owner.wishes();
    if (!local.audioTrack && local.audioStatus !== 'denied') await local.acquireAudio();
    if (!wishes.audioOnly && !wishes.cameraOff && !local.videoTrack && local.videoStatus !== 'denied') await local.acquireVideo();
    if (!current()) return;
    wishes = this.owner.wishes();
    if (wishes.audioOnly || wishes.serverAudioOnly) await call('media:audio-only', { audioOnly: wishes.audioOnly });
    // With the room's codecs known from session:enter, the device loads first and media:start
    // carries its capabilities: the consumers come with the transports, no media:ready after.
    let device: Device | null = null;
    if (this.#routerCapabilities) {
      device = new Device();
      await device.load({ routerRtpCapabilities: this.#routerCapabilities });
      if (!current()) return;
    }
    this.#earlyConsumers = [];
    const start = await call('media:start', device ? { rtpCapabilities: recvCapabilities(device) } : {});
    // After a worker death the room has a new router: its codecs load the next device.
    this.#routerCapabilities = start.routerRtpCapabilities as unknown as types.RtpCapabilities;
    if (!current()) return;
    const announced = device !== null;
    if (!device) {
      device = new Device();
      await device.load({ routerRtpCapabilities: start.routerRtpCapabilities as unknown as types.RtpCapabilities });
      if (!current()) return;
    }
    this.#device = device;
    const ice = this.#ice.options(start.iceServers);
    this.#iceServers = start.iceServers;
    this.#recv = device.createRecvTransport({ ...transportOptions(start.recv), ...ice });
    this.#wire(this.#recv, 'recv', gen);
    if (device.canProduce('audio') || device.canProduce('video')) {
      this.#send = device.createSendTransport({ ...transportOptions(start.send), ...ice });
      this.#wire(this.#send, 'send', gen);
    }
    const early = this.#earlyConsumers.splice(0);
    for (const params of early) void this.consumerNew(params);
    // Otherwise consumers follow media:ready as media:consumer-new events.
    if (!announced) await call('media:ready', { rtpCapabilities: recvCapabilities(device) });
    if (!current()) return;
    await this.produceWanted(current);
    if (current()) this.state = 'ready';
  }

  /** The microphone, and the camera unless the person chose otherwise (once they may send at all). */
  async produceWanted(current: () => boolean = () => true): Promise<void> {
    if (!this.owner.mayProduce()) return;
    await this.produceMicrophone();
    if (!current()) return;
    const wishes = this.owner.wishes();
    if (!wishes.audioOnly && !wishes.cameraOff) await this.produceCamera();
  }

  #wire(transport: types.Transport, direction: 'send' | 'recv', gen: number): void {
    const { call } = this.owner;
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      call('media:connect', { transportId: transport.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> }).then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as MediaSource;
        call('media:produce', { transportId: transport.id, kind, rtpParameters: rtpParameters as unknown as Record<string, unknown>, source }).then(
          ({ producerId }) => callback({ id: producerId }),
          errback,
        );
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (gen !== this.#gen) return;
      if (state === 'connected') this.owner.connected(direction);
      if (direction === 'send') this.sendState = state;
      else this.recvState = state;
      const timer = this.#iceTimers.get(transport.id);
      if (timer) clearTimeout(timer);
      this.#iceTimers.delete(transport.id);
      if (state === 'disconnected') {
        // A short blip often heals by itself; if not, new ICE credentials on the same transport.
        this.#iceTimers.set(transport.id, setTimeout(() => void this.#restartIce(transport, gen), iceRestartDelayMs));
      } else if (state === 'failed') {
        // Only a failure while signalling is up says something about the media path; one during
        // an outage must not push this client to relay-only for good.
        if (this.owner.inRoom()) {
          this.#ice.transportFailed(this.#iceServers);
          this.restart();
        }
      }
    });
  }

  async #restartIce(transport: types.Transport, gen: number, evenIfConnected = false): Promise<void> {
    if (gen !== this.#gen || transport.closed || !this.owner.inRoom()) return;
    if (transport.connectionState !== 'disconnected' && !(evenIfConnected && transport.connectionState === 'connected')) return;
    try {
      const { iceParameters } = await this.owner.call('media:restart-ice', { transportId: transport.id });
      if (gen !== this.#gen || transport.closed) return;
      await transport.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters });
    } catch (error) {
      console.warn('ICE restart failed', error);
      // Still down after another while: rebuild everything.
      this.#iceTimers.set(
        transport.id,
        setTimeout(() => {
          if (gen === this.#gen && !transport.closed && transport.connectionState !== 'connected' && this.owner.inRoom()) this.restart();
        }, 8_000),
      );
    }
  }

  #transportsUsable(): boolean {
    const ok = (t: types.Transport | null) => t !== null && !t.closed && t.connectionState !== 'failed' && t.connectionState !== 'closed';
    return ok(this.#recv) && (this.#send === null || ok(this.#send));
  }

  async produceMicrophone(): Promise<void> {
    const send = this.#send;
    const track = this.owner.local.audioTrack;
    if (!send || send.closed || !track || this.#producers.has('microphone') || !this.#device?.canProduce('audio') || !this.owner.mayProduce()) return;
    const producer = await send.produce({ track, codecOptions: microphoneCodecOptions, stopTracks: false, appData: { source: 'microphone' } });
    this.#keep('microphone', producer);
    const { micMuted, hostMutedAudio } = this.owner.wishes();
    if (micMuted || hostMutedAudio) {
      producer.pause();
      await this.owner.call('media:producer-pause', { producerId: producer.id, paused: true }).catch(() => undefined);
    }
  }

  /**
   * At most one camera producer, even when two controls ask at once. A start still running for
   * transports that have since been replaced (a media restart cut it short) does not count: the
   * camera is produced again on the new ones once it has settled.
   */
  produceCamera(): Promise<void> {
    const send = this.#send;
    const pending = this.#cameraStarting;
    if (pending && pending.send === send) return pending.done;
    const done: Promise<void> = (pending ? pending.done.catch(() => undefined) : Promise.resolve())
      .then(() => this.#produceCameraNow())
      .finally(() => {
        if (this.#cameraStarting?.done === done) this.#cameraStarting = null;
      });
    this.#cameraStarting = { send, done };
    return done;
  }

  async #produceCameraNow(): Promise<void> {
    const send = this.#send;
    const { local } = this.owner;
    if (!send || send.closed || this.#producers.has('camera') || !this.#device?.canProduce('video') || !this.owner.mayProduce()) return;
    // A camera refused before is asked for again only when the person presses the button.
    const track = local.videoTrack ?? (local.videoStatus === 'denied' ? null : await local.acquireVideo());
    const { audioOnly, cameraOff } = this.owner.wishes();
    if (!track || send.closed || audioOnly || cameraOff) return;
    const producer = await send.produce({
      track,
      encodings: cameraEncodings,
      codecOptions: { videoGoogleStartBitrate: 300 },
      stopTracks: false,
      appData: { source: 'camera' },
    });
    this.#keep('camera', producer);
  }

  /** Shares a screen track (null when there is no send transport or a share already). */
  async produceScreen(track: MediaStreamTrack): Promise<types.Producer | null> {
    const send = this.#send;
    if (!send || this.#producers.has('screen') || !this.owner.mayProduce()) return null;
    const producer = await send.produce({ track, encodings: [{ maxBitrate: 800_000 }], stopTracks: true, appData: { source: 'screen' } });
    this.#keep('screen', producer);
    return producer;
  }

  /**
   * An interpreter's channel: their microphone again (a clone, so it can be stopped apart), as an
   * audio producer of its own that the server lets only interpreters send (interpretation.svelte.ts).
   */
  async produceInterpretation(): Promise<void> {
    // One at a time: the panel's keep-alive and the toggle may both ask at once.
    this.#interpretationStarting ??= this.#produceInterpretation().finally(() => (this.#interpretationStarting = null));
    return this.#interpretationStarting;
  }

  #interpretationStarting: Promise<void> | null = null;

  async #produceInterpretation(): Promise<void> {
    const send = this.#send;
    const track = this.owner.local.audioTrack;
    if (!send || send.closed || !track || this.#producers.has('interpretation') || !this.owner.mayProduce()) return;
    // The floor microphone was just paused, which disables its track; a clone of it would start
    // the channel paused too (mediasoup-client reads a disabled track as paused).
    const clone = track.clone();
    clone.enabled = true;
    const producer = await send.produce({ track: clone, codecOptions: microphoneCodecOptions, stopTracks: true, appData: { source: 'interpretation' } });
    this.#keep('interpretation', producer);
  }

  canShareScreen(): boolean {
    return this.#send !== null && !this.#producers.has('screen');
  }

  #keep(source: MediaSource, producer: types.Producer): void {
    this.#producers.set(source, producer);
    this.producing = { ...this.producing, [source]: true };
    const forget = () => {
      if (this.#producers.get(source) === producer) {
        this.#producers.delete(source);
        this.producing = { ...this.producing, [source]: false };
      }
    };
    producer.on('transportclose', forget);
    producer.on('trackended', () => {
      if (source === 'screen') this.owner.screenEnded();
      else forget();
    });
    producer.observer.on('close', forget);
  }

  async closeProducer(source: MediaSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer) return;
    this.#producers.delete(source);
    this.producing = { ...this.producing, [source]: false };
    producer.close();
    await this.owner.call('media:producer-close', { producerId: producer.id }).catch(() => undefined);
  }

  async consumerNew(params: ServerPayload<'media:consumer-new'>): Promise<void> {
    const recv = this.#recv;
    const gen = this.#gen;
    const { call } = this.owner;
    if (!recv || recv.closed) {
      // Sent with media:start's answer, ahead of it: kept until the transport is made.
      if (this.state === 'starting') this.#earlyConsumers.push(params);
      return;
    }
    if (this.#consumers.has(params.consumerId)) {
      // Announced again (after a reconnection): just make sure it flows (unless paused for our own link).
      if (this.#linkPaused.has(params.consumerId)) return;
      await call('media:consumer-resume', { consumerId: params.consumerId }).catch(() => undefined);
      return;
    }
    try {
      // Resumed at once, alongside the first consume's transport connect (one round trip, not
      // two): nothing flows before DTLS is up, and the server asks for a keyframe only then.
      const consuming = recv.consume({
        id: params.consumerId,
        producerId: params.producerId,
        kind: params.kind,
        rtpParameters: params.rtpParameters as unknown as types.RtpParameters,
        appData: { peerId: params.peerId, source: params.source },
      });
      // Settles with the failure, if any (never rejects: some paths below do not wait for it).
      const resumed = call('media:consumer-resume', { consumerId: params.consumerId }).then(
        () => null,
        (error: unknown) => error,
      );
      const consumer = await consuming.catch(async (error: unknown) => {
        await resumed;
        // Cannot play it: stop the server sending it.
        await call('media:consumer-pause', { consumerId: params.consumerId, paused: true }).catch(() => undefined);
        throw error;
      });
      if (gen !== this.#gen || recv.closed || this.#closedEarly.delete(consumer.id)) {
        consumer.close();
        return;
      }
      this.#consumers.set(consumer.id, consumer);
      consumer.on('transportclose', () => this.dropConsumer(consumer.id, true));
      consumer.on('trackended', () => this.dropConsumer(consumer.id, true));
      const feed: Feed = { consumerId: consumer.id, peerId: params.peerId, kind: params.kind, source: params.source, track: consumer.track, paused: params.producerPaused };
      this.feeds = [...this.feeds.filter((f) => !(f.peerId === feed.peerId && f.source === feed.source)), feed];
      const resumeFailed = await resumed;
      if (resumeFailed) throw resumeFailed;
    } catch (error) {
      console.warn('could not consume', params.consumerId, error);
    }
  }

  consumerPaused(consumerId: string, paused: boolean): void {
    this.feeds = this.feeds.map((f) => (f.consumerId === consumerId ? { ...f, paused } : f));
  }

  dropConsumer(consumerId: string, local = false): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer && !local) this.#closedEarly.add(consumerId);
    this.#consumers.delete(consumerId);
    consumer?.close();
    this.#layers.delete(consumerId);
    this.#tileLayers.delete(consumerId);
    if (this.#linkPaused.delete(consumerId)) this.linkPausedCount = this.#linkPaused.size;
    if (this.feeds.some((f) => f.consumerId === consumerId)) this.feeds = this.feeds.filter((f) => f.consumerId !== consumerId);
  }

  /** Feeds of people no longer in our space (close events missed during a drop). */
  keepOnly(peerIds: Set<string>): void {
    for (const feed of this.feeds) if (!peerIds.has(feed.peerId)) this.dropConsumer(feed.consumerId, true);
  }

  /** A tile reports how wide it is drawn; small tiles receive a lower simulcast layer. */
  setTileWidth(consumerId: string, cssWidth: number): void {
    const consumer = this.#consumers.get(consumerId);
    if (consumer?.kind !== 'video' || consumer.appData.source !== 'camera' || cssWidth <= 0) return;
    this.#tileLayers.set(consumerId, layerForWidth(cssWidth));
    this.#wantLayer(consumerId);
  }

  /**
   * The weak-link controller's receive level (receive-plan.ts): every camera capped to its bottom
   * layer, then the cameras of all but the main person paused. Called every sample: only changes
   * reach the server.
   */
  receiveLevel(level: LinkLevel, spotlightPeerId: string | null, activeSpeakerPeerId: string | null): void {
    const videos = [...this.#consumers.values()]
      .filter((c) => c.kind === 'video')
      .map((c) => ({ consumerId: c.id, peerId: c.appData.peerId as string, source: c.appData.source as string }));
    const plan = receivePlan(level, videos, mainCameraPeer(videos, spotlightPeerId, activeSpeakerPeerId ? [activeSpeakerPeerId] : []));
    if (plan.layerCap !== this.#layerCap) {
      this.#layerCap = plan.layerCap;
      for (const v of videos) if (v.source === 'camera') this.#wantLayer(v.consumerId);
    }
    for (const { consumerId } of videos) {
      const pause = plan.paused.has(consumerId);
      if (pause === this.#linkPaused.has(consumerId)) continue;
      if (pause) this.#linkPaused.add(consumerId);
      else this.#linkPaused.delete(consumerId);
      // A failed request is tried again on the next sample.
      void this.owner.call('media:consumer-pause', { consumerId, paused: pause }).catch(() => {
        if (pause) this.#linkPaused.delete(consumerId);
        else if (this.#consumers.has(consumerId)) this.#linkPaused.add(consumerId);
        this.linkPausedCount = this.#linkPaused.size;
      });
    }
    if (this.linkPausedCount !== this.#linkPaused.size) this.linkPausedCount = this.#linkPaused.size;
  }

  #wantLayer(consumerId: string): void {
    const tile = this.#tileLayers.get(consumerId) ?? 2;
    const layer = this.#layerCap === null ? tile : Math.min(tile, this.#layerCap);
    if (this.#layers.get(consumerId) === layer) return;
    const pending = this.#layerTimers.get(consumerId);
    if (pending) clearTimeout(pending);
    this.#layerTimers.set(
      consumerId,
      setTimeout(() => {
        this.#layerTimers.delete(consumerId);
        if (!this.#consumers.has(consumerId)) return;
        this.#layers.set(consumerId, layer);
        void this.owner.call('media:consumer-layers', { consumerId, spatialLayer: layer }).catch(() => this.#layers.delete(consumerId));
      }, 400),
    );
  }
}

/** The device's receive capabilities in the contract's shape (mediasoup-client types codec parameters loosely). */
function recvCapabilities(device: Device): ClientRequest<'media:ready'>['rtpCapabilities'] {
  return device.recvRtpCapabilities as ClientRequest<'media:ready'>['rtpCapabilities'];
}

function transportOptions(params: TransportParams): types.TransportOptions {
  return {
    id: params.id,
    iceParameters: params.iceParameters as unknown as types.IceParameters,
    iceCandidates: params.iceCandidates as unknown as types.IceCandidate[],
    dtlsParameters: params.dtlsParameters as unknown as types.DtlsParameters,
  };
}
