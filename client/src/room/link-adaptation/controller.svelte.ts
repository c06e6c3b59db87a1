/**
 * The weak-link controller of one person (issue 13): each stats sample of their own paths goes
 * through the decision table (decide.ts), once per direction; a decision is applied to this
 * person's media (camera layers and frame rate, the microphone's bitrate and frame length, the
 * layers received, voice only) and reported to the server as a link event. Only levels that
 * changed are applied: on a clean link nothing here ever touches the media.
 */
import type { types } from 'mediasoup-client';
import type { LinkEvent, LinkLevel, LinkReason } from '../../../../shared/realtime.ts';
import { type Decision, type DirectionState, initialState, judge, microphoneEncoding, overall, type PathSignals, recvVoiceWaits, retold, sendSettings, step, wasTheirs } from './decide.ts';
import { ownPath, type PathCounters } from './own-path.ts';

/** A new inbound stream is judged after this long: its sender's own link report may be on its way. */
const settleMs = 5_000;
/** After the person brings video back by hand, the controller does not take it away again for this long. */
const manualVideoGraceMs = 120_000;

export interface AdaptationOwner {
  producer(source: 'camera' | 'microphone'): types.Producer | undefined;
  /** What this person receives at a receive level (receive-plan.ts: layers capped, thumbnails paused); called every sample, idempotent. */
  receiveLevel(level: LinkLevel): void;
  /** Whether audio only is on, and whether this controller turned it on. */
  audioOnly(): { on: boolean; byNetwork: boolean };
  /** Voice only on or off, for the link's sake (a notice tells the person). */
  setVoiceOnly(on: boolean): void;
  /** The send level of whoever sends the track (null: unknown, counted as full). */
  senderLevel(trackIdentifier: string): LinkLevel | null;
  /** Who sends the track (null: unknown). */
  senderOf(trackIdentifier: string): string | null;
  report(event: LinkEvent): void;
}

export class LinkAdaptation {
  send = $state<LinkLevel>('full');
  recv = $state<LinkLevel>('full');
  /** Why each direction is where it is (empty when full). */
  reasons = $state.raw<Record<'send' | 'recv', LinkReason[]>>({ send: [], recv: [] });
  level = $derived(overall(this.send, this.recv));
  /** The latest decisions, oldest first (performance.now() times), for the browser tests. */
  decisions = $state.raw<(Decision & { at: number })[]>([]);
  /** The last minute of samples as judged (performance.now() times): why a decision came when it did. */
  readonly samples: {
    at: number;
    send: PathSignals & { level: LinkLevel; videoPackets: number };
    recv: PathSignals & { level: LinkLevel; judgedSenders: number; everySenderLossy: boolean };
  }[] = [];

  #state: Record<'send' | 'recv', DirectionState> = { send: initialState(), recv: initialState() };
  #counters: PathCounters = new Map();
  /** The producer id and send level last applied to the camera and the microphone. */
  readonly #applied = new Map<string, LinkLevel>();
  #manualUntil = 0;
  /** The levels last reported to the server (a level set without a report, as the device check's voice only, is not). */
  #told: Record<'send' | 'recv', LinkLevel> = { send: 'full', recv: 'full' };
  /** The uplink's latest bandwidth estimate (kbit/s): how much voice fits when it comes to voice only. */
  #uplinkKbps: number | null = null;
  /** When the receive side last stepped down from full (null: it is full, or came down long ago). */
  #recvDownAt: number | null = null;
  /** How many inbound streams were already left out then (a sender already known weak did not cause the step). */
  #theirsAtDown = 0;

  private readonly owner: AdaptationOwner;

  constructor(owner: AdaptationOwner) {
    this.owner = owner;
  }

  /** New transports: stream counters start over (levels are kept: the link is the same). */
  transportsReplaced(): void {
    this.#counters = new Map();
    this.#applied.clear();
  }

  /** Back in the room after a lost connection: the server may be a new one (see retold). Its levels unchanged are ignored there. */
  retell(): void {
    for (const decision of retold(this.#told, this.reasons)) this.owner.report({ ...decision, lossPct: null, rttMs: null });
  }

  /** Video back by the person's own hand: everything up, and no voice-only from us for a while. */
  manualVideoBack(): void {
    this.#manualUntil = Date.now() + manualVideoGraceMs;
    for (const direction of ['send', 'recv'] as const) {
      const from = this[direction];
      this.#state[direction] = initialState();
      if (from !== 'full') this.#decided({ direction, from, to: 'full', reasons: ['manual'] }, null, null);
    }
  }

  /** The device check measured a link too weak for video: start sending on voice only (the path decides from there). */
  startOnVoice(): void {
    this.#state.send = { ...initialState(), level: 'voice' };
    this.send = 'voice';
    this.reasons = { ...this.reasons, send: ['bandwidth'] };
  }

  /** One sample of both transports' statistics. */
  observe(sendStats: RTCStatsReport | null, recvStats: RTCStatsReport | null, now = performance.now()): void {
    const path = ownPath(sendStats, recvStats, this.#counters, now, {
      settleMs,
      counts: (track) => (this.owner.senderLevel(track) ?? 'full') === 'full',
      senderOf: (track) => this.owner.senderOf(track),
    });
    this.#counters = path.counters;
    this.#uplinkKbps = path.send.availableKbps ?? this.#uplinkKbps;
    const audioOnly = this.owner.audioOnly();
    // Audio only chosen by the person (or the device check): theirs to undo, nothing to adapt.
    if (audioOnly.on && !audioOnly.byNetwork) return;
    const judged = { send: judge('send', path.send), recv: judge('recv', path.recv) };
    // Our receive step came from a sender whose own uplink report has now arrived: it was theirs.
    // Only streams left out since the step count: a sender known weak before it did not cause it.
    if (wasTheirs(this.recv, this.#recvDownAt, path.theirs - this.#theirsAtDown, judged.recv, now)) {
      this.#state.recv = initialState();
      this.#recvDownAt = null;
      this.#decided({ direction: 'recv', from: this.recv, to: 'full', reasons: ['theirs'] }, null, path.recv.rttMs);
    }
    this.samples.push({
      at: now,
      send: { ...path.send, level: judged.send.level, videoPackets: path.uplinkVideoPackets },
      recv: { ...path.recv, level: judged.recv.level, judgedSenders: path.judgedSenders, everySenderLossy: path.everySenderLossy },
    });
    if (this.samples.length > 60) this.samples.shift();
    for (const direction of ['send', 'recv'] as const) {
      const judgement = judged[direction];
      // Within the grace after the person's own "video back", voice only is not ours to choose.
      if (Date.now() < this.#manualUntil && judgement.level === 'voice') judgement.level = direction === 'send' ? 'low' : 'reduced';
      // Receiving: voice only waits until a sender's own report could have come (it may be their uplink).
      if (direction === 'recv' && judgement.level === 'voice' && recvVoiceWaits(this.#recvDownAt, { everySenderLossy: path.everySenderLossy, rttMs: path.recv.rttMs }, now)) judgement.level = 'low';
      const { state, decision } = step(direction, this.#state[direction], judgement, now);
      this.#state[direction] = state;
      if (decision) {
        if (direction === 'recv') {
          if (decision.from === 'full') this.#theirsAtDown = path.theirs;
          this.#recvDownAt = decision.from === 'full' ? now : decision.to === 'full' ? null : this.#recvDownAt;
        }
        this.#decided(decision, path[direction].lossPct, path[direction].rttMs);
      }
    }
    this.#apply();
  }

  #decided(decision: Decision, lossPct: number | null, rttMs: number | null): void {
    this[decision.direction] = decision.to;
    this.decisions = [...this.decisions.slice(-19), { ...decision, at: performance.now() }];
    // Support and the browser tests read why from the console too.
    console.warn(`link adaptation: ${decision.direction} ${decision.from} → ${decision.to} (${decision.reasons.join(', ')}; loss ${lossPct ?? '–'} %, rtt ${rttMs ?? '–'} ms)`);
    this.reasons = { ...this.reasons, [decision.direction]: decision.to === 'full' ? [] : decision.reasons };
    this.#told = { ...this.#told, [decision.direction]: decision.to };
    this.owner.report({ ...decision, lossPct: lossPct === null ? null : Math.min(100, lossPct), rttMs: rttMs === null ? null : Math.min(60_000, rttMs) });
    const voice = this.send === 'voice' || this.recv === 'voice';
    const audioOnly = this.owner.audioOnly();
    if (voice && !audioOnly.on) this.owner.setVoiceOnly(true);
    if (!voice && audioOnly.on && audioOnly.byNetwork) this.owner.setVoiceOnly(false);
  }

  /** Brings the producers and the received layers in line with the levels (idempotent; cheap when nothing changed). */
  #apply(): void {
    const settings = sendSettings[this.send];
    const camera = this.owner.producer('camera');
    if (camera && !camera.closed && settings.maxSpatialLayer !== null) {
      this.#once(camera, this.send, async () => {
        await camera.setMaxSpatialLayer(settings.maxSpatialLayer!);
        await camera.setRtpEncodingParameters({ maxFramerate: settings.maxFramerate });
      });
    }
    const microphone = this.owner.producer('microphone');
    // At voice only, whichever direction brought it, the microphone takes voice only's settings: with
    // the camera off the send side can no longer step down on its own (it has no video to judge).
    const level = this.recv === 'voice' ? 'voice' : this.send;
    const uplinkKbps = this.#uplinkKbps;
    if (microphone && !microphone.closed) this.#once(microphone, level, () => microphone.setRtpEncodingParameters(microphoneEncoding(level, adaptivePtimeSupported(microphone), uplinkKbps)));
    this.owner.receiveLevel(this.recv);
  }

  /** A producer new to us is taken as full (what it was made with); anything else is set once per level. */
  #once(producer: types.Producer, level: LinkLevel, apply: () => Promise<void>): void {
    const before = this.#applied.get(producer.id) ?? 'full';
    this.#applied.set(producer.id, level);
    if (before === level) return;
    apply().catch((error: unknown) => {
      this.#applied.delete(producer.id);
      if (!producer.closed) console.warn('link adaptation: could not apply', level, error);
    });
  }
}

/** Whether the browser knows `adaptivePtime` (Chromium does; an unknown member would be dropped silently). */
function adaptivePtimeSupported(producer: types.Producer): boolean {
  try {
    const encoding = producer.rtpSender?.getParameters().encodings[0];
    return encoding !== undefined && 'adaptivePtime' in encoding;
  } catch {
    return false;
  }
}
