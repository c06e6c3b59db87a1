import { api, login, ok, sampleCase, testPassword, type TestWorld } from './test-app.ts';

/**
 * Legal help in a test world: the center's admin records a law firm and two lawyers; 律师甲 is on
 * duty around the world's clock (2026-11-22 08:00–17:00 Beijing), 律师乙 is not. A case with its
 * fisherman as a party participant (with a phone) holding a link to a session.
 */
export interface LegalFixture {
  firmId: string;
  onDuty: { id: string; cookie: string; phone: string };
  offDuty: { id: string; cookie: string; phone: string };
  caseId: string;
  sessionId: string;
  party: { participantId: string; token: string };
}

let unique = 0;

export async function legalFixture(world: TestWorld): Promise<LegalFixture> {
  const n = ++unique;
  const admin = api(world.app, world.cookies.admin);
  const mediator = api(world.app, world.cookies.mediator);
  const firm = await ok(await admin.post('/api/legal/firms', { name: `浙江海泰律师事务所${n}` }), 201);
  const lawyer = async (name: string, phone: string) => {
    const username = `lawyer${n}${name === '律师甲' ? 'a' : 'b'}`;
    const card = await ok(
      await admin.post('/api/legal/lawyers', { lawFirmId: firm.id, username, displayName: name, password: testPassword, phone, licenceNumber: '13303201910123456', specialities: '海上人身损害' }),
      201,
    );
    return { id: card.id as string, cookie: await login(world.app, username, testPassword, `198.51.100.${200 + n}`), phone };
  };
  const onDuty = await lawyer('律师甲', `1390000${String(n).padStart(4, '0')}`);
  const offDuty = await lawyer('律师乙', `1390001${String(n).padStart(4, '0')}`);
  await ok(await admin.post('/api/legal/duty', { lawyerId: onDuty.id, startsAt: '2026-11-22T08:00:00+08:00', endsAt: '2026-11-22T17:00:00+08:00' }), 201);

  const kase = await ok(await mediator.post('/api/cases', sampleCase), 201);
  const partyId = kase.parties[0].id as string;
  const session = await ok(await mediator.post(`/api/cases/${kase.id}/sessions`, { title: '第一次调解', scheduledAt: '2026-11-22T10:30:00+08:00' }), 201);
  const participant = await ok(await mediator.post(`/api/cases/${kase.id}/participants`, { role: 'party', displayName: '陈阿海', partyId, phone: '13800138000' }), 201);
  const issued = await ok(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id }), 201);
  return {
    firmId: firm.id,
    onDuty,
    offDuty,
    caseId: kase.id,
    sessionId: session.id,
    party: { participantId: participant.id, token: (issued.link as string).split('/j/')[1]! },
  };
}
