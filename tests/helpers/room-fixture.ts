import { api, json, sampleResidentId, type TestWorld } from './test-app';

export interface RoomFixture {
  caseId: string;
  sessionId: string;
  fishermanToken: string;
  ownerToken: string;
  ownerInvitationId: string;
}

const tokenOf = (link: string) => link.split('/j/')[1]!;

/**
 * For the room tests: a collision case with a fisherman (ID number on file) and a ship-owner's
 * agent (none on file), one session, and an invitation link for each of them.
 */
export async function roomFixture(world: TestWorld): Promise<RoomFixture> {
  const mediator = api(world.app, world.cookies.mediator);
  const created = json(
    await mediator.post('/api/cases', {
      title: '渔船碰撞',
      disputeType: 'collision',
      incidentAt: '2026-10-01T03:00:00+08:00',
      seaArea: 'nanji_islands',
      provinces: ['zhejiang', 'fujian'],
      claimedAmountFen: 1_000_000,
      competentCourt: 'ningbo.wenzhou',
      parties: [
        { kind: 'person', name: '陈阿海', idType: 'resident_id', idNumber: sampleResidentId },
        { kind: 'organisation', name: '福鼎远洋运输有限公司' },
      ],
    }),
  );
  const fisherman = json(await mediator.post(`/api/cases/${created.id}/participants`, { role: 'party', displayName: '陈阿海', partyId: created.parties[0].id }));
  const agent = json(await mediator.post(`/api/cases/${created.id}/participants`, { role: 'agent', displayName: '李律师', representsPartyId: created.parties[1].id }));
  const session = json(await mediator.post(`/api/cases/${created.id}/sessions`, { title: '第一次调解', scheduledAt: '2026-11-25T06:00:00Z' }));
  const a = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: fisherman.id }));
  const b = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: agent.id }));
  return { caseId: created.id, sessionId: session.id, fishermanToken: tokenOf(a.link), ownerToken: tokenOf(b.link), ownerInvitationId: b.invitation.id };
}
