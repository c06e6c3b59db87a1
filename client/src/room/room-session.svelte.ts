/**
 * One person's live mediation session: the socket, where they are in the flow (device check →
 * identity → lobby → room), the room snapshot, chat, and the media (a mediasoup-client Device,
 * a send and a receive transport, producers and consumers). Views only read the reactive fields
 * and call the methods.
 *
 * Weak links first: simulcast video with a 100 kbps bottom layer, Opus with FEC and DTX at
 * 24 kbps, audio only on request or automatically when the link cannot carry video, ICE restart
 * for short drops, a full media restart after failures or a server restart, and a resume token
 * so that a reload does not repeat the device check or the lobby.
 */
import { Device, type types } from 'mediasoup-client';
import type { ClientAck, ClientEventName, ClientRequest, ChatMessage, EnterResult, IceServer, MediaSource, PeerView, RoomState, ServerPayload, TransportParams } from '../../../shared/realtime';
import type { AttendanceState } from '../../../shared/domain/attendance';
import { ApiError } from '../lib/http';
import type { MessageKey } from '../lib/i18n.svelte';
import { Realtime } from '../lib/realtime';
import { IceFallback } from './ice-fallback';
import { LocalMedia } from './local-media.svelte';
import { countersOf, isWeak, layerForWidth, sampleOf, type Counters, type LinkSample } from './link-stats';
import { clearResumeToken, loadResumeToken, saveResumeToken, type RoomMode } from './resume';

export type { RoomMode } from './resume';

export type Phase = 'connecting' | 'device-check' | 'identity' | 'lobby' | 'room' | 'ended';
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'ended';
export type MediaState = 'idle' | 'starting' | 'ready' | 'failed';
export type EndReason = 'left' | 'refused' | 'removed' | 'session-ended' | 'replaced' | 'revoked' | 'expired' | 'denied';
export type AudioOnlyReason = 'user' | 'network' | 'device-check';

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

export interface Notice {
  id: number;
  key: MessageKey;
  params?: Record<string, string | number>;
  tone: 'info' | 'warn' | 'error';
  /** Offered next to the notice. */
  action?: 'video-back';
}

export type IdentityInput = ClientRequest<'identity:confirm'>;

/** Three simulcast layers of a 720p capture: 320×180, 640×360 and 1280×720. */
export const cameraEncodings: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 100_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 2, maxBitrate: 300_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000, scalabilityMode: 'L1T3' },
];
/** Speech on poor links: forward error correction, silence suppression, 24 kbps. */
export const microphoneCodecOptions: types.ProducerCodecOptions = { opusFec: true, opusDtx: true, opusMaxAverageBitrate: 24_000 };

const statsIntervalMs = 2_500;
/** Bad samples in a row (≈10 s) before dropping to audio only. */
const weakSamplesToDrop = 4;
/** After the person brings video back by hand, do not drop it again for this long. */
const manualVideoGraceMs = 120_000;
const iceRestartDelayMs = 2_000;

type HostEvent = Extract<ClientEventName, `host:${string}`>;

export class RoomSession {
  readonly mode: RoomMode;
  readonly local = new LocalMedia();

  phase = $state<Phase>('connecting');
  connection = $state<ConnectionState>('connecting');
  /** What `session:enter` said about this person. */
  entry = $state.raw<EnterResult | null>(null);
  room = $state.raw<RoomState | null>(null);
  feeds = $state.raw<Feed[]>([]);
  chat = $state.raw<ChatMessage[]>([]);
  chatLoaded = $state(false);
  unreadChat = $state(0);
  chatOpen = $state(false);
  notices = $state.raw<Notice[]>([]);
  /** Why the session ended for this person, once phase is 'ended'. */
  endReason = $state<EndReason | null>(null);
  /** A failure that ended or blocks the flow (shown as a page, not a notice). */
  fatalError = $state.raw<unknown>(null);
  identityMethod = $state<'id_last4' | 'one_time_code' | null>(null);
  lobbyLocked = $state(false);
  mediaState = $state<MediaState>('idle');
  sendState = $state<types.ConnectionState | 'none'>('none');
  recvState = $state<types.ConnectionState | 'none'>('none');
  lastSample = $state.raw<LinkSample | null>(null);
  /** The last failed action, shown as a notice (its text comes from the error code). */
  lastError = $state.raw<unknown>(null);

  micMuted = $state(false);
  cameraOff = $state(false);
  hostMuted = $state({ audio: false, video: false });
  audioOnly = $state(false);
  audioOnlyReason = $state<AudioOnlyReason | null>(null);
  /** The device check measured a link too weak for video. */
  audioOnlySuggested = $state(false);
  sharingScreen = $state(false);
  producing = $state({ microphone: false, camera: false, screen: false });

  self = $derived<PeerView | null>(this.room?.peers.find((p) => p.peerId === this.room?.selfPeerId) ?? null);
  isHost = $derived(this.entry?.self.isHost ?? false);
  /** What is wrong with the connection right now, in words; null when all is well. */
  connectionNote = $derived.by((): MessageKey | null => {
    if (this.connection === 'reconnecting') return 'conn.reconnecting';
    if (this.phase !== 'room' || this.connection !== 'connected') return null;
    if (this.mediaState === 'starting') return 'conn.mediaStarting';
    if (this.mediaState === 'failed') return 'conn.mediaFailed';
    if (this.recvState === 'disconnected' || this.recvState === 'failed') return 'conn.reconnecting';
    return null;
  });
  space = $derived(this.self?.space ?? 'joint');
  /** In the room with nothing to send: no microphone, and no picture either. */
  listenOnly = $derived(this.phase === 'room' && this.mediaState === 'ready' && !this.local.audioTrack && !this.producing.camera && !this.producing.screen);

  readonly #rt: Realtime;
  #entered = false;
  #everEntered = false;
  #disposed = false;
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
  readonly #layerTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #mediaGen = 0;
  #mediaRun: Promise<void> = Promise.resolve();
  #iceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** TURN servers from the last media:start and whether the next transports use them only. */
  #iceServers: IceServer[] = [];
  readonly #ice = new IceFallback();
  #statsTimer: ReturnType<typeof setInterval> | null = null;
  #counters: Counters | null = null;
  #statsTick = 0;
  #weakSamples = 0;
  #manualVideoUntil = 0;
  #noticeId = 0;
  #lobbyRetry: ReturnType<typeof setTimeout> | null = null;
  #mediaRetry: ReturnType<typeof setTimeout> | null = null;
  #terminal = false;
  readonly #unsubscribe: (() => void)[] = [];
  /** When each step of getting in first happened (performance.now()), for the join-latency benchmark. */
  readonly #marks: Partial<Record<'socket' | 'entered' | 'admitted' | 'recv-connected' | 'send-connected', number>> = {};

  constructor(mode: RoomMode) {
    this.mode = mode;
    this.#rt = new Realtime(this.#auth());
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  start(): void {
    const socket = this.#rt.socket;
    socket.on('connect', () => {
      this.#marks.socket ??= performance.now();
      void this.#enter();
    });
    socket.on('disconnect', (reason) => this.#onDisconnect(reason));
    socket.on('connect_error', (error: Error & { data?: unknown }) => this.#onConnectError(error));
    this.#listen();
    addEventListener('online', this.#onOnline);
    this.#unsubscribe.push(() => removeEventListener('online', this.#onOnline));
    this.#rt.connect();
  }

  /** Back online (the phone found a network again): reconnect now, not at the next backoff step. */
  readonly #onOnline = (): void => {
    if (!this.#terminal && !this.#disposed && this.#everEntered) this.#rt.reconnectNow();
  };

  /** Leaves the room for good (the Leave button). */
  async leave(): Promise<void> {
    if (this.phase === 'ended') return;
    try {
      if (this.#entered) await this.#rt.request('room:leave', {}, 5_000);
    } catch {
      // leaving anyway: the server counts a dropped connection as having left after the grace period
    }
    this.#end('left');
  }

  /** Tears everything down without telling the server (page hidden for good, component gone). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#stopStats();
    this.#closeMedia();
    this.local.stopAll();
    for (const off of this.#unsubscribe) off();
    if (this.#lobbyRetry) clearTimeout(this.#lobbyRetry);
    if (this.#mediaRetry) clearTimeout(this.#mediaRetry);
    this.#rt.close();
  }

  #auth() {
    const resumeToken = loadResumeToken(this.mode);
    return {
      ...(this.mode.kind === 'participant' ? { invitationToken: this.mode.invitationToken } : {}),
      ...(resumeToken ? { resumeToken } : {}),
    };
  }

  #end(reason: EndReason, error?: unknown): void {
    this.#terminal = true;
    this.endReason = reason;
    if (error !== undefined) this.fatalError = error;
    this.phase = 'ended';
    this.connection = 'ended';
    this.#entered = false;
    if (reason !== 'replaced') clearResumeToken(this.mode);
    this.#stopStats();
    this.#closeMedia();
    this.local.stopAll();
    this.#rt.close();
  }

  // ---- connection --------------------------------------------------------------------------

  async #enter(): Promise<void> {
    const resumeToken = loadResumeToken(this.mode);
    const request: ClientRequest<'session:enter'> = {
      ...(this.mode.kind === 'staff' ? { sessionId: this.mode.sessionId } : {}),
      ...(resumeToken ? { resumeToken } : {}),
    };
    let result: EnterResult;
    try {
      result = await this.#rt.request('session:enter', request);
    } catch (error) {
      if (error instanceof ApiError && error.code !== 'NETWORK' && error.code !== 'INTERNAL' && error.code !== 'BAD_RESPONSE') {
        this.#end(this.#refusalReason(error), error);
      } else {
        // No answer: drop this connection and let socket.io try again.
        this.#rt.socket.disconnect();
        setTimeout(() => {
          if (!this.#terminal && !this.#disposed) this.#rt.connect();
        }, 2_000);
      }
      return;
    }
    if (this.#disposed || this.#terminal) return;
    this.#marks.entered ??= performance.now();
    if (result.state === 'admitted') this.#marks.admitted ??= performance.now();
    saveResumeToken(this.mode, result.resumeToken);
    this.#rt.setAuth({ ...(this.mode.kind === 'participant' ? { invitationToken: this.mode.invitationToken } : {}), resumeToken: result.resumeToken });
    const reconnect = this.#everEntered;
    this.#entered = true;
    this.#everEntered = true;
    this.entry = result;
    if (result.routerRtpCapabilities) this.#routerCapabilities = result.routerRtpCapabilities as unknown as types.RtpCapabilities;
    this.connection = 'connected';
    if (result.identityMethod === 'id_last4' || result.identityMethod === 'one_time_code') this.identityMethod = result.identityMethod;
    else this.identityMethod = null;
    await this.#place(result.state, result, reconnect);
  }

  /** Puts the person where the server says they are. */
  async #place(state: AttendanceState, result: EnterResult, reconnect: boolean): Promise<void> {
    switch (state) {
      case 'admitted':
        await this.#enterRoom(reconnect && result.mediaActive);
        return;
      case 'lobby':
        this.phase = 'lobby';
        return;
      case 'joining':
      case 'left':
        if (!result.deviceCheckDone) this.phase = 'device-check';
        else if (this.identityMethod) this.phase = 'identity';
        else await this.waitInLobby();
        return;
      case 'refused':
        this.#end('refused');
        return;
      case 'removed':
        this.#end('removed');
        return;
    }
  }

  #onDisconnect(reason: string): void {
    this.#entered = false;
    if (this.#terminal || this.#disposed) return;
    this.connection = 'reconnecting';
    this.#stopStats();
    if (reason === 'io server disconnect') {
      // The server let go of us (a restart or deploy): socket.io does not retry this by itself.
      // Another tab taking our place is said explicitly first (session:replaced).
      setTimeout(() => {
        if (!this.#terminal && !this.#disposed) this.#rt.connect();
      }, 1_500);
    }
  }

  #onConnectError(error: Error & { data?: unknown }): void {
    if (this.#terminal || this.#disposed) return;
    if (this.#rt.socket.active) {
      // A transport failure: socket.io keeps retrying.
      this.connection = this.#everEntered ? 'reconnecting' : 'connecting';
      return;
    }
    // The handshake was refused (expired or revoked invitation, logged out).
    const data = error.data as { code?: ApiError['code']; message?: string } | undefined;
    const refusal = new ApiError(data?.code ?? 'UNAUTHENTICATED', data?.message ?? error.message);
    this.#end(this.#refusalReason(refusal), refusal);
  }

  /** Which page explains a refusal to enter: the words a person understands, not the code. */
  #refusalReason(error: ApiError): EndReason {
    if (error.code === 'INVITATION_REVOKED') return 'revoked';
    if (error.code === 'INVITATION_EXPIRED') return 'expired';
    // A participant the mediator refused or removed before, opening the link again.
    if (error.code === 'FORBIDDEN' && this.mode.kind === 'participant') return 'refused';
    if (error.code === 'CONFLICT' && /ended|cancelled/.test(error.message)) return 'session-ended';
    return 'denied';
  }

  #listen(): void {
    const rt = this.#rt;
    this.#unsubscribe.push(
      rt.on('room:state', (state) => this.#onRoomState(state)),
      rt.on('attendance:changed', (change) => {
        if (change.state === 'admitted') {
          this.#marks.admitted ??= performance.now();
          if (this.phase !== 'room') void this.#enterRoom(false);
        }
        else if (change.cause) {
          // The invitation was revoked or the person removed from the case: the link is dead.
          this.#end('revoked');
        } else if (change.state === 'refused' || change.state === 'removed') {
          this.#terminal = true; // the server disconnects us next
          this.#end(change.state);
        }
      }),
      rt.on('chat:message', (message) => this.#addChat(message)),
      rt.on('media:consumer-new', (params) => void this.#onConsumerNew(params)),
      rt.on('media:consumer-closed', ({ consumerId }) => this.#dropConsumer(consumerId)),
      rt.on('media:consumer-paused', ({ consumerId, paused }) => {
        this.feeds = this.feeds.map((f) => (f.consumerId === consumerId ? { ...f, paused } : f));
      }),
      rt.on('media:host-muted', ({ kind, muted }) => void this.#onHostMuted(kind, muted)),
      rt.on('media:reset', () => {
        if (this.phase === 'room') this.#restartMedia();
      }),
      rt.on('session:ended', () => this.#end('session-ended')),
      // Opened in another tab or device: that one is in use now; do not reconnect from here.
      rt.on('session:replaced', () => this.#end('replaced')),
    );
  }

  /**
   * Co-review: `handler` gets the id of an agreement of this case whenever it changes (new
   * version, comment, signature, sealing). Returns the unsubscribe function.
   */
  onAgreementUpdated(handler: (agreementId: string) => void): () => void {
    return this.#rt.on('agreement:updated', ({ agreementId }) => handler(agreementId));
  }

  /** Requests that need an entered connection; fails fast otherwise. */
  async call<E extends ClientEventName>(event: E, payload: ClientRequest<E>, timeoutMs?: number): Promise<ClientAck<E>> {
    if (!this.#entered) throw new ApiError('NETWORK', `${event}: not connected`);
    return this.#rt.request(event, payload, timeoutMs);
  }

  // ---- before the room ---------------------------------------------------------------------

  async reportDeviceCheck(report: ClientRequest<'device-check:report'>): Promise<void> {
    const { audioOnlySuggested } = await this.call('device-check:report', report);
    this.audioOnlySuggested = audioOnlySuggested;
    if (audioOnlySuggested && report.hasCamera) {
      this.audioOnly = true;
      this.audioOnlyReason = 'device-check';
      this.local.stopVideo();
      this.notify('room.notice.checkAudioOnly', 'warn', { action: 'video-back' }, null);
    }
    if (this.identityMethod) this.phase = 'identity';
    else await this.waitInLobby();
  }

  /** Throws the server's IDENTITY_REJECTED (with attempts left) for the form to show. */
  async confirmIdentity(input: IdentityInput): Promise<void> {
    try {
      await this.call('identity:confirm', input);
    } catch (error) {
      // After too many attempts (or when told to) only the mediator's one-time code is accepted.
      if (error instanceof ApiError && error.code === 'IDENTITY_REJECTED' && /too many|one_time_code/.test(error.message)) this.identityMethod = 'one_time_code';
      throw error;
    }
    this.identityMethod = null;
    await this.waitInLobby();
  }

  async waitInLobby(): Promise<void> {
    if (this.#lobbyRetry) clearTimeout(this.#lobbyRetry);
    this.#lobbyRetry = null;
    try {
      const { state } = await this.call('lobby:wait', {});
      this.lobbyLocked = false;
      if (state === 'admitted') await this.#enterRoom(false);
      else this.phase = 'lobby';
    } catch (error) {
      if (error instanceof ApiError && error.code === 'ROOM_LOCKED') {
        // Wait calmly and knock again.
        this.lobbyLocked = true;
        this.phase = 'lobby';
        this.#lobbyRetry = setTimeout(() => void this.waitInLobby(), 15_000);
        return;
      }
      throw error;
    }
  }

  // ---- the room: state, chat ---------------------------------------------------------------

  #onRoomState(state: RoomState): void {
    const previousSpace = this.space;
    this.room = state;
    const self = state.peers.find((p) => p.peerId === state.selfPeerId);
    if (self) {
      this.hostMuted = { ...self.hostMuted };
      if (!self.canShareScreen && this.#producers.has('screen')) {
        // The mediator took the permission back (the server already stopped forwarding it).
        void this.stopScreenShare();
        this.notify('room.notice.screenStopped', 'warn');
      }
      if (self.space !== previousSpace && this.phase === 'room') {
        // Chat is per space: the caucus has its own.
        this.chat = [];
        this.chatLoaded = false;
        if (this.chatOpen) void this.loadChat();
      }
    }
    // Feeds of people no longer in our space (missed close events during a drop).
    const here = new Set(state.peers.filter((p) => p.state === 'admitted' && p.space === (self?.space ?? 'joint')).map((p) => p.peerId));
    for (const feed of this.feeds) if (!here.has(feed.peerId)) this.#dropConsumer(feed.consumerId, true);
  }

  async loadChat(): Promise<void> {
    const { messages } = await this.call('chat:history', {});
    const seen = new Set(messages.map((m) => m.id));
    this.chat = [...messages, ...this.chat.filter((m) => !seen.has(m.id) && m.space === this.space)];
    this.chatLoaded = true;
  }

  openChat(open: boolean): void {
    this.chatOpen = open;
    if (open) {
      this.unreadChat = 0;
      if (!this.chatLoaded) void this.loadChat().catch((error: unknown) => this.flashError(error));
    }
  }

  async sendChat(text: string): Promise<void> {
    const message = await this.call('chat:send', { text });
    this.#addChat(message);
  }

  #addChat(message: ChatMessage): void {
    if (this.chat.some((m) => m.id === message.id)) return;
    this.chat = [...this.chat, message];
    if (!this.chatOpen && message.peerId !== this.room?.selfPeerId) this.unreadChat += 1;
  }

  async toggleHand(): Promise<void> {
    await this.#act(() => this.call('hand:raise', { raised: !(this.self?.handRaised ?? false) }));
  }

  /** Host controls; failures become a notice. */
  async host<E extends HostEvent>(event: E, payload: ClientRequest<E>): Promise<ClientAck<E> | undefined> {
    return this.#act(() => this.call(event, payload));
  }

  async #act<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      this.flashError(error);
      return undefined;
    }
  }

  // ---- notices -----------------------------------------------------------------------------

  notify(key: MessageKey, tone: Notice['tone'] = 'info', extra: Partial<Pick<Notice, 'params' | 'action'>> = {}, ttlMs: number | null = 8_000): number {
    const id = ++this.#noticeId;
    this.notices = [...this.notices.filter((n) => n.key !== key), { id, key, tone, ...extra }];
    if (ttlMs !== null) setTimeout(() => this.dismiss(id), ttlMs);
    return id;
  }

  #dismissKey(key: MessageKey): void {
    this.notices = this.notices.filter((n) => n.key !== key);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  flashError(error: unknown): void {
    console.warn(error);
    this.lastError = error;
    this.notify('room.notice.actionFailed', 'error');
  }

  // ---- media -------------------------------------------------------------------------------

  async #enterRoom(mediaStillActive: boolean): Promise<void> {
    if (this.#lobbyRetry) clearTimeout(this.#lobbyRetry);
    this.phase = 'room';
    this.#startStats();
    if (this.chatLoaded || this.chatOpen) void this.loadChat().catch(() => undefined);
    // Only when the last media start finished: one cut short by the drop (transports made, but
    // nothing produced yet) is started again in full.
    if (mediaStillActive && this.mediaState === 'ready' && this.#transportsUsable() && !this.#missedSomeone()) {
      // A short socket drop: the media kept flowing. Catch up on producers we were not told about.
      const device = this.#device;
      if (device?.loaded) await this.call('media:ready', { rtpCapabilities: recvCapabilities(device) }).catch((e: unknown) => console.warn(e));
      // ICE that dropped while the socket was down could not be restarted then: do it now.
      for (const transport of [this.#send, this.#recv]) {
        if (transport && transport.connectionState === 'disconnected') void this.#restartIce(transport, this.#mediaGen);
      }
      return;
    }
    this.#restartMedia();
  }

  /**
   * Someone in our space whose microphone we do not receive: their media:consumer-new was sent
   * while our socket was down (the server does not announce it again), so rebuild media.
   */
  #missedSomeone(): boolean {
    const room = this.room;
    if (!room) return false;
    return room.peers.some(
      (p) => p.peerId !== room.selfPeerId && p.state === 'admitted' && p.connected && p.space === this.space && !this.feeds.some((f) => f.peerId === p.peerId && f.kind === 'audio'),
    );
  }

  #transportsUsable(): boolean {
    const ok = (t: types.Transport | null) => t !== null && !t.closed && t.connectionState !== 'failed' && t.connectionState !== 'closed';
    return ok(this.#recv) && (this.#send === null || ok(this.#send));
  }

  /** Queues a full media (re)start: new transports, produce again. Runs one at a time. */
  #restartMedia(): void {
    const gen = ++this.#mediaGen;
    if (this.#mediaRetry) clearTimeout(this.#mediaRetry);
    this.#mediaRun = this.#mediaRun.then(() => this.#startMedia(gen)).catch((error: unknown) => {
      if (gen !== this.#mediaGen || this.phase !== 'room') return;
      console.warn('media start failed', error);
      this.mediaState = 'failed';
      if (this.#entered && this.phase === 'room') this.#mediaRetry = setTimeout(() => this.#restartMedia(), 5_000);
    });
  }

  async #startMedia(gen: number): Promise<void> {
    const current = () => gen === this.#mediaGen && this.#entered && this.phase === 'room';
    if (!current()) return;
    this.mediaState = 'starting';
    this.#closeMedia();
    // Devices first (on a reload there was no device check on this page).
    if (!this.local.audioTrack && this.local.audioStatus !== 'denied') await this.local.acquireAudio();
    if (!this.audioOnly && !this.cameraOff && !this.local.videoTrack && this.local.videoStatus !== 'denied') await this.local.acquireVideo();
    if (!current()) return;
    if (this.audioOnly || this.self?.audioOnly) await this.call('media:audio-only', { audioOnly: this.audioOnly });
    // With the room's codecs known from session:enter, the device loads first and media:start
    // carries its capabilities: the consumers come with the transports, no media:ready after.
    let device: Device | null = null;
    if (this.#routerCapabilities) {
      device = new Device();
      await device.load({ routerRtpCapabilities: this.#routerCapabilities });
      if (!current()) return;
    }
    this.#earlyConsumers = [];
    const start = await this.call('media:start', device ? { rtpCapabilities: recvCapabilities(device) } : {});
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
    for (const params of early) void this.#onConsumerNew(params);
    // Otherwise consumers follow media:ready as media:consumer-new events.
    if (!announced) await this.call('media:ready', { rtpCapabilities: recvCapabilities(device) });
    if (!current()) return;
    await this.#produceMicrophone();
    if (!current()) return;
    if (!this.audioOnly && !this.cameraOff) await this.#produceCamera();
    if (current()) this.mediaState = 'ready';
  }

  #wire(transport: types.Transport, direction: 'send' | 'recv', gen: number): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.call('media:connect', { transportId: transport.id, dtlsParameters: dtlsParameters as unknown as Record<string, unknown> }).then(() => callback(), errback);
    });
    if (direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
        const source = appData.source as MediaSource;
        this.call('media:produce', { transportId: transport.id, kind, rtpParameters: rtpParameters as unknown as Record<string, unknown>, source })
          .then(({ producerId }) => callback({ id: producerId }), errback);
      });
    }
    transport.on('connectionstatechange', (state) => {
      if (gen !== this.#mediaGen) return;
      if (state === 'connected') this.#marks[`${direction}-connected`] ??= performance.now();
      if (direction === 'send') this.sendState = state;
      else this.recvState = state;
      const timer = this.#iceTimers.get(transport.id);
      if (timer) clearTimeout(timer);
      this.#iceTimers.delete(transport.id);
      if (state === 'disconnected') {
        // A short blip often heals by itself; if not, new ICE credentials on the same transport.
        this.#iceTimers.set(transport.id, setTimeout(() => void this.#restartIce(transport, gen), iceRestartDelayMs));
      } else if (state === 'failed') {
        this.#ice.transportFailed(this.#iceServers);
        if (this.#entered && this.phase === 'room') this.#restartMedia();
      }
    });
  }

  async #restartIce(transport: types.Transport, gen: number): Promise<void> {
    if (gen !== this.#mediaGen || transport.closed || transport.connectionState !== 'disconnected' || !this.#entered) return;
    try {
      const { iceParameters } = await this.call('media:restart-ice', { transportId: transport.id });
      if (gen !== this.#mediaGen || transport.closed) return;
      await transport.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters });
    } catch (error) {
      console.warn('ICE restart failed', error);
      // Still down after another while: rebuild everything.
      this.#iceTimers.set(
        transport.id,
        setTimeout(() => {
          if (gen === this.#mediaGen && !transport.closed && transport.connectionState !== 'connected' && this.#entered) this.#restartMedia();
        }, 8_000),
      );
    }
  }

  async #produceMicrophone(): Promise<void> {
    const send = this.#send;
    const track = this.local.audioTrack;
    if (!send || send.closed || !track || this.#producers.has('microphone') || !this.#device?.canProduce('audio')) return;
    const producer = await send.produce({ track, codecOptions: microphoneCodecOptions, stopTracks: false, appData: { source: 'microphone' } });
    this.#keepProducer('microphone', producer);
    if (this.micMuted || this.hostMuted.audio) {
      producer.pause();
      await this.call('media:producer-pause', { producerId: producer.id, paused: true }).catch(() => undefined);
    }
  }

  #cameraStarting: { send: types.Transport | null; done: Promise<void> } | null = null;

  /**
   * At most one camera producer, even when two controls ask at once. A start still running for
   * transports that have since been replaced (a media restart cut it short) does not count: the
   * camera is produced again on the new ones once it has settled.
   */
  #produceCamera(): Promise<void> {
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
    if (!send || send.closed || this.#producers.has('camera') || !this.#device?.canProduce('video')) return;
    // A camera refused before is asked for again only when the person presses the button.
    const track = this.local.videoTrack ?? (this.local.videoStatus === 'denied' ? null : await this.local.acquireVideo());
    if (!track || send.closed || this.audioOnly || this.cameraOff) return;
    const producer = await send.produce({
      track,
      encodings: cameraEncodings,
      codecOptions: { videoGoogleStartBitrate: 300 },
      stopTracks: false,
      appData: { source: 'camera' },
    });
    this.#keepProducer('camera', producer);
  }

  #keepProducer(source: MediaSource, producer: types.Producer): void {
    this.#producers.set(source, producer);
    this.producing = { ...this.producing, [source]: true };
    const forget = () => {
      if (this.#producers.get(source) === producer) {
        this.#producers.delete(source);
        this.producing = { ...this.producing, [source]: false };
        if (source === 'screen') this.sharingScreen = false;
      }
    };
    producer.on('transportclose', forget);
    producer.on('trackended', () => {
      if (source === 'screen') void this.stopScreenShare();
      else forget();
    });
    producer.observer.on('close', forget);
  }

  async #closeProducer(source: MediaSource): Promise<void> {
    const producer = this.#producers.get(source);
    if (!producer) return;
    this.#producers.delete(source);
    this.producing = { ...this.producing, [source]: false };
    producer.close();
    await this.call('media:producer-close', { producerId: producer.id }).catch(() => undefined);
  }

  async #onConsumerNew(params: ServerPayload<'media:consumer-new'>): Promise<void> {
    const recv = this.#recv;
    const gen = this.#mediaGen;
    if (!recv || recv.closed) {
      // Sent with media:start's answer, ahead of it: kept until the transport is made.
      if (this.mediaState === 'starting') this.#earlyConsumers.push(params);
      return;
    }
    if (this.#consumers.has(params.consumerId)) {
      // Announced again (after a reconnection): just make sure it flows.
      await this.call('media:consumer-resume', { consumerId: params.consumerId }).catch(() => undefined);
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
      const resumed = this.call('media:consumer-resume', { consumerId: params.consumerId }).then(
        () => null,
        (error: unknown) => error,
      );
      const consumer = await consuming.catch(async (error: unknown) => {
        await resumed;
        // Cannot play it: stop the server sending it.
        await this.call('media:consumer-pause', { consumerId: params.consumerId, paused: true }).catch(() => undefined);
        throw error;
      });
      if (gen !== this.#mediaGen || recv.closed || this.#closedEarly.delete(consumer.id)) {
        consumer.close();
        return;
      }
      this.#consumers.set(consumer.id, consumer);
      consumer.on('transportclose', () => this.#dropConsumer(consumer.id, true));
      consumer.on('trackended', () => this.#dropConsumer(consumer.id, true));
      const feed: Feed = { consumerId: consumer.id, peerId: params.peerId, kind: params.kind, source: params.source, track: consumer.track, paused: params.producerPaused };
      this.feeds = [...this.feeds.filter((f) => !(f.peerId === feed.peerId && f.source === feed.source)), feed];
      const resumeFailed = await resumed;
      if (resumeFailed) throw resumeFailed;
    } catch (error) {
      console.warn('could not consume', params.consumerId, error);
    }
  }

  #dropConsumer(consumerId: string, local = false): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer && !local) this.#closedEarly.add(consumerId);
    this.#consumers.delete(consumerId);
    consumer?.close();
    this.#layers.delete(consumerId);
    if (this.feeds.some((f) => f.consumerId === consumerId)) this.feeds = this.feeds.filter((f) => f.consumerId !== consumerId);
  }

  /** Closes transports (and so producers and consumers) locally; the tracks stay ours. */
  #closeMedia(): void {
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
    this.producing = { microphone: false, camera: false, screen: false };
    this.sharingScreen = false;
    this.feeds = [];
    this.sendState = 'none';
    this.recvState = 'none';
    this.#counters = null;
  }

  // ---- the person's own controls -----------------------------------------------------------

  async toggleMicrophone(): Promise<void> {
    if (!this.local.audioTrack) {
      // No microphone yet (refused earlier, or plugged in since): ask again.
      const track = await this.local.acquireAudio();
      if (!track) return void this.notify(this.local.audioStatus === 'missing' ? 'room.notice.micMissing' : 'room.notice.noMicrophone', 'warn');
      this.micMuted = false;
      if (this.phase === 'room') await this.#act(() => this.#produceMicrophone());
      return;
    }
    const producer = this.#producers.get('microphone');
    if (this.micMuted) {
      if (this.hostMuted.audio) return void this.notify('room.notice.hostMutedAudio', 'warn');
      if (producer) {
        const ok = await this.#act(() => this.call('media:producer-pause', { producerId: producer.id, paused: false }));
        if (ok === undefined) return;
        producer.resume();
      }
      this.micMuted = false;
    } else {
      this.micMuted = true;
      if (producer) {
        producer.pause();
        await this.#act(() => this.call('media:producer-pause', { producerId: producer.id, paused: true }));
      }
    }
  }

  async toggleCamera(): Promise<void> {
    if (this.cameraOff || !this.producing.camera) {
      if (this.hostMuted.video) return void this.notify('room.notice.hostMutedVideo', 'warn');
      this.cameraOff = false;
      if (this.audioOnly) return this.setAudioOnly(false, 'user');
      const track = await this.local.acquireVideo();
      if (!track) {
        this.cameraOff = true;
        return void this.notify(this.local.videoStatus === 'missing' ? 'room.notice.cameraMissing' : 'room.notice.noCamera', 'warn');
      }
      if (this.phase === 'room') await this.#act(() => this.#produceCamera());
    } else {
      // Off means off: the camera is released, not just hidden.
      this.cameraOff = true;
      await this.#closeProducer('camera');
      this.local.stopVideo();
    }
  }

  /**
   * Audio only: the camera producer is closed and the server stops forwarding video to this
   * person, which saves both directions of a weak link.
   */
  async setAudioOnly(on: boolean, reason: AudioOnlyReason = 'user'): Promise<void> {
    if (on === this.audioOnly) {
      if (on) this.audioOnlyReason = reason;
      return;
    }
    this.audioOnly = on;
    this.audioOnlyReason = on ? reason : null;
    this.#weakSamples = 0;
    if (on) {
      await this.#closeProducer('camera');
      this.local.stopVideo();
    } else if (reason === 'user') {
      this.#manualVideoUntil = Date.now() + manualVideoGraceMs;
    }
    if (this.phase !== 'room' || !this.#entered) return;
    await this.#act(() => this.call('media:audio-only', { audioOnly: on }));
    if (!on && !this.cameraOff && !this.hostMuted.video) await this.#act(() => this.#produceCamera());
  }

  async startScreenShare(): Promise<void> {
    // Sharing needs the mediator's permission (the server refuses it too): say so, no picker.
    if (!this.self?.canShareScreen) return void this.notify('room.notice.screenNotAllowed', 'warn');
    if (!navigator.mediaDevices?.getDisplayMedia || !this.#send || this.#producers.has('screen')) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 5 } }, audio: false });
    } catch {
      return; // the person cancelled the picker
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    track.contentHint = 'detail';
    const send = this.#send;
    const producer = await this.#act(() => send.produce({ track, encodings: [{ maxBitrate: 800_000 }], stopTracks: true, appData: { source: 'screen' } }));
    if (!producer) {
      track.stop(); // refused: the notice gives the server's reason
      return;
    }
    this.#keepProducer('screen', producer);
    this.sharingScreen = true;
    if (!this.self?.canShareScreen) await this.stopScreenShare(); // the permission went meanwhile
  }

  async stopScreenShare(): Promise<void> {
    const producer = this.#producers.get('screen');
    producer?.track?.stop();
    await this.#closeProducer('screen');
    this.sharingScreen = false;
  }

  async #onHostMuted(kind: 'audio' | 'video', muted: boolean): Promise<void> {
    this.hostMuted = { ...this.hostMuted, [kind]: muted };
    if (kind === 'audio') {
      if (muted) {
        this.micMuted = true;
        this.#producers.get('microphone')?.pause();
        this.notify('room.notice.hostMutedAudio', 'warn');
      } else {
        this.#dismissKey('room.notice.hostMutedAudio');
        this.notify('room.notice.hostUnmutedAudio', 'info');
      }
    } else if (muted) {
      this.cameraOff = true;
      await this.#closeProducer('camera');
      this.local.stopVideo();
      this.notify('room.notice.hostMutedVideo', 'warn');
    } else {
      this.#dismissKey('room.notice.hostMutedVideo');
      this.notify('room.notice.hostUnmutedVideo', 'info');
    }
  }

  /** A tile reports how wide it is drawn; small tiles receive a lower simulcast layer. */
  setTileWidth(consumerId: string, cssWidth: number): void {
    const consumer = this.#consumers.get(consumerId);
    if (!consumer || consumer.kind !== 'video' || consumer.appData.source !== 'camera' || cssWidth <= 0) return;
    const layer = layerForWidth(cssWidth);
    if (this.#layers.get(consumerId) === layer) return;
    const pending = this.#layerTimers.get(consumerId);
    if (pending) clearTimeout(pending);
    this.#layerTimers.set(
      consumerId,
      setTimeout(() => {
        this.#layerTimers.delete(consumerId);
        if (!this.#consumers.has(consumerId)) return;
        this.#layers.set(consumerId, layer);
        void this.call('media:consumer-layers', { consumerId, spatialLayer: layer }).catch(() => this.#layers.delete(consumerId));
      }, 400),
    );
  }

  // ---- link quality ------------------------------------------------------------------------

  #startStats(): void {
    if (this.#statsTimer) return;
    this.#statsTimer = setInterval(() => void this.#sampleStats(), statsIntervalMs);
  }

  #stopStats(): void {
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#statsTimer = null;
    this.#counters = null;
    this.#weakSamples = 0;
  }

  async #sampleStats(): Promise<void> {
    const send = this.#send && !this.#send.closed ? this.#send : null;
    const recv = this.#recv && !this.#recv.closed ? this.#recv : null;
    if (!this.#entered || (!send && !recv)) return;
    const [sendStats, recvStats] = await Promise.all([send?.getStats().catch(() => null) ?? null, recv?.getStats().catch(() => null) ?? null]);
    const counters = countersOf(sendStats, recvStats, performance.now());
    const sample = sampleOf(sendStats, recvStats, this.#counters, counters);
    this.#counters = counters;
    this.lastSample = sample;
    this.#statsTick += 1;
    if (this.#statsTick % 2 === 0) {
      void this.call('stats:report', {
        rttMs: sample.rttMs,
        lossPct: sample.lossPct,
        sendKbps: sample.sendKbps,
        recvKbps: sample.recvKbps,
      }).catch(() => undefined);
    }
    this.#checkLink(sample);
  }

  /** Drops to audio only when the link has not carried video for ≈10 s. */
  #checkLink(sample: LinkSample): void {
    if (this.audioOnly || Date.now() < this.#manualVideoUntil) {
      this.#weakSamples = 0;
      return;
    }
    this.#weakSamples = isWeak(sample, this.producing.camera) ? this.#weakSamples + 1 : 0;
    if (this.#weakSamples >= weakSamplesToDrop) {
      void this.setAudioOnly(true, 'network');
      this.notify('room.notice.autoAudioOnly', 'warn', { action: 'video-back' }, null);
    }
  }

  // ---- for tests ---------------------------------------------------------------------------

  /** Read-only handles for browser tests (window.__haiqiaoRoom). */
  debugView() {
    const session = this;
    return Object.freeze({
      get phase() {
        return session.phase;
      },
      get connection() {
        return session.connection;
      },
      get peerId() {
        return session.entry?.peerId ?? null;
      },
      get room() {
        return session.room;
      },
      get mediaState() {
        return session.mediaState;
      },
      get audioOnly() {
        return session.audioOnly;
      },
      get device() {
        return session.#device;
      },
      get sendTransport() {
        return session.#send;
      },
      get recvTransport() {
        return session.#recv;
      },
      get consumerIds() {
        return [...session.#consumers.keys()];
      },
      get consumers() {
        return [...session.#consumers.values()].map((c) => ({ id: c.id, producerId: c.producerId, kind: c.kind, peerId: c.appData.peerId as string, source: c.appData.source as MediaSource, paused: c.paused, getStats: () => c.getStats() }));
      },
      get producers() {
        return [...session.#producers.entries()].map(([source, p]) => ({ id: p.id, source, kind: p.kind, paused: p.paused, rtpParameters: p.rtpParameters, getStats: () => p.getStats() }));
      },
      get lastSample() {
        return session.lastSample;
      },
      /** First times (performance.now()) of: socket connected, entered, admitted, transports connected. */
      get marks() {
        return { ...session.#marks };
      },
      /** The latest signalling requests with their send and ack times. */
      get requests() {
        return session.#rt.timings.map((t) => ({ ...t }));
      },
      /** Hostile-input tests: emits anything on this session's socket and resolves with the ack. */
      emitRaw(event: string, payload: unknown): Promise<unknown> {
        return session.#rt.socket.timeout(5_000).emitWithAck(event, payload).catch((error: unknown) => ({ noAck: String(error) }));
      },
    });
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
