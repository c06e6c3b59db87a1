import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestWorld, json, sampleCase, tableCounts, type TestWorld } from '../../../helpers/test-app';

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
