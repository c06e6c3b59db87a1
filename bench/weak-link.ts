/**
 * Weak-link bench (issue "Reach at sea", point 1): a party on a phone whose link is impaired
 * in its own network namespace, with the mediator on a clean link, and what each of them
 * receives, from the receivers' getStats.
 *
 *   node bench/weak-link.ts [--scenarios A,B,C,D] [--seconds 60] [--offline-seconds 300] [--label before]
 *                           [--method namespace|emulation] [--voiced 0.4] [--jitter-target MS]
 *
 * --method emulation (A and B only, no root): issue 13's method instead. The party's Chromium
 * (a browser of its own: the rule throttles every WebRTC socket of its browser) is impaired by
 * Chromium's own network emulation, an all-URL rule set before the page loads (the app's own
 * requests match a clean rule first, so the device check lets the party in with video), and
 * the figures are taken from when both are in the room; times are counted from the party's
 * media connecting (the page's marks).
 *
 * --emulate-app-requests (with --method emulation): the page's own requests and socket are
 * impaired too, as in issue 13's all-URL rule, so the device check measures the weak link (and
 * may start the party on voice only) and the page loads through it.
 * --voiced S: the share of each second the voice talks (default 0.4: talk spurts with pauses, as
 * speech; 1: no pauses, so DTX never stops the packets).
 * --speech tts: the microphones speak Mandarin synthesised by espeak-ng (bench/lib/tts-speech.ts)
 * instead of the harmonic tone with pauses (--voiced); Opus gives in-band FEC only to frames its
 * voice activity detector takes for speech, and a steady tone is often not (see docs/benchmarks.md).
 * --jitter-target MS (an experiment, not the product's behaviour): every audio receiver's
 * jitterBufferTarget is set to MS on both pages, to see what a larger jitter buffer buys.
 *
 * Namespace method (the default) needs root (ip netns, tc, nft). The party's Chromium runs inside a namespace joined to the
 * host by a veth pair; its link gets:
 *   - rate: tbf on both ends of the pair;
 *   - random loss: nftables `numgen random` in the namespace, both directions;
 *   - delay: a user-space relay (tests/helpers/delay-relay.ts) on the host end, in front of
 *     the web server and mediasoup's UDP and TCP port (this kernel has no netem).
 * Scenarios:
 *   0  baseline: both on a clean link, measured the same way as A and B (nobody may leave video)
 *   A  300 kbit/s, 10 % loss, 600 ms RTT
 *   B  48 kbit/s, 5 % loss, 800 ms RTT
 *   C  the party's address changes mid-session: time until media flows both ways again
 *   D  no network for --offline-seconds: place kept, back in the room with media, no click
 * Conditions are applied once both are in the room with media flowing (joining itself is
 * measured by bench/join-latency.ts). Everything made (namespace, veth, nft, processes) is
 * removed at the end, on failure and on Ctrl-C. Results: a table on stdout and
 * test-results/weak-link-<label>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { type E2eServer, launchChromium, resultsDir, startE2eServer, writeSpeechLikeWav } from '../tests/helpers/browser.ts';
import { DelayRelay } from '../tests/helpers/delay-relay.ts';
import { type LinkConditions, NetworkNamespace } from '../tests/helpers/network-namespace.ts';
import { admit, closeAll, createRoomFixture, mediatorEnters, type Person, partyToLobby, residentIds, selfPeerId, until } from '../tests/e2e/room-support.ts';
import { writeTtsSpeechWav } from './lib/tts-speech.ts';
import { directionFigures, from, kbps, mean, type PageSnapshot, snapshot } from './lib/room-stats.ts';

const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'A,B,C,D' },
    seconds: { type: 'string', default: '60' },
    'offline-seconds': { type: 'string', default: '300' },
    label: { type: 'string', default: 'run' },
    method: { type: 'string', default: 'namespace' },
    'jitter-target': { type: 'string' },
    voiced: { type: 'string', default: '0.4' },
    speech: { type: 'string', default: 'tone' },
    'emulate-app-requests': { type: 'boolean', default: false },
  },
});
const emulated = args.method === 'emulation';
if (!emulated && args.method !== 'namespace') throw new Error(`--method: namespace or emulation, not ${args.method}`);
if (args.speech !== 'tone' && args.speech !== 'tts') throw new Error(`--speech: tone or tts, not ${args.speech}`);
/** What the microphones of both pages say (Chromium's fake capture loops the file). */
const speechWav = () => (args.speech === 'tts' ? writeTtsSpeechWav(path.join(resultsDir, 'weak-link-tts.wav')) : writeSpeechLikeWav(path.join(resultsDir, 'weak-link-speech.wav'), 10, Number(args.voiced)));
const scenarios = args.scenarios.split(',').map((s) => s.trim().toUpperCase());
const windowSeconds = Number(args.seconds);
const offlineSeconds = Number(args['offline-seconds']);

interface Impaired {
  conditions: LinkConditions;
  rttMs: number;
}
type Impairment = '0' | 'A' | 'B';
const impairments: Record<Impairment, Impaired> = {
  '0': { conditions: {}, rttMs: 0 },
  A: { conditions: { downKbit: 300, upKbit: 300, lossPct: 10 }, rttMs: 600 },
  B: { conditions: { downKbit: 48, upKbit: 48, lossPct: 5 }, rttMs: 800 },
};

const log = (line: string) => process.stdout.write(`[weak-link] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Issue 13's Chromium emulation of A and B (latency is added each way: RTT ≈ 2 × latency). */
const emulations: Record<Impairment, Record<string, unknown> | null> = {
  '0': null,
  A: { urlPattern: '', offline: false, latency: 300, downloadThroughput: 300_000 / 8, uploadThroughput: 300_000 / 8, packetLoss: 10 },
  B: { urlPattern: '', offline: false, latency: 400, downloadThroughput: 48_000 / 8, uploadThroughput: 48_000 / 8, packetLoss: 5 },
};

interface Rig {
  server: E2eServer;
  /** Namespace method only. */
  ns: NetworkNamespace;
  relay: DelayRelay;
  hostBrowser: Browser;
  /** The party's browser: in the namespace, or (emulation) on the host with its own emulation. */
  nsBrowser: Browser;
}

interface InRoom {
  mediator: Person;
  party: Person;
  ids: { mediator: string; party: string };
  sessionId: string;
}

/**
 * A new case and session; the mediator enters from the desk, the party joins from the namespace
 * through its link, or (--method emulation) from the host with `emulation` set on its page before it loads (none: the baseline).
 */
async function enterRoom(rig: Rig, n: number, emulation: Record<string, unknown> | null = null): Promise<InRoom> {
  const fixture = await createRoomFixture(rig.server, [{ name: '陈阿海', idNumber: residentIds[n % residentIds.length]! }], `浙苍渔0${1000 + n}号碰撞`);
  const mediator = await mediatorEnters(rig.hostBrowser, rig.server, fixture);
  const invitation = fixture.invitations[0]!;
  let party: Person;
  if (emulated) {
    const { host } = new URL(rig.server.baseUrl);
    // --emulate-app-requests: issue 13's all-URL rule as it was, the page, its socket and so its device check included.
    const clean = args['emulate-app-requests'] ? [] : ['http', 'ws'].map((scheme) => ({ urlPattern: `${scheme}://${host}/*`, offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 }));
    party = await partyToLobby(rig.nsBrowser, invitation, {
      ...(args['emulate-app-requests'] && emulation ? { stepTimeoutMs: 300_000 } : {}),
      beforeLoad: async ({ context, page }) => {
        if (!emulation) return; // the baseline: a clean link
        // The page itself loads through the weak link: minutes, not the usual 15 s.
        if (args['emulate-app-requests']) context.setDefaultTimeout(300_000);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditionsByRule' as never, { matchedNetworkConditions: [...clean, emulation] } as never);
      },
    });
  } else {
    // The party reaches the service through the namespace's link (the relay on the host end).
    const link = new URL(invitation.link);
    link.hostname = rig.ns.hostAddress;
    party = await partyToLobby(rig.nsBrowser, { ...invitation, link: link.toString() });
  }
  const ids = { party: await admit(mediator.page, party), mediator: await selfPeerId(mediator.page) };
  await Promise.all([flowingBothWays(mediator.page, party.page, ids, emulated ? 90_000 : 30_000)]);
  return { mediator, party, ids, sessionId: fixture.sessionId };
}

interface Decided {
  direction: string;
  from: string;
  to: string;
  reasons: string[];
  at: number;
}
/** The page's adaptation decisions, judged samples and marks (performance.now() times), and its clock now. */
const adaptationOf = (page: Page) =>
  page.evaluate(() => {
    const room = (window as any).__haiqiaoRoom;
    return { decisions: (room?.adaptation?.decisions ?? []) as Decided[], samples: (room?.adaptation?.samples ?? null) as unknown[] | null, marks: (room?.marks ?? {}) as Record<string, number>, now: performance.now(), origin: performance.timeOrigin };
  });

function audioGrew(before: PageSnapshot, after: PageSnapshot, peerId: string): boolean {
  const a = from(before, peerId, 'audio');
  const b = from(after, peerId, 'audio');
  return !!b && (!a || a.consumerId !== b.consumerId ? b.bytesReceived > 0 : b.bytesReceived > a.bytesReceived);
}

async function flowingBothWays(mediatorPage: Page, partyPage: Page, ids: InRoom['ids'], timeout: number): Promise<void> {
  let last: [PageSnapshot, PageSnapshot] | null = null;
  await until(
    'audio both ways',
    async () => {
      const now: [PageSnapshot, PageSnapshot] = await Promise.all([snapshot(mediatorPage), snapshot(partyPage)]);
      const ok = last !== null && audioGrew(last[0], now[0], ids.party) && audioGrew(last[1], now[1], ids.mediator);
      last = now;
      return ok;
    },
    (ok) => ok,
    timeout,
  );
}

/** --jitter-target (an experiment, not the product's behaviour): every audio receiver's jitterBufferTarget. */
const jitterTargetMs = args['jitter-target'] === undefined ? null : Number(args['jitter-target']);
async function setJitterTarget(page: Page, ms: number): Promise<void> {
  await page.evaluate((target) => {
    for (const c of (window as any).__haiqiaoRoom?.consumers ?? []) if (c.kind === 'audio' && c.receiver && c.receiver.jitterBufferTarget !== target) c.receiver.jitterBufferTarget = target;
  }, ms);
}

/** Samples both pages about once a second for `seconds`; `onSample` sees each pair. */
async function sample(room: InRoom, seconds: number, onSample?: (m: PageSnapshot, p: PageSnapshot) => void): Promise<{ mediator: PageSnapshot[]; party: PageSnapshot[] }> {
  const out = { mediator: [] as PageSnapshot[], party: [] as PageSnapshot[] };
  const end = Date.now() + seconds * 1000;
  while (Date.now() <= end) {
    const next = Date.now() + 1000;
    if (jitterTargetMs !== null) await Promise.all([room.mediator.page, room.party.page].map((page) => setJitterTarget(page, jitterTargetMs)));
    const [m, p] = await Promise.all([snapshot(room.mediator.page), snapshot(room.party.page)]);
    out.mediator.push(m);
    out.party.push(p);
    onSample?.(m, p);
    await sleep(Math.max(0, next - Date.now()));
  }
  return out;
}

interface Row {
  scenario: string;
  conditions: string;
  [measure: string]: string | number | null | boolean;
}

const f1 = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '—' : `${v.toFixed(1)}${unit}`);
const f0 = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '—' : `${Math.round(v)}${unit}`);

async function impairedScenario(rig: Rig, name: Impairment, n: number): Promise<Row> {
  const { conditions, rttMs } = impairments[name];
  const room = await enterRoom(rig, n, emulated ? emulations[name] : null);
  try {
    let onset = Date.now();
    /** The party's page clock at the onset (decisions are timed by it). */
    let onsetPerf: number;
    if (emulated) {
      // Impaired from the start: times count from the party's media connecting.
      const { marks, now } = await adaptationOf(room.party.page);
      onsetPerf = marks['send-connected'] ?? marks['recv-connected'] ?? now;
      onset = Date.now() - (now - onsetPerf);
      log(`${name}: emulated from the page's load (${JSON.stringify(emulations[name])}), media connected ${Math.round(now - onsetPerf)} ms ago; sampling ${windowSeconds} s`);
    } else {
      await sleep(5_000); // settle on the clean link
      log(`${name}: impairing the party's link: ${JSON.stringify(conditions)}, +${rttMs} ms RTT, for ${windowSeconds} s`);
      onset = Date.now();
      onsetPerf = (await adaptationOf(room.party.page)).now;
      rig.relay.setDelay((address) => (address === rig.ns.hostAddress || !address.startsWith(rig.ns.hostAddress.replace(/\d+$/, '')) ? 0 : rttMs / 2));
      rig.ns.impair(conditions);
    }
    let partyAudioOnlyAt: number | null = null;
    let mediatorAudioOnlyAt: number | null = null;
    // This process's event-loop stalls (the delay relay runs here: a stall holds every relayed packet).
    const stalls: string[] = [];
    let tick = Date.now();
    const stallWatch = setInterval(() => {
      const late = Date.now() - tick - 50;
      if (late >= 100) stalls.push(`${((Date.now() - onset) / 1000).toFixed(1)}s:${late}ms`);
      tick = Date.now();
    }, 50);
    // What the SFU sent the party each second: its probing bytes, its estimate and its cap.
    const downlink: { probeBytes: number; estimateKbps: number | null; capKbps: number | null }[] = [];
    /** The party's transports' protocols each second (send/recv): TCP carries lost packets as delay. */
    const protocols: string[] = [];
    let probedBefore: number | null = null;
    const samples = await sample(room, windowSeconds, (m, p) => {
      if (p.audioOnly && partyAudioOnlyAt === null) partyAudioOnlyAt = p.at - onset;
      if (m.audioOnly && mediatorAudioOnlyAt === null) mediatorAudioOnlyAt = m.at - onset;
      const media = rig.server.app.rooms.roomOf(room.sessionId)?.media;
      try {
        const now = media?.iceProtocols(room.ids.party);
        if (now) protocols.push(`${now.send ?? '-'}/${now.recv ?? '-'}`);
      } catch {
        // the party is between transports
      }
      void media?.downlinkStats(room.ids.party).then((d) => {
        if (!d) return;
        const kbit = (bps: number | null) => (bps === null ? null : Math.round(bps / 1000));
        downlink.push({ probeBytes: probedBefore === null ? 0 : d.probationBytesSent - probedBefore, estimateKbps: kbit(d.availableOutgoingBitrate), capKbps: kbit(d.maxOutgoingBitrate) });
        probedBefore = d.probationBytesSent;
      }).catch(() => undefined);
    });
    clearInterval(stallWatch);
    log(`${name}: event-loop stalls ≥ 100 ms in the bench process (relay, server): ${stalls.join(' ') || 'none'}`);
    log(`${name}: SFU → party each second: probe bytes ${JSON.stringify(downlink.map((d) => d.probeBytes))}; estimate kbit/s ${JSON.stringify(downlink.map((d) => d.estimateKbps))}; cap kbit/s ${JSON.stringify(downlink.map((d) => d.capKbps))}`);
    log(`${name}: the party's transports (send/recv) each second: ${JSON.stringify(protocols)}`);
    // What the party's sender counted: packets sent and sent again per stream (mediasoup offers NACK for Opus; Chromium was seen to resend no audio).
    const outbound = await room.party.page.evaluate(async () => {
      const transport = (window as any).__haiqiaoRoom?.sendTransport;
      if (!transport || transport.closed) return [];
      const report: RTCStatsReport = await transport.getStats();
      return [...report.values()].filter((s: any) => s.type === 'outbound-rtp').map((s: any) => ({ kind: s.kind, rid: s.rid ?? null, packetsSent: s.packetsSent, retransmittedPacketsSent: s.retransmittedPacketsSent ?? null, nackCount: s.nackCount ?? null }));
    });
    log(`${name}: the party's outbound streams at the end: ${JSON.stringify(outbound)}`);
    const told = (await room.party.page.locator('[data-testid="room-notice"][data-key="room.notice.autoAudioOnly"]').count()) > 0;
    // The controllers' own timeline: first step down and voice only of the party, from the onset.
    const [partyAdapt, mediatorAdapt] = await Promise.all([adaptationOf(room.party.page), adaptationOf(room.mediator.page)]);
    const after = (d: Decided | undefined) => (d ? `${((d.at - onsetPerf) / 1000).toFixed(1)} s` : 'never');
    const partyDown = partyAdapt.decisions.find((d) => d.to !== 'full' && !d.reasons.includes('manual'));
    const partyVoice = partyAdapt.decisions.find((d) => d.to === 'voice');
    log(`${name}: party decisions ${JSON.stringify(partyAdapt.decisions.map((d) => ({ ...d, at: Math.round(d.at - onsetPerf) })))}`);
    // The mediator's page has its own clock: through epoch times.
    const mediatorShift = mediatorAdapt.origin - partyAdapt.origin - onsetPerf;
    log(`${name}: mediator decisions ${JSON.stringify(mediatorAdapt.decisions.map((d) => ({ ...d, at: Math.round(d.at + mediatorShift) })))}`);
    if (partyAdapt.samples) log(`${name}: party samples (last minute) ${JSON.stringify(partyAdapt.samples)}`);
    const partyGets = directionFigures(samples.party, room.ids.mediator);
    const mediatorGets = directionFigures(samples.mediator, room.ids.party);
    log(`${name}: concealed % by second, party gets ${JSON.stringify(partyGets.concealedPctBySecond)}; lost ${JSON.stringify(partyGets.lostBySecond)}`);
    log(`${name}: concealed % by second, mediator gets ${JSON.stringify(mediatorGets.concealedPctBySecond)}; lost ${JSON.stringify(mediatorGets.lostBySecond)}`);
    const partyRtt = mean(samples.party.map((s) => s.rttMs));
    const mediatorRtt = mean(samples.mediator.map((s) => s.rttMs));
    // One way = half of each leg's round trip (party–SFU, SFU–mediator), plus the listener's
    // jitter buffer and one 20 ms Opus frame of packetisation; capture and playout buffers are left out.
    const oneWay = (jitterMs: number | null) => (partyRtt !== null && mediatorRtt !== null ? partyRtt / 2 + mediatorRtt / 2 + (jitterMs ?? 0) + 20 : null);
    const row: Row = {
      scenario: name,
      conditions: name === '0' ? 'clean link' : `${conditions.downKbit} kbit/s, ${conditions.lossPct} % loss, +${rttMs} ms RTT`,
      'audio concealed % (party gets / mediator gets)': `${f1(partyGets.concealedPct)} / ${f1(mediatorGets.concealedPct)}`,
      'audio packets lost % (party gets / mediator gets)': `${f1(partyGets.audioLostPct)} / ${f1(mediatorGets.audioLostPct)}`,
      'audio packets/s received (party / mediator)': `${f0(partyGets.audioPacketsPerSecond)} / ${f0(mediatorGets.audioPacketsPerSecond)}`,
      'audio packets carrying FEC (party / mediator)': `${partyGets.fecPackets} / ${mediatorGets.fecPackets}`,
      'of which silence anyway, % (party / mediator)': `${f1(partyGets.silentConcealedPct)} / ${f1(mediatorGets.silentConcealedPct)}`,
      'concealment events (party / mediator)': `${partyGets.concealmentEvents} / ${mediatorGets.concealmentEvents}`,
      'audio packets discarded late %, FEC unused (party / mediator)': `${f1(partyGets.audioDiscardedPct)}, ${partyGets.fecDiscarded} / ${f1(mediatorGets.audioDiscardedPct)}, ${mediatorGets.fecDiscarded}`,
      'jitter buffer ms, mean / target (party / mediator)': `${f0(partyGets.jitterBufferMs)} / ${f0(partyGets.jitterBufferTargetMs)} / ${f0(mediatorGets.jitterBufferMs)} / ${f0(mediatorGets.jitterBufferTargetMs)}`,
      's > 50 % concealed (party / mediator)': `${partyGets.secondsMostlyConcealed} / ${mediatorGets.secondsMostlyConcealed}`,
      'video freezes (party / mediator)': `${partyGets.freezes} / ${mediatorGets.freezes}`,
      'video ≥ 180p ≥ 5 fps after 10 s, % (party / mediator)': `${f0(partyGets.video180pHeldPct)} / ${f0(mediatorGets.video180pHeldPct)}`,
      'time to audio-only (party)': partyAudioOnlyAt === null ? 'never' : `${(Math.max(0, partyAudioOnlyAt as number) / 1000).toFixed(1)} s${told ? ', told' : ''}`,
      'party controller: first step down / voice only': `${after(partyDown)} (${partyDown ? `${partyDown.direction} ${partyDown.to}` : '–'}) / ${after(partyVoice)} (${partyVoice ? `${partyVoice.direction}, ${partyVoice.reasons.join(' ')}` : '–'})`,
      'mediator controller steps down': String(mediatorAdapt.decisions.filter((d) => d.to !== 'full').length),
      'mediator (clean link) left video': mediatorAudioOnlyAt === null ? 'no' : `yes, after ${((mediatorAudioOnlyAt as number) / 1000).toFixed(1)} s`,
      'RTT ms (party / mediator)': `${f0(partyRtt)} / ${f0(mediatorRtt)}`,
      'mouth-to-ear estimate ms (party→mediator / mediator→party)': `${f0(oneWay(mediatorGets.jitterBufferMs))} / ${f0(oneWay(partyGets.jitterBufferMs))}`,
      'party bitrate kbit/s (sent / received)': `${f0(kbps(samples.party, (s) => s.sentBytes))} / ${f0(kbps(samples.party, (s) => s.receivedBytes))}`,
    };
    log(`${name}: ${JSON.stringify(row)}`);
    return row;
  } finally {
    if (!emulated) {
      rig.ns.impair({});
      rig.relay.setDelay(() => 0);
    }
    await closeAll([room.mediator, room.party]);
  }
}

/** C: the party's address changes; how long until audio flows both ways again. */
async function addressChange(rig: Rig, n: number): Promise<Row> {
  const room = await enterRoom(rig, n);
  try {
    await sleep(5_000);
    let before: [PageSnapshot, PageSnapshot] = await Promise.all([snapshot(room.mediator.page), snapshot(room.party.page)]);
    const { from: old, to } = rig.ns.changeAddress();
    const changedAt = Date.now();
    log(`C: the party's address changed ${old} → ${to}`);
    // Per direction: when it stopped (first sample without new audio) and when it came back.
    const gap = { mediator: false, party: false };
    const back: { mediator: number | null; party: number | null } = { mediator: null, party: null };
    while (Date.now() - changedAt < 60_000) {
      await sleep(250);
      const now: [PageSnapshot, PageSnapshot] = await Promise.all([snapshot(room.mediator.page), snapshot(room.party.page)]);
      const gets = { mediator: audioGrew(before[0], now[0], room.ids.party), party: audioGrew(before[1], now[1], room.ids.mediator) };
      before = now;
      for (const who of ['mediator', 'party'] as const) {
        if (!gets[who]) gap[who] = true;
        else if (gap[who] && back[who] === null) back[who] = Date.now() - changedAt;
      }
      const settled = (who: 'mediator' | 'party') => back[who] !== null || (!gap[who] && Date.now() - changedAt > 10_000);
      if (settled('mediator') && settled('party')) break;
    }
    const secs = (who: 'mediator' | 'party') => (!gap[who] ? 'never interrupted' : back[who] === null ? 'not within 60 s' : `${(back[who]! / 1000).toFixed(1)} s`);
    const both = !gap.mediator && !gap.party ? 'never interrupted' : (gap.mediator && back.mediator === null) || (gap.party && back.party === null) ? 'not within 60 s' : `${(Math.max(back.mediator ?? 0, back.party ?? 0) / 1000).toFixed(1)} s`;
    const end = await snapshot(room.party.page);
    const row: Row = {
      scenario: 'C',
      conditions: `address ${old} → ${to} mid-session`,
      'media back both ways after': both,
      'mediator hears party again after': secs('mediator'),
      'party hears mediator again after': secs('party'),
      'party phase / connection at the end': `${end.phase} / ${end.connection}`,
    };
    log(`C: ${JSON.stringify(row)}`);
    return row;
  } finally {
    await closeAll([room.mediator, room.party]);
  }
}

/** D: no network at all for a long while, then back: place kept, back in the room with no click. */
async function longOutage(rig: Rig, n: number): Promise<Row> {
  const room = await enterRoom(rig, n);
  try {
    await sleep(5_000);
    log(`D: the party's link is cut for ${offlineSeconds} s`);
    rig.ns.blockAll();
    const cutAt = Date.now();
    const badge = room.mediator.page.getByTestId(`tile-${room.ids.party}`).getByTestId('badge-reconnecting');
    let reconnectingShownAfter: number | null = null;
    while (Date.now() - cutAt < offlineSeconds * 1000) {
      if (reconnectingShownAfter === null && (await badge.count()) > 0) reconnectingShownAfter = Date.now() - cutAt;
      await sleep(1_000);
    }
    const listedAtEnd = (await room.mediator.page.getByTestId(`tile-${room.ids.party}`).count()) > 0;
    const dropped = rig.ns.droppedPackets();
    rig.ns.unblock();
    const restoredAt = Date.now();
    log(`D: link back (${dropped} packets dropped during the cut)`);
    let socketBack: number | null = null;
    let mediaBack: number | null = null;
    let phase = '';
    try {
      await until('the party connected again', async () => (await snapshot(room.party.page)).connection, (c) => c === 'connected', 120_000);
      socketBack = Date.now() - restoredAt;
      await flowingBothWays(room.mediator.page, room.party.page, room.ids, 120_000);
      mediaBack = Date.now() - restoredAt;
    } catch (error) {
      log(`D: ${String(error)}`);
    }
    const end = await snapshot(room.party.page);
    phase = `${end.phase} / ${end.connection}`;
    const secs = (ms: number | null) => (ms === null ? 'not within 120 s' : `${(ms / 1000).toFixed(1)} s`);
    const row: Row = {
      scenario: 'D',
      conditions: `no network for ${offlineSeconds} s`,
      'mediator saw reconnecting after': secs(reconnectingShownAfter),
      'place kept at the end of the cut (tile still shown)': listedAtEnd ? 'yes' : 'no',
      'socket back after': secs(socketBack),
      'media back both ways after': secs(mediaBack),
      'same peer id, no click': end.peerId === room.ids.party && end.phase === 'room' ? 'yes' : `no (phase ${end.phase}, peer ${end.peerId === room.ids.party ? 'same' : 'changed'})`,
      'party phase / connection at the end': phase,
    };
    log(`D: ${JSON.stringify(row)}`);
    return row;
  } finally {
    rig.ns.unblock();
    await closeAll([room.mediator, room.party]);
  }
}

function markdown(rows: Row[]): string {
  const out: string[] = [];
  for (const row of rows) {
    out.push(`**${row.scenario}** (${row.conditions})`, '', '| measure | value |', '|---|---|');
    for (const [k, v] of Object.entries(row)) if (k !== 'scenario' && k !== 'conditions') out.push(`| ${k} | ${String(v)} |`);
    out.push('');
  }
  return out.join('\n');
}

/** The namespace method's rig: the party's namespace, the delay relay, the server announcing the host end, both browsers. */
async function namespaceRig(rig: Partial<Rig>): Promise<void> {
  rig.ns = NetworkNamespace.create();
  log(`namespace ${rig.ns.name}: party at ${rig.ns.address}, host end ${rig.ns.hostAddress}`);
  rig.server = await startE2eServer({ media: { announcedAddress: rig.ns.hostAddress } });
  const httpPort = Number(new URL(rig.server.baseUrl).port);
  const webRtc = await rig.server.pool!.webRtcServerOf(rig.server.pool!.workers[0]!)!.dump();
  rig.relay = await DelayRelay.start({
    listenAddress: rig.ns.hostAddress,
    targetAddress: '127.0.0.1',
    udpPorts: webRtc.udpSockets.map((s) => s.port),
    tcpPorts: [httpPort, ...webRtc.tcpServers.map((s) => s.port)],
  });
  const wav = speechWav();
  rig.hostBrowser = await launchChromium({ fakeAudioFile: wav });
  rig.nsBrowser = await launchChromium({
    fakeAudioFile: wav,
    executablePath: rig.ns.chromiumWrapper(),
    // The service is plain http on the namespace's host end: let the page use camera and microphone there.
    args: [`--unsafely-treat-insecure-origin-as-secure=http://${rig.ns.hostAddress}:${httpPort}`],
  });
}

async function main(): Promise<void> {
  if (!emulated && process.getuid?.() !== 0) throw new Error('run as root: the bench makes a network namespace, tc qdiscs and nftables rules');
  if (emulated && scenarios.some((s) => !(s in impairments))) throw new Error('--method emulation: scenarios 0, A and B only');
  const started = new Date();
  const load0 = os.loadavg();
  const rig: Partial<Rig> = {};
  const rows: Row[] = [];
  try {
    if (emulated) {
      rig.server = await startE2eServer({ media: true });
      const wav = speechWav();
      [rig.hostBrowser, rig.nsBrowser] = await Promise.all([launchChromium({ fakeAudioFile: wav }), launchChromium({ fakeAudioFile: wav })]);
    } else await namespaceRig(rig);
    let n = 0;
    for (const name of scenarios) {
      n += 1;
      log(`scenario ${name}`);
      try {
        if (name === '0' || name === 'A' || name === 'B') rows.push(await impairedScenario(rig as Rig, name, n));
        else if (name === 'C') rows.push(await addressChange(rig as Rig, n));
        else if (name === 'D') rows.push(await longOutage(rig as Rig, n));
        else throw new Error(`unknown scenario ${name}`);
      } catch (error) {
        log(`scenario ${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
        rows.push({ scenario: name, conditions: '', error: String(error) });
      }
    }
  } finally {
    await rig.nsBrowser?.close().catch(() => undefined);
    await rig.hostBrowser?.close().catch(() => undefined);
    rig.relay?.close();
    await rig.server?.close().catch(() => undefined);
    rig.ns?.destroy();
  }
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load0.map((l) => l.toFixed(2)).join(' ')} at the start, ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end`;
  const text = markdown(rows);
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `weak-link-${args.label}.json`);
  fs.writeFileSync(file, JSON.stringify({ label: args.label, method: args.method, started: started.toISOString(), machine, windowSeconds, offlineSeconds, rows }, null, 2));
  process.stdout.write(`\n${machine}\n\n${text}\nresults: ${file}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1); // the exit hook removes the namespace
  },
);
