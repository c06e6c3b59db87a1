import type { types } from 'mediasoup-client';
import { type AdaptDecision, type AdaptState, LinkAdaptation } from './link-adaptation/controller.ts';
import { type InboundMemory, linkInputOf, records } from './link-adaptation/sampler.ts';
import { countersOf, type Counters, type LinkSample, sampleOf } from './link-stats.ts';

/** Once a second: decisions come within 3 s of the conditions showing (two or three samples). */
const statsIntervalMs = 1_000;
/** Every other sample goes to the mediator's link-quality column. */
const reportEvery = 2;
/** The sender's estimate starts low and climbs once video flows: it counts only after this long. */
const estimateSettleMs = 8_000;

export interface LinkMonitorSource {
  /** The transports to sample (closed ones are skipped), and whether sampling makes sense now. */
  transports(): { send: types.Transport | null; recv: types.Transport | null; active: boolean };
  /** A sample for the mediator's link-quality column. */
  report(sample: LinkSample): void;
  sendingCamera(): boolean;
  /** Whether the feed with this track id comes from someone whose own uplink is clean (their verdict says so). */
  fromCleanSender(trackId: string): boolean;
  /** The adaptation moved a level: apply it (and tell the server). */
  adapted(decisions: AdaptDecision[], state: AdaptState): void;
}

/**
 * Samples the WebRTC statistics of this person's transports, reports them, and runs their own
 * link adaptation (one controller per direction, see link-adaptation/controller.ts).
 */
export class LinkMonitor {
  lastSample = $state.raw<LinkSample | null>(null);
  /** Where this person's own send and receive paths stand. */
  state = $state.raw<AdaptState>({ send: 'high', recv: 'high' });
  /** The last decision, with its reason (what the person is told). */
  lastDecision = $state.raw<AdaptDecision | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;
  #counters: Counters | null = null;
  readonly #inbound: InboundMemory = new Map();
  #tick = 0;
  #busy = false;
  #videoSince: number | null = null;
  readonly #controller = new LinkAdaptation();

  private readonly source: LinkMonitorSource;

  constructor(source: LinkMonitorSource) {
    this.source = source;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#sample(), statsIntervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#counters = null;
    this.#inbound.clear();
    this.#controller.reset();
  }

  /** New transports: rates start again from their first sample. */
  transportsReplaced(): void {
    this.#counters = null;
    this.#inbound.clear();
    this.#controller.reset();
  }

  /** The person asked for video back themselves: both directions to the top, and kept there a while. */
  userRaised(): void {
    this.#apply(this.#controller.userRaised(Date.now()));
  }

  /** A sender's own verdict said their uplink is weak: a recent receive step down was their loss. */
  senderWeakened(): void {
    this.#apply(this.#controller.senderWeakened(Date.now()));
  }

  /** Milliseconds of calm still needed before the next step up (null: none pending). */
  calmLeftMs(): number | null {
    return this.#controller.calmLeftMs(Date.now());
  }

  async #sample(): Promise<void> {
    const { send: s, recv: r, active } = this.source.transports();
    const send = s && !s.closed ? s : null;
    const recv = r && !r.closed ? r : null;
    if (!active || (!send && !recv) || this.#busy) return;
    this.#busy = true;
    try {
      const [sendStats, recvStats] = await Promise.all([send?.getStats().catch(() => null) ?? null, recv?.getStats().catch(() => null) ?? null]);
      const counters = countersOf(sendStats, recvStats, performance.now());
      const sample = sampleOf(sendStats, recvStats, this.#counters, counters);
      this.#counters = counters;
      this.lastSample = sample;
      this.#tick += 1;
      if (this.#tick % reportEvery === 0) this.source.report(sample);
      const at = Date.now();
      if (!this.source.sendingCamera()) this.#videoSince = null;
      else this.#videoSince ??= at;
      const input = linkInputOf(records(sendStats), records(recvStats), this.#inbound, {
        at,
        sendingVideo: this.#videoSince !== null && at - this.#videoSince >= estimateSettleMs,
        fromCleanSender: (trackId) => this.source.fromCleanSender(trackId),
      });
      this.#apply(this.#controller.sample(input));
    } finally {
      this.#busy = false;
    }
  }

  #apply(decisions: AdaptDecision[]): void {
    if (!decisions.length) return;
    this.state = this.#controller.state;
    this.lastDecision = decisions.at(-1) ?? null;
    this.source.adapted(decisions, this.state);
  }
}
