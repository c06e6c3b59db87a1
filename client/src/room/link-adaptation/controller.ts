/**
 * Link adaptation for one person, one direction at a time (issue 13). Pure: samples in,
 * decisions with reasons out; no WebRTC, no timers. The send path is judged only by what this
 * person's own uplink shows (loss the SFU reports for our streams, our bandwidth estimate, our
 * round trip); the receive path only by loss, jitter and concealment on feeds whose sender's
 * uplink is clean (the glue leaves the others out), so nobody reduces their own video because of
 * someone else's link.
 *
 * Hysteresis: down as soon as two samples in a row (≈2 s; three for the receive path) show the
 * worse grade, possibly several steps at once; up one step after a stable period, which doubles each time a step up fails.
 */

import { type AdaptReason, type RecvLevel, recvLevels, type SendLevel, sendLevels } from '../../../../shared/domain/link-adaptation.ts';

export type Direction = 'send' | 'recv';

/** One sample (about a second) of this person's own statistics; null: not measured this time. */
export interface LinkInput {
  at: number;
  /** Loss on our uplink, from the SFU's receiver reports on our streams (remote-inbound-rtp), %. */
  sendLossPct: number | null;
  /** Our own round trip (selected candidate pair), ms. */
  rttMs: number | null;
  /** Our sender bandwidth estimate (availableOutgoingBitrate), kbit/s; only meaningful while video is sent. */
  outgoingKbps: number | null;
  /** Video has been sent long enough (a few seconds) for the estimate to have probed upwards. */
  sendingVideo: boolean;
  /** Loss, jitter and audio concealment on what we receive, from senders whose own uplink is clean. */
  recvLossPct: number | null;
  jitterMs: number | null;
  concealedPct: number | null;
}

/** The Opus settings that go with a send level (DTX and in-band FEC stay on throughout). */
export interface AudioSettings {
  maxBitrate: number;
  ptime: number;
}

export interface AdaptDecision {
  at: number;
  direction: Direction;
  from: SendLevel | RecvLevel;
  to: SendLevel | RecvLevel;
  reason: AdaptReason;
  /** The figure that decided it (loss %, kbit/s, ms), when there is one. */
  value: number | null;
}

export interface AdaptState {
  send: SendLevel;
  recv: RecvLevel;
}

/** Grade thresholds: index = grade (0 high … 3 off). A value at or above [g] is at least grade g+1. */
export const thresholds = {
  /** Uplink or downlink loss, %: 10 % random loss (scenario A) is too much for any video. */
  lossPct: [2, 4, 8],
  /** Round trip, ms: 600 ms (VSAT) keeps video at 180p at most. */
  rttMs: [250, 450, 1_500],
  /** Jitter, ms. */
  jitterMs: [40, 80, 200],
  /** Concealed audio, %. */
  concealedPct: [2, 4, 8],
  /** Outgoing estimate, kbit/s, below which a level cannot be carried (with audio on top). */
  outgoingKbps: [700, 280, 130],
} as const;

/**
 * Samples in a row that must show a worse grade before stepping down. The receive path waits one
 * more: a sender's own uplink loss reaches their receivers at once, while the sender's verdict
 * (which tells receivers to leave that feed out) takes about two samples to arrive.
 */
const downSamples: Record<Direction, number> = { send: 2, recv: 3 };
const firstUpHoldMs = 15_000;
const maxUpHoldMs = 120_000;
/** A step down this soon after a step up means the step up failed. */
const failedStepUpMs = 20_000;
/** How far back a receive step down is taken back when a sender's verdict says the loss was theirs. */
const senderVerdictWindowMs = 6_000;
/** After the person brings video back by hand, the link does not take it away again for this long. */
const userGraceMs = 120_000;

export const audioForSend: Record<SendLevel, AudioSettings> = {
  high: { maxBitrate: 24_000, ptime: 20 },
  medium: { maxBitrate: 20_000, ptime: 20 },
  low: { maxBitrate: 16_000, ptime: 40 },
  off: { maxBitrate: 10_000, ptime: 60 },
};

interface Graded {
  grade: number;
  reason: AdaptReason;
  value: number | null;
}

function gradeOf(value: number | null, limits: readonly number[], reason: AdaptReason, higherIsWorse = true): Graded {
  if (value === null) return { grade: 0, reason, value };
  let grade = 0;
  for (const [i, limit] of limits.entries()) if (higherIsWorse ? value >= limit : value < limit) grade = i + 1;
  return { grade, reason, value };
}

function worst(...grades: Graded[]): Graded {
  return grades.reduce((a, b) => (b.grade > a.grade ? b : a));
}

/** How bad this sample says each path is (0 = fit for the top level, 3 = no video). */
export function gradeSample(input: LinkInput): Record<Direction, Graded> {
  const rtt = gradeOf(input.rttMs, thresholds.rttMs, 'rtt');
  // Without video the estimate does not probe upwards: it says nothing about carrying video. And
  // a low estimate alone lowers the layer but never takes video away (180p fits in 100 kbit/s;
  // real congestion shows as loss).
  const bandwidth = gradeOf(input.sendingVideo ? input.outgoingKbps : null, thresholds.outgoingKbps, 'bandwidth', false);
  bandwidth.grade = Math.min(bandwidth.grade, 2);
  const send = worst(
    gradeOf(input.sendLossPct, thresholds.lossPct, 'loss'),
    rtt,
    bandwidth,
  );
  const recv = worst(
    gradeOf(input.recvLossPct, thresholds.lossPct, 'loss'),
    rtt,
    gradeOf(input.jitterMs, thresholds.jitterMs, 'jitter'),
    gradeOf(input.concealedPct, thresholds.concealedPct, 'concealment'),
  );
  return { send, recv };
}

class PathAdapter {
  level = 0;
  readonly #downSamples: number;
  #recent: Graded[] = [];
  #calmSince: number | null = null;
  #upHoldMs = firstUpHoldMs;
  #lastUpAt = Number.NEGATIVE_INFINITY;
  #floorUntil = 0;
  #lastDown: { at: number; from: number; to: number } | null = null;

  constructor(downSamples: number) {
    this.#downSamples = downSamples;
  }

  /** The new level index, with why, or null to stay. */
  step(at: number, graded: Graded): { level: number; reason: AdaptReason; value: number | null } | null {
    this.#recent = [...this.#recent, graded].slice(-this.#downSamples);
    // Down: the better of the last two samples is still worse than where we are.
    if (this.#recent.length === this.#downSamples) {
      const held = this.#recent.reduce((a, b) => (b.grade < a.grade ? b : a));
      // After the person brought video back by hand, the link may reduce it but not take it away.
      const cap = at < this.#floorUntil ? sendLevels.length - 2 : sendLevels.length - 1;
      const target = Math.min(held.grade, cap);
      if (target > this.level) {
        if (at - this.#lastUpAt < failedStepUpMs) this.#upHoldMs = Math.min(this.#upHoldMs * 2, maxUpHoldMs);
        const why = worst(...this.#recent);
        this.#lastDown = why.reason === 'rtt' ? null : { at, from: this.level, to: target };
        this.level = target;
        this.#calmSince = null;
        return { level: target, reason: why.reason, value: why.value };
      }
    }
    // Up: every sample for the hold period was fit for at least one level better.
    if (this.level === 0 || graded.grade >= this.level) {
      this.#calmSince = null;
      return null;
    }
    this.#calmSince ??= at;
    if (at - this.#calmSince < this.#upHoldMs) return null;
    this.level -= 1;
    this.#lastUpAt = at;
    this.#calmSince = null;
    return { level: this.level, reason: 'stable', value: null };
  }

  /**
   * Takes back the last step down if it came within `windowMs` and was about loss seen on what
   * was received: that loss turned out to be a sender's. Returns the level restored, or null.
   */
  undoRecentDown(at: number, windowMs: number): { from: number; to: number } | null {
    const last = this.#lastDown;
    if (!last || at - last.at > windowMs || this.level !== last.to) return null;
    this.level = last.from;
    this.#lastDown = null;
    this.#recent = [];
    this.#calmSince = null;
    return { from: last.to, to: last.from };
  }

  /** The person chose video again: back to the top, and no drop to "off" for a while. */
  userRaised(at: number): void {
    this.level = 0;
    this.#recent = [];
    this.#calmSince = null;
    this.#floorUntil = at + userGraceMs;
  }

  /** Forgets the samples (new transports: the old figures no longer apply). */
  reset(): void {
    this.#recent = [];
    this.#calmSince = null;
  }

  /** Seconds of calm still needed before the next step up (null when at the top or not calm). */
  calmLeftMs(at: number): number | null {
    if (this.level === 0 || this.#calmSince === null) return null;
    return Math.max(0, this.#upHoldMs - (at - this.#calmSince));
  }
}

export class LinkAdaptation {
  readonly #send = new PathAdapter(downSamples.send);
  readonly #recv = new PathAdapter(downSamples.recv);

  get state(): AdaptState {
    return { send: sendLevels[this.#send.level]!, recv: recvLevels[this.#recv.level]! };
  }

  /** One sample in; the decisions it leads to (none, one or one per direction) out. */
  sample(input: LinkInput): AdaptDecision[] {
    const graded = gradeSample(input);
    const decisions: AdaptDecision[] = [];
    const before = this.state;
    const send = this.#send.step(input.at, graded.send);
    if (send) decisions.push({ at: input.at, direction: 'send', from: before.send, to: sendLevels[send.level]!, reason: send.reason, value: send.value });
    const recv = this.#recv.step(input.at, graded.recv);
    if (recv) decisions.push({ at: input.at, direction: 'recv', from: before.recv, to: recvLevels[recv.level]!, reason: recv.reason, value: recv.value });
    return decisions;
  }

  /**
   * A sender's own verdict just said their uplink is weak: a receive step down of the last few
   * seconds was about their loss, not ours, and is taken back.
   */
  senderWeakened(at: number): AdaptDecision[] {
    const before = this.state.recv;
    const undone = this.#recv.undoRecentDown(at, senderVerdictWindowMs);
    if (!undone) return [];
    return [{ at, direction: 'recv', from: before, to: recvLevels[undone.to]!, reason: 'sender', value: null }];
  }

  /** The person asked for video back: both directions to the top. */
  userRaised(at: number): AdaptDecision[] {
    const before = this.state;
    this.#send.userRaised(at);
    this.#recv.userRaised(at);
    const out: AdaptDecision[] = [];
    if (before.send !== 'high') out.push({ at, direction: 'send', from: before.send, to: 'high', reason: 'user', value: null });
    if (before.recv !== 'high') out.push({ at, direction: 'recv', from: before.recv, to: 'high', reason: 'user', value: null });
    return out;
  }

  reset(): void {
    this.#send.reset();
    this.#recv.reset();
  }

  calmLeftMs(at: number): number | null {
    const left = [this.#send.calmLeftMs(at), this.#recv.calmLeftMs(at)].filter((v): v is number => v !== null);
    return left.length ? Math.min(...left) : null;
  }
}

/** The highest simulcast layer sent (0 = 180p), null: no camera. */
export function maxSendLayer(level: SendLevel): number | null {
  return { high: 2, medium: 1, low: 0, off: null }[level];
}

/** The highest layer received for a camera, null: paused. Screen shares only at 'high'. */
export function recvLayerCap(level: RecvLevel, source: 'camera' | 'screen', featured: boolean): number | null {
  if (source === 'screen') return level === 'high' ? 2 : null;
  if (level === 'high') return 2;
  if (level === 'low') return 0;
  if (level === 'minimal') return featured ? 0 : null;
  return null;
}
