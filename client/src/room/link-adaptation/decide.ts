/**
 * The weak-link decision table (issue 13), pure: one person, one direction. Each sample of that
 * person's OWN path (their uplink for `send`, their downlink for `recv`) gives the level the path
 * can carry now; hysteresis turns those into decisions. Worse: as soon as the last few samples
 * all justify it (within 3 s at one sample a second). Better: one step at a time, only after the
 * path has been good enough for the next step up for a stable period.
 */
import { type LinkDirection, type LinkLevel, type LinkReason, linkLevels } from '../../../../shared/realtime.ts';

/** What one sample says about one direction of this person's own path (null: not measured). */
export interface PathSignals {
  lossPct: number | null;
  rttMs: number | null;
  /** Send only: the browser's bandwidth estimate for this person's uplink. */
  availableKbps?: number | null;
  /** Receive only: audio concealed by the decoder (per cent of samples played). */
  concealedPct?: number | null;
  jitterMs?: number | null;
  /** The loss figure is only an upper bound (send without video: audio's report, which may be a listener's): it may lift a level, never lower one. */
  lossUpperBound?: boolean;
}

/** Thresholds per level index (1 = reduced, 2 = low, 3 = voice): a signal at or past one justifies that level. */
const thresholds = {
  lossPct: [2, 5, 8],
  rttMs: [350, 550, 1_000],
  concealedPct: [3, 6, 12],
  jitterMs: [60, 120, 200],
} as const;
/** Loss that means voice only by itself. */
const severeLossPct = 20;
/** Bandwidth below these (kbit/s) justifies the level; counted only alongside loss or delay (the estimate starts low on any link). */
const availableKbpsBelow = [400, 200, 100] as const;


interface Judgement {
  level: LinkLevel;
  reasons: LinkReason[];
  /** Nothing was measured: the sample is no evidence either way. */
  empty: boolean;
  /** Evidence only for a level at least as good as the current one (the loss figure was an upper bound). */
  upOnly?: boolean;
}

function indexPast(value: number | null | undefined, limits: readonly number[], below = false): number {
  if (value === null || value === undefined) return 0;
  let index = 0;
  limits.forEach((limit, i) => {
    if (below ? value < limit : value >= limit) index = i + 1;
  });
  return index;
}

/** The level one sample of one direction justifies, and why. */
export function judge(direction: LinkDirection, s: PathSignals): Judgement {
  // Everything else counts only alongside loss: a sample without a loss figure (no fresh receiver
  // report, too few packets) says nothing either way.
  const empty = s.lossPct === null || s.lossPct === undefined;
  const scores: [LinkReason, number][] = [['loss', indexPast(s.lossPct, thresholds.lossPct)]];
  // Delay, concealment and jitter also come from a busy machine (a starved browser answers its
  // STUN checks seconds late on a clean link), and the bandwidth estimate starts low on any link:
  // they count only alongside packets really lost on the path.
  if ((s.lossPct ?? 0) >= 1) {
    scores.push(['delay', indexPast(s.rttMs, thresholds.rttMs)]);
    if (direction === 'recv') {
      scores.push(['concealment', indexPast(s.concealedPct, thresholds.concealedPct)]);
      scores.push(['jitter', indexPast(s.jitterMs, thresholds.jitterMs)]);
    }
    if (direction === 'send') scores.push(['bandwidth', indexPast(s.availableKbps, availableKbpsBelow, true)]);
  }
  let worst = Math.max(...scores.map(([, i]) => i));
  // Voice only takes two signals past the voice limit of one of them (a busy machine alone shows
  // one: late packets or a burst of loss), or loss far past it (a fifth of the packets).
  if (worst === 3) {
    const past = scores.filter(([, i]) => i >= 2).length;
    if (past < 2 && (s.lossPct ?? 0) < severeLossPct) {
      worst = 2;
      for (const score of scores) score[1] = Math.min(score[1], 2);
    }
  }
  // Sending: loss, delay and a narrow estimate all past the low limit at once: the uplink cannot
  // carry video. Scenario A's 10 % loss reads under the voice limit in a third of the samples of a
  // slow camera (a busy phone sends 15–20 video packets a second); with all three, 5 % will do.
  const allPastLow = direction === 'send' && worst === 2 && scores.length === 3 && scores.every(([, i]) => i >= 2);
  if (allPastLow) {
    worst = 3;
    for (const score of scores) score[1] = 3;
  }
  const level = linkLevels[worst]!;
  const judgement: Judgement = { level, reasons: worst === 0 ? [] : scores.filter(([, i]) => i === worst).map(([r]) => r), empty };
  if (!s.lossUpperBound) return judgement;
  // An upper bound on the loss (no video sent): a clean one proves the path good. A bad one may be
  // a listener's; with the path's own round trip short, video is still tried again after the
  // stable period (its retransmissions then judge the uplink within 3 s); otherwise nothing is known.
  // A bad bound with a long round trip proves nothing, but it does break a stable period.
  if (level === 'full' || (s.rttMs !== null && s.rttMs < thresholds.rttMs[0])) return { level: 'full', reasons: [], empty, upOnly: true };
  return { ...judgement, upOnly: true };
}

export interface DirectionState {
  level: LinkLevel;
  /** The levels the latest samples justified, newest last (as many as the slowest rule needs). */
  recent: LinkLevel[];
  /** When the samples started to justify a better level without a break (null: they do not). */
  betterSince: number | null;
}

interface Rules {
  /** Samples in a row that must justify a worse level before moving there, per level. */
  downSamples: Record<LinkLevel, number>;
  /** How long the path must be good enough for the next level up before stepping there. */
  stableMs: number;
}

/**
 * One sample a second: down within 2–5 s. Sending moves on the third sample in a row that
 * justifies it, straight to the worst level all three justify (issue 13: voice only within 10 s;
 * the uplink's retransmission share comes in bursts of one or two seconds on a busy machine's
 * clean loopback: seen at 23 % and 99 %); on the receive side voice only takes longer (another
 * person's uplink report may still be on its way).
 */
export const defaultRules: Record<LinkDirection, Rules> = {
  send: { downSamples: { full: 1, reduced: 3, low: 3, voice: 3 }, stableMs: 20_000 },
  recv: { downSamples: { full: 1, reduced: 2, low: 2, voice: 5 }, stableMs: 20_000 },
};

export const initialState = (): DirectionState => ({ level: 'full', recent: [], betterSince: null });

export interface Decision {
  direction: LinkDirection;
  from: LinkLevel;
  to: LinkLevel;
  /** Why: the signals past their limit (down), or 'stable' (up). */
  reasons: LinkReason[];
}

const rank = (level: LinkLevel) => linkLevels.indexOf(level);

/** Feeds one sample to one direction: the new state, and a decision when the level changes. */
export function step(direction: LinkDirection, state: DirectionState, judgement: Judgement, now: number, rules: Rules = defaultRules[direction]): { state: DirectionState; decision: Decision | null } {
  if (judgement.empty) return { state, decision: null };
  // An upper bound that looks bad may be someone else's loss: no step down, but no stable period either.
  if (judgement.upOnly && rank(judgement.level) > rank(state.level)) return { state: { ...state, betterSince: null }, decision: null };
  const keep = Math.max(...Object.values(rules.downSamples));
  const recent = [...state.recent, judgement.level].slice(-keep);
  const current = rank(state.level);
  // Worse: the worst level that each of its last `downSamples` samples justified.
  for (const candidate of [...linkLevels].reverse()) {
    if (rank(candidate) <= current) break;
    const n = rules.downSamples[candidate];
    const window = recent.slice(-n);
    if (window.length === n && window.every((l) => rank(l) >= rank(candidate))) {
      return {
        // The window is kept: the next sample may already justify a worse level still.
        state: { level: candidate, recent, betterSince: null },
        decision: { direction, from: state.level, to: candidate, reasons: judgement.reasons.length ? judgement.reasons : ['loss'] },
      };
    }
  }
  // Better: one step, after a stable period in which every sample allowed it.
  const up = linkLevels[rank(state.level) - 1];
  if (!up || rank(judgement.level) > rank(up)) return { state: { ...state, recent, betterSince: null }, decision: null };
  const betterSince = state.betterSince ?? now;
  if (now - betterSince < rules.stableMs) return { state: { ...state, recent, betterSince }, decision: null };
  // The next step up counts its stable period from this one.
  return { state: { level: up, recent: [], betterSince: now }, decision: { direction, from: state.level, to: up, reasons: ['stable'] } };
}

/** A receive step down taken this soon before the sender's own report of a weak uplink arrived is taken back. */
export const theirsWithinMs = 10_000;

/**
 * Whether the receive side's step down was a sender's uplink after all: our first samples saw
 * their loss before their own verdict reached us; now their streams are left out (`newlyTheirs`:
 * streams left out since the step, not those of a sender known weak before it) and what remains
 * is clean or says nothing.
 */
export function wasTheirs(recv: LinkLevel, downAt: number | null, newlyTheirs: number, judgement: Judgement, now: number): boolean {
  return recv !== 'full' && downAt !== null && now - downAt < theirsWithinMs && newlyTheirs > 0 && (judgement.empty || judgement.level === 'full');
}

/** A sender's streams this lossy (per cent) count toward "every sender is lossy". */
export const senderLossyPct = thresholds.lossPct[1];

/** What says the trouble is our own downlink, not a sender's uplink. */
export interface OwnDownlinkEvidence {
  /** Two or more senders' streams are all lossy. */
  everySenderLossy: boolean;
  /** Our own round trip (the receive path's): a sender's weak uplink loses packets on the way to us but does not lengthen it. */
  rttMs: number | null;
}

/**
 * Receiving goes to voice only once its first step down is as old as the window in which it may
 * be taken back (`theirsWithinMs`): a sender's own report of a weak uplink must cross that weak link to reach us
 * (7 s in weak-link B, namespace). Before this a clean-link mediator went to voice only 3 s into
 * a party's flooded 48 kbit/s uplink (a quarter of the party's packets lost: "severe").
 * Not when the downlink is ours: several senders all lossy, or our own round trip past the low
 * limit (a fisherman in scenario A under load whose send side had no loss figure: voice only
 * waited 12 s on the receive side alone, with 10 % loss and 600–700 ms round trips).
 */
export function recvVoiceWaits(recvDownAt: number | null, ours: OwnDownlinkEvidence, now: number): boolean {
  if (ours.everySenderLossy || (ours.rttMs ?? 0) >= thresholds.rttMs[1]) return false;
  return recvDownAt === null || now - recvDownAt < theirsWithinMs;
}

/** What the send level means for the camera. */
export const sendSettings: Record<LinkLevel, { maxSpatialLayer: number | null; maxFramerate: number }> = {
  full: { maxSpatialLayer: 2, maxFramerate: 30 },
  reduced: { maxSpatialLayer: 1, maxFramerate: 30 },
  low: { maxSpatialLayer: 0, maxFramerate: 15 },
  voice: { maxSpatialLayer: null, maxFramerate: 15 },
};

/**
 * Opus keeps 24 kbit/s at every level: libopus adds in-band FEC (LBRR) only above a rate that grows
 * with loss (16 kbit/s wideband, 12 narrowband, × (125 − loss %) / 100, ± 1 kbit/s hysteresis), so
 * at 8–16 kbit/s a 5–10 % lossy path gets no FEC and concealment ≈ loss. What a weak link cannot
 * carry is video, not 24 kbit/s of voice.
 */
export const microphoneMaxBitrate = 24_000;
/** Voice only in a browser that cannot lengthen the frames: 20 ms packets carry ≈ 26 kbit/s of headers, so 8 kbit/s (no FEC) to fit a 48 kbit/s link. */
export const microphoneFixedPtimeVoiceBitrate = 8_000;

/**
 * Voice only on an uplink this narrow (kbit/s, the browser's estimate): 24 kbit/s of Opus plus
 * its headers did not fit a 48 kbit/s link until the frames lengthened, which waits for the
 * estimate to fall (weak-link B: a quarter to two fifths of the party's packets dropped for 10 s
 * after voice only). 16 kbit/s is libwebrtc's floor under `adaptivePtime`. Above 5 % loss libopus
 * keeps FEC there by narrowing the audio band to narrowband (`decide_fec`: 12 kbit/s ×
 * (125 − loss %) / 100); at 5 % or less it sends no FEC, and the loss is concealed one for one.
 */
export const narrowUplinkKbps = 100;
export const microphoneNarrowVoiceBitrate = 16_000;

/**
 * The microphone sender's parameters at a send level. At voice only the headers go instead of the
 * FEC: under `adaptivePtime` Chromium's audio network adaptor picks the shortest frame (20–120 ms)
 * that leaves 16 kbit/s of payload within the uplink's bandwidth estimate, and keeps the encoder
 * at 16 kbit/s or more, without renegotiation (60 ms packets carry ≈ 9 kbit/s of headers); on a
 * narrow uplink the payload is 16 kbit/s from the start. A browser without it (`supported` false)
 * keeps 20 ms frames and falls back to 8 kbit/s.
 */
export function microphoneEncoding(level: LinkLevel, adaptivePtimeSupported: boolean, uplinkKbps: number | null = null): { maxBitrate: number; adaptivePtime: boolean } {
  if (level !== 'voice') return { maxBitrate: microphoneMaxBitrate, adaptivePtime: false };
  if (!adaptivePtimeSupported) return { maxBitrate: microphoneFixedPtimeVoiceBitrate, adaptivePtime: false };
  const narrow = uplinkKbps !== null && uplinkKbps < narrowUplinkKbps;
  return { maxBitrate: narrow ? microphoneNarrowVoiceBitrate : microphoneMaxBitrate, adaptivePtime: true };
}

/** The person's link in one word, from both directions: the worse one counts. */
export function overall(send: LinkLevel, recv: LinkLevel): LinkLevel {
  return rank(send) >= rank(recv) ? send : recv;
}

/**
 * The levels below full this person's server was told, told again: after a server restart or a
 * failover the node now holding the room knows none of them (its downlink cap and the mediator's
 * view would read full). Each as a step from full, with the reasons it was taken for.
 */
export function retold(told: Record<LinkDirection, LinkLevel>, reasons: Record<LinkDirection, LinkReason[]>): Decision[] {
  return (['send', 'recv'] as const).filter((direction) => told[direction] !== 'full' && reasons[direction].length > 0).map((direction) => ({ direction, from: 'full', to: told[direction], reasons: [...reasons[direction]] }));
}
