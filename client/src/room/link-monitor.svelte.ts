import type { types } from 'mediasoup-client';
import { countersOf, isWeak, sampleOf, type Counters, type LinkSample } from './link-stats.ts';

const statsIntervalMs = 2_500;
/** Bad samples in a row (≈10 s) before dropping to audio only. */
const weakSamplesToDrop = 4;
/** After the person brings video back by hand, do not drop it again for this long. */
const manualVideoGraceMs = 120_000;

export interface LinkMonitorSource {
  /** The transports to sample (closed ones are skipped), and whether sampling makes sense now. */
  transports(): { send: types.Transport | null; recv: types.Transport | null; active: boolean };
  /** Every other sample goes to the server (the mediator's link-quality column). */
  report(sample: LinkSample): void;
  /** Whether audio only is on already, and whether a camera is being sent. */
  audioOnly(): boolean;
  sendingCamera(): boolean;
  /** The link has not carried video for ≈10 s. */
  weak(): void;
}

/** Samples the WebRTC statistics of this person's transports, reports them, and notices a link too weak for video. */
export class LinkMonitor {
  lastSample = $state.raw<LinkSample | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;
  #counters: Counters | null = null;
  #tick = 0;
  #weakSamples = 0;
  #manualVideoUntil = 0;

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
    this.#weakSamples = 0;
  }

  /** New transports: rates start again from their first sample. */
  transportsReplaced(): void {
    this.#counters = null;
  }

  /** Audio only was switched (by hand or not): weak samples count from zero. */
  audioOnlyChanged(videoBackByHand: boolean): void {
    this.#weakSamples = 0;
    if (videoBackByHand) this.#manualVideoUntil = Date.now() + manualVideoGraceMs;
  }

  async #sample(): Promise<void> {
    const { send: s, recv: r, active } = this.source.transports();
    const send = s && !s.closed ? s : null;
    const recv = r && !r.closed ? r : null;
    if (!active || (!send && !recv)) return;
    const [sendStats, recvStats] = await Promise.all([send?.getStats().catch(() => null) ?? null, recv?.getStats().catch(() => null) ?? null]);
    const counters = countersOf(sendStats, recvStats, performance.now());
    const sample = sampleOf(sendStats, recvStats, this.#counters, counters);
    this.#counters = counters;
    this.lastSample = sample;
    this.#tick += 1;
    if (this.#tick % 2 === 0) this.source.report(sample);
    this.#check(sample);
  }

  /** Drops to audio only when the link has not carried video for ≈10 s. */
  #check(sample: LinkSample): void {
    if (this.source.audioOnly() || Date.now() < this.#manualVideoUntil) {
      this.#weakSamples = 0;
      return;
    }
    this.#weakSamples = isWeak(sample, this.source.sendingCamera()) ? this.#weakSamples + 1 : 0;
    if (this.#weakSamples >= weakSamplesToDrop) this.source.weak();
  }
}
