/**
 * Assigned and chosen mediators (issue 11 point 3) on the real database and a real socket:
 * registering a case makes its creator the lead; the center's head assigns and reassigns
 * (audited, conditional on the lead the head saw, an SMS to the newly assigned through the
 * outbox); only the lead and co-mediators write the case, draft its agreement and host its
 * sessions, other mediators of the center read it; "my cases" come first in each mediator's list;
 * a party chooses a mediator from the roster through their link until the mediation goes live,
 * and every choice is kept for the head to see.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, notifications } from '../../../../server/db/schema/index.ts';
import { createStaffUser } from '../../../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../../../shared/ids.ts';
import { type AgreementFixture, agreementFixture, collisionDraft, invitationHeader } from '../../../helpers/agreement-fixture.ts';
import { connectSocket, connected } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, login, sampleCase, testPassword, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
const ids: Record<'head' | 'colleague' | 'third' | 'retired', string> = { head: '', colleague: '', third: '', retired: '' };
const cookies: Record<'head' | 'colleague' | 'third', string> = { head: '', colleague: '', third: '' };
const mediator = () => api(world.app, world.cookies.mediator);
const as = (who: keyof typeof cookies) => api(world.app, cookies[who]);

async function expectOk(res: { statusCode: number; body: string }, status = 200) {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body);
}
const auditOf = (caseId: string) => world.database.db.select().from(auditEvents).where(eq(auditEvents.caseId, caseId)).orderBy(auditEvents.seq);

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
  const center = world.orgs.center as OrganisationId;
  const make = (username: string, centerHead = false) => createStaffUser(world.database.db, null, { organisationId: center, username, displayName: username, role: 'mediator', password: testPassword, centerHead });
  ids.head = (await make('head', true)).id;
  ids.colleague = (await make('colleague')).id;
  ids.third = (await make('third')).id;
  ids.retired = (await make('retired')).id;
  await api(world.app, world.cookies.admin).patch(`/api/admin/staff-users/${ids.retired}`, { active: false });
  for (const [index, who] of (['head', 'colleague', 'third'] as const).entries()) cookies[who] = await login(world.app, who, testPassword, `198.51.100.${80 + index}`);
}, 120_000);
afterAll(() => world?.close());

describe('assignment', () => {
  let f: AgreementFixture;
  beforeAll(async () => {
    f = await agreementFixture(world);
  });

  it('registering a case makes its creator the lead, audited', async () => {
    const view = await expectOk(await mediator().get(`/api/cases/${f.caseId}/mediators`));
    expect(view.lead).toMatchObject({ staffUserId: world.staffIds.mediator, role: 'lead' });
    expect(view.coMediators).toEqual([]);
    expect((await auditOf(f.caseId)).filter((e) => e.type === 'case.mediators_assigned')[0]!.data).toEqual({ lead: world.staffIds.mediator, coMediators: [], previousLead: null, previousCoMediators: [] });
  });

  it('another mediator of the center reads the case but neither changes it nor drafts its agreement', async () => {
    expect((await as('colleague').get(`/api/cases/${f.caseId}`)).statusCode).toBe(200);
    const edit = await as('colleague').patch(`/api/cases/${f.caseId}`, { title: '同事改的标题' });
    expect(edit.statusCode).toBe(403);
    expect(json(edit).error.message).toMatch(/assigned mediators/);
    expect((await as('colleague').post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f))).statusCode).toBe(403);
    expect((await as('colleague').post(`/api/cases/${f.caseId}/sessions`, { title: '同事安排', scheduledAt: '2026-11-26T09:00:00+08:00' })).statusCode).toBe(403);
    // The head reads every case of the center, and writes only where assigned.
    expect((await as('head').get(`/api/cases/${f.caseId}`)).statusCode).toBe(200);
    expect((await as('head').patch(`/api/cases/${f.caseId}`, { title: '主任改的标题' })).statusCode).toBe(403);
  });

  it('only the head assigns; a mediator of the case cannot hand it on themselves', async () => {
    const res = await mediator().put(`/api/cases/${f.caseId}/mediators`, { leadId: ids.colleague, expectedLeadId: world.staffIds.mediator });
    expect(res.statusCode).toBe(403);
    expect((await api(world.app, world.cookies.otherMediator).put(`/api/cases/${f.caseId}/mediators`, { leadId: ids.colleague, expectedLeadId: world.staffIds.mediator })).statusCode).toBe(403);
    expect((await api(world.app, world.cookies.admin).put(`/api/cases/${f.caseId}/mediators`, { leadId: ids.colleague, expectedLeadId: world.staffIds.mediator })).statusCode).toBe(403);
  });

  it('refuses a lead or co-mediator who is not an active mediator of the center, naming the field', async () => {
    const put = (body: object) => as('head').put(`/api/cases/${f.caseId}/mediators`, { expectedLeadId: world.staffIds.mediator, ...body });
    const outsider = await put({ leadId: world.staffIds.otherMediator });
    expect(outsider.statusCode).toBe(400);
    expect(json(outsider).error.field).toBe('leadId');
    const retired = await put({ leadId: ids.colleague, coMediatorIds: [ids.third, ids.retired] });
    expect(retired.statusCode).toBe(400);
    expect(json(retired).error.field).toBe('coMediatorIds.1');
    const clerk = await put({ leadId: world.staffIds.ningboClerk });
    expect(clerk.statusCode).toBe(400);
    const twice = await put({ leadId: ids.colleague, coMediatorIds: [ids.colleague] });
    expect(twice.statusCode).toBe(400);
    expect(json(twice).error.field).toBe('coMediatorIds');
    expect((await expectOk(await mediator().get(`/api/cases/${f.caseId}/mediators`))).lead.staffUserId).toBe(world.staffIds.mediator);
  });

  it('the head reassigns: the new lead and co-mediator write and host, the former lead only reads; the new ones are told by SMS', async () => {
    await expectOk(await as('colleague').put(`/api/mediators/${ids.colleague}/profile`, { dialects: ['minnan'], specialities: ['collision'], phone: '13800000001' }));
    const view = await expectOk(await as('head').put(`/api/cases/${f.caseId}/mediators`, { leadId: ids.colleague, coMediatorIds: [ids.third], expectedLeadId: world.staffIds.mediator }));
    expect(view).toMatchObject({ lead: { staffUserId: ids.colleague, role: 'lead' }, coMediators: [{ staffUserId: ids.third, role: 'co' }], mayAssign: true });
    const event = (await auditOf(f.caseId)).filter((e) => e.type === 'case.mediators_assigned').at(-1)!;
    expect(event.data).toEqual({ lead: ids.colleague, coMediators: [ids.third], previousLead: world.staffIds.mediator, previousCoMediators: [] });
    expect(event.actor).toEqual({ kind: 'staff', staffUserId: ids.head });

    // The colleague has a phone in their profile: one message, delivered by the outbox job.
    await world.app.notifier.idle();
    const sms = await world.database.db.select().from(notifications).where(eq(notifications.kind, 'mediator_assigned'));
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ recipient: '13800000001', status: 'sent', caseId: f.caseId });

    expect((await as('colleague').patch(`/api/cases/${f.caseId}`, { title: '新主办改的标题' })).statusCode).toBe(200);
    expect((await as('third').post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f))).statusCode).toBe(201);
    const former = await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f));
    expect(former.statusCode).toBe(403);
    expect((await mediator().get(`/api/cases/${f.caseId}`)).statusCode).toBe(200);

    // Hosting: the co-mediator enters as host; the former lead is refused the room.
    const co = connectSocket(world.baseUrl, { cookie: cookies.third });
    const formerLead = connectSocket(world.baseUrl, { cookie: world.cookies.mediator });
    try {
      await Promise.all([connected(co), connected(formerLead)]);
      const entered = await co.call('session:enter', { sessionId: f.sessionId as never });
      expect(entered).toMatchObject({ ok: true });
      expect((entered as { ok: true; data: { self: { isHost: boolean } } }).data.self.isHost).toBe(true);
      const refused = await formerLead.call('session:enter', { sessionId: f.sessionId as never });
      expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    } finally {
      co.close();
      formerLead.close();
    }
  });

  it('a reassignment made meanwhile is not overwritten: two heads at once, one wins and the other gets 409', async () => {
    const c = await expectOk(await mediator().post('/api/cases', sampleCase), 201);
    const secondHead = (await createStaffUser(world.database.db, null, { organisationId: world.orgs.center as OrganisationId, username: 'deputy', displayName: '副主任', role: 'mediator', password: testPassword, centerHead: true })).id;
    const deputy = api(world.app, await login(world.app, 'deputy', testPassword, '198.51.100.90'));
    const [a, b] = await Promise.all([
      as('head').put(`/api/cases/${c.id}/mediators`, { leadId: ids.colleague, expectedLeadId: world.staffIds.mediator }),
      deputy.put(`/api/cases/${c.id}/mediators`, { leadId: ids.third, expectedLeadId: world.staffIds.mediator }),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const winner = a.statusCode === 200 ? ids.colleague : ids.third;
    expect((await expectOk(await mediator().get(`/api/cases/${c.id}/mediators`))).lead.staffUserId).toBe(winner);
    expect((await auditOf(c.id)).filter((e) => e.type === 'case.mediators_assigned')).toHaveLength(2);
    expect(secondHead).toBeTruthy();
  });

  it("lists a mediator's own cases first, then the center's others", async () => {
    const mine = await expectOk(await as('third').post('/api/cases', { ...sampleCase, title: '第三位调解员自己的案件' }), 201);
    // Registered last, so most recently updated: without "mine first" it would head the list.
    const others = await expectOk(await mediator().post('/api/cases', { ...sampleCase, title: '别人的新案件' }), 201);
    const list = (await expectOk(await as('third').get('/api/cases?pageSize=100'))).items as { id: string; mine: boolean }[];
    const firstOther = list.findIndex((c) => !c.mine);
    expect(firstOther).toBeGreaterThan(0);
    expect(list.slice(0, firstOther).map((c) => c.id)).toEqual(expect.arrayContaining([mine.id, f.caseId]));
    expect(list.slice(firstOther).every((c) => !c.mine)).toBe(true);
    expect(list.slice(firstOther).map((c) => c.id)).toContain(others.id);
    // The former lead sees the case among the others now.
    const former = (await expectOk(await mediator().get('/api/cases?pageSize=100'))).items as { id: string; mine: boolean }[];
    expect(former.find((c) => c.id === f.caseId)?.mine).toBe(false);
  });
});

describe('a party chooses a mediator (点单式)', () => {
  let f: AgreementFixture;
  beforeAll(async () => {
    f = await agreementFixture(world);
    await expectOk(await as('third').put(`/api/mediators/${ids.third}/profile`, { dialects: ['wenzhou', 'putonghua'], specialities: ['fishing_gear', 'crew_injury'], introduction: '从事渔业纠纷调解二十年' }));
  });
  const party = () => invitationHeader(f.fishermanToken);
  const agent = () => invitationHeader(f.agentToken);
  const roster = (headers: Record<string, string>) => world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/mediator-roster`, headers });
  const choose = (headers: Record<string, string>, staffUserId: string) => world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/mediator-choice`, headers, payload: { staffUserId } });

  it('shows the roster: active mediators of the center with dialects, specialities and cases handled, no phone', async () => {
    const body = await expectOk(await roster(party()));
    expect(body.open).toBe(true);
    expect(body.chosenStaffUserId).toBeNull();
    const names = body.mediators.map((m: { displayName: string }) => m.displayName);
    expect(names).toEqual(expect.arrayContaining(['mediator', 'head', 'colleague', 'third']));
    expect(names).not.toContain('retired');
    expect(names).not.toContain('otherMediator');
    expect(body.mediators.find((m: { staffUserId: string }) => m.staffUserId === ids.third)).toMatchObject({ dialects: ['wenzhou', 'putonghua'], specialities: ['fishing_gear', 'crew_injury'], photoUrl: null });
    expect(JSON.stringify(body)).not.toContain('13800000001');
  });

  it('counts the cases a mediator has handled to their end', async () => {
    const before = (await expectOk(await roster(party()))).mediators.find((m: { staffUserId: string }) => m.staffUserId === world.staffIds.mediator).casesHandled;
    const c = await expectOk(await mediator().post('/api/cases', sampleCase), 201);
    for (const to of ['screening', 'mediating', 'failed']) await expectOk(await mediator().post(`/api/cases/${c.id}/transitions`, { to }));
    const after = (await expectOk(await roster(party()))).mediators.find((m: { staffUserId: string }) => m.staffUserId === world.staffIds.mediator).casesHandled;
    expect(after).toBe(before + 1);
  });

  it('records each side’s choice (audited), lets a party change it, and shows both to the head when they differ', async () => {
    expect((await expectOk(await choose(party(), ids.third))).chosenStaffUserId).toBe(ids.third);
    await expectOk(await choose(agent(), ids.colleague));
    const headView = await expectOk(await as('head').get(`/api/cases/${f.caseId}/mediators`));
    expect(headView.choicesDiffer).toBe(true);
    expect(headView.choices.map((c: { staffUserId: string }) => c.staffUserId).sort()).toEqual([ids.colleague, ids.third].sort());
    expect(headView.choiceOpen).toBe(true);
    // The fisherman agrees with the company's lawyer after all.
    await expectOk(await choose(party(), ids.colleague));
    expect((await expectOk(await as('head').get(`/api/cases/${f.caseId}/mediators`))).choicesDiffer).toBe(false);
    const events = (await auditOf(f.caseId)).filter((e) => e.type === 'case.mediator_chosen');
    expect(events.map((e) => e.data)).toEqual([
      { participantId: expect.any(String), staffUserId: ids.third, previous: null },
      { participantId: f.agentParticipantId, staffUserId: ids.colleague, previous: null },
      { participantId: expect.any(String), staffUserId: ids.colleague, previous: ids.third },
    ]);
    // Choosing the same again changes nothing.
    await expectOk(await choose(party(), ids.colleague));
    expect((await auditOf(f.caseId)).filter((e) => e.type === 'case.mediator_chosen')).toHaveLength(3);
  });

  it('refuses a mediator of another center, naming the field; a choice never assigns by itself', async () => {
    const res = await choose(party(), world.staffIds.otherMediator!);
    expect(res.statusCode).toBe(400);
    expect(json(res).error.field).toBe('staffUserId');
    expect((await expectOk(await mediator().get(`/api/cases/${f.caseId}/mediators`))).lead.staffUserId).toBe(world.staffIds.mediator);
  });

  it('is for parties and their agents, by their link; staff are refused', async () => {
    const appraiser = await expectOk(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'appraiser', displayName: '鉴定人' }), 201);
    const link = await expectOk(await mediator().post(`/api/sessions/${f.sessionId}/invitations`, { participantId: appraiser.id }), 201);
    expect((await roster(invitationHeader(link.link.split('/j/')[1]))).statusCode).toBe(403);
    expect((await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/mediator-roster`, headers: { cookie: world.cookies.mediator } })).statusCode).toBe(403);
  });

  it('closes once the first mediation session goes live, with a clear error', async () => {
    await expectOk(await mediator().post(`/api/sessions/${f.sessionId}/transitions`, { to: 'lobby' }));
    await expectOk(await choose(party(), ids.third)); // the lobby is not the mediation yet
    await expectOk(await mediator().post(`/api/sessions/${f.sessionId}/transitions`, { to: 'live' }));
    const late = await choose(party(), ids.head);
    expect(late.statusCode).toBe(409);
    expect(json(late).error).toMatchObject({ code: 'CONFLICT', field: 'staffUserId' });
    expect(json(late).error.message).toMatch(/mediation has started/);
    expect((await expectOk(await roster(party()))).open).toBe(false);
    expect((await expectOk(await roster(party()))).chosenStaffUserId).toBe(ids.third);
  });

  it('a choice racing the session going live is either stored before the mediation started or refused', async () => {
    for (let round = 0; round < 6; round++) {
      const g = await agreementFixture(world);
      await expectOk(await mediator().post(`/api/sessions/${g.sessionId}/transitions`, { to: 'lobby' }));
      const [choice, live] = await Promise.all([
        world.app.inject({ method: 'POST', url: `/api/cases/${g.caseId}/mediator-choice`, headers: invitationHeader(g.fishermanToken), payload: { staffUserId: ids.third } }),
        mediator().post(`/api/sessions/${g.sessionId}/transitions`, { to: 'live' }),
      ]);
      expect(live.statusCode).toBe(200);
      expect([200, 409]).toContain(choice.statusCode);
      const events = await auditOf(g.caseId);
      const chosenAt = events.findIndex((e) => e.type === 'case.mediator_chosen');
      const wentLive = events.findIndex((e) => e.type === 'session.status_changed' && (e.data as { to: string }).to === 'live');
      if (choice.statusCode === 200) expect(chosenAt).toBeLessThan(wentLive);
      else expect(chosenAt).toBe(-1);
    }
  });
});

describe('mediator profiles', () => {
  /** A real 1×1 PNG. */
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const putPhoto = (cookie: string, staffUserId: string, body: Buffer, type = 'image/png') =>
    world.app.inject({ method: 'PUT', url: `/api/mediators/${staffUserId}/photo`, headers: { cookie, 'content-type': type }, payload: body });

  it('a mediator edits their own dialects and specialities, an admin of the center anyone’s; nobody else', async () => {
    const own = await expectOk(await as('colleague').put(`/api/mediators/${ids.colleague}/profile`, { dialects: ['minnan', 'fuzhou'], specialities: ['crew_wages'], introduction: '福鼎人，熟悉闽东渔区', phone: '13800000001' }));
    expect(own).toMatchObject({ staffUserId: ids.colleague, dialects: ['minnan', 'fuzhou'], specialities: ['crew_wages'], phone: '13800000001', centerHead: false });
    expect((await as('colleague').put(`/api/mediators/${ids.third}/profile`, { dialects: [], specialities: [] })).statusCode).toBe(403);
    expect((await api(world.app, world.cookies.otherMediator).put(`/api/mediators/${ids.colleague}/profile`, { dialects: [], specialities: [] })).statusCode).toBe(403);
    const byAdmin = await expectOk(await api(world.app, world.cookies.admin).put(`/api/mediators/${ids.head}/profile`, { dialects: ['putonghua'], specialities: ['collision', 'marine_insurance'] }));
    expect(byAdmin).toMatchObject({ staffUserId: ids.head, centerHead: true, specialities: ['collision', 'marine_insurance'] });
    // An admin of the center cannot edit a mediator of another center (it does not exist for them).
    expect((await api(world.app, world.cookies.admin).put(`/api/mediators/${world.staffIds.otherMediator}/profile`, { dialects: [], specialities: [] })).statusCode).toBe(404);
    const bad = await as('colleague').put(`/api/mediators/${ids.colleague}/profile`, { dialects: ['klingon'], specialities: [] });
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error.field).toMatch(/^dialects/);
    const events = await world.database.db.select().from(auditEvents).where(eq(auditEvents.type, 'mediator.profile_updated'));
    expect(events.map((e) => (e.data as { staffUserId: string }).staffUserId)).toEqual(expect.arrayContaining([ids.colleague, ids.head]));
    const list = await expectOk(await mediator().get('/api/mediators'));
    expect(list.items.find((m: { staffUserId: string }) => m.staffUserId === ids.colleague)).toMatchObject({ dialects: ['minnan', 'fuzhou'] });
  });

  it('stores a photo recognised by its bytes, shown to the party through a signed link', async () => {
    const stored = await expectOk(await putPhoto(cookies.third, ids.third, png));
    expect(stored.photoUrl).toMatch(new RegExp(`^/api/mediators/${ids.third}/photo\\?v=[0-9a-f]{12}&exp=\\d+&sig=`));
    const f = await agreementFixture(world);
    const roster = await expectOk(await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/mediator-roster`, headers: invitationHeader(f.fishermanToken) }));
    const url = roster.mediators.find((m: { staffUserId: string }) => m.staffUserId === ids.third).photoUrl as string;
    const image = await world.app.inject({ method: 'GET', url }); // no credentials: the link is the permission
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.equals(png)).toBe(true);
    expect((await world.app.inject({ method: 'GET', url: url.replace(/sig=[^&]+/, 'sig=forged') })).statusCode).toBe(401);
    expect((await world.app.inject({ method: 'GET', url: `/api/mediators/${ids.third}/photo`, headers: { cookie: world.cookies.otherMediator } })).statusCode).toBe(404);
    // No photo: the default avatar (null link).
    expect(roster.mediators.find((m: { staffUserId: string }) => m.staffUserId === ids.colleague).photoUrl).toBeNull();
  });

  it('refuses what is not an image, whatever it claims, and anyone else’s upload, storing nothing', async () => {
    const before = await world.database.db.select().from(auditEvents);
    const fake = await putPhoto(cookies.third, ids.third, Buffer.from('<svg onload="alert(1)"></svg>'), 'image/png');
    expect(fake.statusCode).toBe(400);
    expect(json(fake).error.field).toBe('photo');
    expect((await putPhoto(cookies.colleague, ids.third, png)).statusCode).toBe(403);
    expect((await putPhoto(cookies.third, ids.third, png, 'text/plain')).statusCode).toBe(415);
    expect(await world.database.db.select().from(auditEvents)).toHaveLength(before.length);
  });
});
