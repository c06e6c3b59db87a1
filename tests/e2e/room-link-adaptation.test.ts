/**
 * Weak-link adaptation in the browser (issue 13), run by default. It checks:
 * 1. The fisherman's phone (a Chromium of its own) is impaired from page load by Chromium's own
 *    emulation (Network.emulateNetworkConditionsByRule, one all-URL rule: scenario A, 300 kbit/s,
 *    10 % loss, ~600 ms RTT; the app's own requests on a clean rule). Their controller moves them
 *    to voice only within 10 s of their media connecting, the notice says why and what to do (the
 *    open deck), the microphone's sender carries the voice-only cap, the header dot says voice, and
 *    the mediator's panel shows the decision.
 * 2. The owner's downlink turns lossy (the media relay drops 35 % of the packets towards them):
 *    they step down; once it recovers they step back up by themselves after the stable period,
 *    one level (the rest of the climb to full, 20 s a step, is tests/client/link-adaptation.test.ts:
 *    here it would cost 20–40 s more).
 * 3. The clean-link mediator never left video: watched every 0.5 s from before the fisherman came
 *    in to the end of the file (the fisherman impaired throughout, the owner lossy for a while).
 *
 * Measured 2026-12-07 on the shared 2-core VM (other engineers' work: load averages 8–13), runs of
 * this file as committed: 5 of 7 passed, 4 in a row, 4 of the 5 with tests/server/authorization.test.ts
 * running alongside: 53.6–69.4 s a run (57.3, 57.9 and 63.0 s loaded; 69.4 s includes a client
 * build); the fisherman at voice only 4.5–5.5 s after their media connected (first step down
 * 3.2–4.6 s); the owner at "low" 1.9–2.6 s after the loss began, first step up 21.5–22.7 s after it
 * ended. Before (opt-in, a fixed 20 s watch and the climb to full): 97–157 s a run.
 * It does not hold when the machine itself is overloaded (load 16–20): the failed run (load 12 → 17,
 * module imports taking 30 s) showed the mediator's loopback round trip at 2–3 s, their bandwidth
 * estimate at 75 kbit/s and then 37–43 % of their video resent over 3 s, so their controller went to
 * voice only by its own measurements (290 receive-buffer drops at a loopback socket); with room-media's browser test and the authorization suite
 * running alongside (load 16), the phone's camera sent too few packets to judge for 11 s (voice
 * only by the receive side at 11.6 s), and the owner's downlink went on losing 3–7 % after the relay
 * restored it. And once (load 15, the opt-in file) voice only came at 10.2 s: one milder sample
 * among three bad ones made the sending side's first step "low" (decide.ts takes the worst level
 * all three justify).
 *
 * Why it was opt-in: on a loaded machine the clean mediator and owner showed bursts of uplink loss
 * as the impaired phone joined (up to 99.6 % of their video packets asked for again over 3 s), and
 * their controllers went to voice only. One source was the media relay's own drops (now 4 MiB
 * buffers, tests/helpers/media-relay.ts). Such a burst was seen twice since: in the overloaded run
 * above, and once at load 12 (with an experimental sending rule, since reverted; no drops watched).
 * On failure the test prints every person's decisions and samples and the machine's UDP drops. Also fixed: the owner's recovery
 * counted a step up left over from an earlier blip (now: from full, steps after their loss only).
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downlinkCap, type LinkLevel } from '../../shared/realtime.ts';
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
  until,
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

/** At voice only the microphone's sender keeps in-band FEC's rate with longer frames (issue 12.2): the one place to change it. */
const voiceOnlyBitrates = [16_000, 24_000];
/** Issue 13, scenario A: voice only within this long of the party's media connecting. */
const voiceWithinMs = 10_000;

/**
 * UDP sockets on this machine that dropped datagrams for a full receive buffer (/proc/net/udp's
 * last column), as address:port=drops: when a clean-link person's uplink looked lossy, whether
 * the relay or the mediasoup worker lost the packets (the machine's load) or something else.
 */
function udpDrops(): string {
  const rows = readFileSync('/proc/net/udp', 'utf8').trim().split('\n').slice(1).map((line) => line.trim().split(/\s+/));
  const hexToAddress = (hex: string) => {
    const [ip, port] = hex.split(':') as [string, string];
    return `${[6, 4, 2, 0].map((i) => Number.parseInt(ip.slice(i, i + 2), 16)).join('.')}:${Number.parseInt(port, 16)}`;
  };
  const dropped = rows.filter((f) => Number(f[f.length - 1]) > 0).map((f) => `${hexToAddress(f[1]!)}=${f[f.length - 1]}`);
  return dropped.length ? dropped.join(' ') : 'none';
}

/**
 * The device check measures the path to the server before the room (the clean rule here): a
 * 'poor' reading starts the person on voice only (server: under 250 kbit/s down or 200 up), which
 * leaves nothing for the controller to show. On a starved machine one stalled transfer is enough
 * for that reading (a 50 kB sample taking 1.6 s reads under 250 kbit/s): that is the machine, not
 * the link, so the check is run again, as a person would tap "test again" (at most twice; logged).
 */
async function measuredClean(page: Page): Promise<void> {
  const result = page.getByTestId('network-test-result');
  for (let again = 0; ; again += 1) {
    const verdict = await result.getAttribute('data-verdict');
    console.log(`fisherman: device check ${verdict}: ${(await result.innerText()).replace(/\s+/g, ' ')}`);
    if (verdict !== 'poor' || again === 2) return;
    await page.getByRole('button', { name: '重新测试' }).click();
    await until('the network test again', () => result.getAttribute('data-step'), (step) => step === 'done' || step === 'failed', 30_000);
  }
}

describe('weak-link adaptation in the browser', () => {
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
  /** The mediator's own adaptation and audio-only switch, sampled every 0.5 s to the end of the file. */
  const mediatorSeen: { at: number; audioOnly: string | null; level: string }[] = [];
  let watch: ReturnType<typeof setInterval> | null = null;
  /** When the fisherman, impaired, was admitted (test clock). */
  let fishermanInAt = 0;

  const logAdaptation = async (person: Person | undefined) => {
    const a = person ? await adaptationOf(person.page).catch(() => null) : null;
    if (a) console.log(`${person!.name}: decisions`, JSON.stringify(a.decisions), 'samples', JSON.stringify(a.samples.slice(-45).map((s) => ({ ...s, at: Math.round(s.at) }))));
  };

  beforeAll(async () => {
    [server, browser, phoneBrowser] = await Promise.all([startE2eServer({ media: 'relayed' }), launchChromium(), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
    // The owner goes through their link while the mediator signs in.
    [mediator, owner] = await Promise.all([mediatorEnters(browser, server, fixture), partyToLobby(browser, fixture.invitations[1]!)]);
    ids.mediator = await selfPeerId(mediator.page);
    ids.owner = await admit(mediator.page, owner);
    watch = setInterval(() => {
      void Promise.all([audioOnlyOf(mediator.page), adaptationOf(mediator.page)])
        .then(([audioOnly, a]) => mediatorSeen.push({ at: Date.now(), audioOnly, level: a.level }))
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

  const mediatorLeftVideo = () => mediatorSeen.filter((s) => s.audioOnly === 'true' || s.level === 'voice');

  it('the impaired fisherman is moved to voice only within 10 s and told why and what to do; the clean-link mediator stays on video', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-adapt-impaired', () => [mediator, fisherman, owner]);
    onTestFailed(async () => {
      for (const person of [fisherman, mediator, owner]) await logAdaptation(person);
      console.log('UDP receive-buffer drops:', udpDrops());
    });
    const joinStarted = Date.now();
    fisherman = await partyToLobby(phoneBrowser, fixture.invitations[0]!, {
      atDeviceCheck: measuredClean,
      beforeLoad: async ({ context, page }) => {
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditionsByRule' as never, { matchedNetworkConditions: [...cleanFor(server.baseUrl), scenarioA] } as never);
      },
    });
    console.log(`fisherman: in the lobby ${Date.now() - joinStarted} ms after opening the link`);
    expect(await fisherman.page.evaluate(() => (window as any).__haiqiaoRoom?.audioOnly ?? null)).not.toBe(true);
    ids.fisherman = await admit(mediator.page, fisherman);
    fishermanInAt = Date.now();

    // The fisherman's own controller: voice only, for their uplink's loss.
    const notice = fisherman.page.getByTestId('link-notice');
    // Media itself takes a while to connect through the impaired link on a busy machine.
    await expect.poll(() => notice.getAttribute('data-level'), { timeout: 120_000, interval: 250 }).toBe('voice');
    const adaptation = await adaptationOf(fisherman.page);
    const marks = await marksOf(fisherman.page);
    // What the SFU's ICE selected (the bench logs it: TCP would hide the loss as delay): UDP both ways on the mediator's clean link.
    expect(server.app.rooms.roomOf(fixture.sessionId)!.media!.iceProtocols(ids.mediator!)).toEqual({ send: 'udp', recv: 'udp' });
    const down = adaptation.decisions.find((d) => d.to !== 'full')!;
    const voice = adaptation.decisions.find((d) => d.to === 'voice')!;
    const since = marks['send-connected'] ?? marks['recv-connected']!;
    console.log(`fisherman: first step down ${Math.round(down.at - since)} ms, voice only ${Math.round(voice.at - since)} ms after their media connected`, JSON.stringify(adaptation.decisions));
    console.log('fisherman: judged samples', JSON.stringify(adaptation.samples.map((s) => ({ ...s, at: Math.round(s.at - since) }))));
    // Issue 13's target for scenario A: voice only within 10 s, and the person told.
    expect(voice.at - since).toBeLessThan(voiceWithinMs);
    expect(voice.reasons.some((r) => ['loss', 'delay', 'bandwidth'].includes(r))).toBe(true);
    expect(await fisherman.page.getByTestId('link-notice-why').count()).toBeGreaterThan(0);
    expect(await notice.innerText()).toContain('甲板'); // what to do: move to the open deck, or switch network
    await expect.poll(() => audioOnlyOf(fisherman.page), poll).toBe('true');
    // Robust audio (issue 12.2): at voice only (either direction's) the microphone keeps 24 kbps (16 on a narrow uplink; in-band FEC) with longer frames (adaptivePtime), DTX and FEC negotiated.
    const microphone = await fisherman.page.evaluate(async () => {
      const p = (window as any).__haiqiaoRoom.producers.find((x: any) => x.source === 'microphone');
      return { encodings: p.encodings(), parameters: p.rtpParameters.codecs[0].parameters };
    });
    // 24 kbit/s, or 16 where the uplink's estimate was under 100 kbit/s at the step (decide.ts, narrowUplinkKbps).
    expect(microphone.encodings[0]).toMatchObject({ adaptivePtime: true });
    expect(voiceOnlyBitrates).toContain(microphone.encodings[0].maxBitrate);
    expect(microphone.parameters).toMatchObject({ usedtx: 1, useinbandfec: 1 });
    // The header dot tells the media too, not only the socket.
    expect(await fisherman.page.getByTestId('connection-state').getAttribute('data-link')).toBe('voice');
    await screenshot(fisherman.page, 'room-adapt-fisherman-voice');

    // The mediator sees the decision and why, in the host panel.
    const hostAdapt = mediator.page.getByTestId(`host-adapt-${ids.fisherman}`);
    // The direction that went to voice only (the fisherman's link is lossy both ways: whichever judged first).
    await expect.poll(() => hostAdapt.getAttribute(`data-${voice.direction}`), poll).toBe('voice');
    // The level line names voice only; the last line is the latest decision with its reasons
    // (a later step of the other direction may follow).
    expect(await hostAdapt.innerText()).toMatch(/仅语音/);
    expect(await mediator.page.getByTestId(`host-adapt-last-${ids.fisherman}`).innerText()).toMatch(/（.+）/);
    await screenshot(mediator.page, 'room-adapt-mediator-panel');

    // Meanwhile the mediator, on a clean link, never left video (watched on to the end of the file: the last test).
    expect(mediatorLeftVideo()).toEqual([]);
    expect(server.app.rooms.roomOf(fixture.sessionId)!.media!.producersOf(ids.mediator!).map((p) => p.kind).sort()).toEqual(['audio', 'video']);
    expect(await mediator.page.getByTestId('connection-state').getAttribute('data-link')).not.toBe('voice');
    // And the clean owner still receives the mediator's video, as before.
    await expectFlowing(owner.page, ids.mediator!, { audio: true, video: true }, 30_000);
    expect([...mediator.errors, ...owner.errors]).toEqual([]);
  }, 240_000);

  it('on a lossy downlink the owner steps down, and when it recovers steps back up one level after a stable period, without a click', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-adapt-recovery', () => [mediator, fisherman, owner]);
    onTestFailed(async () => {
      for (const person of [owner, mediator]) await logAdaptation(person);
    });
    const levelOf = async (page: Page) => (await adaptationOf(page)).level;
    // From full: a busy machine can disturb even a clean link for a few seconds, and stepping back takes a stable period.
    await expect.poll(() => levelOf(owner.page), { timeout: 60_000, interval: 500 }).toBe('full');
    await expectFlowing(owner.page, ids.mediator!);
    const ports = await localMediaPorts(owner.page);
    const lossyAtPage = await owner.page.evaluate(() => performance.now());
    server.relay!.lossy(ports, 0.35);
    const lossyAt = Date.now();
    const notice = owner.page.getByTestId('link-notice');
    await notice.waitFor({ timeout: 30_000 });
    // How far down depends on which of the owner's paths show it on this machine (the relay's
    // loss reached their uplink's reports too): voice only, or the bottom layer.
    await expect.poll(() => levelOf(owner.page), { timeout: 30_000, interval: 250 }).toMatch(/^(low|voice)$/);
    const lowest = await levelOf(owner.page);
    console.log(`owner: ${lowest} ${Date.now() - lossyAt} ms after their downlink turned lossy`);
    // What the SFU may send the owner follows their receive level and audio only (its estimate and its probing bursts).
    const media = server.app.rooms.roomOf(fixture.sessionId)!.media!;
    const capOf = async () => (await media.downlinkStats(ids.owner!))?.maxOutgoingBitrate ?? null;
    // mediasoup reports no cap as its own maximum (far above any camera).
    const capFollowsLevel = async () => {
      const [cap, want] = [await capOf(), downlinkCap((await adaptationOf(owner.page)).recv as LinkLevel, (await audioOnlyOf(owner.page)) === 'true')];
      return want === null ? cap !== null && cap > 100_000_000 : cap === want;
    };
    // Their downlink is the lossy one: their receive side steps down, so the cap checked is a real one.
    await expect.poll(async () => (await adaptationOf(owner.page)).recv, { timeout: 30_000, interval: 250 }).not.toBe('full');
    await expect.poll(capFollowsLevel, { timeout: 15_000, interval: 250 }).toBe(true);
    console.log(`owner: receive ${(await adaptationOf(owner.page)).recv}, the SFU's cap ${await capOf()} bit/s`);
    if (lowest === 'voice') await expect.poll(() => audioOnlyOf(owner.page), poll).toBe('true');

    // The link recovers; nobody clicks anything.
    server.relay!.restore();
    const restoredAt = Date.now();
    const stepsUp = async () => (await adaptationOf(owner.page)).decisions.filter((d) => d.reasons.includes('stable') && d.at > lossyAtPage);
    await expect.poll(async () => (await stepsUp()).length, { timeout: 60_000, interval: 250 }).toBeGreaterThan(0);
    const firstUp = Date.now() - restoredAt;
    // The person's level is the worse direction's: it rises once that one has stepped up too (its stable period ran alongside).
    const order = ['full', 'reduced', 'low', 'voice'];
    await expect.poll(async () => order.indexOf(await levelOf(owner.page)), { timeout: 30_000, interval: 250 }).toBeLessThan(order.indexOf(lowest));
    const raised = Date.now() - restoredAt;
    const ups = await stepsUp();
    const now = await levelOf(owner.page);
    console.log(`owner: first step up ${firstUp} ms, ${lowest} → ${now} ${raised} ms after the link recovered`, JSON.stringify(ups));
    // One level at a time, not everything at once, and the person sees where they are now.
    for (const d of ups) expect(order.indexOf(d.from) - order.indexOf(d.to)).toBe(1);
    expect(now).not.toBe('full');
    await expect.poll(() => notice.getAttribute('data-level'), poll).toBe(now);
    await expect.poll(capFollowsLevel, { timeout: 15_000, interval: 250 }).toBe(true);
    if (lowest === 'voice') {
      // Video back, by itself: the owner sends their camera again.
      await expect.poll(() => audioOnlyOf(owner.page), poll).toBe('false');
      await expect.poll(() => server.app.rooms.roomOf(fixture.sessionId)!.media!.producersOf(ids.owner!).map((p) => p.kind).sort(), { timeout: 30_000, interval: 250 }).toEqual(['audio', 'video']);
    }
    expect([...mediator.errors, ...owner.errors]).toEqual([]);
  }, 240_000);

  it('throughout (the fisherman impaired all along, the owner lossy for a while), the clean-link mediator never left video', async ({ onTestFailed }) => {
    onTestFailed(async () => {
      await logAdaptation(mediator);
      console.log('UDP receive-buffer drops:', udpDrops());
    });
    // Watched from before the fisherman came in until now, at least 20 s of it after (issue 13's finding 1 took 10 s).
    expect(mediatorSeen.filter((s) => s.at > fishermanInAt + 20_000).length).toBeGreaterThan(10);
    expect(mediatorLeftVideo()).toEqual([]);
    expect((await adaptationOf(mediator.page)).decisions.filter((d) => d.to === 'voice')).toEqual([]);
    expect(server.app.rooms.roomOf(fixture.sessionId)!.media!.producersOf(ids.mediator!).map((p) => p.kind).sort()).toEqual(['audio', 'video']);
  });
});
