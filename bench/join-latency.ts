// Join latency in Debian's Chromium on loopback: how long from opening an invitation link to the
// first remote video frame decoded, split into stages, and how many signalling round trips sit
// on that path. The real server (buildApp on a fresh PostgreSQL database, one mediasoup worker
// behind a WebRtcServer), the built client and fake camera/microphone; a mediator in the room
// (logged in through the desk) sends the video every joiner decodes.
//
//   node bench/join-latency.ts [--joins 20] [--json results.json]
//
// Two scenarios, --joins times each, one join at a time:
// - re-entry: a participant already verified and admitted (earlier, on another connection) opens
//   their link and presses "enter": no device check, no lobby. Stages from the navigation start:
//   page ready (enter button shown), socket connected, entered, receive transport connected,
//   first remote frame decoded.
// - after admission: a participant waits in the lobby (device check and identity done by
//   clicking); the mediator clicks "admit". Stages from the moment the page hears it was admitted.
//
// Signalling round trips: request/ack exchanges on the path to the first frame that had to wait
// for one another, counted from the browser's own request log (send and ack times): of the
// requests the frame depends on (session:enter, media:start, media:ready, media:connect of the
// receive transport, media:consumer-resume of the first decoded consumer), those sent after the
// previous one's ack count one each; those in flight together (pipelined) count once. Counted
// from the socket's connection (re-entry) or from the admission (after admission). On loopback
// an ack can come back before the browser has even sent a request that does not wait for it
// (e.g. while it builds an SDP answer), which would look sequential; so the count is taken from a
// third run of re-entries in which the server holds every request --slow-ms (100) before
// answering, as a 100 ms round trip would: there, waiting and pipelining are told apart.
//
//   scenarios: re-entry ×joins, after admission ×joins, re-entry with slow signalling ×max(5, joins/4)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { type E2eServer, launchChromium, resultsDir, startE2eServer, writeSpeechLikeWav } from '../tests/helpers/browser.ts';
import { connected, connectSocket } from '../tests/helpers/socket-client.ts';
import { admit, createRoomFixture, mediatorEnters, newPerson, partyToLobby, peerIdIn, type RoomFixture, until } from '../tests/e2e/room-support.ts';
import { fmt, summarize, table } from './lib/stats.ts';

const { values: args } = parseArgs({ options: { joins: { type: 'string', default: '20' }, 'slow-ms': { type: 'string', default: '100' }, json: { type: 'string' } } });
const joins = Number(args.joins);
const slowMs = Number(args['slow-ms']);
if (!Number.isInteger(joins) || joins < 1) throw new Error('--joins must be a positive integer');

/** Valid resident IDs (check digit computed), one per participant. */
function residentId(serial: number): string {
  const base = `33032719800101${String(100 + serial).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...base].reduce((n, d, i) => n + Number(d) * weights[i]!, 0);
  return base + '10X98765432'[sum % 11]!;
}

interface Timeline {
  marks: Partial<Record<'socket' | 'entered' | 'admitted' | 'recv-connected' | 'send-connected', number>>;
  requests: { event: string; target?: string; sentAt: number; ackAt: number | null }[];
  recvTransportId: string | null;
  firstFrame: { at: number; consumerId: string } | null;
}

/** Waits inside the page for the first decoded remote video frame, polling every 10 ms. */
function firstFrame(page: Page): Promise<{ at: number; consumerId: string }> {
  return page.evaluate(async () => {
    const deadline = performance.now() + 30_000;
    for (;;) {
      const room = (window as any).__haiqiaoRoom;
      for (const c of room?.consumers ?? []) {
        if (c.kind !== 'video') continue;
        let decoded = 0;
        (await c.getStats()).forEach((s: any) => {
          if (s.type === 'inbound-rtp') decoded = s.framesDecoded ?? 0;
        });
        if (decoded > 0) return { at: performance.now(), consumerId: c.id as string };
      }
      if (performance.now() > deadline) throw new Error('no remote frame within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
}

function timelineOf(page: Page): Promise<Omit<Timeline, 'firstFrame'>> {
  return page.evaluate(() => {
    const room = (window as any).__haiqiaoRoom;
    return { marks: room.marks, requests: room.requests, recvTransportId: room.recvTransport?.id ?? null };
  });
}

/** Sequential round trips among the requests the first frame waited for, from `from` on. */
function roundTrips(t: Timeline, from: number): { count: number; chain: string[] } {
  const onPath = t.requests
    .filter((r) => r.sentAt >= from && r.ackAt !== null && r.sentAt <= t.firstFrame!.at)
    .filter(
      (r) =>
        r.event === 'session:enter' ||
        r.event === 'media:start' ||
        r.event === 'media:ready' ||
        (r.event === 'media:connect' && r.target === t.recvTransportId) ||
        (r.event === 'media:consumer-resume' && r.target === t.firstFrame!.consumerId),
    )
    .sort((a, b) => a.sentAt - b.sentAt);
  let count = 0;
  let stepEnd = Number.NEGATIVE_INFINITY;
  const chain: string[][] = [];
  for (const r of onPath) {
    if (r.sentAt >= stepEnd) {
      count += 1;
      chain.push([r.event]);
      stepEnd = r.ackAt!;
    } else {
      chain.at(-1)!.push(r.event); // pipelined with the step in flight
      stepEnd = Math.max(stepEnd, r.ackAt!);
    }
  }
  return { count, chain: chain.map((step) => step.join(' ∥ ')) };
}

async function reEntry(browser: Browser, server: E2eServer, host: Page, invitation: RoomFixture['invitations'][number]) {
  // Verified and admitted earlier, on a connection of its own (kept open until the browser takes over).
  const token = invitation.link.split('/j/')[1]!;
  const earlier = connectSocket(server.baseUrl, { invitationToken: token });
  await connected(earlier);
  const call = async (event: Parameters<typeof earlier.call>[0], payload: unknown) => {
    const answer = await earlier.call(event, payload as never);
    if (!answer.ok) throw new Error(`${event}: ${answer.error.code} ${answer.error.message}`);
    return answer.data;
  };
  await call('session:enter', {});
  await call('device-check:report', { rttMs: 5, downKbps: 50_000, upKbps: 50_000, hasCamera: true, hasMicrophone: true });
  await call('identity:confirm', { method: 'id_last4', name: invitation.name, last4: invitation.last4 });
  await call('lobby:wait', {});
  const admitted = earlier.next('attendance:changed', (c) => c.state === 'admitted');
  await host.getByTestId(`host-admit-${await peerIdIn(host, 'host-lobby-list', invitation.name)}`).click();
  await admitted;

  const person = await newPerson(browser, invitation.name, 'phone');
  try {
    const { page } = person;
    await page.goto(invitation.link);
    const button = page.getByTestId('join-enter');
    await button.waitFor();
    const readyAt = await page.evaluate(() => performance.now());
    await button.click();
    const frame = await firstFrame(page);
    const t: Timeline = { ...(await timelineOf(page)), firstFrame: frame };
    const trips = roundTrips(t, t.marks.socket!);
    earlier.disconnect();
    return {
      pageReady: readyAt,
      socket: t.marks.socket!,
      entered: t.marks.entered!,
      transports: t.marks['recv-connected']!,
      firstFrame: frame.at,
      clickToFrame: frame.at - readyAt,
      roundTrips: trips.count,
      chain: trips.chain,
      allRequests: t.requests.filter((r) => r.sentAt >= t.marks.socket! && r.sentAt <= frame.at).length,
    };
  } finally {
    earlier.disconnect();
    await person.context.close();
  }
}

async function afterAdmission(browser: Browser, host: Page, invitation: RoomFixture['invitations'][number]) {
  const person = await partyToLobby(browser, invitation);
  try {
    const { page } = person;
    const clickedAt = Date.now();
    await admit(host, person);
    const frame = await firstFrame(page);
    const t: Timeline = { ...(await timelineOf(page)), firstFrame: frame };
    const from = t.marks.admitted!;
    const trips = roundTrips(t, from);
    return {
      admittedToTransports: t.marks['recv-connected']! - from,
      admittedToFrame: frame.at - from,
      clickToFrame: Date.now() - clickedAt, // an upper bound: includes reading the stats back
      roundTrips: trips.count,
      chain: trips.chain,
    };
  } finally {
    await person.context.close();
  }
}

async function main() {
  const speech = writeSpeechLikeWav(path.join(resultsDir, 'join-latency-speech.wav'));
  // A short grace period: people who closed their page are gone in a second, not shown for five minutes.
  const [server, browser] = await Promise.all([startE2eServer({ media: true, reconnectGraceMs: 1_000 }), launchChromium({ fakeAudioFile: speech })]);
  try {
    const slowJoins = Math.max(5, Math.round(joins / 4));
    const parties = Array.from({ length: joins * 2 + 1 + slowJoins }, (_, i) => ({ name: `渔民${String(i + 1).padStart(2, '0')}`, idNumber: residentId(i) }));
    const fixture = await createRoomFixture(server, parties);
    const mediator = await mediatorEnters(browser, server, fixture);
    // Warm-up (first chunk loads from disk, JIT): not counted.
    await reEntry(browser, server, mediator.page, fixture.invitations[joins * 2]!);
    await until('the room to forget the warm-up joiner', async () => mediator.page.getByTestId('host-room-list').locator('li').count(), (n) => n === 0, 10_000);

    const reentries = [];
    for (let i = 0; i < joins; i += 1) {
      reentries.push(await reEntry(browser, server, mediator.page, fixture.invitations[i]!));
      process.stdout.write(`re-entry ${i + 1}/${joins}: ${fmt(reentries.at(-1)!.firstFrame, 0)} ms\n`);
      await until('the room to forget the last joiner', async () => mediator.page.getByTestId('host-room-list').locator('li').count(), (n) => n === 0, 10_000);
    }
    // Slow signalling: every request held before it is handled (and so answered).
    let holdMs = 0;
    server.app.io.on('connection', (socket) => socket.use((_packet, next) => (holdMs > 0 ? setTimeout(next, holdMs) : next())));
    holdMs = slowMs;
    const slow = [];
    for (let i = 0; i < Math.max(5, Math.round(joins / 4)); i += 1) {
      slow.push(await reEntry(browser, server, mediator.page, fixture.invitations[joins * 2 + 1 + i]!));
      process.stdout.write(`re-entry with ${slowMs} ms signalling ${i + 1}: ${fmt(slow.at(-1)!.firstFrame, 0)} ms, ${slow.at(-1)!.roundTrips} round trips\n`);
      await until('the room to forget the last joiner', async () => mediator.page.getByTestId('host-room-list').locator('li').count(), (n) => n === 0, 10_000);
    }
    holdMs = 0;

    const admissions = [];
    for (let i = 0; i < joins; i += 1) {
      admissions.push(await afterAdmission(browser, mediator.page, fixture.invitations[joins + i]!));
      process.stdout.write(`after admission ${i + 1}/${joins}: ${fmt(admissions.at(-1)!.admittedToFrame, 0)} ms\n`);
      await until('the room to forget the last joiner', async () => mediator.page.getByTestId('host-room-list').locator('li').count(), (n) => n === 0, 10_000);
    }

    const row = (label: string, values: number[]) => {
      const s = summarize(values);
      return [label, fmt(s.p50, 0), fmt(s.p95, 0), fmt(s.max, 0)];
    };
    const reentryTable = table(
      ['re-entry: from opening the link (ms)', 'p50', 'p95', 'max'],
      [
        row('page ready (enter button shown)', reentries.map((r) => r.pageReady)),
        row('socket connected', reentries.map((r) => r.socket)),
        row('entered (session:enter answered)', reentries.map((r) => r.entered)),
        row('receive transport connected', reentries.map((r) => r.transports)),
        row('first remote frame decoded', reentries.map((r) => r.firstFrame)),
        row('  of which: click → first frame', reentries.map((r) => r.clickToFrame)),
      ],
    );
    const admissionTable = table(
      ['after admission: from "admitted" reaching the page (ms)', 'p50', 'p95', 'max'],
      [row('receive transport connected', admissions.map((r) => r.admittedToTransports)), row('first remote frame decoded', admissions.map((r) => r.admittedToFrame))],
    );
    const tripsOf = (rs: { roundTrips: number }[]) => [...new Set(rs.map((r) => r.roundTrips))].sort().join(', ');
    console.log(`\n${reentryTable}\n\n${admissionTable}\n`);
    const slowTable = table(
      [`re-entry, every request held ${slowMs} ms (ms from opening the link)`, 'p50', 'p95', 'max'],
      [row('entered', slow.map((r) => r.entered)), row('first remote frame decoded', slow.map((r) => r.firstFrame)), row('  of which: click → first frame', slow.map((r) => r.clickToFrame))],
    );
    console.log(`${slowTable}\n`);
    console.log(`signalling round trips after the socket connects, re-entry with ${slowMs} ms signalling: ${tripsOf(slow)} — ${slow[0]!.chain.join(' → ')}`);
    console.log(`  (on loopback: ${tripsOf(reentries)} — ${reentries[0]!.chain.join(' → ')})`);
    console.log(`signalling round trips after admission (loopback): ${tripsOf(admissions)} — ${admissions[0]!.chain.join(' → ')}`);
    console.log(`all requests sent between socket and first frame (re-entry), median: ${summarize(reentries.map((r) => r.allRequests)).p50}`);
    const p50 = summarize(reentries.map((r) => r.firstFrame)).p50;
    const maxTrips = Math.max(...slow.map((r) => r.roundTrips));
    console.log(`targets: join p50 ≤ 1000 ms: ${p50 <= 1000 ? 'met' : 'missed'} (${fmt(p50, 0)} ms); round trips ≤ 4: ${maxTrips <= 4 ? 'met' : 'missed'} (${maxTrips})`);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    if (args.json) fs.writeFileSync(args.json, JSON.stringify({ reentries, admissions, slow }, null, 2));
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
