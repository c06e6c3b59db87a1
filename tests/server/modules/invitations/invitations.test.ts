import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sealedAgreement } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, sampleCase, tableCounts, tableDigests, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let caseView: { id: string; number: string; title: string; parties: { id: string }[] };
let otherCase: { id: string; number: string; title: string; parties: { id: string }[] };
let participantId: string;
let sessionId: string;
const startTime = new Date('2026-11-22T02:00:00Z');

const mediator = () => api(world.app, world.cookies.mediator);
const resolve = (token: string) => world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token } });
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const linkPattern = /^https:\/\/haiqiao\.test\/j\/([A-Za-z0-9_-]{43})$/;

function rows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function created(res: { statusCode: number; body: string }, status = 201) {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body);
}

async function issue(forParticipant = participantId, forSession = sessionId, body: Record<string, unknown> = {}) {
  const issued = await created(await mediator().post(`/api/sessions/${forSession}/invitations`, { participantId: forParticipant, ...body }));
  const token = linkPattern.exec(issued.link)![1]!;
  return { ...issued, token } as { invitation: { id: string; state: string; expiresAt: string }; link: string; qrSvg: string; smsText: string; token: string };
}

async function newParticipant(name: string, caseId = caseView.id, partyId = caseView.parties[0]!.id) {
  return (await created(await mediator().post(`/api/cases/${caseId}/participants`, { role: 'party', displayName: name, partyId }))).id as string;
}

async function newSession(title = '调解会') {
  return (await created(await mediator().post(`/api/cases/${caseView.id}/sessions`, { title, scheduledAt: '2026-11-25T09:30:00+08:00' }))).id as string;
}

beforeAll(async () => {
  world = await createTestWorld();
  caseView = await created(await mediator().post('/api/cases', sampleCase));
  otherCase = await created(await mediator().post('/api/cases', { ...sampleCase, title: '另一宗渔具损坏纠纷', disputeType: 'fishing_gear_damage' }));
  participantId = await newParticipant('陈阿海');
  sessionId = await newSession('第一次调解');
});
afterEach(() => {
  world.clock.now = startTime;
});
afterAll(() => world?.close());

describe('issuing', () => {
  it('returns a link with a 256-bit token, an SVG QR code and a Chinese SMS text', async () => {
    const issued = await issue();
    expect(issued.link).toMatch(linkPattern);
    expect(Buffer.from(issued.token, 'base64url')).toHaveLength(32);
    expect(issued.qrSvg.startsWith('<svg') || issued.qrSvg.startsWith('<?xml')).toBe(true);
    expect(issued.qrSvg).toContain('</svg>');
    expect(issued.smsText).toMatch(/[\u4e00-\u9fff]/);
    expect(issued.smsText).toContain('陈阿海');
    expect(issued.smsText).toContain(caseView.number);
    expect(issued.smsText).toContain(issued.link);
    expect(issued.invitation).toMatchObject({ sessionId, participantId, participantName: '陈阿海', participantRole: 'party', state: 'active', revokedAt: null, lastOpenedAt: null });
    // Default lifetime: 72 hours from the (controlled) clock.
    expect(issued.invitation.expiresAt).toBe(new Date(startTime.getTime() + 72 * 3_600_000).toISOString());
    // Two issues never share a token.
    expect((await issue()).token).not.toBe(issued.token);
  });

  it('stores only the SHA-256 of the token, and never shows the token again', async () => {
    const issued = await issue();
    const stored = rows<Record<string, unknown>>(await world.database.db.execute(sql`select * from invitations`));
    expect(JSON.stringify(stored)).not.toContain(issued.token);
    const row = stored.find((r) => r.id === issued.invitation.id)!;
    expect(row.token_hash).toBe(sha256(issued.token));
    expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const list = await mediator().get(`/api/sessions/${sessionId}/invitations`);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(issued.token);
    expect(list.body).not.toContain(sha256(issued.token));
    expect(json(list).items.find((i: { id: string }) => i.id === issued.invitation.id)).toMatchObject({ state: 'active' });
    // Nor through the court's view or the audit trail.
    expect((await api(world.app, world.cookies.ningboClerk).get(`/api/sessions/${sessionId}/invitations`)).body).not.toContain(issued.token);
    const audit = await mediator().get(`/api/cases/${caseView.id}/audit`);
    expect(audit.body).not.toContain(issued.token);
    const allEvents = rows(await world.database.db.execute(sql`select * from audit_events`));
    expect(JSON.stringify(allEvents)).not.toContain(issued.token);
  });

  it('refuses a participant of another case → 400 participantId, writing nothing', async () => {
    const foreign = await newParticipant('林阿妹', otherCase.id, otherCase.parties[0]!.id);
    const before = await tableCounts(world.database);
    const res = await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId: foreign });
    expect(res.statusCode).toBe(400);
    expect(json(res).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'participantId' });
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('refuses an ended or cancelled session → 409, writing nothing', async () => {
    const ended = await newSession('已结束的会');
    for (const to of ['lobby', 'live', 'ended']) await created(await mediator().post(`/api/sessions/${ended}/transitions`, { to }), 200);
    const cancelled = await newSession('已取消的会');
    await created(await mediator().post(`/api/sessions/${cancelled}/transitions`, { to: 'cancelled' }), 200);
    for (const id of [ended, cancelled]) {
      const before = await tableCounts(world.database);
      const res = await mediator().post(`/api/sessions/${id}/invitations`, { participantId });
      expect(res.statusCode).toBe(409);
      expect(json(res).error.code).toBe('CONFLICT');
      expect(await tableCounts(world.database)).toEqual(before);
    }
  });
});

describe('opening a link', () => {
  it('identifies the participant, their case and the session, and nothing else', async () => {
    const issued = await issue();
    const res = await resolve(issued.token);
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({
      participant: { id: participantId, displayName: '陈阿海', role: 'party' },
      case: { id: caseView.id, number: caseView.number, title: caseView.title, disputeType: 'collision' },
      session: { id: sessionId, title: '第一次调解', scheduledAt: '2026-11-25T01:30:00.000Z', status: 'scheduled' },
      expiresAt: issued.invitation.expiresAt,
    });
    // Nothing about the other case of the same center, nor personal data of the parties.
    for (const secret of [otherCase.id, otherCase.number, otherCase.title, '13800138000', '福鼎远洋运输有限公司', sampleCase.parties[0].idNumber]) {
      expect(res.body).not.toContain(secret);
    }
    // Anonymous: it sets no session cookie.
    expect(res.cookies).toEqual([]);
  });

  it('records lastOpenedAt and an invitation.opened audit event by the participant', async () => {
    const issued = await issue();
    world.clock.now = new Date(startTime.getTime() + 90 * 60_000);
    expect((await resolve(issued.token)).statusCode).toBe(200);
    const list = json(await mediator().get(`/api/sessions/${sessionId}/invitations`));
    expect(list.items.find((i: { id: string }) => i.id === issued.invitation.id).lastOpenedAt).toBe(world.clock.now.toISOString());
    const events = json(await mediator().get(`/api/cases/${caseView.id}/audit`)).items;
    const opened = events.filter((e: { type: string; data: { invitationId?: string } }) => e.type === 'invitation.opened' && e.data.invitationId === issued.invitation.id);
    expect(opened).toHaveLength(1);
    expect(opened[0].actor).toEqual({ kind: 'participant', participantId });
  });

  it('a malformed token → 400; an unknown well-formed token → 404; neither writes anything', async () => {
    const before = await tableCounts(world.database);
    for (const token of ['short', 'x'.repeat(43).replace(/x$/, '!'), `${'a'.repeat(43)}=`]) {
      const res = await resolve(token);
      expect(res.statusCode, token).toBe(400);
      expect(json(res).error.field).toBe('token');
    }
    const unknown = await resolve(Buffer.alloc(32, 7).toString('base64url'));
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown).error.code).toBe('NOT_FOUND');
    expect(await tableCounts(world.database)).toEqual(before);
  });
});

describe('revocation and expiry', () => {
  it('revoking makes the link answer 410 INVITATION_REVOKED; revoking twice → 409', async () => {
    const issued = await issue();
    expect((await resolve(issued.token)).statusCode).toBe(200);
    const revoked = await mediator().post(`/api/invitations/${issued.invitation.id}/revoke`);
    expect(revoked.statusCode).toBe(200);
    expect(json(revoked)).toMatchObject({ id: issued.invitation.id, state: 'revoked', revokedAt: startTime.toISOString() });

    const before = await tableCounts(world.database);
    const res = await resolve(issued.token);
    expect(res.statusCode).toBe(410);
    expect(json(res).error.code).toBe('INVITATION_REVOKED');
    expect(res.body).not.toContain(caseView.number);

    const again = await mediator().post(`/api/invitations/${issued.invitation.id}/revoke`);
    expect(again.statusCode).toBe(409);
    expect(json(again).error.code).toBe('CONFLICT');
    expect(await tableCounts(world.database)).toEqual(before);
    const list = json(await mediator().get(`/api/sessions/${sessionId}/invitations`));
    expect(list.items.find((i: { id: string }) => i.id === issued.invitation.id).state).toBe('revoked');
  });

  it('past expiresAt the link answers 410 INVITATION_EXPIRED and the list shows expired', async () => {
    const issued = await issue(participantId, sessionId, { expiresInHours: 2 });
    const expiresAt = new Date(issued.invitation.expiresAt);
    expect(expiresAt.getTime()).toBe(startTime.getTime() + 2 * 3_600_000);

    world.clock.now = new Date(expiresAt.getTime() - 1000);
    expect((await resolve(issued.token)).statusCode).toBe(200);

    world.clock.now = new Date(expiresAt.getTime() + 1000);
    const before = await tableCounts(world.database);
    const res = await resolve(issued.token);
    expect(res.statusCode).toBe(410);
    expect(json(res).error.code).toBe('INVITATION_EXPIRED');
    expect(await tableCounts(world.database)).toEqual(before);
    const list = json(await mediator().get(`/api/sessions/${sessionId}/invitations`));
    expect(list.items.find((i: { id: string }) => i.id === issued.invitation.id).state).toBe('expired');
    // The state is derived from the clock, not stored: back before expiry it reads active again.
    world.clock.now = startTime;
    expect(json(await mediator().get(`/api/sessions/${sessionId}/invitations`)).items.find((i: { id: string }) => i.id === issued.invitation.id).state).toBe('active');
  });

  it('removing a participant revokes their active invitations, and only theirs', async () => {
    const leaving = await newParticipant('陈阿海（已退出）');
    const secondSession = await newSession('第二次调解');
    const first = await issue(leaving, sessionId);
    const second = await issue(leaving, secondSession);
    const bystander = await issue(participantId, secondSession);

    const removed = await mediator().delete(`/api/cases/${caseView.id}/participants/${leaving}`);
    expect(removed.statusCode).toBe(204);

    for (const issued of [first, second]) {
      const res = await resolve(issued.token);
      expect(res.statusCode).toBe(410);
      expect(json(res).error.code).toBe('INVITATION_REVOKED');
    }
    const states = [
      ...json(await mediator().get(`/api/sessions/${sessionId}/invitations`)).items,
      ...json(await mediator().get(`/api/sessions/${secondSession}/invitations`)).items,
    ];
    const stateOf = (id: string) => states.find((i: { id: string }) => i.id === id);
    expect(stateOf(first.invitation.id)).toMatchObject({ state: 'revoked', revokedAt: startTime.toISOString() });
    expect(stateOf(second.invitation.id)).toMatchObject({ state: 'revoked' });
    expect(stateOf(bystander.invitation.id)).toMatchObject({ state: 'active', revokedAt: null });
    expect((await resolve(bystander.token)).statusCode).toBe(200);

    // A removed participant cannot be invited again.
    const reissue = await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId: leaving });
    expect(reissue.statusCode).toBe(400);
    expect(json(reissue).error.field).toBe('participantId');
  });
});

/**
 * The court's confirmation hearing: the clerks and judges who may read the case (its Wenzhou
 * tribunal and the parent Ningbo court) bring the parties and their agents in themselves; the
 * center's mediator may help. A mediation session stays the mediator's; another court, another
 * center, or an id that does not exist get the same 404.
 */
describe('invitations to a court hearing', () => {
  const judge = () => api(world.app, world.cookies.wenzhouJudge);
  const clerk = () => api(world.app, world.cookies.ningboClerk);
  let hearing: { caseId: string; caseNumber: string; sessionId: string; partyId: string; agentId: string; observerId: string; mediationSessionId: string; mediationInvitationId: string };

  const audited = async (type: string, invitationId: string) =>
    json(await mediator().get(`/api/cases/${hearing.caseId}/audit`)).items.filter((e: { type: string; data: { invitationId?: string } }) => e.type === type && e.data.invitationId === invitationId);
  const createdBy = async (invitationId: string) =>
    rows<{ created_by: string }>(await world.database.db.execute(sql`select created_by from invitations where id = ${invitationId}`))[0]!.created_by;
  /** Runs a refused call and checks that it wrote nothing. */
  async function refused(call: () => Promise<{ statusCode: number; body: string }>, status: number) {
    const before = await tableDigests(world.database);
    const res = await call();
    expect(res.statusCode, res.body).toBe(status);
    expect(await tableDigests(world.database)).toEqual(before);
    return JSON.parse(res.body).error as { code: string; field?: string; message: string };
  }

  beforeAll(async () => {
    const { f, agreement } = await sealedAgreement(world);
    const filed = await created(await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {}));
    await created(await clerk().post(`/api/confirmations/${filed.id}/accept`), 200);
    await created(await judge().post(`/api/confirmations/${filed.id}/review`), 200);
    const scheduled = await created(await judge().post(`/api/confirmations/${filed.id}/hearing`, { scheduledAt: '2026-11-25T02:00:00Z', durationMinutes: 30 }), 200);
    const people = json(await mediator().get(`/api/cases/${f.caseId}/participants`)).items as { id: string; role: string }[];
    const observer = await created(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'observer', displayName: '旁听的村委会干部' }));
    const mediation = json(await mediator().get(`/api/cases/${f.caseId}/sessions`)).items.find((s: { kind: string }) => s.kind === 'mediation');
    const partyId = people.find((p) => p.role === 'party')!.id;
    const mediationInvitation = await created(await mediator().post(`/api/sessions/${mediation.id}/invitations`, { participantId: partyId }));
    hearing = {
      caseId: f.caseId,
      caseNumber: agreement.caseNumber,
      sessionId: scheduled.hearingSessionId,
      partyId,
      agentId: people.find((p) => p.role === 'agent')!.id,
      observerId: observer.id,
      mediationSessionId: mediation.id,
      mediationInvitationId: mediationInvitation.invitation.id,
    };
    expect(json(await judge().get(`/api/sessions/${hearing.sessionId}`)).kind).toBe('hearing');
  });

  it('the tribunal’s judge invites a party: a one-time link to the hearing, a court SMS, audited as the judge', async () => {
    const issued = await created(await judge().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.partyId }));
    expect(issued.invitation).toMatchObject({ sessionId: hearing.sessionId, participantId: hearing.partyId, participantName: '陈阿海', participantRole: 'party', state: 'active' });
    const token = linkPattern.exec(issued.link)![1]!;
    expect(issued.qrSvg).toContain('</svg>');
    expect(issued.smsText).toContain('陈阿海');
    expect(issued.smsText).toContain(hearing.caseNumber);
    expect(issued.smsText).toContain('宁波海事法院温州法庭');
    expect(issued.smsText).toContain('在线询问');
    expect(issued.smsText).not.toContain('在线调解');
    expect(issued.smsText).toContain(issued.link);

    // Stored as a hash, made by the judge, in the audit trail as the judge.
    const stored = rows<{ token_hash: string }>(await world.database.db.execute(sql`select token_hash from invitations where id = ${issued.invitation.id}`));
    expect(stored[0]!.token_hash).toBe(sha256(token));
    expect(await createdBy(issued.invitation.id)).toBe(world.staffIds.wenzhouJudge);
    const events = await audited('invitation.issued', issued.invitation.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: { kind: 'staff', staffUserId: world.staffIds.wenzhouJudge }, data: { sessionId: hearing.sessionId, participantId: hearing.partyId } });
    expect(JSON.stringify(events)).not.toContain(token);

    // The link opens the hearing, not the mediation.
    const opened = await resolve(token);
    expect(opened.statusCode).toBe(200);
    expect(json(opened)).toMatchObject({ participant: { id: hearing.partyId, role: 'party' }, session: { id: hearing.sessionId, title: '司法确认询问', status: 'scheduled' } });
  });

  it('the parent court’s clerk invites the agent, lists the hearing’s invitations and revokes one', async () => {
    const issued = await created(await clerk().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.agentId, expiresInHours: 48 }));
    expect(issued.invitation).toMatchObject({ participantId: hearing.agentId, participantRole: 'agent', state: 'active', expiresAt: new Date(startTime.getTime() + 48 * 3_600_000).toISOString() });
    expect(await createdBy(issued.invitation.id)).toBe(world.staffIds.ningboClerk);
    const token = linkPattern.exec(issued.link)![1]!;

    const list = await clerk().get(`/api/sessions/${hearing.sessionId}/invitations`);
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(token);
    const items = json(list).items as { id: string; participantId: string; state: string }[];
    expect(items.find((i) => i.id === issued.invitation.id)).toMatchObject({ participantId: hearing.agentId, state: 'active' });
    expect(items.some((i) => i.participantId === hearing.partyId)).toBe(true); // the judge's, from the test before
    expect(items.map((i) => i.id)).not.toContain(hearing.mediationInvitationId); // only the hearing's

    world.clock.now = new Date(startTime.getTime() + 5 * 60_000);
    const revoked = await clerk().post(`/api/invitations/${issued.invitation.id}/revoke`);
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(json(revoked)).toMatchObject({ id: issued.invitation.id, state: 'revoked', revokedAt: world.clock.now.toISOString() });
    const events = await audited('invitation.revoked', issued.invitation.id);
    expect(events).toHaveLength(1);
    expect(events[0].actor).toEqual({ kind: 'staff', staffUserId: world.staffIds.ningboClerk });

    const res = await resolve(token);
    expect(res.statusCode).toBe(410);
    expect(json(res).error.code).toBe('INVITATION_REVOKED');
    // Twice is a conflict, and changes nothing.
    expect((await refused(() => judge().post(`/api/invitations/${issued.invitation.id}/revoke`), 409)).code).toBe('CONFLICT');
    expect(json(await judge().get(`/api/sessions/${hearing.sessionId}/invitations`)).items.find((i: { id: string }) => i.id === issued.invitation.id).state).toBe('revoked');
  });

  it('the center’s mediator may invite to the hearing too, and court staff may revoke that link', async () => {
    const issued = await created(await mediator().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.partyId }));
    expect(issued.smsText).toContain('在线询问');
    expect(await createdBy(issued.invitation.id)).toBe(world.staffIds.mediator);
    expect(json(await judge().post(`/api/invitations/${issued.invitation.id}/revoke`))).toMatchObject({ state: 'revoked' });
  });

  it('a hearing is for the parties and their agents: an observer → 400 participantId, writing nothing', async () => {
    for (const who of [judge, mediator]) {
      const error = await refused(() => who().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.observerId }), 400);
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'participantId' });
    }
    // A participant of another case is no better.
    const error = await refused(() => judge().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId }), 400);
    expect(error.field).toBe('participantId');
  });

  it('court staff cannot invite to, or revoke links of, a mediation session (403), though they may list it', async () => {
    for (const who of [judge, clerk]) {
      expect((await refused(() => who().post(`/api/sessions/${hearing.mediationSessionId}/invitations`, { participantId: hearing.partyId }), 403)).code).toBe('FORBIDDEN');
      expect((await refused(() => who().post(`/api/invitations/${hearing.mediationInvitationId}/revoke`), 403)).code).toBe('FORBIDDEN');
    }
    const list = await judge().get(`/api/sessions/${hearing.mediationSessionId}/invitations`);
    expect(list.statusCode).toBe(200);
    expect(json(list).items.find((i: { id: string }) => i.id === hearing.mediationInvitationId)).toMatchObject({ state: 'active' });
  });

  it('another court, another center, or nothing at all: the same 404, writing nothing; an admin is refused by role', async () => {
    const issued = await created(await judge().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.partyId }));
    const ghost = '00000000-0000-4000-8000-000000000000';
    const outsiders = [api(world.app, world.cookies.xiamenClerk), api(world.app, world.cookies.otherMediator)];
    for (const outsider of outsiders) {
      const answers = [
        await refused(() => outsider.post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.partyId }), 404),
        await refused(() => outsider.post(`/api/sessions/${ghost}/invitations`, { participantId: hearing.partyId }), 404),
        await refused(() => outsider.get(`/api/sessions/${hearing.sessionId}/invitations`), 404),
        await refused(() => outsider.get(`/api/sessions/${ghost}/invitations`), 404),
      ];
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[2]).toEqual(answers[3]);
      expect(await refused(() => outsider.post(`/api/invitations/${issued.invitation.id}/revoke`), 404)).toEqual(await refused(() => outsider.post(`/api/invitations/${ghost}/revoke`), 404));
    }
    const admin = api(world.app, world.cookies.admin);
    expect((await refused(() => admin.post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.partyId }), 403)).code).toBe('FORBIDDEN');
    expect((await refused(() => admin.post(`/api/invitations/${issued.invitation.id}/revoke`), 403)).code).toBe('FORBIDDEN');
    expect((await resolve(linkPattern.exec(issued.link)![1]!)).statusCode).toBe(200);
  });

  it('no links to a hearing that has ended (409), by the court either', async () => {
    // The court ends its hearing in the room; here through the session's state, as the room does.
    await world.database.db.execute(sql`update sessions set status = 'ended' where id = ${hearing.sessionId}`);
    try {
      expect((await refused(() => judge().post(`/api/sessions/${hearing.sessionId}/invitations`, { participantId: hearing.partyId }), 409)).code).toBe('CONFLICT');
    } finally {
      await world.database.db.execute(sql`update sessions set status = 'scheduled' where id = ${hearing.sessionId}`);
    }
  });
});
