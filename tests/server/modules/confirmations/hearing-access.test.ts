/**
 * Found while consolidating access (issue 7, point 4): a clerk of another court, invited by the
 * center to a mediation session of the case, could read the case's sessions (as an invited court
 * may) but was also treated as the court running the confirmation hearing: it could hand out links
 * to the hearing and entered its live room as host. Only the court the application is filed with
 * (or its parent) runs its hearing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealedAgreement } from '../../../helpers/agreement-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, ok, tableDigests, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];
const mediator = () => api(world.app, world.cookies.mediator);
const xiamenClerk = () => api(world.app, world.cookies.xiamenClerk);

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await world?.close();
});

async function enterAs(cookie: string, sessionId: string) {
  const socket = connectSocket(world.baseUrl, { cookie });
  sockets.push(socket);
  await connected(socket);
  return socket.call('session:enter', { sessionId: sessionId as never });
}

describe('a court invited to a mediation session does not run another court’s hearing', () => {
  let hearingId: string;
  let agentParticipantId: string;

  beforeAll(async () => {
    const { f, agreement } = await sealedAgreement(world);
    agentParticipantId = f.agentParticipantId;
    // The center invites a Xiamen clerk to its mediation session: an invited court.
    const clerk = await ok(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'clerk', displayName: '厦门海事法院书记员', staffUserId: world.staffIds.xiamenClerk }), 201);
    await ok(await mediator().post(`/api/sessions/${f.sessionId}/invitations`, { participantId: clerk.id }), 201);
    // The application goes to the Wenzhou tribunal, whose judge schedules a hearing.
    const filed = await ok(await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {}), 201);
    await ok(await api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${filed.id}/accept`));
    const judge = api(world.app, world.cookies.wenzhouJudge);
    await ok(await judge.post(`/api/confirmations/${filed.id}/review`));
    const scheduledAt = new Date(world.clock.now.getTime() + 86_400_000).toISOString();
    hearingId = (await ok(await judge.post(`/api/confirmations/${filed.id}/hearing`, { scheduledAt }))).hearingSessionId;
  });

  it('the invited clerk still reads the session, but may not invite to the hearing: 403, nothing written', async () => {
    expect((await xiamenClerk().get(`/api/sessions/${hearingId}`)).statusCode).toBe(200);
    await world.app.sealer.idle();
    const before = await tableDigests(world.database);
    const refused = await xiamenClerk().post(`/api/sessions/${hearingId}/invitations`, { participantId: agentParticipantId });
    expect(refused.statusCode, refused.body).toBe(403);
    expect(json(refused).error.code).toBe('FORBIDDEN');
    expect(await tableDigests(world.database)).toEqual(before);
    // The filed court's clerk does.
    const issued = await api(world.app, world.cookies.ningboClerk).post(`/api/sessions/${hearingId}/invitations`, { participantId: agentParticipantId });
    expect(issued.statusCode, issued.body).toBe(201);
  });

  it('in the live room the filed court’s judge hosts the hearing; the invited clerk does not', async () => {
    const judge = await enterAs(world.cookies.wenzhouJudge, hearingId);
    expect(judge.ok && judge.data.self.isHost).toBe(true);
    const invited = await enterAs(world.cookies.xiamenClerk, hearingId);
    expect(invited.ok, JSON.stringify(invited)).toBe(true);
    expect(invited.ok && invited.data.self.isHost).toBe(false);
  });
});
