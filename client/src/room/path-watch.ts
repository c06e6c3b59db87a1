import type { types } from 'mediasoup-client';
import { pathCounters } from './link-stats.ts';
import { probeTimeoutMs, StallDetector } from './stall-detector.ts';

const sampleEveryMs = 250;
/** After acting on a lost path, give the new connection this long before judging again. */
const settleMs = 20_000;

export interface PathWatchSource {
  /** The transport media arrives on (null before media started or while media is being started again). */
  recvTransport(): types.Transport | null;
  /** Asks the server something trivial over the signalling socket; rejects when no answer came in time. */
  probe(timeoutMs: number): Promise<unknown>;
  /** Media stopped and the socket did not answer: the path is gone (new address). */
  pathLost(): void;
}

/**
 * Watches that media keeps arriving while in the room. When it stops, asks the server over the
 * socket: no answer means the path itself is gone (Wi-Fi → 4G), so the socket is dropped and
 * opened again at once and ICE restarted, instead of waiting for ICE's and socket.io's own
 * timeouts (≈15 s measured). An answer means only the media is quiet: ICE's own handling stays.
 */
export class PathWatch {
  #timer: ReturnType<typeof setInterval> | null = null;
  #detector = new StallDetector();
  #rttMs: number | null = null;
  #busy = false;
  #quietUntil = 0;

  private readonly source: PathWatchSource;

  constructor(source: PathWatchSource) {
    this.source = source;
  }

  start(): void {
    if (this.#timer) return;
    this.#detector.reset();
    this.#timer = setInterval(() => void this.#sample(), sampleEveryMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #sample(): Promise<void> {
    const transport = this.source.recvTransport();
    if (this.#busy || !transport || transport.closed) return;
    this.#busy = true;
    try {
      const { bytesReceived, rttMs } = pathCounters(await transport.getStats().catch(() => null));
      if (rttMs !== null) this.#rttMs = rttMs;
      if (bytesReceived === null || !this.#timer) return;
      if (!this.#detector.push({ atMs: performance.now(), bytesReceived })) return;
      const answered = await this.source.probe(probeTimeoutMs(this.#rttMs)).then(
        () => true,
        () => false,
      );
      if (!answered && this.#timer && performance.now() >= this.#quietUntil) {
        this.#quietUntil = performance.now() + settleMs;
        this.source.pathLost();
      }
    } finally {
      this.#busy = false;
    }
  }
}
