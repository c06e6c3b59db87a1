import { describe, expect, it } from 'vitest';
import { probeTimeoutMs, StallDetector } from '../../client/src/room/stall-detector.ts';

/** Feeds samples every `stepMs` with the byte counts given; returns the times at which a stall was reported. */
function feed(detector: StallDetector, counts: number[], stepMs = 300, startMs = 0): number[] {
  const reported: number[] = [];
  counts.forEach((bytesReceived, i) => {
    const atMs = startMs + i * stepMs;
    if (detector.push({ atMs, bytesReceived })) reported.push(atMs);
  });
  return reported;
}

/** Counts growing by `perStep` bytes for `steps` samples, from `start`. */
const flowing = (start: number, steps: number, perStep: number) => Array.from({ length: steps }, (_, i) => start + i * perStep);
const quiet = (at: number, steps: number) => Array.from({ length: steps }, () => at);

describe('StallDetector', () => {
  it('reports a stop of flowing media after 0.8 s of quiet, once', () => {
    // Audio at ≈ 6 kB/s (300 ms steps of 1 800 bytes) for 3 s, then nothing.
    const flow = flowing(0, 10, 1_800);
    const last = flow.at(-1)!;
    const reported = feed(new StallDetector(), [...flow, ...quiet(last, 10)]);
    // The quiet begins at the sample at 2 700 ms (the count no longer grows): reported at the
    // first sample ≥ 800 ms later (3 600 ms), and not again while the quiet lasts.
    expect(reported).toEqual([3_600]);
  });

  it('does not report a short gap (a lost burst) nor quiet shorter than the rule', () => {
    const flow = flowing(0, 10, 1_800);
    const last = flow.at(-1)!;
    expect(feed(new StallDetector(), [...flow, ...quiet(last, 2), ...flowing(last + 1_800, 10, 1_800)])).toEqual([]);
  });

  it('does not judge a room where almost nothing flowed (everyone muted: RTCP and ICE only)', () => {
    // 100 bytes per 300 ms ≈ 333 B/s, under the 1 kB/s rule.
    const trickle = flowing(0, 10, 100);
    expect(feed(new StallDetector(), [...trickle, ...quiet(trickle.at(-1)!, 20)])).toEqual([]);
  });

  it('reports again only after bytes flowed anew', () => {
    const a = flowing(0, 10, 1_800);
    const b = flowing(a.at(-1)! + 1_800, 10, 1_800);
    const counts = [...a, ...quiet(a.at(-1)!, 6), ...b, ...quiet(b.at(-1)!, 6)];
    expect(feed(new StallDetector(), counts)).toHaveLength(2);
  });

  it('starts over on a new transport (its counter restarts from zero)', () => {
    const detector = new StallDetector();
    feed(detector, flowing(50_000, 10, 1_800));
    // New transport: counts restart small; a quiet right away is not judged against the old flow.
    expect(feed(detector, [...flowing(100, 2, 1_800), ...quiet(1_900, 8)], 300, 3_000)).toEqual([]);
  });

  it('waits for the socket longer on a long round trip, within bounds', () => {
    expect(probeTimeoutMs(null)).toBe(1_200);
    expect(probeTimeoutMs(5)).toBe(1_200);
    expect(probeTimeoutMs(600)).toBe(2_200);
    expect(probeTimeoutMs(1_300)).toBe(4_000);
  });
});
