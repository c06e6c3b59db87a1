import { agreementFixture } from './agreement-fixture.ts';
import type { TestWorld } from './test-app.ts';

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
