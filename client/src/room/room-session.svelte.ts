/**
 * One person's live mediation session: where they are in the flow (device check → identity →
 * lobby → room), the room snapshot, and their own controls (microphone, camera, audio only,
 * screen). Views only read the reactive fields and call the methods. The parts with a job of
 * their own: the socket (RoomConnection), the media (MediaSession, the twin of the server's
 * MediaRoom), the chat (RoomChat), the notices (RoomNotices) and the link monitor (LinkMonitor).
 */
import type { AttendanceState } from '../../../shared/domain/attendance.ts';
import type { ClientAck, ClientEventName, ClientRequest, EnterResult, PeerView, RoomState } from '../../../shared/realtime.ts';
import { ApiError } from '../lib/http.ts';
import type { MessageKey } from '../lib/i18n.svelte.ts';
import type { LinkAdaptation } from './link-adaptation/controller.svelte.ts';
import { LinkMonitor } from './link-monitor.svelte.ts';
import { LocalMedia } from './local-media.svelte.ts';
import { RoomInterpretation } from './interpretation.svelte.ts';
import { MediaSession } from './media-session.svelte.ts';
import { PathWatch } from './path-watch.ts';
import { clearResumeToken, type RoomMode } from './resume.ts';
import { RoomChat } from './room-chat.svelte.ts';
import { RoomConnection, type EndReason } from './room-connection.svelte.ts';
import { RoomNotices } from './room-notices.svelte.ts';

export type { RoomMode } from './resume.ts';
export type { EndReason } from './room-connection.svelte.ts';
export type { Feed } from './media-session.svelte.ts';
export type { Notice } from './room-notices.svelte.ts';

export type Phase = 'connecting' | 'device-check' | 'identity' | 'lobby' | 'room' | 'ended';
export type AudioOnlyReason = 'user' | 'network' | 'device-check';
export type IdentityInput = ClientRequest<'identity:confirm'>;

type HostEvent = Extract<ClientEventName, `host:${string}`>;
type Mark = 'socket' | 'entered' | 'admitted' | 'recv-connected' | 'send-connected';

export class RoomSession {
  readonly local = new LocalMedia();
  readonly notices = new RoomNotices();
  readonly connection: RoomConnection;
  readonly media: MediaSession;
  readonly chat: RoomChat;
  readonly link: LinkMonitor;
  /** The weak-link controller (issue 13); null until its chunk has loaded, moments after the room opens. */
  adaptation = $state.raw<LinkAdaptation | null>(null);
  /** The device check asked to start on voice before the controller had loaded. */
  #startOnVoice = false;
  readonly pathWatch: PathWatch;
  readonly interpretation: RoomInterpretation;

  phase = $state<Phase>('connecting');
  /** What `session:enter` said about this person. */
  entry = $state.raw<EnterResult | null>(null);
  room = $state.raw<RoomState | null>(null);
  /** Why the session ended for this person, once phase is 'ended'. */
  endReason = $state<EndReason | null>(null);
  /** A failure that ended or blocks the flow (shown as a page, not a notice). */
  fatalError = $state.raw<unknown>(null);
  identityMethod = $state<'id_last4' | 'one_time_code' | null>(null);
  lobbyLocked = $state(false);

  micMuted = $state(false);
  cameraOff = $state(false);
  hostMuted = $state({ audio: false, video: false });
  audioOnly = $state(false);
  audioOnlyReason = $state<AudioOnlyReason | null>(null);
  /** The device check measured a link too weak for video. */
  audioOnlySuggested = $state(false);

  self = $derived<PeerView | null>(this.room?.peers.find((p) => p.peerId === this.room?.selfPeerId) ?? null);
  isHost = $derived(this.entry?.self.isHost ?? false);
  /** The session is recorded and this person must confirm the notice before anything is sent. */
  recordingConsentNeeded = $derived(this.room?.recording?.consentNeeded ?? false);
  space = $derived(this.self?.space ?? 'joint');

  #disposed = false;
  #lobbyRetry: ReturnType<typeof setTimeout> | null = null;
  readonly #unsubscribe: (() => void)[] = [];
  /** When each step of getting in first happened (performance.now()), for the join-latency benchmark. */
  readonly marks: Partial<Record<Mark, number>> = {};

  readonly mode: RoomMode;

  constructor(mode: RoomMode) {
    this.mode = mode;
    this.connection = new RoomConnection(mode, {
      entered: (result, reconnect) => this.#entered(result, reconnect),
      lost: () => {
        this.link.stop();
        this.pathWatch.stop();
      },
      refused: (reason, error) => this.#end(reason, error),
    });
    const call = this.connection.call;
    this.media = new MediaSession({
      call,
      local: this.local,
      inRoom: () => this.connection.entered && this.phase === 'room',
      // An interpreter in their channel keeps the floor microphone paused, after a restart too.
      wishes: () => ({ audioOnly: this.audioOnly, cameraOff: this.cameraOff, micMuted: this.micMuted || this.interpretation.interpreting, hostMutedAudio: this.hostMuted.audio, serverAudioOnly: this.self?.audioOnly ?? false }),
      connected: (direction) => this.#mark(`${direction}-connected`),
      transportsReplaced: () => {
        this.link.transportsReplaced();
        this.adaptation?.transportsReplaced();
      },
      screenEnded: () => void this.stopScreenShare(),
      mayProduce: () => !this.recordingConsentNeeded,
    });
    const session = this;
    this.interpretation = new RoomInterpretation({
      get room() {
        return session.room;
      },
      get self() {
        return session.self;
      },
      get space() {
        return session.space;
      },
      get micMuted() {
        return session.micMuted;
      },
      get hostMuted() {
        return session.hostMuted;
      },
      media: this.media,
      call: (event, payload) => call(event, payload),
      failed: (error) => this.notices.failed(error),
    });
    this.chat = new RoomChat(call, () => ({ selfPeerId: this.room?.selfPeerId ?? null, space: this.space }), (error) => this.notices.failed(error));
    // The weak-link controller has a chunk of its own, fetched as the room opens: the join page and
    // room download stay within their budget, and nothing needs it before media flows.
    void this.#loadAdaptation((LinkAdaptation) => new LinkAdaptation({
      producer: (source) => this.media.producer(source),
      receiveLevel: (level) => this.media.receiveLevel(level, this.room?.spotlightPeerId ?? null, this.room?.activeSpeakerPeerId ?? null),
      audioOnly: () => ({ on: this.audioOnly, byNetwork: this.audioOnlyReason === 'network' || this.audioOnlyReason === 'device-check' }),
      setVoiceOnly: (on) => {
        void this.setAudioOnly(on, 'network');
        if (on) this.notices.notify('room.notice.autoAudioOnly', 'warn', { action: 'video-back' }, null);
        else this.notices.notify('room.notice.videoBackAuto', 'info');
      },
      senderLevel: (track) => {
        const feed = this.media.feeds.find((f) => f.track.id === track);
        return (feed && this.room?.peers.find((p) => p.peerId === feed.peerId)?.link?.send) ?? null;
      },
      senderOf: (track) => this.media.feeds.find((f) => f.track.id === track)?.peerId ?? null,
      report: (event) => void call('link:event', event).catch(() => undefined),
    }));
    this.pathWatch = new PathWatch({
      // Only media that is up: while it is being started again (a worker replaced), quiet is expected.
      recvTransport: () => (this.media.state === 'ready' ? this.media.recvTransport : null),
      probe: (timeoutMs) => call('net:ping', { sentAt: Date.now() }, timeoutMs),
      pathLost: () => {
        this.media.pathLost();
        this.connection.pathLost();
      },
    });
    this.link = new LinkMonitor({
      transports: () => ({ send: this.media.sendTransport, recv: this.media.recvTransport, active: this.connection.entered }),
      report: (sample) => void call('stats:report', { rttMs: sample.rttMs, lossPct: sample.lossPct, sendKbps: sample.sendKbps, recvKbps: sample.recvKbps }).catch(() => undefined),
      observe: (send, recv) => this.adaptation?.observe(send, recv),
    });
  }

  /** Loads the weak-link controller's chunk (tried again on a failed fetch: the link may be weak) and starts it. */
  async #loadAdaptation(create: (ctor: typeof LinkAdaptation) => LinkAdaptation): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { LinkAdaptation } = await import('./link-adaptation/controller.svelte.ts');
        const adaptation = create(LinkAdaptation);
        if (this.#startOnVoice) adaptation.startOnVoice();
        this.adaptation = adaptation;
        return;
      } catch (error) {
        if (attempt >= 5) return console.warn('weak-link controller not loaded', error);
        await new Promise((resolve) => setTimeout(resolve, 2000 * (attempt + 1)));
      }
    }
  }

  /** What is wrong with the connection right now, in words; null when all is well. */
  get connectionNote(): MessageKey | null {
    if (this.connection.state === 'reconnecting') return 'conn.reconnecting';
    if (this.phase !== 'room' || this.connection.state !== 'connected') return null;
    if (this.media.state === 'starting') return 'conn.mediaStarting';
    if (this.media.state === 'failed') return 'conn.mediaFailed';
    if (this.media.recvState === 'disconnected' || this.media.recvState === 'failed') return 'conn.reconnecting';
    return null;
  }

  /** In the room with nothing to send: no microphone, and no picture either. */
  get listenOnly(): boolean {
    return this.phase === 'room' && this.media.state === 'ready' && !this.local.audioTrack && !this.media.producing.camera && !this.media.producing.screen;
  }

  /** Whether a screen is being shared from here. */
  get sharingScreen(): boolean {
    return this.media.producing.screen;
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  start(): void {
    this.#listen();
    this.connection.rt.socket.on('connect', () => this.#mark('socket'));
    this.connection.start();
  }

  /** Leaves the room for good (the Leave button). */
  async leave(): Promise<void> {
    if (this.phase === 'ended') return;
    try {
      if (this.connection.entered) await this.connection.rt.request('room:leave', {}, 5_000);
    } catch {
      // leaving anyway: the server counts a dropped connection as having left after the grace period
    }
    this.#end('left');
  }

  /** Tears everything down without telling the server (page hidden for good, component gone). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.link.stop();
    this.pathWatch.stop();
    this.media.dispose();
    this.interpretation.mixer.close();
    this.local.stopAll();
    for (const off of this.#unsubscribe) off();
    if (this.#lobbyRetry) clearTimeout(this.#lobbyRetry);
    this.connection.close();
  }

  #end(reason: EndReason, error?: unknown): void {
    this.endReason = reason;
    if (error !== undefined) this.fatalError = error;
    this.phase = 'ended';
    if (reason !== 'replaced') clearResumeToken(this.mode);
    this.link.stop();
    this.pathWatch.stop();
    this.media.dispose();
    this.local.stopAll();
    this.connection.close();
  }

  #mark(step: Mark): void {
    this.marks[step] ??= performance.now();
  }

  // ---- entering ----------------------------------------------------------------------------

  async #entered(result: EnterResult, reconnect: boolean): Promise<void> {
    if (this.#disposed) return;
    this.#mark('entered');
    if (result.state === 'admitted') this.#mark('admitted');
    this.entry = result;
    this.media.setRouterCapabilities(result.routerRtpCapabilities);
    this.identityMethod = result.identityMethod === 'id_last4' || result.identityMethod === 'one_time_code' ? result.identityMethod : null;
    // Before media starts again, so that the SFU's downlink cap is in place for the new transports.
    if (reconnect && result.state === 'admitted') this.adaptation?.retell();
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

  #listen(): void {
    const c = this.connection;
    this.#unsubscribe.push(
      c.on('room:state', (state) => this.#onRoomState(state)),
      c.on('attendance:changed', (change) => {
        if (change.state === 'admitted') {
          this.#mark('admitted');
          if (this.phase !== 'room') void this.#enterRoom(false);
        } else if (change.cause) {
          // The invitation was revoked or the person removed from the case: the link is dead.
          this.#end('revoked');
        } else if (change.state === 'refused' || change.state === 'removed') {
          c.markOver(); // the server disconnects us next
          this.#end(change.state);
        }
      }),
      c.on('chat:message', (message) => this.chat.add(message)),
      c.on('media:consumer-new', (params) => void this.media.consumerNew(params)),
      c.on('media:consumer-closed', ({ consumerId }) => this.media.dropConsumer(consumerId)),
      c.on('media:consumer-paused', ({ consumerId, paused }) => this.media.consumerPaused(consumerId, paused)),
      c.on('media:host-muted', ({ kind, muted }) => void this.#onHostMuted(kind, muted)),
      c.on('media:reset', () => {
        if (this.phase === 'room') this.media.restart();
      }),
      c.on('session:ended', () => this.#end('session-ended')),
      // Opened in another tab or device: that one is in use now; do not reconnect from here.
      c.on('session:replaced', () => this.#end('replaced')),
    );
  }

  /**
   * Co-review: `handler` gets the id of an agreement of this case whenever it changes (new
   * version, comment, signature, sealing). Returns the unsubscribe function.
   */
  onAgreementUpdated(handler: (agreementId: string) => void): () => void {
    return this.connection.on('agreement:updated', ({ agreementId }) => handler(agreementId));
  }

  /** Requests that need an entered connection; fails fast otherwise. */
  call<E extends ClientEventName>(event: E, payload: ClientRequest<E>, timeoutMs?: number): Promise<ClientAck<E>> {
    return this.connection.call(event, payload, timeoutMs);
  }

  // ---- before the room ---------------------------------------------------------------------

  async reportDeviceCheck(report: ClientRequest<'device-check:report'>): Promise<void> {
    const { audioOnlySuggested } = await this.call('device-check:report', report);
    this.audioOnlySuggested = audioOnlySuggested;
    if (audioOnlySuggested && report.hasCamera) {
      this.audioOnly = true;
      this.audioOnlyReason = 'device-check';
      // The measured link is where the weak-link controller starts: video comes back by itself once the path proves stable.
      if (this.adaptation) this.adaptation.startOnVoice();
      else this.#startOnVoice = true;
      this.local.stopVideo();
      this.notices.notify('room.notice.checkAudioOnly', 'warn', { action: 'video-back' }, null);
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

  // ---- the room ----------------------------------------------------------------------------

  async #enterRoom(mediaStillActive: boolean): Promise<void> {
    if (this.#lobbyRetry) clearTimeout(this.#lobbyRetry);
    this.phase = 'room';
    this.link.start();
    this.pathWatch.start();
    this.chat.catchUp();
    await this.media.resume(mediaStillActive, this.#missedSomeone());
  }

  /**
   * Someone in our space whose microphone we do not receive: their media:consumer-new was sent
   * while our socket was down (the server does not announce it again), so rebuild media.
   */
  #missedSomeone(): boolean {
    const room = this.room;
    if (!room) return false;
    return room.peers.some(
      (p) => p.peerId !== room.selfPeerId && p.state === 'admitted' && p.connected && p.space === this.space && !this.media.feeds.some((f) => f.peerId === p.peerId && f.kind === 'audio'),
    );
  }

  #onRoomState(state: RoomState): void {
    const previousSpace = this.space;
    this.room = state;
    const self = state.peers.find((p) => p.peerId === state.selfPeerId);
    if (self) {
      this.hostMuted = { ...self.hostMuted };
      if (!self.canShareScreen && this.media.producer('screen')) {
        // The mediator took the permission back (the server already stopped forwarding it).
        void this.stopScreenShare();
        this.notices.notify('room.notice.screenStopped', 'warn');
      }
      // Chat is per space: the caucus has its own.
      if (self.space !== previousSpace && this.phase === 'room') this.chat.changedSpace();
    }
    this.media.keepOnly(new Set(state.peers.filter((p) => p.state === 'admitted' && p.space === (self?.space ?? 'joint')).map((p) => p.peerId)));
  }

  async toggleHand(): Promise<void> {
    await this.#act(() => this.call('hand:raise', { raised: !(this.self?.handRaised ?? false) }));
  }

  /** The recording notice was read and confirmed: the server takes this person's media from now on. */
  async confirmRecording(): Promise<void> {
    const done = await this.#act(() => this.call('recording:consent', {}));
    if (done && this.phase === 'room' && this.media.state === 'ready') await this.#act(() => this.media.produceWanted());
  }

  /** Host controls; failures become a notice. */
  async host<E extends HostEvent>(event: E, payload: ClientRequest<E>): Promise<ClientAck<E> | undefined> {
    return this.#act(() => this.call(event, payload));
  }

  async #act<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      this.notices.failed(error);
      return undefined;
    }
  }

  // ---- the person's own controls -----------------------------------------------------------

  async toggleMicrophone(): Promise<void> {
    if (!this.local.audioTrack) {
      // No microphone yet (refused earlier, or plugged in since): ask again.
      const track = await this.local.acquireAudio();
      if (!track) return void this.notices.notify(this.local.audioStatus === 'missing' ? 'room.notice.micMissing' : 'room.notice.noMicrophone', 'warn');
      this.micMuted = false;
      if (this.phase === 'room') await this.#act(() => this.media.produceMicrophone());
      return;
    }
    const producer = this.media.producer('microphone');
    if (this.micMuted) {
      if (this.hostMuted.audio) return void this.notices.notify('room.notice.hostMutedAudio', 'warn');
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
    if (this.cameraOff || !this.media.producing.camera) {
      if (this.hostMuted.video) return void this.notices.notify('room.notice.hostMutedVideo', 'warn');
      this.cameraOff = false;
      if (this.audioOnly) return this.setAudioOnly(false, 'user');
      const track = await this.local.acquireVideo();
      if (!track) {
        this.cameraOff = true;
        return void this.notices.notify(this.local.videoStatus === 'missing' ? 'room.notice.cameraMissing' : 'room.notice.noCamera', 'warn');
      }
      if (this.phase === 'room') await this.#act(() => this.media.produceCamera());
    } else {
      // Off means off: the camera is released, not just hidden.
      this.cameraOff = true;
      await this.media.closeProducer('camera');
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
    if (!on && reason === 'user') this.adaptation?.manualVideoBack();
    if (on) {
      await this.media.closeProducer('camera');
      this.local.stopVideo();
    }
    if (this.phase !== 'room' || !this.connection.entered) return;
    await this.#act(() => this.call('media:audio-only', { audioOnly: on }));
    if (!on && !this.cameraOff && !this.hostMuted.video) await this.#act(() => this.media.produceCamera());
  }

  async startScreenShare(): Promise<void> {
    // Sharing needs the mediator's permission (the server refuses it too): say so, no picker.
    if (!this.self?.canShareScreen) return void this.notices.notify('room.notice.screenNotAllowed', 'warn');
    if (!navigator.mediaDevices?.getDisplayMedia || !this.media.canShareScreen()) return;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { max: 5 } }, audio: false });
    } catch {
      return; // the person cancelled the picker
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    track.contentHint = 'detail';
    const producer = await this.#act(() => this.media.produceScreen(track));
    if (!producer) {
      track.stop(); // refused: the notice gives the server's reason
      return;
    }
    if (!this.self?.canShareScreen) await this.stopScreenShare(); // the permission went meanwhile
  }

  async stopScreenShare(): Promise<void> {
    this.media.producer('screen')?.track?.stop();
    await this.media.closeProducer('screen');
  }

  async #onHostMuted(kind: 'audio' | 'video', muted: boolean): Promise<void> {
    this.hostMuted = { ...this.hostMuted, [kind]: muted };
    if (kind === 'audio') {
      if (muted) {
        this.micMuted = true;
        this.media.producer('microphone')?.pause();
        this.notices.notify('room.notice.hostMutedAudio', 'warn');
      } else {
        this.notices.dismissKey('room.notice.hostMutedAudio');
        this.notices.notify('room.notice.hostUnmutedAudio', 'info');
      }
    } else if (muted) {
      this.cameraOff = true;
      await this.media.closeProducer('camera');
      this.local.stopVideo();
      this.notices.notify('room.notice.hostMutedVideo', 'warn');
    } else {
      this.notices.dismissKey('room.notice.hostMutedVideo');
      this.notices.notify('room.notice.hostUnmutedVideo', 'info');
    }
  }
}
