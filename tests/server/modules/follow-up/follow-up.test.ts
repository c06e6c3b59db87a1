/**
 * Follow-up (回访): a sealed agreement's instalments are tracked; an unpaid one is overdue from
 * 00:00 Beijing time on the day after its due date (also across a month end); the staff desk lists
 * the center's overdue items; the mediator records fulfilment once; the case closes when the last
 * item is fulfilled, exactly once even when the last two are recorded at the same moment.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { relogin, sealedAgreement } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, ok, tableDigests, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
const startClock = new Date('2026-11-22T02:00:00Z');
beforeAll(async () => {
  world = await createTestWorld();
});
afterEach(async () => {
  if (world.clock.now.getTime() !== startClock.getTime()) {
    world.clock.now = startClock;
    await relogin(world);
  }
});
afterAll(() => world?.close());

const mediator = () => api(world.app, world.cookies.mediator);

async function setClock(iso: string) {
  world.clock.now = new Date(iso);
  await relogin(world);
}

/** A sealed agreement whose company pays on the given dates. */
async function payingOn(...dueDates: string[]) {
  return sealedAgreement(world, (f) => ({
    obligations: dueDates.map((dueDate, i) => ({ obligorPartyId: f.companyPartyId, description: `第${i + 1}期赔偿款`, amountFen: 10_000_000, dueDate })),
  }));
}

async function obligations(caseId: string): Promise<{ id: string; dueDate: string; overdue: boolean; fulfilledAt: string | null; obligorName: string }[]> {
  return (await ok(await mediator().get(`/api/cases/${caseId}/obligations`))).items;
}

describe('overdue, in Beijing days', () => {
  it('due Dec 31: not overdue until 23:59:59.999 Beijing that day; overdue from 00:00 Jan 1 Beijing (16:00Z Dec 31)', async () => {
    const { f } = await payingOn('2026-12-31', '2027-02-28');
    expect((await obligations(f.caseId)).map((o) => [o.dueDate, o.overdue, o.obligorName])).toEqual([
      ['2026-12-31', false, '福鼎远洋运输有限公司'],
      ['2027-02-28', false, '福鼎远洋运输有限公司'],
    ]);
    await setClock('2026-12-31T15:59:59.999Z');
    expect((await obligations(f.caseId))[0]!.overdue).toBe(false);
    await setClock('2026-12-31T16:00:00.000Z');
    expect((await obligations(f.caseId)).map((o) => o.overdue)).toEqual([true, false]);
    // Feb 28 2027 is the month's last day: overdue from Mar 1 Beijing, i.e. 16:00Z on Feb 28.
    await setClock('2027-02-28T15:59:59.999Z');
    expect((await obligations(f.caseId))[1]!.overdue).toBe(false);
    await setClock('2027-02-28T16:00:00.000Z');
    expect((await obligations(f.caseId))[1]!.overdue).toBe(true);
  });

  it('the staff desk lists the center’s overdue items only; a fulfilled item is no longer overdue', async () => {
    const { f } = await payingOn('2026-11-30', '2027-06-30');
    await setClock('2026-12-01T02:00:00Z');
    const desk = (await ok(await mediator().get('/api/follow-up/overdue'))).items;
    const mine = desk.filter((o: { caseId: string }) => o.caseId === f.caseId);
    expect(mine.map((o: { dueDate: string; overdue: boolean }) => [o.dueDate, o.overdue])).toEqual([['2026-11-30', true]]);
    expect(mine[0]).toMatchObject({ caseNumber: expect.stringContaining('浙闽联调'), caseTitle: '货轮碰撞渔船致人受伤' });
    const otherDesk = (await ok(await api(world.app, world.cookies.otherMediator).get('/api/follow-up/overdue'))).items;
    expect(otherDesk.some((o: { caseId: string }) => o.caseId === f.caseId)).toBe(false);

    await ok(await mediator().post(`/api/obligations/${mine[0].id}/fulfil`, { note: '12月3日收到转账' }));
    expect((await ok(await mediator().get('/api/follow-up/overdue'))).items.some((o: { caseId: string }) => o.caseId === f.caseId)).toBe(false);
    const [first] = await obligations(f.caseId);
    expect(first).toMatchObject({ overdue: false, fulfilledAt: '2026-12-01T02:00:00.000Z', fulfilmentNote: '12月3日收到转账' });
  });
});

describe('fulfilment and closing', () => {
  it('recording the same item twice is 409 and writes nothing; another center’s mediator gets 404; the case closes with the last item, audited', async () => {
    const { f } = await payingOn('2026-12-31', '2027-03-31');
    const [first, second] = await obligations(f.caseId);
    await ok(await mediator().post(`/api/obligations/${first!.id}/fulfil`, { note: '已转账' }));
    const before = await tableDigests(world.database);
    expect((await mediator().post(`/api/obligations/${first!.id}/fulfil`, { note: '又转一次' })).statusCode).toBe(409);
    expect((await api(world.app, world.cookies.otherMediator).post(`/api/obligations/${second!.id}/fulfil`, { note: '已转账' })).statusCode).toBe(404);
    expect((await api(world.app, world.cookies.wenzhouJudge).post(`/api/obligations/${second!.id}/fulfil`, { note: '已转账' })).statusCode).toBe(403);
    expect(await tableDigests(world.database)).toEqual(before);
    expect((await ok(await mediator().get(`/api/cases/${f.caseId}`))).status).toBe('following_up');

    await ok(await mediator().post(`/api/obligations/${second!.id}/fulfil`, { note: '已转账' }));
    expect((await ok(await mediator().get(`/api/cases/${f.caseId}`))).status).toBe('closed');
    const audit = (await ok(await mediator().get(`/api/cases/${f.caseId}/audit`))).items as { type: string; data: Record<string, unknown> }[];
    expect(audit.filter((e) => e.type === 'obligation.fulfilled')).toHaveLength(2);
    expect(audit.filter((e) => e.type === 'case.status_changed' && e.data.to === 'closed')).toHaveLength(1);
  });

  for (let round = 1; round <= 3; round++) {
    it(`the last two items recorded at once (round ${round}): both 200, the case closed exactly once`, async () => {
      const { f } = await payingOn('2026-12-31', '2027-03-31');
      const [a, b] = await obligations(f.caseId);
      const results = await Promise.all([a, b].map((o) => mediator().post(`/api/obligations/${o!.id}/fulfil`, { note: '已转账' })));
      expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
      expect((await ok(await mediator().get(`/api/cases/${f.caseId}`))).status).toBe('closed');
      const audit = (await ok(await mediator().get(`/api/cases/${f.caseId}/audit`))).items as { type: string; data: Record<string, unknown> }[];
      expect(audit.filter((e) => e.type === 'case.status_changed' && e.data.to === 'closed')).toHaveLength(1);
    });
  }
});
