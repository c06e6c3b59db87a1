/**
 * May this node judge other nodes dead on this pass? A node whose own pass came late (event loop
 * blocked, CPU starved, database slow) reads the others' heartbeats as stale for the very reason
 * it was late: on a loaded machine the starvation that delayed it delayed them too. So, like
 * Cassandra's failure detector ("not marking nodes down due to local pause"), failover is skipped
 * on a late pass and stays off until the node has been on time for `lateAfterMs` again, which
 * gives a peer starved in the same episode as long to beat again.
 */
export type LateReason = 'event loop' | 'heartbeat gap' | 'database round trip';

export interface PassTiming {
  /** When the pass started (monotonic ms, `performance.now()`). */
  startedAt: number;
  /** The database's time of this pass's heartbeat (`now()` in its statement). */
  beatAt: Date;
  /** How long the heartbeat statement took, sent to answered. */
  roundTripMs: number;
}

export interface Lateness {
  reason: LateReason;
  /** The figure over the limit. */
  gapMs: number;
  /** Since the previous pass started (null on the first). */
  eventLoopGapMs: number | null;
  /** Since the previous successful heartbeat, by the database's clock (null on the first). */
  heartbeatGapMs: number | null;
  roundTripMs: number;
}

export type Verdict =
  /** Judge: `resumed` when this ends an episode of skipped passes. */
  | { judge: true; resumed: { skippedPasses: number; episodeMs: number } | null }
  /** Skip failover: late now (`late` set), or settling after a late pass (`late` null). */
  | { judge: false; late: Lateness | null; newEpisode: boolean };

export class LocalPauseDetector {
  readonly lateAfterMs: number;
  #lastStartedAt: number | null = null;
  #lastBeatAt: number | null = null;
  #lastLateAt: number | null = null;
  #episodeStartedAt = 0;
  #skippedPasses = 0;

  constructor(lateAfterMs: number) {
    this.lateAfterMs = lateAfterMs;
  }

  /** False during an episode of skipped passes (from a late pass until the one that resumes). */
  get judging() {
    return this.#skippedPasses === 0;
  }

  /** A pass whose heartbeat went through (a failed heartbeat is not observed, so the next gap includes it). */
  observe(pass: PassTiming): Verdict {
    const late = this.#lateness(pass);
    this.#lastStartedAt = pass.startedAt;
    this.#lastBeatAt = pass.beatAt.getTime();
    if (late) this.#lastLateAt = pass.startedAt;
    const settling = this.#lastLateAt !== null && pass.startedAt - this.#lastLateAt < this.lateAfterMs;
    if (late || settling) {
      const newEpisode = this.#skippedPasses === 0;
      if (newEpisode) this.#episodeStartedAt = pass.startedAt;
      this.#skippedPasses++;
      return { judge: false, late, newEpisode };
    }
    const resumed = this.#skippedPasses > 0 ? { skippedPasses: this.#skippedPasses, episodeMs: Math.round(pass.startedAt - this.#episodeStartedAt) } : null;
    this.#skippedPasses = 0;
    this.#lastLateAt = null;
    return { judge: true, resumed };
  }

  #lateness(pass: PassTiming): Lateness | null {
    const eventLoopGapMs = this.#lastStartedAt === null ? null : Math.round(pass.startedAt - this.#lastStartedAt);
    const heartbeatGapMs = this.#lastBeatAt === null ? null : pass.beatAt.getTime() - this.#lastBeatAt;
    const roundTripMs = Math.round(pass.roundTripMs);
    const figures = { eventLoopGapMs, heartbeatGapMs, roundTripMs };
    if (eventLoopGapMs !== null && eventLoopGapMs > this.lateAfterMs) return { reason: 'event loop', gapMs: eventLoopGapMs, ...figures };
    if (heartbeatGapMs !== null && heartbeatGapMs > this.lateAfterMs) return { reason: 'heartbeat gap', gapMs: heartbeatGapMs, ...figures };
    if (roundTripMs > this.lateAfterMs) return { reason: 'database round trip', gapMs: roundTripMs, ...figures };
    return null;
  }
}
