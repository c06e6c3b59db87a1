/**
 * Weak-link adaptation in the browser (issue 13). The fisherman's phone is impaired from the
 * moment its page loads by Chromium's own network emulation (Network.emulateNetworkConditionsByRule,
 * one all-URL rule: scenario A's 300 kbit/s, 10 % loss, ~600 ms RTT); the mediator is on a clean
 * link. The fisherman adapts by themselves and is told why; the mediator stays on video all the
 * while, since their own paths are clean. Then the ship owner's downlink turns lossy (the media
 * relay in front of mediasoup drops a third of the packets towards them): they go to voice only,
 * and when it recovers, video comes back one step at a time, without a click.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import {
  admit,
  closeAll,
  createRoomFixture,
  expectFlowing,
  fishermanAndOwner,
  localMediaPorts,
  mediatorEnters,
  partyToLobby,
  type Person,
  poll,
  reportOnFailure,
  type RoomFixture,
  selfPeerId,
} from './room-support.ts';

interface Adaptation {
  send: string;
  recv: string;
  level: string;
  decisions: { direction: 'send' | 'recv'; from: string; to: string; reasons: string[]; at: number }[];
  samples: { at: number; send: Record<string, unknown>; recv: Record<string, unknown> }[];
}
const adaptationOf = (page: Page) => page.evaluate(() => (window as any).__haiqiaoRoom.adaptation as Adaptation);
const marksOf = (page: Page) => page.evaluate(() => (window as any).__haiqiaoRoom.marks as Record<string, number>);
const audioOnlyOf = (page: Page) => page.getByTestId('audio-only-toggle').getAttribute('data-audio-only');

/** Scenario A of issue 13 (300 kbit/s, 10 % loss, ~600 ms RTT): the global rule, which also throttles the page's WebRTC sockets. */
const scenarioA = { urlPattern: '', offline: false, latency: 300, downloadThroughput: 300_000 / 8, uploadThroughput: 300_000 / 8, packetLoss: 10 };
/**
 * The app's own requests (pages, socket.io) match a clean rule first: the device check's network
 * test then lets the fisherman in with video, and what happens to the media is the controller's
 * doing alone (a device check that measured the link would start them on voice only itself).
 */
const cleanFor = (baseUrl: string) => {
  const { host } = new URL(baseUrl);
  return ['http', 'ws'].map((scheme) => ({ urlPattern: `${scheme}://${host}/*`, offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }));
};

/**
 * Opt-in (HAIQIAO_WEAK_LINK_E2E=1) until it holds on a loaded machine: with load averages of
 * 20–60 on this 2-core host, the clean mediator's and owner's own uplinks showed 8–11 % loss in
 * the SFU's receiver reports (and a collapsing bandwidth estimate) whenever the impaired phone
 * was in the room, even with the phone in a browser of its own; their controllers then rightly,
 * by their own measurements, went to voice only. The impaired phone adapted in time in every
 * run (voice only 8.3–13.4 s after its media connected, ≤ 9.2 s once its uplink was judged); the
 * first test passed in one of five runs, the recovery test never in full (its first step up,
 * voice only → reduced with the camera back, was seen; "full" did not come within the wait).
 * 2026-12-07, with the uplink judged on its own retransmissions: the first test passed (voice
 * only 5.0 s after the fisherman's media connected, the mediator on video throughout); the
 * recovery test failed twice: the owner went to "low" 2.0 s after the loss and the step was taken
 * back as "theirs" 2 s later (the fisherman, on voice only all along, counted as a newly left-out
 * sender), so there was no step up to see. Fixed (only senders left out since the step count):
 * the next run passed in full (114 s; voice only 4.0 s after media connected; owner low at 2.5 s,
 * first step up 15.7 s and full 43.3 s after the restore). Still opt-in: one full pass, not 3/3.
 */
describe.skipIf(!process.env.HAIQIAO_WEAK_LINK_E2E)('weak-link adaptation in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  /**
   * The fisherman's phone is a browser of its own: the emulation's global rule throttles every
   * WebRTC socket of the browser it is set in, other contexts' too (seen here: the mediator and
   * the owner, in other contexts of one browser, lost 8–11 % of their uplink packets as soon as
   * the fisherman's rule was set).
   */
  let phoneBrowser: Browser;
  let fixture: RoomFixture;
  let mediator: Person;
  let fisherman: Person;
  let owner: Person;
  const ids: Record<string, string> = {};
  /** The mediator's own adaptation and audio-only switch, sampled throughout. */
  const mediatorSeen: { audioOnly: string | null; level: string }[] = [];
  let watch: ReturnType<typeof setInterval> | null = null;

  beforeAll(async () => {
    [server, browser, phoneBrowser] = await Promise.all([startE2eServer({ media: 'relayed' }), launchChromium(), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
    mediator = await mediatorEnters(browser, server, fixture);
    ids.mediator = await selfPeerId(mediator.page);
    owner = await partyToLobby(browser, fixture.invitations[1]!);
    ids.owner = await admit(mediator.page, owner);
    watch = setInterval(() => {
      void Promise.all([audioOnlyOf(mediator.page), adaptationOf(mediator.page)])
        .then(([audioOnly, a]) => mediatorSeen.push({ audioOnly, level: a.level }))
        .catch(() => undefined);
    }, 500);
  }, 240_000);

  afterAll(async () => {
    if (watch) clearInterval(watch);
    await closeAll([mediator, fisherman, owner]);
    await browser?.close();
    await phoneBrowser?.close();
    await server?.close();
  });

  it('the impaired fisherman is moved to voice only within seconds and told why and what to do; the clean-link mediator stays on video', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-adapt-impaired', () => [mediator, fisherman, owner]);
    fisherman = await partyToLobby(phoneBrowser, fixture.invitations[0]!, {
      beforeLoad: async ({ context, page }) => {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditionsByRule' as never, { matchedNetworkConditions: [...cleanFor(server.baseUrl), scenarioA] } as never);
      },
    });
    expect(await fisherman.page.evaluate(() => (window as any).__haiqiaoRoom?.audioOnly ?? null)).not.toBe(true);
    ids.fisherman = await admit(mediator.page, fisherman);

    // The fisherman's own controller: voice only, for their uplink's loss.
    const notice = fisherman.page.getByTestId('link-notice');
    // Media itself takes a while to connect through the impaired link on a busy machine.
    await expect.poll(() => notice.getAttribute('data-level'), { timeout: 120_000, interval: 250 }).toBe('voice');
    const adaptation = await adaptationOf(fisherman.page);
    const marks = await marksOf(fisherman.page);
    const down = adaptation.decisions.find((d) => d.to !== 'full')!;
    const voice = adaptation.decisions.find((d) => d.to === 'voice')!;
    const since = marks['send-connected'] ?? marks['recv-connected']!;
    console.log(`fisherman: first step down ${Math.round(down.at - since)} ms, voice only ${Math.round(voice.at - since)} ms after their media connected`, JSON.stringify(adaptation.decisions));
    console.log('fisherman: judged samples', JSON.stringify(adaptation.samples.map((s) => ({ ...s, at: Math.round(s.at - since) }))));
    // Issue 13's target for scenario A: voice only within 10 s, and the person told.
    expect(voice.at - since).toBeLessThan(10_000);
    expect(voice.reasons.some((r) => ['loss', 'delay', 'bandwidth'].includes(r))).toBe(true);
    expect(await fisherman.page.getByTestId('link-notice-why').count()).toBeGreaterThan(0);
    expect(await notice.innerText()).toContain('甲板'); // what to do: move to the open deck, or switch network
    await expect.poll(() => audioOnlyOf(fisherman.page), poll).toBe('true');
    // Robust audio (issue 12.2): at voice only the microphone keeps 24 kbps (in-band FEC) with longer frames (adaptivePtime), DTX and FEC negotiated.
    const microphone = await fisherman.page.evaluate(async () => {
      const p = (window as any).__haiqiaoRoom.producers.find((x: any) => x.source === 'microphone');
      return { encodings: p.encodings(), parameters: p.rtpParameters.codecs[0].parameters };
    });
    expect(microphone.encodings[0]).toMatchObject({ maxBitrate: 24_000, adaptivePtime: true });
    expect(microphone.parameters).toMatchObject({ usedtx: 1, useinbandfec: 1 });
    // The header dot tells the media too, not only the socket.
    expect(await fisherman.page.getByTestId('connection-state').getAttribute('data-link')).toBe('voice');
    await screenshot(fisherman.page, 'room-adapt-fisherman-voice');

    // The mediator sees the decision and why, in the host panel.
    const hostAdapt = mediator.page.getByTestId(`host-adapt-${ids.fisherman}`);
    await expect.poll(() => hostAdapt.getAttribute('data-send'), poll).toBe('voice');
    // The level line names voice only; the last line is the latest decision with its reasons
    // (a later step of the fisherman's receive side may follow the send side's step to voice).
    expect(await hostAdapt.innerText()).toMatch(/仅语音/);
    expect(await mediator.page.getByTestId(`host-adapt-last-${ids.fisherman}`).innerText()).toMatch(/（.+）/);
    await screenshot(mediator.page, 'room-adapt-mediator-panel');

    // Meanwhile (and for 20 s more) the mediator, on a clean link, never left video.
    await mediator.page.waitForTimeout(20_000);
    expect(mediatorSeen.length).toBeGreaterThan(20);
    expect(mediatorSeen.filter((s) => s.audioOnly === 'true' || s.level === 'voice')).toEqual([]);
    const mediatorAdaptation = await adaptationOf(mediator.page);
    expect(mediatorAdaptation.decisions.filter((d) => d.to === 'voice')).toEqual([]);
    expect(server.app.rooms.roomOf(fixture.sessionId)!.media!.producersOf(ids.mediator!).map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    expect(await mediator.page.getByTestId('connection-state').getAttribute('data-link')).not.toBe('voice');
    // And the clean owner still receives the mediator's video, as before.
    await expectFlowing(owner.page, ids.mediator!, { audio: true, video: true }, 30_000);
    expect([...mediator.errors, ...owner.errors]).toEqual([]);
  }, 240_000);

  it('on a lossy downlink the owner steps down, and when it recovers goes back up one level at a time, without a click', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-adapt-recovery', () => [mediator, fisherman, owner]);
    await expectFlowing(owner.page, ids.mediator!);
    const ports = await localMediaPorts(owner.page);
    server.relay!.lossy(ports, 0.35);
    const lossyAt = Date.now();
    const notice = owner.page.getByTestId('link-notice');
    await notice.waitFor({ timeout: 30_000 });
    // How far down depends on which of the owner's paths show it on this machine (the relay's
    // loss reached their uplink's reports too): voice only, or the bottom layer.
    await expect.poll(async () => (await adaptationOf(owner.page)).level, { timeout: 30_000, interval: 250 }).toMatch(/^(low|voice)$/);
    const lowest = (await adaptationOf(owner.page)).level;
    console.log(`owner: ${lowest} ${Date.now() - lossyAt} ms after their downlink turned lossy`);
    if (lowest === 'voice') await expect.poll(() => audioOnlyOf(owner.page), poll).toBe('true');

    // The link recovers; nobody clicks anything.
    server.relay!.restore();
    const restoredAt = Date.now();
    const decided = async () => (await adaptationOf(owner.page)).decisions.filter((d) => d.reasons.includes('stable'));
    onTestFailed(async () => {
      const a = await adaptationOf(owner.page).catch(() => null);
      console.log('owner: decisions', JSON.stringify(a?.decisions), 'samples', JSON.stringify(a?.samples.slice(-25)));
    });
    await expect.poll(async () => (await decided()).length, { timeout: 60_000, interval: 250 }).toBeGreaterThan(0);
    const firstUp = Date.now() - restoredAt;
    // One step, not everything at once.
    expect((await adaptationOf(owner.page)).level).not.toBe('full');
    await expect.poll(async () => (await adaptationOf(owner.page)).level, { timeout: 120_000, interval: 500 }).toBe('full');
    const full = Date.now() - restoredAt;
    console.log(`owner: first step up ${firstUp} ms, full ${full} ms after the link recovered`);
    expect(full - firstUp).toBeGreaterThan(15_000); // a stable period between the steps
    expect(await owner.page.getByTestId('link-notice').count()).toBe(0);
    // Every step up was one level.
    const order = ['full', 'reduced', 'low', 'voice'];
    const ups = await decided();
    expect(ups.length).toBeGreaterThanOrEqual(2);
    for (const d of ups) expect(order.indexOf(d.from) - order.indexOf(d.to)).toBe(1);
    // Video back, by itself: the owner sends their camera again.
    expect(await audioOnlyOf(owner.page)).toBe('false');
    await expect.poll(() => server.app.rooms.roomOf(fixture.sessionId)!.media!.producersOf(ids.owner!).map((p) => p.kind).sort(), { timeout: 30_000, interval: 250 }).toEqual(['audio', 'video']);
    expect([...mediator.errors, ...owner.errors]).toEqual([]);
  }, 300_000);
});
