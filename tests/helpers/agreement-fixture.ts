import { signaturePng } from '../server/documents/fixtures';
import { api, json, sampleResidentId, type TestWorld } from './test-app';

/** A handwriting-like stroke as PNG (the same image the document tests use), base64. */
export function signaturePngBase64(seed = 1): string {
  return Buffer.from(signaturePng(seed)).toString('base64');
}

export interface AgreementFixture {
  caseId: string;
  fishermanPartyId: string;
  companyPartyId: string;
  fishermanToken: string;
  agentToken: string;
  agentParticipantId: string;
  vesselId: string;
}

/** A collision case in mediation: a fisherman (ID on file) against a shipping company whose lawyer may sign. */
export async function agreementFixture(world: TestWorld): Promise<AgreementFixture> {
  const mediator = api(world.app, world.cookies.mediator);
  const created = json(
    await mediator.post('/api/cases', {
      title: '货轮碰撞渔船致人受伤',
      disputeType: 'collision',
      incidentAt: '2026-10-01T03:00:00+08:00',
      seaArea: 'nanji_islands',
      provinces: ['zhejiang', 'fujian'],
      claimedAmountFen: 86_000_000,
      competentCourt: 'ningbo.wenzhou',
      parties: [
        { kind: 'person', name: '陈阿海', idType: 'resident_id', idNumber: sampleResidentId },
        { kind: 'organisation', name: '福鼎远洋运输有限公司' },
      ],
      vessels: [{ name: '浙苍渔01234', mmsi: '412345678', ownerPartyIndex: 0 }],
    }),
  );
  for (const to of ['screening', 'mediating']) await mediator.post(`/api/cases/${created.id}/transitions`, { to });
  const fisherman = json(await mediator.post(`/api/cases/${created.id}/participants`, { role: 'party', displayName: '陈阿海', partyId: created.parties[0].id }));
  const agent = json(await mediator.post(`/api/cases/${created.id}/participants`, { role: 'agent', displayName: '李律师', representsPartyId: created.parties[1].id }));
  const session = json(await mediator.post(`/api/cases/${created.id}/sessions`, { title: '调解', scheduledAt: '2026-11-25T06:00:00Z' }));
  const token = async (participantId: string) =>
    json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId, expiresInHours: 720 })).link.split('/j/')[1] as string;
  return {
    caseId: created.id,
    fishermanPartyId: created.parties[0].id,
    companyPartyId: created.parties[1].id,
    fishermanToken: await token(fisherman.id),
    agentToken: await token(agent.id),
    agentParticipantId: agent.id,
    vesselId: created.vessels[0].id,
  };
}

export function collisionDraft(f: AgreementFixture, overrides: Record<string, unknown> = {}) {
  return {
    templateId: 'collision_injury',
    terms: {
      partiesA: [f.fishermanPartyId],
      partiesB: [f.companyPartyId],
      agents: [{ participantId: f.agentParticipantId, forPartyId: f.companyPartyId, maySign: true }],
      vesselIds: [f.vesselId],
      facts: '2026年10月1日凌晨，乙方所属货轮在南麂列岛海域与甲方渔船发生碰撞，致甲方渔船倾覆、甲方受伤。',
      collisionAt: '2026-10-01T03:00:00+08:00',
      persons: [{ name: '陈阿海', outcome: 'injury', medicalFen: 12_000_000, lostIncomeFen: 4_000_000 }],
      vesselLossFen: 70_000_000,
      obligations: [
        { obligorPartyId: f.companyPartyId, description: '向甲方支付第一期赔偿款', amountFen: 50_000_000, dueDate: '2026-12-31' },
        { obligorPartyId: f.companyPartyId, description: '向甲方支付第二期赔偿款', amountFen: 36_000_000, dueDate: '2027-03-31' },
      ],
      ...overrides,
    },
  };
}

export const invitationHeader = (token: string) => ({ authorization: `Invitation ${token}` });
