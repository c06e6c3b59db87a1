import { signaturePng } from '../server/documents/fixtures.ts';
import { consentAudio, uploadConsent } from './consent-audio.ts';
import { api, json, login, sampleResidentId, testPassword, type TestWorld } from './test-app.ts';

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
  /** The mediation session both links are for, and the agent's invitation (to revoke it). */
  sessionId: string;
  agentInvitationId: string;
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
  const invite = async (participantId: string) => json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId, expiresInHours: 720 }));
  const fishermanInvitation = await invite(fisherman.id);
  const agentInvitation = await invite(agent.id);
  return {
    caseId: created.id,
    fishermanPartyId: created.parties[0].id,
    companyPartyId: created.parties[1].id,
    fishermanToken: fishermanInvitation.link.split('/j/')[1] as string,
    agentToken: agentInvitation.link.split('/j/')[1] as string,
    agentParticipantId: agent.id,
    vesselId: created.vessels[0].id,
    sessionId: session.id,
    agentInvitationId: agentInvitation.invitation.id,
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

let signerAddress = 0;
/** A distinct address per signing call (10.x.y.7): the sign route is rate limited per address. */
export function nextSignerIp(): string {
  signerAddress += 1;
  return `10.${Math.floor(signerAddress / 250) % 250}.${signerAddress % 250}.7`;
}

/** Signs the agreement's current version as the fisherman (ID digits) or the company's agent (one-time code). */
export async function signAs(world: TestWorld, f: AgreementFixture, agreementId: string, who: 'fisherman' | 'agent', extra: { remoteAddress?: string; userAgent?: string } = {}) {
  const mediator = api(world.app, world.cookies.mediator);
  const current = json(await mediator.get(`/api/agreements/${agreementId}`)).currentVersion;
  const identity =
    who === 'fisherman'
      ? { method: 'id_last4', name: '陈阿海', last4: '002X' }
      : { method: 'one_time_code', code: json(await mediator.post(`/api/agreements/${agreementId}/signing-codes`, { participantId: f.agentParticipantId })).code };
  const token = who === 'fisherman' ? f.fishermanToken : f.agentToken;
  // The signer's spoken consent is uploaded first (a different tone per side, so the hashes differ).
  const consentRecordingSha256 = await uploadConsent(world.app, token, agreementId, consentAudio({ frequency: who === 'fisherman' ? 440 : 660 }));
  return world.app.inject({
    method: 'POST',
    url: `/api/agreements/${agreementId}/sign`,
    remoteAddress: extra.remoteAddress ?? nextSignerIp(),
    headers: { ...invitationHeader(token), 'user-agent': extra.userAgent ?? `haiqiao-test/${who}` },
    payload: { versionId: current.id, versionHash: current.sha256, consent: true, identity, signaturePng: signaturePngBase64(who === 'fisherman' ? 1 : 2), consentRecordingSha256 },
  });
}

/**
 * A fresh case whose collision agreement both sides signed and the platform sealed. Term
 * overrides that name the case's parties can be given as a function of the new fixture.
 */
export async function sealedAgreement(world: TestWorld, overrides: Record<string, unknown> | ((f: AgreementFixture) => Record<string, unknown>) = {}) {
  const f = await agreementFixture(world);
  const mediator = api(world.app, world.cookies.mediator);
  const created = await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f, typeof overrides === 'function' ? overrides(f) : overrides));
  if (created.statusCode !== 201) throw new Error(`agreement: ${created.body}`);
  const agreementId = json(created).id as string;
  const toSigning = await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' });
  if (toSigning.statusCode !== 200) throw new Error(`signing: ${toSigning.body}`);
  for (const who of ['fisherman', 'agent'] as const) {
    const signed = await signAs(world, f, agreementId, who);
    if (signed.statusCode !== 200) throw new Error(`${who} signing: ${signed.body}`);
  }
  await world.app.sealer.idle();
  const agreement = json(await mediator.get(`/api/agreements/${agreementId}`));
  if (agreement.status !== 'sealed') throw new Error(`expected a sealed agreement, got ${agreement.status}`);
  return { f, agreement };
}

/**
 * Logs every staff account in again (after the test moved the clock: a login removes sessions
 * that have expired by the clock's time, so the old cookies stop working).
 */
export async function relogin(world: TestWorld) {
  for (const key of Object.keys(world.cookies) as (keyof TestWorld['cookies'])[]) {
    world.cookies[key] = await login(world.app, key.toLowerCase(), testPassword, '198.51.100.200');
  }
}
