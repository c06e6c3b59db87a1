/**
 * A phone leaving Wi-Fi for 4G mid-session (issue "Reach at sea", scenario C): the party's
 * address in their network namespace is deleted and another added. Media and the signalling
 * socket die at once; the browser's own ICE check says "disconnected" after ≈5 s and socket.io's
 * ping times out after 10–20 s, which made ≈12–16 s without sound. The room's path watch notices
 * the stop in about a second, finds the socket dead too, opens it again at once and restarts ICE.
 * Needs root (network namespace).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { from, type PageSnapshot, snapshot } from '../../bench/lib/room-stats.ts';
import { type E2eServer, launchChromium, startE2eServer } from '../helpers/browser.ts';
import { DelayRelay } from '../helpers/delay-relay.ts';
import { NetworkNamespace } from '../helpers/network-namespace.ts';
import { admit, closeAll, createRoomFixture, expectFlowing, mediatorEnters, partyToLobby, type Person, reportOnFailure, residentIds, selfPeerId } from './room-support.ts';

const runsAsRoot = process.getuid?.() === 0;

/** Whether new audio from `peerId` arrived in `page` between two snapshots. */
function audioGrew(before: PageSnapshot, after: PageSnapshot, peerId: string): boolean {
  const a = from(before, peerId, 'audio');
  const b = from(after, peerId, 'audio');
  return !!b && (!a || a.consumerId !== b.consumerId ? b.bytesReceived > 0 : b.bytesReceived > a.bytesReceived);
}

const socketId = (page: Page) => page.evaluate(() => (window as any).__haiqiaoRoom?.socketId ?? null);

describe.skipIf(!runsAsRoot)('the party’s address changes mid-session', () => {
  let ns: NetworkNamespace;
  let server: E2eServer;
  let relay: DelayRelay;
  let hostBrowser: Browser;
  let nsBrowser: Browser;
  let mediator: Person;
  let party: Person;

  beforeAll(async () => {
    ns = NetworkNamespace.create();
    server = await startE2eServer({ media: { announcedAddress: ns.hostAddress } });
    const httpPort = Number(new URL(server.baseUrl).port);
    // Web server and mediasoup listen on loopback: an undelayed relay on the namespace's host end
    // forwards to them, one upstream socket per party address (so the new address is a new path).
    const webRtc = await server.pool!.webRtcServerOf(server.pool!.workers[0]!)!.dump();
    relay = await DelayRelay.start({
      listenAddress: ns.hostAddress,
      targetAddress: '127.0.0.1',
      udpPorts: webRtc.udpSockets.map((s) => s.port),
      tcpPorts: [httpPort, ...webRtc.tcpServers.map((s) => s.port)],
    });
    hostBrowser = await launchChromium();
    nsBrowser = await launchChromium({ executablePath: ns.chromiumWrapper(), args: [`--unsafely-treat-insecure-origin-as-secure=http://${ns.hostAddress}:${httpPort}`] });
  }, 120_000);

  afterAll(async () => {
    await closeAll([mediator, party]);
    await nsBrowser?.close();
    await hostBrowser?.close();
    relay?.close();
    await server?.close();
    ns?.destroy();
  });

  it('audio flows both ways again within seconds, in the same place, with no click', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-address-change', () => [mediator, party]);
    const fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
    mediator = await mediatorEnters(hostBrowser, server, fixture);
    const invitation = fixture.invitations[0]!;
    const link = new URL(invitation.link);
    link.hostname = ns.hostAddress;
    party = await partyToLobby(nsBrowser, { ...invitation, link: link.toString() });
    const ids = { party: await admit(mediator.page, party), mediator: await selfPeerId(mediator.page) };
    await expectFlowing(party.page, ids.mediator, { audio: true }, 45_000);
    await expectFlowing(mediator.page, ids.party, { audio: true }, 45_000);
    const socketBefore = await socketId(party.page);

    let before: [PageSnapshot, PageSnapshot] = await Promise.all([snapshot(mediator.page), snapshot(party.page)]);
    const { from: oldAddress, to: newAddress } = ns.changeAddress();
    expect(newAddress).not.toBe(oldAddress);
    const changedAt = Date.now();
    const stopped = { mediator: false, party: false };
    const back: { mediator: number | null; party: number | null } = { mediator: null, party: null };
    while (Date.now() - changedAt < 30_000 && (back.mediator === null || back.party === null)) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const now: [PageSnapshot, PageSnapshot] = await Promise.all([snapshot(mediator.page), snapshot(party.page)]);
      const gets = { mediator: audioGrew(before[0], now[0], ids.party), party: audioGrew(before[1], now[1], ids.mediator) };
      before = now;
      for (const who of ['mediator', 'party'] as const) {
        if (!gets[who]) stopped[who] = true;
        else if (stopped[who] && back[who] === null) back[who] = Date.now() - changedAt;
      }
    }
    console.log(`address ${oldAddress} → ${newAddress}: mediator hears the party after ${back.mediator} ms, the party hears the mediator after ${back.party} ms`);
    // The change really cut the media (else this proves nothing)...
    expect(stopped).toEqual({ mediator: true, party: true });
    // ...and it came back both ways long before ICE's and socket.io's own timeouts (12–16 s
    // measured without the path watch). Target 3 s (bench/weak-link.ts, scenario C: 2.4 s on a
    // loaded 2-core machine); the bound leaves room for a CI machine running other browsers.
    expect(back.mediator).not.toBeNull();
    expect(back.party).not.toBeNull();
    expect(Math.max(back.mediator!, back.party!)).toBeLessThan(6_000);
    // Over a new socket (the old one died with its address), still the same person in the room.
    expect(await socketId(party.page)).not.toBe(socketBefore);
    expect(await selfPeerId(party.page)).toBe(ids.party);
    await expect.poll(() => party.page.getByTestId('room-view').count()).toBe(1);
  }, 180_000);
});
