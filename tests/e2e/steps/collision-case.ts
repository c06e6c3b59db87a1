/**
 * The one thing the agreement-chain browser tests set up through the API: a collision case in
 * mediation — the fisherman 陈阿海 (ID on file) against 福鼎远洋运输有限公司, whose lawyer 李律师
 * may sign for it — with a session and an invitation link for each.
 */
import { expect } from 'vitest';
import type { E2eServer } from '../../helpers/browser.ts';
import { api, json, login, sampleResidentId } from '../../helpers/test-app.ts';

const dayMs = 86_400_000;
/** A Beijing calendar date, `days` from today. */
export const beijingDate = (days: number) => new Date(Date.now() + 8 * 3_600_000 + days * dayMs).toISOString().slice(0, 10);

export const fisherman = { name: '陈阿海', last4: sampleResidentId.slice(-4) } as const;
export const company = { name: '福鼎远洋运输有限公司', lawyer: '李律师' } as const;
export const caseFacts = { title: '货轮碰撞渔船致人受伤', description: '夜间作业时被货轮碰撞，渔船倾覆，一人受伤。' } as const;

export interface CollisionCase {
  caseId: string;
  sessionId: string;
  fishermanPartyId: string;
  companyPartyId: string;
  fishermanParticipantId: string;
  agentParticipantId: string;
  /** With `otherParty`: the lawyer of a third party (王船东) who is not part of the agreement. */
  otherAgentParticipantId: string | null;
  fishermanToken: string;
  fishermanInvitationId: string;
  agentToken: string;
  /** Invitation link as the browser opens it: `${baseUrl}/j/<token>`. */
  linkOf(token: string): string;
}

export async function setUpCollisionCase(server: E2eServer, options: { otherParty?: boolean } = {}): Promise<CollisionCase> {
  const cookie = await login(server.app, server.mediator.username, server.mediator.password);
  const mediator = api(server.app, cookie);
  const created = await mediator.post('/api/cases', {
    title: caseFacts.title,
    disputeType: 'collision',
    incidentAt: `${beijingDate(-20)}T03:00:00+08:00`,
    seaArea: 'nanji_islands',
    provinces: ['zhejiang', 'fujian'],
    claimedAmountFen: 86_000_000,
    competentCourt: 'ningbo.wenzhou',
    incidentDescription: caseFacts.description,
    parties: [
      { kind: 'person', name: fisherman.name, idType: 'resident_id', idNumber: sampleResidentId },
      { kind: 'organisation', name: company.name },
      ...(options.otherParty ? [{ kind: 'person', name: '王船东' }] : []),
    ],
    vessels: [{ name: '浙苍渔01234', mmsi: '412345678', ownerPartyIndex: 0 }],
  });
  if (created.statusCode !== 201) throw new Error(created.body);
  const c = json(created);
  for (const to of ['screening', 'mediating']) expect((await mediator.post(`/api/cases/${c.id}/transitions`, { to })).statusCode).toBe(200);
  const participant = async (body: object) => json(await mediator.post(`/api/cases/${c.id}/participants`, body)).id as string;
  const fishermanParticipantId = await participant({ role: 'party', displayName: fisherman.name, partyId: c.parties[0].id });
  const agentParticipantId = await participant({ role: 'agent', displayName: company.lawyer, representsPartyId: c.parties[1].id });
  const otherAgentParticipantId = options.otherParty ? await participant({ role: 'agent', displayName: '张律师', representsPartyId: c.parties[2].id }) : null;
  const session = json(await mediator.post(`/api/cases/${c.id}/sessions`, { title: '调解', scheduledAt: new Date(Date.now() + dayMs).toISOString() }));
  const invite = async (participantId: string) => {
    const issued = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId, expiresInHours: 72 }));
    return { id: issued.invitation.id as string, token: (issued.link as string).split('/j/')[1]! };
  };
  const fishermanInvitation = await invite(fishermanParticipantId);
  return {
    caseId: c.id,
    sessionId: session.id,
    fishermanPartyId: c.parties[0].id,
    companyPartyId: c.parties[1].id,
    fishermanParticipantId,
    agentParticipantId,
    otherAgentParticipantId,
    fishermanToken: fishermanInvitation.token,
    fishermanInvitationId: fishermanInvitation.id,
    agentToken: (await invite(agentParticipantId)).token,
    linkOf: (t) => `${server.baseUrl}/j/${t}`,
  };
}
