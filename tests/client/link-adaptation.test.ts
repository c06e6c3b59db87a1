import { describe, expect, it } from 'vitest';
import { gradeSample, LinkAdaptation, type LinkInput, maxSendLayer, recvLayerCap } from '../../client/src/room/link-adaptation/controller.ts';
import { verdictOf } from '../../shared/domain/link-adaptation.ts';

const clean: Omit<LinkInput, 'at'> = { sendLossPct: 0, rttMs: 40, outgoingKbps: 1_500, sendingVideo: true, recvLossPct: 0, jitterMs: 5, concealedPct: 0 };
/** Scenario A as the party sees it: 10 % loss both ways, 600 ms round trip, 300 kbit/s. */
const scenarioA: Omit<LinkInput, 'at'> = { sendLossPct: 10, rttMs: 600, outgoingKbps: 250, sendingVideo: true, recvLossPct: 10, jitterMs: 30, concealedPct: 9 };

/** Feeds one sample a second from `from` (ms) for `seconds`; returns every decision. */
function run(c: LinkAdaptation, input: Omit<LinkInput, 'at'>, from: number, seconds: number) {
  const out = [];
  for (let s = 0; s < seconds; s++) out.push(...c.sample({ ...input, at: from + s * 1_000 }));
  return out;
}

describe('link adaptation controller', () => {
  it('stays at the top on a clean link', () => {
    const c = new LinkAdaptation();
    expect(run(c, clean, 0, 60)).toEqual([]);
    expect(c.state).toEqual({ send: 'high', recv: 'high' });
    expect(verdictOf(c.state)).toBe('good');
  });

  it('drops both directions to voice only within 3 s of scenario A, with the reasons', () => {
    const c = new LinkAdaptation();
    run(c, clean, 0, 10);
    const decisions = run(c, scenarioA, 10_000, 3);
    expect(decisions.map((d) => [d.direction, d.to, d.reason])).toEqual([
      ['send', 'off', 'loss'],
      ['recv', 'off', 'loss'],
    ]);
    // Send after two samples, receive after three: both within 3 s of the conditions showing.
    expect(decisions.map((d) => d.at - 10_000)).toEqual([1_000, 2_000]);
    expect(decisions[0]!.value).toBe(10);
    expect(verdictOf(c.state)).toBe('voice-only');
  });

  it('one bad sample is not enough (hysteresis down)', () => {
    const c = new LinkAdaptation();
    c.sample({ ...clean, at: 0 });
    expect(c.sample({ ...scenarioA, at: 1_000 })).toEqual([]);
    expect(c.sample({ ...clean, at: 2_000 })).toEqual([]);
    expect(c.state.send).toBe('high');
  });

  it('judges each direction on its own: a lossy uplink reduces only what is sent', () => {
    const c = new LinkAdaptation();
    run(c, { ...clean, sendLossPct: 5 }, 0, 3);
    expect(c.state).toEqual({ send: 'low', recv: 'high' });
    expect(verdictOf(c.state)).toBe('weak');
    const d = new LinkAdaptation();
    run(d, { ...clean, recvLossPct: 3 }, 0, 3);
    expect(d.state).toEqual({ send: 'high', recv: 'low' });
  });

  it('a receiver whose incoming loss all comes from the sender uplink (left out by the glue: null) stays on video', () => {
    // The mediator on a clean link: the party's lossy feeds are not counted, so there is no receive loss figure.
    const c = new LinkAdaptation();
    expect(run(c, { ...clean, recvLossPct: null, concealedPct: null, jitterMs: null }, 0, 30)).toEqual([]);
    expect(c.state).toEqual({ send: 'high', recv: 'high' });
  });

  it('a thin uplink estimate lowers the send layer, but not when no video is sent', () => {
    const c = new LinkAdaptation();
    const d = run(c, { ...clean, outgoingKbps: 200 }, 0, 2);
    expect(d.map((x) => [x.to, x.reason, x.value])).toEqual([['low', 'bandwidth', 200]]);
    const e = new LinkAdaptation();
    expect(run(e, { ...clean, outgoingKbps: 60, sendingVideo: false }, 0, 5)).toEqual([]);
    // A very low estimate alone still keeps 180p: only loss or delay take video away.
    const f = new LinkAdaptation();
    run(f, { ...clean, outgoingKbps: 60 }, 0, 5);
    expect(f.state.send).toBe('low');
  });

  it('steps back up one level at a time after a stable period, and waits longer after a failed step up', () => {
    const c = new LinkAdaptation();
    run(c, scenarioA, 0, 3);
    expect(c.state.send).toBe('off');
    // Clean again: nothing for 15 s, then one step.
    const first = run(c, clean, 3_000, 15);
    expect(first).toEqual([]);
    const up = run(c, clean, 18_000, 2);
    expect(up.map((d) => [d.direction, d.from, d.to, d.reason])).toEqual([
      ['send', 'off', 'low', 'stable'],
      ['recv', 'off', 'minimal', 'stable'],
    ]);
    // It fails at once: down again, and the next step up waits 30 s instead of 15.
    run(c, scenarioA, 20_000, 3);
    expect(c.state).toEqual({ send: 'off', recv: 'off' });
    expect(run(c, clean, 23_000, 30)).toEqual([]);
    expect(run(c, clean, 53_000, 1).map((d) => d.to)).toEqual(['low', 'minimal']);
    // Eventually all the way back to the top.
    run(c, clean, 54_000, 400);
    expect(c.state).toEqual({ send: 'high', recv: 'high' });
  });

  it('video asked back by hand is not taken away again by the link for two minutes (only reduced)', () => {
    const c = new LinkAdaptation();
    run(c, scenarioA, 0, 3);
    expect(c.userRaised(3_000).map((d) => d.reason)).toEqual(['user', 'user']);
    run(c, scenarioA, 4_000, 10);
    expect(c.state).toEqual({ send: 'low', recv: 'minimal' });
    run(c, scenarioA, 130_000, 3);
    expect(c.state).toEqual({ send: 'off', recv: 'off' });
  });

  it('grades round trip, jitter and concealment', () => {
    expect(gradeSample({ ...clean, at: 0, rttMs: 600 }).send).toMatchObject({ grade: 2, reason: 'rtt' });
    expect(gradeSample({ ...clean, at: 0, jitterMs: 90 }).recv).toMatchObject({ grade: 2, reason: 'jitter' });
    expect(gradeSample({ ...clean, at: 0, concealedPct: 12 }).recv).toMatchObject({ grade: 3, reason: 'concealment' });
    expect(gradeSample({ ...clean, at: 0 }).send.grade).toBe(0);
  });

  it('maps levels to layers: screen shares go first, then every camera but the featured one', () => {
    expect([maxSendLayer('high'), maxSendLayer('medium'), maxSendLayer('low'), maxSendLayer('off')]).toEqual([2, 1, 0, null]);
    expect(recvLayerCap('low', 'screen', true)).toBeNull();
    expect(recvLayerCap('low', 'camera', false)).toBe(0);
    expect(recvLayerCap('minimal', 'camera', false)).toBeNull();
    expect(recvLayerCap('minimal', 'camera', true)).toBe(0);
    expect(recvLayerCap('off', 'camera', true)).toBeNull();
  });
});

describe('loss that was the sender’s', () => {
  it('a receive step down is taken back when the sender’s own verdict arrives within 6 s', () => {
    const c = new LinkAdaptation();
    run(c, { ...clean, recvLossPct: 12, concealedPct: 10 }, 0, 3);
    expect(c.state.recv).toBe('off');
    expect(c.senderWeakened(4_000)).toEqual([{ at: 4_000, direction: 'recv', from: 'off', to: 'high', reason: 'sender', value: null }]);
    expect(c.state).toEqual({ send: 'high', recv: 'high' });
    // Their feeds are left out from now on: nothing more happens.
    expect(run(c, { ...clean, recvLossPct: null, concealedPct: null }, 5_000, 30)).toEqual([]);
  });

  it('but not a step down long past, nor one on the send path', () => {
    const c = new LinkAdaptation();
    run(c, { ...clean, recvLossPct: 12, sendLossPct: 12 }, 0, 3);
    expect(c.senderWeakened(10_000)).toEqual([]);
    expect(c.state).toEqual({ send: 'off', recv: 'off' });
  });
});
