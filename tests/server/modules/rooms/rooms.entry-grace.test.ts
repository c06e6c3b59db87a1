/**
 * The soak's host-event race (docs/benchmarks.md § Soak): the first entry into a session loads
 * its room, and loading restores everyone present in the database without a connection, the
 * entering person too, with a grace period. When the entry's own database work outlasted that
 * grace period (ten rooms at once on two cores, a 500 ms grace), the timer marked the host
 * left mid-entry and the next host event was refused NOT_ADMITTED "enter the session first".
 * Here the grace period is far shorter than any entry, so every room would hit it.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { agreementFixture } from '../../../helpers/agreement-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { attendances } from '../../../../server/db/schema/index.ts';
import { api, createTestWorld, json, sampleResidentId, type TestWorld } from '../../../helpers/test-app.ts';

const rooms = 10;
let world: TestWorld;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  world = await createTestWorld({ listen: true, reconnectGraceMs: 5 });
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await world?.close();
});

async function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  await connected(socket);
  return socket;
}

/** Ten sessions of one case, each with the fisherman's link. */
async function sessions() {
  const f = await agreementFixture(world);
  const mediator = api(world.app, world.cookies.mediator);
  const participants = json(await mediator.get(`/api/cases/${f.caseId}/participants`)).items as { id: string; role: string }[];
  const fisherman = participants.find((p) => p.role === 'party')!.id;
  const made: { sessionId: string; token: string }[] = [];
  for (let i = 0; i < rooms; i++) {
    const session = json(await mediator.post(`/api/cases/${f.caseId}/sessions`, { title: `调解 ${i}`, scheduledAt: '2026-11-25T06:00:00Z' }));
    const invitation = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: fisherman, expiresInHours: 24 }));
    made.push({ sessionId: session.id, token: invitation.link.split('/j/')[1] as string });
  }
  return made;
}

it(`ten hosts entering ten rooms at once keep their places: host:session and host:admit are answered, no host is marked left`, async () => {
  const made = await sessions();
  const outcomes = await Promise.all(
    made.map(async ({ sessionId, token }) => {
      const host = await open({ cookie: world.cookies.mediator });
      const entered = await host.call('session:enter', { sessionId: sessionId as never });
      if (!entered.ok) return `enter: ${entered.error.code}`;
      // Past any grace period: a timer that was going to end the host's place has run by now.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const live = await host.call('host:session', { to: 'live' });
      if (!live.ok) return `host:session: ${live.error.code} ${live.error.message}`;
      const fisherman = await open({ invitationToken: token });
      const inRoom = await fisherman.call('session:enter', {});
      if (!inRoom.ok) return `fisherman enter: ${inRoom.error.code}`;
      await fisherman.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true });
      await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: sampleResidentId.slice(-4) });
      await fisherman.call('lobby:wait', {});
      const admitted = await host.call('host:admit', { peerId: inRoom.data.peerId });
      return admitted.ok ? 'ok' : `host:admit: ${admitted.error.code} ${admitted.error.message}`;
    }),
  );
  expect(outcomes).toEqual(made.map(() => 'ok'));
  const ids = made.map((m) => m.sessionId);
  const hosts = await world.database.db.select({ state: attendances.state }).from(attendances).where(and(inArray(attendances.sessionId, ids), eq(attendances.isHost, true)));
  expect(hosts.map((h) => h.state)).toEqual(made.map(() => 'admitted'));
  for (const sessionId of ids) expect(world.app.rooms.roomOf(sessionId)!.connectedPeers().map((p) => p.isHost).sort()).toEqual([false, true]);
}, 120_000);
