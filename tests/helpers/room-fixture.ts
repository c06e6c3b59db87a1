import { agreementFixture } from './agreement-fixture.ts';
import { api, json, type TestWorld } from './test-app.ts';

export interface RoomFixture {
  caseId: string;
  sessionId: string;
  fishermanToken: string;
  ownerToken: string;
  ownerInvitationId: string;
}

/**
 * For the room tests: the agreement fixture's case (a fisherman with an ID number on file, the
 * ship-owner company's agent with none), its session and each one's link, named as the room
 * tests speak of them.
 */
export async function roomFixture(world: TestWorld): Promise<RoomFixture> {
  const f = await agreementFixture(world);
  return { caseId: f.caseId, sessionId: f.sessionId, fishermanToken: f.fishermanToken, ownerToken: f.agentToken, ownerInvitationId: f.agentInvitationId };
}

/** The room fixture plus an interpreter (闽南语 ↔ 普通话) invited to its session. */
export async function roomFixtureWithInterpreter(world: TestWorld): Promise<RoomFixture & { interpreterToken: string }> {
  const f = await roomFixture(world);
  const mediator = api(world.app, world.cookies.mediator);
  const interpreter = json(await mediator.post(`/api/cases/${f.caseId}/participants`, { role: 'interpreter', displayName: '林翻译', languagePair: { from: 'minnan', to: 'putonghua' } }));
  const invitation = json(await mediator.post(`/api/sessions/${f.sessionId}/invitations`, { participantId: interpreter.id }));
  return { ...f, interpreterToken: invitation.link.split('/j/')[1] as string };
}
