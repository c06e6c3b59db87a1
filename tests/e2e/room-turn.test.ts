/**
 * TURN over TLS in the browser: a party on a network that lets only web-like TCP out (UDP and
 * mediasoup's own TCP port dropped by nftables inside their network namespace) still joins
 * with media both ways, relayed by coturn (started by scripts/turn-server.sh) with the
 * time-limited credentials the server handed them; the mediator on an open network stays on
 * a direct path. Needs root (network namespace, nftables).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, startE2eServer } from '../helpers/browser.ts';
import { createTurnCredentials, type IceServer } from '../../server/security/turn-credentials.ts';
import { DelayRelay } from '../helpers/delay-relay.ts';
import { NetworkNamespace } from '../helpers/network-namespace.ts';
import { startTurnServer, type TurnServer } from '../helpers/turn-server.ts';
import { admit, closeAll, createRoomFixture, expectFlowing, mediatorEnters, partyToLobby, type Person, reportOnFailure, residentIds, selfPeerId } from './room-support.ts';

/** The selected path of a page's send and receive transports, from getStats. */
function selectedPaths(person: Person): Promise<{ localType: string; relayProtocol: string | null; remoteAddress: string }[]> {
  return person.page.evaluate(async () => {
    const room = (window as any).__haiqiaoRoom;
    const out = [];
    for (const transport of [room?.sendTransport, room?.recvTransport]) {
      if (!transport || transport.closed) continue;
      const report: Map<string, any> = await transport.getStats();
      for (const s of report.values()) {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
        const pair = report.get(s.selectedCandidatePairId);
        const local = pair && report.get(pair.localCandidateId);
        const remote = pair && report.get(pair.remoteCandidateId);
        if (local && remote) out.push({ localType: local.candidateType, relayProtocol: local.relayProtocol ?? null, remoteAddress: remote.address });
      }
    }
    return out;
  });
}

/** Relay candidates a page gathers within 5 s with these ICE servers, relay only. */
function relayCandidates(person: Person, iceServers: IceServer[]): Promise<number> {
  return person.page.evaluate(async (servers) => {
    const pc = new RTCPeerConnection({ iceServers: servers, iceTransportPolicy: 'relay' });
    pc.createDataChannel('probe');
    let found = 0;
    pc.onicecandidate = (e) => {
      if (e.candidate?.candidate.includes(' typ relay ')) found += 1;
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    pc.close();
    return found;
  }, iceServers);
}

const runsAsRoot = process.getuid?.() === 0;

describe.skipIf(!runsAsRoot)('TURN over TLS when UDP is blocked', () => {
  let ns: NetworkNamespace;
  let turn: TurnServer;
  let server: E2eServer;
  let relay: DelayRelay;
  let hostBrowser: Browser;
  let nsBrowser: Browser;
  let mediator: Person;
  let party: Person;
  let httpPort: number;

  beforeAll(async () => {
    ns = NetworkNamespace.create();
    // coturn listens on the namespace's host end and relays to mediasoup on the same address.
    // mediasoup listens on the host side of the namespace, a private address (10.231.x) that
    // turn-server.sh denies like every private range unless named here: without peerIps no media flows.
    turn = await startTurnServer({ listenIp: ns.hostAddress, relayIp: ns.hostAddress, peerIps: [ns.hostAddress] });
    server = await startE2eServer({ media: { announcedAddress: ns.hostAddress }, turn: { secret: turn.secret, urls: [turn.url], ttlSeconds: 600 } });
    httpPort = Number(new URL(server.baseUrl).port);
    // mediasoup and the web server are on loopback: a plain (no delay) relay makes them
    // reachable on the namespace's host end, so only the firewall stands in the way.
    const webRtc = await server.pool!.webRtcServerOf(server.pool!.workers[0]!)!.dump();
    relay = await DelayRelay.start({
      listenAddress: ns.hostAddress,
      targetAddress: '127.0.0.1',
      udpPorts: webRtc.udpSockets.map((s) => s.port),
      tcpPorts: [httpPort, ...webRtc.tcpServers.map((s) => s.port)],
    });
    hostBrowser = await launchChromium();
    nsBrowser = await launchChromium({
      executablePath: ns.chromiumWrapper(),
      args: [
        `--unsafely-treat-insecure-origin-as-secure=http://${ns.hostAddress}:${httpPort}`,
        // coturn's certificate here is self-signed; production uses one for the TURN host name.
        '--ignore-certificate-errors',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await closeAll([mediator, party]);
    await nsBrowser?.close();
    await hostBrowser?.close();
    relay?.close();
    await server?.close();
    await turn?.stop();
    ns?.destroy();
  });

  it('a party whose UDP (and every port but the web and TURN ones) is dropped joins with media both ways through TURN/TLS', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-turn', () => [mediator, party]);
    onTestFailed(() => console.log(`coturn:\n${turn.output().slice(-3000)}`));
    ns.allowOnlyTcp([httpPort, turn.port]);

    const fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
    mediator = await mediatorEnters(hostBrowser, server, fixture);
    const invitation = fixture.invitations[0]!;
    const link = new URL(invitation.link);
    link.hostname = ns.hostAddress;
    party = await partyToLobby(nsBrowser, { ...invitation, link: link.toString() });
    const ids = { party: await admit(mediator.page, party), mediator: await selfPeerId(mediator.page) };

    // Frames decoded and voice heard, both ways (from the receivers' getStats).
    await expectFlowing(party.page, ids.mediator, { audio: true, video: true }, 45_000);
    await expectFlowing(mediator.page, ids.party, { audio: true, video: true }, 45_000);

    // The party's media goes through the relay over TLS (relayProtocol is set on relayed
    // candidates only; the local one shows as peer-reflexive when mediasoup sees the relay's
    // packets from another address, here the loopback forwarder's); the mediator's is direct.
    const partyPaths = await selectedPaths(party);
    expect(partyPaths.length).toBe(2);
    for (const p of partyPaths) {
      expect(p.relayProtocol).toBe('tls');
      expect(['relay', 'prflx']).toContain(p.localType);
    }
    const mediatorPaths = await selectedPaths(mediator);
    expect(mediatorPaths.length).toBe(2);
    for (const p of mediatorPaths) expect(p.relayProtocol).toBeNull();
    // The firewall was real: the party's direct attempts were dropped.
    expect(ns.droppedPackets()).toBeGreaterThan(0);
    // coturn checks the credentials: a relay is granted for a valid one only, not for a
    // forged or an expired one (probed from the party's page with a fresh RTCPeerConnection).
    const settings = { secret: turn.secret, urls: [turn.url], ttlSeconds: 600 };
    const valid = createTurnCredentials(settings).iceServersFor('probe');
    const forged = [{ ...valid[0]!, credential: createTurnCredentials({ ...settings, secret: 'not-the-shared-secret' }).iceServersFor('probe')[0]!.credential }];
    const expired = createTurnCredentials({ ...settings, ttlSeconds: 60 }, () => new Date(Date.now() - 3_600_000)).iceServersFor('probe');
    expect(await relayCandidates(party, valid)).toBeGreaterThan(0);
    expect(await relayCandidates(party, forged)).toBe(0);
    expect(await relayCandidates(party, expired)).toBe(0);
    expect([...mediator.errors, ...party.errors]).toEqual([]);
  }, 150_000);
});
