import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, rowsOf, type TestWorld } from '../../../helpers/test-app.ts';

// Attendance moves are decided from the live room's copy of the person (no read first) and
// written as one conditional statement with their audit event. When the stored row moved behind
// the live copy's back, the statement matches nothing and records nothing; the move is then
// decided again from the stored row, as it was before the live copy was trusted.

let world: TestWorld;
const sockets: TestSocket[] = [];
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
});

/** A session with its mediator in the room and one observer (code-confirmed) waiting in the lobby. */
async function observerInLobby() {
  const mediator = api(world.app, world.cookies.mediator);
  const created = json(
    await mediator.post('/api/cases', {
      title: '渔网缠绕',
      disputeType: 'fishing_gear_damage',
      incidentAt: '2026-10-01T03:00:00+08:00',
      seaArea: 'nanji_islands',
      provinces: ['zhejiang', 'fujian'],
      claimedAmountFen: 200_000,
      competentCourt: 'ningbo.wenzhou',
      parties: [
        { kind: 'organisation', name: '苍南渔业合作社' },
        { kind: 'organisation', name: '福鼎远洋运输有限公司' },
      ],
    }),
  );
  const session = json(await mediator.post(`/api/cases/${created.id}/sessions`, { title: '调解', scheduledAt: '2026-11-25T06:00:00Z' }));
  const participant = json(await mediator.post(`/api/cases/${created.id}/participants`, { role: 'observer', displayName: '旁听人' }));
  const invitation = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id }));
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  expect((await host.call('session:enter', { sessionId: session.id })).ok).toBe(true);
  const guest = open({ invitationToken: invitation.link.split('/j/')[1] });
  await connected(guest);
  const entered = await guest.call('session:enter', {});
  if (!entered.ok) throw new Error(JSON.stringify(entered.error));
  expect((await guest.call('device-check:report', deviceCheck)).ok).toBe(true);
  const issued = await host.call('host:issue-code', { peerId: entered.data.peerId });
  if (!issued.ok) throw new Error(JSON.stringify(issued.error));
  expect((await guest.call('identity:confirm', { method: 'one_time_code', code: issued.data.code })).ok).toBe(true);
  expect(await guest.call('lobby:wait', {})).toMatchObject({ ok: true, data: { state: 'lobby' } });
  return { host, peerId: entered.data.peerId };
}

const storedState = async (peerId: string) => rowsOf<{ state: string }>(await world.database.db.execute(sql`select state from attendances where id = ${peerId}`))[0]!.state;
const events = async (peerId: string) =>
  rowsOf<{ type: string; from: string; to: string }>(
    await world.database.db.execute(sql`select type, data->>'from' as "from", data->>'to' as "to" from audit_events where data->>'attendanceId' = ${peerId} and type like 'attendance.%' order by seq`),
  );

describe('moves decided from the live copy', () => {
  it('the stored row moved meanwhile to a state the move is allowed from: decided from the stored row (one event, from it)', async () => {
    const { host, peerId } = await observerInLobby();
    // Another writer moved the stored row (the live copy still says lobby).
    await world.database.db.execute(sql`update attendances set state = 'left' where id = ${peerId}`);
    const before = (await events(peerId)).length;
    expect((await host.call('host:admit', { peerId })).ok).toBe(true);
    expect(await storedState(peerId)).toBe('admitted');
    const after = await events(peerId);
    expect(after.slice(before)).toEqual([{ type: 'attendance.admitted', from: 'left', to: 'admitted' }]);
    expect(world.app.rooms.roomOf(await sessionOf(peerId))!.peers.get(peerId)!.state).toBe('admitted');
  });

  it('the stored row moved meanwhile to a state the move is refused from: a conflict, nothing written, no event', async () => {
    const { host, peerId } = await observerInLobby();
    await world.database.db.execute(sql`update attendances set state = 'refused' where id = ${peerId}`);
    const before = await events(peerId);
    const answer = await host.call('host:admit', { peerId });
    expect(answer).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await storedState(peerId)).toBe('refused');
    expect(await events(peerId)).toEqual(before);
  });
});

async function sessionOf(peerId: string) {
  return rowsOf<{ session_id: string }>(await world.database.db.execute(sql`select session_id from attendances where id = ${peerId}`))[0]!.session_id;
}
