/**
 * Issue 11 point 2: the organisation tree (placement by an admin) and moving a case along it
 * (escalate / hand over → accept | return), with who may see and act at each step.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orgTree } from '../../../helpers/org-tree.ts';
import { api, createTestWorld, ok, rowsOf, sampleCase, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let tree: Awaited<ReturnType<typeof orgTree>>;
const as = (key: keyof typeof tree.cookies) => api(world.app, tree.cookies[key]);
const admin = () => api(world.app, world.cookies.admin);

beforeAll(async () => {
  world = await createTestWorld();
  tree = await orgTree(world);
});
afterAll(() => world?.close());

const newCase = async (key: keyof typeof tree.cookies) => (await ok(await as(key).post('/api/cases', sampleCase), 201)).id as string;
const transfersOf = async (key: keyof typeof tree.cookies, caseId: string) => ok(await as(key).get(`/api/cases/${caseId}/transfers`));
const escalate = (key: keyof typeof tree.cookies, caseId: string) => as(key).post(`/api/cases/${caseId}/transfers`, { kind: 'escalate', note: '涉及跨省船只，需上级协调' });
const eventsOf = async (caseId: string, type: string) =>
  rowsOf<{ data: Record<string, unknown> }>(await world.database.db.execute(sql`select data from audit_events where case_id = ${caseId} and type = ${type} order by seq`));
const holderOf = async (caseId: string) => rowsOf<{ center_id: string }>(await world.database.db.execute(sql`select center_id from cases where id = ${caseId}`))[0]!.center_id;

/** A refused call answers `status` and leaves every table as it was. */
async function refused(call: () => Promise<{ statusCode: number; body: string }>, status: number, field?: string) {
  const before = await tableCounts(world.database);
  const res = await call();
  expect(res.statusCode, res.body).toBe(status);
  if (field) expect(JSON.parse(res.body).error.field).toBe(field);
  expect(await tableCounts(world.database)).toEqual(before);
}

describe('placing organisations in the tree', () => {
  const place = (id: string, body: unknown) => admin().put(`/api/admin/organisations/${id}/placement`, body);

  it('moves a town under the other county center, audited, and back', async () => {
    const moved = await ok(await place(tree.orgs.xiaguan, { parentId: tree.orgs.fuding, level: 'town' }));
    expect(moved).toMatchObject({ parentId: tree.orgs.fuding, level: 'town' });
    await ok(await place(tree.orgs.xiaguan, { parentId: tree.orgs.cangnan, level: 'town' }));
    const events = rowsOf<{ data: { organisationId: string; parentId: string; previousParentId: string } }>(
      await world.database.db.execute(sql`select data from audit_events where type = 'organisation.placed' order by seq`),
    );
    expect(events.map((e) => [e.data.previousParentId, e.data.parentId])).toEqual([
      [tree.orgs.cangnan, tree.orgs.fuding],
      [tree.orgs.fuding, tree.orgs.cangnan],
    ]);
  });

  it('refuses a cycle: the county center under its own village room', async () => {
    await refused(() => place(tree.orgs.cangnan, { parentId: tree.orgs.village, level: 'county' }), 400, 'parentId');
    await refused(() => place(tree.orgs.cangnan, { parentId: tree.orgs.cangnan, level: 'county' }), 400, 'parentId');
  });

  it('refuses a level order upside down, from either side', async () => {
    // a town under a village room; a county center under a town
    await refused(() => place(tree.orgs.shacheng, { parentId: tree.orgs.village, level: 'town' }), 400, 'parentId');
    await refused(() => place(tree.orgs.fuding, { parentId: tree.orgs.xiaguan, level: 'county' }), 400, 'parentId');
    // lowering the town to village level while a village room sits under it
    await refused(() => place(tree.orgs.xiaguan, { parentId: tree.orgs.cangnan, level: 'village' }), 400, 'level');
    // a court under a center; a level for a court
    await refused(() => place(world.orgs.xiamen, { parentId: tree.orgs.fuding, level: null }), 400, 'parentId');
    await refused(() => place(world.orgs.xiamen, { parentId: null, level: 'county' }), 400, 'level');
  });

  it('is for admins only', async () => {
    await refused(() => as('cangnan').put(`/api/admin/organisations/${tree.orgs.xiaguan}/placement`, { parentId: null, level: 'town' }), 403);
  });
});

describe('escalating a case from the village room', () => {
  let caseId: string;
  beforeAll(async () => {
    caseId = await newCase('village');
  });

  it('offers the parent to escalate to and no peer (no other village room)', async () => {
    const t = await transfersOf('village', caseId);
    expect(t.mayAct).toBe(true);
    expect(t.targets.escalate.id).toBe(tree.orgs.xiaguan);
    expect(t.targets.handOver).toEqual([]);
    expect(t.holders.map((h: { id: string }) => h.id)).toEqual([tree.orgs.village]);
  });

  it('refuses a target the holder may not hand to, and anyone but the holder', async () => {
    await refused(() => as('village').post(`/api/cases/${caseId}/transfers`, { kind: 'hand_over', toOrganisationId: tree.orgs.cangnan, note: '直接交县里' }), 400, 'toOrganisationId');
    await refused(() => as('village').post(`/api/cases/${caseId}/transfers`, { kind: 'escalate', toOrganisationId: tree.orgs.cangnan, note: '直接交县里' }), 400, 'toOrganisationId');
    await refused(() => escalate('xiaguan', caseId), 404);
    await refused(() => api(world.app, world.cookies.admin).post(`/api/cases/${caseId}/transfers`, { kind: 'escalate', note: '管理员' }), 403);
  });

  it('while pending: the sender still works the case, the receiver sees the request only, nobody else anything', async () => {
    const t = await ok(await escalate('village', caseId), 201);
    expect(t).toMatchObject({ status: 'requested', kind: 'escalate', from: { id: tree.orgs.village }, to: { id: tree.orgs.xiaguan } });
    await refused(() => escalate('village', caseId), 409);
    await ok(await as('village').patch(`/api/cases/${caseId}`, { title: '碰撞纠纷（待镇接收）' }));
    expect((await as('xiaguan').get(`/api/cases/${caseId}`)).statusCode).toBe(404);
    const incoming = await ok(await as('xiaguan').get('/api/transfers/incoming'));
    expect(incoming.items.map((i: { id: string; case: { title: string } }) => [i.id, i.case.title])).toEqual([[t.id, '碰撞纠纷（待镇接收）']]);
    expect((await ok(await as('cangnan').get('/api/transfers/incoming'))).items).toEqual([]);
    await refused(() => as('cangnan').post(`/api/transfers/${t.id}/accept`), 404);
    await refused(() => as('village').post(`/api/transfers/${t.id}/accept`), 404);
  });

  it('the town sends it back with a reason the sender sees and is told by SMS', async () => {
    const pending = (await ok(await as('xiaguan').get('/api/transfers/incoming'))).items[0];
    await refused(() => as('xiaguan').post(`/api/transfers/${pending.id}/return`, { reason: '' }), 400, 'reason');
    const returned = await ok(await as('xiaguan').post(`/api/transfers/${pending.id}/return`, { reason: '属村级小额纠纷，请先在本村调解' }));
    expect(returned).toMatchObject({ status: 'returned', returnReason: '属村级小额纠纷，请先在本村调解' });
    const t = await transfersOf('village', caseId);
    expect(t.transfers.at(-1)).toMatchObject({ status: 'returned', returnReason: '属村级小额纠纷，请先在本村调解' });
    expect(await holderOf(caseId)).toBe(tree.orgs.village);
    const sms = rowsOf<{ kind: string; recipient: string }>(await world.database.db.execute(sql`select kind, recipient from notifications where case_id = ${caseId} order by created_at`));
    expect(sms).toEqual([{ kind: 'transfer_returned', recipient: '13800000002' }]); // the town has no duty phone; the village room has
    await refused(() => as('xiaguan').post(`/api/transfers/${pending.id}/accept`), 409);
    expect((await eventsOf(caseId, 'case.transfer_returned')).map((e) => e.data.reason)).toEqual(['属村级小额纠纷，请先在本村调解']);
  });

  it('of two accepts at once exactly one wins; the case moves with its history, the sender keeps read-only access', async () => {
    const t = await ok(await escalate('village', caseId), 201);
    const answers = await Promise.all([as('xiaguan').post(`/api/transfers/${t.id}/accept`), as('xiaguan').post(`/api/transfers/${t.id}/accept`)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await eventsOf(caseId, 'case.transfer_accepted')).toHaveLength(1);
    expect(await holderOf(caseId)).toBe(tree.orgs.xiaguan);

    // the new holder works it: same case, its audit trail from registration on
    await ok(await as('xiaguan').patch(`/api/cases/${caseId}`, { title: '碰撞纠纷（镇调委会）' }));
    const audit = (await ok(await as('xiaguan').get(`/api/cases/${caseId}/audit`))).items.map((e: { type: string }) => e.type);
    expect(audit).toEqual(expect.arrayContaining(['case.created', 'case.updated', 'case.transfer_requested', 'case.transfer_returned', 'case.transfer_accepted']));
    expect((await transfersOf('xiaguan', caseId)).mayAct).toBe(true);

    // the earlier holder reads, lists, but changes nothing and moves nothing
    expect((await ok(await as('village').get(`/api/cases/${caseId}`))).title).toBe('碰撞纠纷（镇调委会）');
    expect((await ok(await as('village').get('/api/cases?pageSize=100'))).items.map((c: { id: string }) => c.id)).toContain(caseId);
    const seen = await transfersOf('village', caseId);
    expect(seen.mayAct).toBe(false);
    expect(seen.targets).toEqual({ escalate: null, handOver: [] });
    expect(seen.holders.map((h: { id: string }) => h.id)).toEqual([tree.orgs.village, tree.orgs.xiaguan]);
    await refused(() => as('village').patch(`/api/cases/${caseId}`, { title: '改回' }), 403);
    await refused(() => as('village').post(`/api/cases/${caseId}/sessions`, { title: '第二次调解', scheduledAt: '2026-12-01T02:00:00Z' }), 403);
    await refused(() => escalate('village', caseId), 403);

    // a third center sees nothing
    expect((await as('fuding').get(`/api/cases/${caseId}`)).statusCode).toBe(404);
    expect((await as('fuding').get(`/api/cases/${caseId}/transfers`)).statusCode).toBe(404);
    expect((await ok(await as('fuding').get('/api/cases?pageSize=100'))).items.map((c: { id: string }) => c.id)).not.toContain(caseId);
  });

  it('goes on up to the county and across the border: the county center hands to its peer in Fujian', async () => {
    const up = await ok(await escalate('xiaguan', caseId), 201);
    await ok(await as('cangnan').post(`/api/transfers/${up.id}/accept`));
    const t = await transfersOf('cangnan', caseId);
    expect(t.targets.escalate).toBeNull(); // above the county center is the court: it confirms, it does not mediate
    expect(t.targets.handOver.map((o: { id: string }) => o.id).sort()).toEqual([tree.orgs.fuding, tree.orgs.xiaguan].sort());
    const across = await ok(await as('cangnan').post(`/api/cases/${caseId}/transfers`, { kind: 'hand_over', toOrganisationId: tree.orgs.fuding, note: '当事人多在福鼎' }), 201);
    // the receiving center's duty phone was not set; the Cangnan one got the escalation notice
    const sms = rowsOf<{ kind: string; recipient: string }>(await world.database.db.execute(sql`select kind, recipient from notifications where case_id = ${caseId} and kind = 'transfer_requested'`));
    expect(sms).toEqual([{ kind: 'transfer_requested', recipient: '13800000001' }]);
    await ok(await as('fuding').post(`/api/transfers/${across.id}/accept`));
    const final = await transfersOf('fuding', caseId);
    expect(final.holders.map((h: { id: string }) => h.id)).toEqual([tree.orgs.village, tree.orgs.xiaguan, tree.orgs.cangnan, tree.orgs.fuding]);
    for (const former of ['village', 'xiaguan', 'cangnan'] as const) expect((await transfersOf(former, caseId)).mayAct).toBe(false);
  });
});

describe('a case that is no longer being worked stays where it is', () => {
  it('refuses to send a withdrawn case, and to accept one withdrawn while the request waited', async () => {
    const caseId = await newCase('xiaguan');
    const t = await ok(await escalate('xiaguan', caseId), 201);
    await ok(await as('xiaguan').post(`/api/cases/${caseId}/transitions`, { to: 'withdrawn' }));
    await refused(() => as('cangnan').post(`/api/transfers/${t.id}/accept`), 409);
    await ok(await as('cangnan').post(`/api/transfers/${t.id}/return`, { reason: '案件已撤回' }));
    await refused(() => escalate('xiaguan', caseId), 409);
    expect(await holderOf(caseId)).toBe(tree.orgs.xiaguan);
  });
});

describe('the SMS of a transfer is in the outbox of the organisation it is addressed to', () => {
  it('the request’s notice is the receiver’s, the return’s the sender’s; each outbox shows only its own', async () => {
    await world.database.db.execute(sql`update organisations set duty_phone = '13800000003' where id = ${tree.orgs.xiaguan}`);
    const caseId = await newCase('xiaguan');
    const outbox = async (key: keyof typeof tree.cookies) =>
      ((await ok(await as(key).get('/api/notifications'))).items as { id: string; kind: string; recipient: string; caseId: string }[]).filter((m) => m.caseId === caseId);
    const t = await ok(await escalate('xiaguan', caseId), 201);
    expect((await outbox('cangnan')).map((m) => [m.kind, m.recipient])).toEqual([['transfer_requested', '13800000001']]);
    expect(await outbox('xiaguan')).toEqual([]);
    // The receiver acts on its message (resend); the sender finds no such message.
    const [message] = await outbox('cangnan');
    expect((await as('xiaguan').post(`/api/notifications/${message!.id}/resend`)).statusCode).toBe(404);

    await ok(await as('cangnan').post(`/api/transfers/${t.id}/return`, { reason: '属镇级纠纷' }));
    expect((await outbox('xiaguan')).map((m) => [m.kind, m.recipient])).toEqual([['transfer_returned', '13800000003']]);
    expect((await outbox('cangnan')).map((m) => m.kind)).toEqual(['transfer_requested']);
    expect((await outbox('fuding')).length).toBe(0);
  });
});
