import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestWorld, json, login, sampleCase, sampleResidentId, tableCounts, testPassword, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld();
});
afterAll(() => world?.close());

describe('case intake', () => {
  it('registers a case with parties and a vessel, numbered per center and year', async () => {
    const mediator = api(world.app, world.cookies.mediator);
    const first = json(await mediator.post('/api/cases', sampleCase));
    const second = json(await mediator.post('/api/cases', { ...sampleCase, parties: [], vessels: [] }));
    expect(first.number).toBe('（2026）浙闽联调字第0001号');
    expect(second.number).toBe('（2026）浙闽联调字第0002号');
    expect(first.parties.map((p: { name: string }) => p.name)).toEqual(['陈阿海', '福鼎远洋运输有限公司']);
    expect(first.vessels[0]).toMatchObject({ name: '浙苍渔01234', mmsi: '412345678', ownerPartyId: first.parties[0].id });
    expect(first.allowedTransitions).toEqual(['screening', 'withdrawn']);
    expect(first.incidentPosition).toEqual({ lat: 27.05, lon: 120.95 });
  });

  it('never shows an ID number in full, and stores only ciphertext', async () => {
    const created = await api(world.app, world.cookies.mediator).post('/api/cases', sampleCase);
    expect(created.body).not.toContain(sampleResidentId);
    expect(json(created).parties[0].idNumberMasked).toBe('11***************X');
    const rows = await world.database.db.execute(sql`select id_number_ciphertext from parties where id_number_ciphertext is not null`);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(sampleResidentId);
    expect(stored).not.toContain('19491231');
    const fetched = await api(world.app, world.cookies.mediator).get(`/api/cases/${json(created).id}`);
    expect(fetched.body).not.toContain(sampleResidentId);
  });

  it('searches by number, title and party name, escaping LIKE wildcards', async () => {
    const mediator = api(world.app, world.cookies.mediator);
    await mediator.post('/api/cases', { ...sampleCase, title: '渔具损坏纠纷 100% 赔偿', disputeType: 'fishing_gear_damage', parties: [{ kind: 'person', name: '林小渔' }], vessels: [] });
    const byParty = json(await mediator.get(`/api/cases?q=${encodeURIComponent('林小渔')}`));
    expect(byParty.items.map((c: { title: string }) => c.title)).toEqual(['渔具损坏纠纷 100% 赔偿']);
    expect(byParty.items[0].partyNames).toEqual(['林小渔']);
    const percent = json(await mediator.get(`/api/cases?q=${encodeURIComponent('%')}`));
    expect(percent.total).toBe(1);
    const byType = json(await mediator.get('/api/cases?disputeType=fishing_gear_damage'));
    expect(byType.total).toBe(1);
    const paged = json(await mediator.get('/api/cases?pageSize=2&page=1'));
    expect(paged.items).toHaveLength(2);
    expect(paged.total).toBeGreaterThanOrEqual(4);
  });

  it('edits a case and walks its lifecycle; a wrong transition is 409 and changes nothing', async () => {
    const mediator = api(world.app, world.cookies.mediator);
    const created = json(await mediator.post('/api/cases', sampleCase));
    const edited = await mediator.patch(`/api/cases/${created.id}`, { claimedAmountFen: 50_000_000, incidentPosition: null });
    expect(edited.statusCode).toBe(200);
    expect(json(edited)).toMatchObject({ claimedAmountFen: 50_000_000, incidentPosition: null });

    const before = await tableCounts(world.database);
    const wrong = await mediator.post(`/api/cases/${created.id}/transitions`, { to: 'settled' });
    expect(wrong.statusCode).toBe(409);
    expect(json(wrong).error.code).toBe('CONFLICT');
    expect(await tableCounts(world.database)).toEqual(before);

    for (const to of ['screening', 'mediating', 'settled', 'following_up', 'closed']) {
      const res = await mediator.post(`/api/cases/${created.id}/transitions`, { to });
      expect(res.statusCode, to).toBe(200);
      expect(json(res).status).toBe(to);
    }
    const afterClose = await mediator.patch(`/api/cases/${created.id}`, { title: '已结案件不得修改' });
    expect(afterClose.statusCode).toBe(409);
  });

  it('adds, edits and removes parties and vessels; an owner must be a party of the same case', async () => {
    const mediator = api(world.app, world.cookies.mediator);
    const created = json(await mediator.post('/api/cases', { ...sampleCase, parties: [], vessels: [] }));
    const other = json(await mediator.post('/api/cases', sampleCase));
    const party = await mediator.post(`/api/cases/${created.id}/parties`, { kind: 'person', name: '郑大海', phone: '13900001111' });
    expect(party.statusCode).toBe(201);
    const partyId = json(party).id;
    const renamed = await mediator.put(`/api/cases/${created.id}/parties/${partyId}`, { kind: 'person', name: '郑大海（船长）', idType: 'resident_id', idNumber: sampleResidentId });
    expect(json(renamed)).toMatchObject({ name: '郑大海（船长）', idNumberMasked: '11***************X' });
    // Omitting the number keeps the stored one.
    const kept = await mediator.put(`/api/cases/${created.id}/parties/${partyId}`, { kind: 'person', name: '郑大海' });
    expect(json(kept).idNumberMasked).toBe('11***************X');

    const foreignOwner = await mediator.post(`/api/cases/${created.id}/vessels`, { name: '闽霞渔0001', ownerPartyId: other.parties[0].id });
    expect(foreignOwner.statusCode).toBe(400);
    expect(json(foreignOwner).error.field).toBe('ownerPartyId');
    const vessel = await mediator.post(`/api/cases/${created.id}/vessels`, { name: '闽霞渔0001', mmsi: '412000111', ownerPartyId: partyId });
    expect(vessel.statusCode).toBe(201);
    const moved = await mediator.put(`/api/cases/${created.id}/vessels/${json(vessel).id}`, { name: '闽霞渔0001', mmsi: '412000112' });
    expect(json(moved)).toMatchObject({ mmsi: '412000112', ownerPartyId: null });
    expect((await mediator.delete(`/api/cases/${created.id}/vessels/${json(vessel).id}`)).statusCode).toBe(204);
    expect((await mediator.delete(`/api/cases/${created.id}/parties/${partyId}`)).statusCode).toBe(204);
    expect((await mediator.delete(`/api/cases/${created.id}/parties/${partyId}`)).statusCode).toBe(404);
    const final = json(await mediator.get(`/api/cases/${created.id}`));
    expect(final.parties).toEqual([]);
    expect(final.vessels).toEqual([]);
  });

  it('lists parties and vessels in the order they were registered, also when registered together', async () => {
    const mediator = api(world.app, world.cookies.mediator);
    const parties = Array.from({ length: 12 }, (_, i) => ({ kind: 'person', name: `当事人${i + 1}` }));
    const vessels = Array.from({ length: 12 }, (_, i) => ({ name: `浙苍渔0${i + 1}`, ownerPartyIndex: i }));
    const created = json(await mediator.post('/api/cases', { ...sampleCase, parties, vessels }));
    const fetched = json(await mediator.get(`/api/cases/${created.id}`));
    expect(fetched.parties.map((p: { name: string }) => p.name)).toEqual(parties.map((p) => p.name));
    expect(fetched.vessels.map((v: { name: string }) => v.name)).toEqual(vessels.map((v) => v.name));
    expect(fetched.vessels.map((v: { ownerPartyId: string }) => v.ownerPartyId)).toEqual(fetched.parties.map((p: { id: string }) => p.id));
    const listed = json(await mediator.get(`/api/cases?q=${encodeURIComponent('当事人12')}`));
    expect(listed.items[0].partyNames).toEqual(parties.map((p) => p.name));
  });

  it('numbers cases by the year in Beijing time, whatever the server’s time zone', async () => {
    // Its own world: moving the clock weeks ahead expires (and a login then purges) every session.
    const newYear = await createTestWorld();
    try {
      // 00:30 on 1 January 2027 in Beijing is still 31 December 2026 in UTC.
      newYear.clock.now = new Date('2026-12-31T16:30:00Z');
      const mediator = api(newYear.app, await login(newYear.app, 'mediator', testPassword));
      const created = json(await mediator.post('/api/cases', { ...sampleCase, parties: [], vessels: [] }));
      expect(created.number).toBe('（2027）浙闽联调字第0001号');
    } finally {
      await newYear.close();
    }
  });

  it('records every change in the case audit trail, in order', async () => {
    const mediator = api(world.app, world.cookies.mediator);
    const created = json(await mediator.post('/api/cases', sampleCase));
    await mediator.post(`/api/cases/${created.id}/transitions`, { to: 'screening' });
    await mediator.post(`/api/cases/${created.id}/parties`, { kind: 'person', name: '补充当事人' });
    const events = json(await mediator.get(`/api/cases/${created.id}/audit`)).items;
    // Registering also makes the registrar the lead mediator.
    expect(events.map((e: { type: string }) => e.type)).toEqual(['case.created', 'case.mediators_assigned', 'case.status_changed', 'party.added']);
    expect(events[2].data).toEqual({ from: 'registered', to: 'screening' });
    expect(JSON.stringify(events)).not.toContain(sampleResidentId);
  });
});
