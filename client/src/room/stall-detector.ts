/**
 * Decides from a transport's received-byte counter that media which was flowing has stopped.
 *
 * A phone leaving Wi-Fi for 4G loses its old address: media and the signalling socket die with
 * it at the same instant. The browser says ICE "disconnected" only after about 5 s and socket.io's
 * ping times out after 10–20 s; counting the bytes that still arrive notices it in about a second.
 * Pure, so that the rule is tested without a browser.
 */
export interface ByteSample {
  atMs: number;
  bytesReceived: number;
}

export interface StallRule {
  /** No byte at all for this long is a stall... */
  quietMs: number;
  /** ...when, in the window of this length before the quiet began... */
  flowWindowMs: number;
  /** ...bytes arrived at least at this rate (a muted room, with almost nothing flowing, is not judged). */
  minFlowBytesPerSecond: number;
}

/**
 * Voice arrives at 50 packets a second (with DTX in silence, one every 400 ms, under the 1 kB/s
 * that makes the rule apply): after ≥ 1 kB/s, nothing at all for 0.8 s means the path is gone.
 */
export const defaultStallRule: StallRule = { quietMs: 800, flowWindowMs: 2_000, minFlowBytesPerSecond: 1_000 };

export class StallDetector {
  #samples: ByteSample[] = [];
  #reported = false;

  private readonly rule: StallRule;

  constructor(rule: StallRule = defaultStallRule) {
    this.rule = rule;
  }

  /** Feeds one sample; true exactly once per stall (again only after bytes flowed anew). */
  push(sample: ByteSample): boolean {
    const last = this.#samples.at(-1);
    if (last && sample.bytesReceived < last.bytesReceived) this.#samples = []; // a new transport: its counter starts again
    if (last && sample.bytesReceived > last.bytesReceived) this.#reported = false;
    this.#samples.push(sample);
    const keepFrom = sample.atMs - this.rule.quietMs - this.rule.flowWindowMs - 1_000;
    while (this.#samples.length > 2 && this.#samples[1]!.atMs < keepFrom) this.#samples.shift();
    if (this.#reported) return false;
    const stalled = this.#stalled(sample);
    if (stalled) this.#reported = true;
    return stalled;
  }

  /** Forget everything (transports replaced, connection re-entered). */
  reset(): void {
    this.#samples = [];
    this.#reported = false;
  }

  #stalled(now: ByteSample): boolean {
    // The first sample that already had today's count: when the quiet began, at the latest.
    const quietSince = this.#samples.find((s) => s.bytesReceived === now.bytesReceived);
    if (!quietSince || now.atMs - quietSince.atMs < this.rule.quietMs) return false;
    const windowStart = quietSince.atMs - this.rule.flowWindowMs;
    const before = [...this.#samples].reverse().find((s) => s.atMs <= windowStart);
    if (!before) return false;
    const rate = ((quietSince.bytesReceived - before.bytesReceived) * 1000) / (quietSince.atMs - before.atMs);
    return rate >= this.rule.minFlowBytesPerSecond;
  }
}

/** How long to wait for the signalling socket to answer before taking it for dead as well. */
export function probeTimeoutMs(rttMs: number | null): number {
  // The floor leaves a busy server (a worker being replaced, a loaded machine) time to answer.
  return Math.min(4_000, Math.max(1_200, 3 * (rttMs ?? 100) + 400));
}
