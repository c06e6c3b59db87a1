/**
 * LocalPauseDetector on its own: when a node's pass counts as late (its event loop, its heartbeats
 * by the database's clock, or a heartbeat's round trip further apart than `lateAfterMs`), that
 * failover stays off until the node has been on time for `lateAfterMs`, and that an episode of
 * skipped passes is reported once, when it starts, and counted when it ends.
 */
import { describe, expect, it } from 'vitest';
import { LocalPauseDetector, type PassTiming } from '../../../server/modules/cluster/local-pause.ts';

const t0 = Date.parse('2026-12-07T12:00:00Z');
/** A pass at `atMs` (monotonic) whose heartbeat the database stamped `beatMs` after t0. */
const pass = (atMs: number, beatMs = atMs, roundTripMs = 5): PassTiming => ({ startedAt: atMs, beatAt: new Date(t0 + beatMs), roundTripMs });

describe('LocalPauseDetector', () => {
  it('passes on time judge; the first pass has nothing to compare with and judges', () => {
    const detector = new LocalPauseDetector(3_000);
    for (const at of [0, 1_000, 2_000, 3_000, 4_100]) expect(detector.observe(pass(at))).toEqual({ judge: true, resumed: null });
  });

  it('a pass started long after the previous one (a blocked event loop) skips failover, once reported', () => {
    const detector = new LocalPauseDetector(3_000);
    detector.observe(pass(0));
    const late = detector.observe(pass(7_300));
    expect(late).toEqual({ judge: false, newEpisode: true, late: { reason: 'event loop', gapMs: 7_300, eventLoopGapMs: 7_300, heartbeatGapMs: 7_300, roundTripMs: 5 } });
  });

  it('heartbeats far apart by the database clock, or a slow round trip, are late too', () => {
    const byClock = new LocalPauseDetector(3_000);
    byClock.observe(pass(0));
    // The event loop was on time but the statement started 4 s late on the server.
    expect(byClock.observe(pass(1_000, 4_500))).toMatchObject({ judge: false, late: { reason: 'heartbeat gap', gapMs: 4_500 } });

    const byRoundTrip = new LocalPauseDetector(3_000);
    byRoundTrip.observe(pass(0));
    expect(byRoundTrip.observe(pass(1_000, 1_000, 3_400))).toMatchObject({ judge: false, late: { reason: 'database round trip', gapMs: 3_400 } });
  });

  it('after a late pass, failover stays off until the node has been on time for lateAfterMs; the episode is counted when it ends', () => {
    const detector = new LocalPauseDetector(3_000);
    detector.observe(pass(0));
    expect(detector.observe(pass(5_000))).toMatchObject({ judge: false, newEpisode: true });
    expect(detector.observe(pass(6_000))).toEqual({ judge: false, late: null, newEpisode: false });
    expect(detector.observe(pass(7_000))).toEqual({ judge: false, late: null, newEpisode: false });
    expect(detector.observe(pass(8_100))).toEqual({ judge: true, resumed: { skippedPasses: 3, episodeMs: 3_100 } });
    expect(detector.observe(pass(9_100))).toEqual({ judge: true, resumed: null });
  });

  it('a second late pass while settling extends the same episode (no second report)', () => {
    const detector = new LocalPauseDetector(3_000);
    detector.observe(pass(0));
    expect(detector.observe(pass(4_000))).toMatchObject({ judge: false, newEpisode: true });
    expect(detector.observe(pass(8_000))).toMatchObject({ judge: false, newEpisode: false, late: { reason: 'event loop' } });
    expect(detector.observe(pass(10_000))).toMatchObject({ judge: false, late: null });
    expect(detector.observe(pass(11_000))).toEqual({ judge: true, resumed: { skippedPasses: 3, episodeMs: 7_000 } });
  });

  it('a failed heartbeat is not observed, so the next successful one shows the whole gap', () => {
    const detector = new LocalPauseDetector(3_000);
    detector.observe(pass(0));
    // Passes at 1 s, 2 s and 3 s failed (database unreachable): only the one at 4 s is observed.
    expect(detector.observe(pass(4_000))).toMatchObject({ judge: false, late: { reason: 'event loop', gapMs: 4_000 } });
  });
});
