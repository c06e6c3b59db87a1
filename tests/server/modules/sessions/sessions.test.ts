import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestWorld, json, sampleCase, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let caseView: { id: string; parties: { id: string }[] };
let otherCase: { id: string; parties: { id: string }[] };

const mediator = () => api(world.app, world.cookies.mediator);

function rows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function expectOk(res: { statusCode: number; body: string }, status: number) {
  expect(res.statusCode, res.body).toBe(status);
  return JSON.parse(res.body);
}

async function schedule(title: string, scheduledAt = '2026-11-25T09:00:00+08:00', caseId = caseView.id) {
  return expectOk(await mediator().post(`/api/cases/${caseId}/sessions`, { title, scheduledAt }), 201);
}

const transition = (sessionId: string, to: string) => mediator().post(`/api/sessions/${sessionId}/transitions`, { to });

async function statusEvents(sessionId: string) {
  return rows<{ data: { sessionId: string; from: string; to: string } }>(
    await world.database.db.execute(sql`select data from audit_events where type = 'session.status_changed' and data->>'sessionId' = ${sessionId} order by seq`),
  ).map((r) => `${r.data.from}→${r.data.to}`);
}

beforeAll(async () => {
  world = await createTestWorld();
  caseView = await expectOk(await mediator().post('/api/cases', sampleCase), 201);
  otherCase = await expectOk(await mediator().post('/api/cases', sampleCase), 201);
});
afterAll(() => world?.close());

describe('scheduling', () => {
  it('schedules a session, lists it in time order and shows it', async () => {
    const later = await schedule('第二次调解', '2026-11-28T14:00:00+08:00');
    const created = await mediator().post(`/api/cases/${caseView.id}/sessions`, { title: '  第一次调解  ', scheduledAt: '2026-11-25T09:00:00+08:00', durationMinutes: 90 });
    const first = await expectOk(created, 201);
    expect(first).toMatchObject({
      caseId: caseView.id,
      title: '第一次调解',
      scheduledAt: '2026-11-25T01:00:00.000Z',
      durationMinutes: 90,
      status: 'scheduled',
      allowedTransitions: ['lobby', 'cancelled'],
    });
    expect(later.durationMinutes).toBe(60);

    const list = await expectOk(await mediator().get(`/api/cases/${caseView.id}/sessions`), 200);
    expect(list.items.map((s: { id: string }) => s.id)).toEqual([first.id, later.id]);
    // The court sees a session only once an application is filed with it, or when invited (issue 11, point 7).
    expect((await api(world.app, world.cookies.wenzhouJudge).get(`/api/sessions/${first.id}`)).statusCode).toBe(404);

    const audit = await expectOk(await mediator().get(`/api/cases/${caseView.id}/audit`), 200);
    expect(audit.items.filter((e: { type: string }) => e.type === 'session.scheduled')).toHaveLength(2);
  });

  it('refuses a session for a case that has ended → 409, writing nothing', async () => {
    const withdrawn = await expectOk(await mediator().post('/api/cases', { ...sampleCase, parties: [], vessels: [] }), 201);
    await expectOk(await mediator().post(`/api/cases/${withdrawn.id}/transitions`, { to: 'withdrawn' }), 200);
    const before = await tableCounts(world.database);
    const res = await mediator().post(`/api/cases/${withdrawn.id}/sessions`, { title: '调解', scheduledAt: '2026-11-25T09:00:00+08:00' });
    expect(res.statusCode).toBe(409);
    expect(await tableCounts(world.database)).toEqual(before);
  });
});

describe('the session lifecycle', () => {
  it('walks scheduled → lobby → live → paused → live → ended, offering the allowed next states', async () => {
    const session = await schedule('完整流程');
    const steps: [string, string[]][] = [
      ['lobby', ['live', 'cancelled']],
      ['live', ['paused', 'ended']],
      ['paused', ['live', 'ended']],
      ['live', ['paused', 'ended']],
      ['ended', []],
    ];
    for (const [to, allowed] of steps) {
      const res = await expectOk(await transition(session.id, to), 200);
      expect(res.status, to).toBe(to);
      expect(res.allowedTransitions, to).toEqual(allowed);
      expect((await expectOk(await mediator().get(`/api/sessions/${session.id}`), 200)).status).toBe(to);
    }
    expect(await statusEvents(session.id)).toEqual(['scheduled→lobby', 'lobby→live', 'live→paused', 'paused→live', 'live→ended']);

    // Once ended nothing moves it, and a refusal writes nothing.
    for (const to of ['live', 'lobby', 'paused', 'cancelled', 'ended', 'scheduled']) {
      const before = await tableCounts(world.database);
      const res = await transition(session.id, to);
      expect(res.statusCode, to).toBe(409);
      expect(json(res).error.code).toBe('CONFLICT');
      expect(await tableCounts(world.database)).toEqual(before);
    }
    expect((await expectOk(await mediator().get(`/api/sessions/${session.id}`), 200)).status).toBe('ended');
  });

  it.each([
    ['scheduled', 'live', []],
    ['scheduled', 'paused', []],
    ['scheduled', 'ended', []],
    ['scheduled', 'scheduled', []],
    ['lobby', 'paused', ['lobby']],
    ['lobby', 'ended', ['lobby']],
    ['live', 'lobby', ['lobby', 'live']],
    ['live', 'cancelled', ['lobby', 'live']],
    ['cancelled', 'lobby', ['cancelled']],
  ])('refuses %s → %s with 409 and writes nothing', async (from, to, path) => {
    const session = await schedule(`拒绝 ${from}→${to}`);
    for (const step of path) await expectOk(await transition(session.id, step), 200);
    const before = await tableCounts(world.database);
    const res = await transition(session.id, to);
    expect(res.statusCode).toBe(409);
    expect(json(res).error.message).toContain(from);
    expect(await tableCounts(world.database)).toEqual(before);
    expect((await expectOk(await mediator().get(`/api/sessions/${session.id}`), 200)).status).toBe(from);
  });

  it('an unknown target state → 400 naming the field', async () => {
    const session = await schedule('未知状态');
    const res = await transition(session.id, 'archived');
    expect(res.statusCode).toBe(400);
    expect(json(res).error.field).toBe('to');
  });

  it('two concurrent identical transitions: exactly one succeeds and one audit event is written', async () => {
    for (let round = 0; round < 5; round++) {
      const session = await schedule(`并发 ${round}`);
      await expectOk(await transition(session.id, 'lobby'), 200);
      const before = await tableCounts(world.database);
      const answers = await Promise.all([transition(session.id, 'live'), transition(session.id, 'live')]);
      expect(answers.map((a) => a.statusCode).sort(), `round ${round}`).toEqual([200, 409]);
      const after = await tableCounts(world.database);
      expect(after.audit_events).toBe(before.audit_events! + 1);
      expect(await statusEvents(session.id)).toEqual(['scheduled→lobby', 'lobby→live']);
    }
  });

  it('many concurrent different transitions from the lobby: exactly one wins', async () => {
    const session = await schedule('并发多路');
    await expectOk(await transition(session.id, 'lobby'), 200);
    const answers = await Promise.all(['live', 'cancelled', 'live', 'cancelled', 'live', 'cancelled'].map((to) => transition(session.id, to)));
    const ok = answers.filter((a) => a.statusCode === 200);
    expect(ok).toHaveLength(1);
    expect(answers.filter((a) => a.statusCode === 409)).toHaveLength(5);
    const final = (await expectOk(await mediator().get(`/api/sessions/${session.id}`), 200)).status;
    expect(json(ok[0]!).status).toBe(final);
    expect(await statusEvents(session.id)).toEqual(['scheduled→lobby', `lobby→${final}`]);
  });
});

describe('participants', () => {
  it('adds a party, an agent for that party and an appraiser, and lists them', async () => {
    const partyId = caseView.parties[0]!.id;
    const party = await expectOk(await mediator().post(`/api/cases/${caseView.id}/participants`, { role: 'party', displayName: '陈阿海', phone: '13800138000', partyId }), 201);
    expect(party).toMatchObject({ caseId: caseView.id, role: 'party', partyId, representsPartyId: null, phone: '13800138000' });
    const agent = await expectOk(await mediator().post(`/api/cases/${caseView.id}/participants`, { role: 'agent', displayName: '张律师', representsPartyId: partyId }), 201);
    expect(agent).toMatchObject({ role: 'agent', partyId: null, representsPartyId: partyId });
    const appraiser = await expectOk(await mediator().post(`/api/cases/${caseView.id}/participants`, { role: 'appraiser', displayName: '海事鉴定人' }), 201);
    const list = await expectOk(await mediator().get(`/api/cases/${caseView.id}/participants`), 200);
    expect(list.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([party.id, agent.id, appraiser.id]));
    const events = await expectOk(await mediator().get(`/api/cases/${caseView.id}/audit`), 200);
    expect(events.items.filter((e: { type: string }) => e.type === 'participant.added').length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a party participant without partyId', { role: 'party', displayName: '陈阿海' }, 'partyId'],
    ['an agent without representsPartyId', { role: 'agent', displayName: '张律师' }, 'representsPartyId'],
    ['an appraiser claiming to be a party', { role: 'appraiser', displayName: '鉴定人', partyId: 'OWN' }, 'partyId'],
    ['a party participant representing someone', { role: 'party', displayName: '陈阿海', partyId: 'OWN', representsPartyId: 'OWN' }, 'representsPartyId'],
    ['a party of another case', { role: 'party', displayName: '林阿妹', partyId: 'OTHER' }, 'partyId'],
    ['an agent for a party of another case', { role: 'agent', displayName: '李律师', representsPartyId: 'OTHER' }, 'representsPartyId'],
    ['an unknown role', { role: 'spectator', displayName: '路人' }, 'role'],
    ['a bad phone number', { role: 'observer', displayName: '观察员', phone: '12345' }, 'phone'],
    ['a staff account that does not exist', { role: 'observer', displayName: '观察员', staffUserId: '00000000-0000-4000-8000-000000000000' }, 'staffUserId'],
  ])('refuses %s → 400 naming the field, writing nothing', async (_what, input, field) => {
    const resolveId = (v: unknown) => (v === 'OWN' ? caseView.parties[0]!.id : v === 'OTHER' ? otherCase.parties[0]!.id : v);
    const body = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, resolveId(v)]));
    const before = await tableCounts(world.database);
    const res = await mediator().post(`/api/cases/${caseView.id}/participants`, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(json(res).error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('removes a participant once; a party still named by a participant cannot be deleted', async () => {
    const partyId = caseView.parties[1]!.id;
    const p = await expectOk(await mediator().post(`/api/cases/${caseView.id}/participants`, { role: 'party', displayName: '福鼎远洋代表', partyId }), 201);

    const before = await tableCounts(world.database);
    const blocked = await mediator().delete(`/api/cases/${caseView.id}/parties/${partyId}`);
    expect(blocked.statusCode).toBe(409);
    expect(await tableCounts(world.database)).toEqual(before);

    expect((await mediator().delete(`/api/cases/${caseView.id}/participants/${p.id}`)).statusCode).toBe(204);
    const list = await expectOk(await mediator().get(`/api/cases/${caseView.id}/participants`), 200);
    expect(list.items.map((x: { id: string }) => x.id)).not.toContain(p.id);
    expect((await mediator().delete(`/api/cases/${caseView.id}/participants/${p.id}`)).statusCode).toBe(404);
    // Removing it from another case's URL is a 404 as well.
    const q = await expectOk(await mediator().post(`/api/cases/${caseView.id}/participants`, { role: 'observer', displayName: '观察员' }), 201);
    expect((await mediator().delete(`/api/cases/${otherCase.id}/participants/${q.id}`)).statusCode).toBe(404);
  });
});
