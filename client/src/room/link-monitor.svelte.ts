import type { types } from 'mediasoup-client';
import { countersOf, sampleOf, type Counters, type LinkSample } from './link-stats.ts';

/** One sample a second: the weak-link controller decides within 3 s. */
const statsIntervalMs = 1_000;
/** Every fifth sample goes to the server (the mediator's link-quality column). */
const reportEvery = 5;

export interface LinkMonitorSource {
  /** The transports to sample (closed ones are skipped), and whether sampling makes sense now. */
  transports(): { send: types.Transport | null; recv: types.Transport | null; active: boolean };
  report(sample: LinkSample): void;
  /** Both transports' raw statistics, for the weak-link controller. */
  observe(send: RTCStatsReport | null, recv: RTCStatsReport | null): void;
}

/** Samples the WebRTC statistics of this person's transports, reports them, and hands them to the weak-link controller. */
export class LinkMonitor {
  lastSample = $state.raw<LinkSample | null>(null);
  #timer: ReturnType<typeof setInterval> | null = null;
  #counters: Counters | null = null;
  #tick = 0;
  #sampling = false;

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
  }

  /** New transports: rates start again from their first sample. */
  transportsReplaced(): void {
    this.#counters = null;
  }

  async #sample(): Promise<void> {
    // A slow getStats (a busy phone) must not pile samples up.
    if (this.#sampling) return;
    const { send: s, recv: r, active } = this.source.transports();
    const send = s && !s.closed ? s : null;
    const recv = r && !r.closed ? r : null;
    if (!active || (!send && !recv)) return;
    this.#sampling = true;
    try {
      const [sendStats, recvStats] = await Promise.all([send?.getStats().catch(() => null) ?? null, recv?.getStats().catch(() => null) ?? null]);
      const counters = countersOf(sendStats, recvStats, performance.now());
      const sample = sampleOf(sendStats, recvStats, this.#counters, counters);
      this.#counters = counters;
      this.lastSample = sample;
      this.#tick += 1;
      if (this.#tick % reportEvery === 0) this.source.report(sample);
      this.source.observe(sendStats, recvStats);
    } finally {
      this.#sampling = false;
    }
  }
}
