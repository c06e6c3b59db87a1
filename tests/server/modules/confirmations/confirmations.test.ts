/**
 * Judicial confirmation (司法确认) on the real database: the 30-day filing period enforced to the
 * millisecond in Beijing time and across a month end, the court's 3-day and 15 (+10)-day periods
 * shown and the extension allowed once while the period runs, only the competent court (or its
 * parent) acting, concurrent decisions with exactly one winner, and a rejected or returned
 * application reopening mediation.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../../../shared/ids.ts';
import { agreementFixture, collisionDraft, relogin, sealedAgreement, signAs, type AgreementFixture } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, login, ok, tableDigests, testPassword, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let xiamenJudge: string;
let ningboJudge: string;
const startClock = new Date('2026-11-22T02:00:00Z');

beforeAll(async () => {
  world = await createTestWorld();
  for (const [username, org] of [
    ['xiamenjudge', world.orgs.xiamen],
    ['ningbojudge', world.orgs.ningbo],
  ] as const) {
    await createStaffUser(world.database.db, null, { organisationId: org as OrganisationId, username, displayName: username, role: 'judge', password: testPassword });
  }
  await loginExtra();
});
afterAll(() => world?.close());

async function loginExtra() {
  xiamenJudge = await login(world.app, 'xiamenjudge', testPassword, '198.51.100.90');
  ningboJudge = await login(world.app, 'ningbojudge', testPassword, '198.51.100.91');
}

/** Moves the test clock (staff logins expire with it, so everyone logs in again). */
async function setClock(iso: string) {
  world.clock.now = new Date(iso);
  await relogin(world);
  await loginExtra();
}

const mediator = () => api(world.app, world.cookies.mediator);
const clerk = () => api(world.app, world.cookies.ningboClerk);
const judge = () => api(world.app, world.cookies.wenzhouJudge);

/** Everything a refused request must leave as it was (sealing jobs finished first). */
async function state() {
  await world.app.sealer.idle();
  return tableDigests(world.database);
}

async function expectRefused(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(json(res).error.code).toBe(code);
  return json(res).error;
}

async function file(agreementId: string) {
  return ok(await mediator().post(`/api/agreements/${agreementId}/confirmation`, {}), 201);
}

/** A sealed agreement filed, accepted by the Ningbo clerk and under the Wenzhou judge's review. */
async function underReview() {
  const { f, agreement } = await sealedAgreement(world);
  const filed = await file(agreement.id);
  await ok(await clerk().post(`/api/confirmations/${filed.id}/accept`));
  await ok(await judge().post(`/api/confirmations/${filed.id}/review`));
  return { f, agreementId: agreement.id as string, confirmationId: filed.id as string };
}

async function auditOf(caseId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return (await ok(await mediator().get(`/api/cases/${caseId}/audit`))).items;
}

/** A fresh case whose agreement the fisherman signs now and the company's lawyer at `lastAt`. */
async function signedAt(lastAt: string) {
  const f = await agreementFixture(world);
  const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
  await ok(await mediator().post(`/api/agreements/${created.id}/transitions`, { to: 'signing' }));
  await ok(await signAs(world, f, created.id, 'fisherman'));
  await setClock(lastAt);
  await ok(await signAs(world, f, created.id, 'agent'));
  await world.app.sealer.idle();
  const agreement = await ok(await mediator().get(`/api/agreements/${created.id}`));
  expect(agreement.status).toBe('sealed');
  expect(agreement.effectiveAt).toBe(new Date(lastAt).toISOString());
  return { f, agreement };
}

describe('the 30-day period for applying, in Beijing days', () => {
  it('runs from the last signature: signed 23:30 Beijing on Jan 31 → ends Mar 2; filing one millisecond late is 409 and writes nothing', async () => {
    await setClock('2027-01-31T10:00:00Z');
    // 15:30Z is 23:30 on Jan 31 in Beijing: day one is Feb 1, day 30 is Mar 2 (February 2027 has 28 days).
    const { f, agreement } = await signedAt('2027-01-31T15:30:00Z');
    expect(agreement.applyBy).toEqual({ at: '2027-03-02T15:59:59.999Z', daysLeft: 30 });

    await setClock('2027-03-02T16:00:00.000Z'); // 00:00 Mar 3 in Beijing
    expect((await ok(await mediator().get(`/api/agreements/${agreement.id}`))).applyBy.daysLeft).toBe(-1);
    const before = await state();
    const late = await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {});
    const error = await expectRefused(late, 409, 'CONFLICT');
    expect(error.message).toContain('30-day period');
    expect(error.message).toContain('2027-03-02T15:59:59.999Z');
    expect(await state()).toEqual(before);
    expect((await auditOf(f.caseId)).some((e) => e.type === 'confirmation.status_changed')).toBe(false);
    expect((await ok(await clerk().get('/api/court/confirmations'))).items.some((i: { agreementId: string }) => i.agreementId === agreement.id)).toBe(false);
  });

  it('the last millisecond of the last day still counts', async () => {
    await setClock('2027-01-31T10:00:00Z');
    const { agreement } = await signedAt('2027-01-31T15:30:00Z');
    await setClock('2027-03-02T15:59:59.999Z'); // 23:59:59.999 Mar 2 in Beijing
    expect((await ok(await mediator().get(`/api/agreements/${agreement.id}`))).applyBy.daysLeft).toBe(0);
    const filed = await file(agreement.id);
    expect(filed).toMatchObject({ status: 'filed', filedAt: '2027-03-02T15:59:59.999Z' });
  });

  it('signed at 00:30 Beijing on Feb 1 (still Jan 31 in UTC) → ends Mar 3, so filing at 00:00 Mar 3 Beijing is in time', async () => {
    await setClock('2027-01-31T10:00:00Z');
    const { agreement } = await signedAt('2027-01-31T16:30:00Z');
    expect(agreement.applyBy.at).toBe('2027-03-03T15:59:59.999Z');
    await setClock('2027-03-02T16:00:00.000Z');
    expect((await file(agreement.id)).status).toBe('filed');
  });

  it('a period ending on a weekend runs to Monday (signed Fri 2027-02-19 → day 30 is Sun Mar 21 → Mon Mar 22)', async () => {
    await setClock('2027-02-19T01:00:00Z');
    const { agreement } = await signedAt('2027-02-19T02:00:00Z'); // 10:00 Fri Feb 19 in Beijing
    expect(agreement.applyBy.at).toBe('2027-03-22T15:59:59.999Z');
    await setClock('2027-03-22T15:00:00Z');
    expect((await file(agreement.id)).status).toBe('filed');
  });

  afterAll(async () => {
    await setClock(startClock.toISOString());
  });
});

describe('filing', () => {
  it('only a sealed agreement, once: a second application while one is pending is 409 and writes nothing', async () => {
    const { agreement } = await sealedAgreement(world);
    const filed = await file(agreement.id);
    // The clerk decides within 3 days: filed Sun Nov 22 2026 → Wed Nov 25, shown with the days left.
    expect(filed).toMatchObject({ acceptBy: { at: '2026-11-25T15:59:59.999Z', daysLeft: 3 }, ruleBy: null, extended: false });
    const before = await state();
    await expectRefused(await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {}), 409, 'CONFLICT');
    expect(await state()).toEqual(before);

    const f = await agreementFixture(world);
    const draft = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const beforeDraft = await state();
    await expectRefused(await mediator().post(`/api/agreements/${draft.id}/confirmation`, {}), 409, 'CONFLICT');
    expect(await state()).toEqual(beforeDraft);
  });

  it('the parties did not agree to apply: 409', async () => {
    const { agreement } = await sealedAgreement(world, { applyForConfirmation: false });
    const before = await state();
    const error = await expectRefused(await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {}), 409, 'CONFLICT');
    expect(error.message).toContain('did not agree');
    expect(await state()).toEqual(before);
  });

  it('after the clerk does not accept, the parties may apply again (within the 30 days)', async () => {
    const { agreement } = await sealedAgreement(world);
    const first = await file(agreement.id);
    await ok(await clerk().post(`/api/confirmations/${first.id}/not-accept`, { reason: '缺少身份证明材料，请补正。' }));
    const again = await file(agreement.id);
    expect(again.id).not.toBe(first.id);
    expect((await ok(await mediator().get(`/api/agreements/${agreement.id}`))).confirmation.id).toBe(again.id);
  });
});

describe('only the competent court acts', () => {
  it('the Xiamen court neither sees nor acts on a Ningbo application (404, nothing written); judges do not accept, clerks do not rule (403)', async () => {
    const { agreement } = await sealedAgreement(world);
    const filed = await file(agreement.id);
    const xiamenClerk = api(world.app, world.cookies.xiamenClerk);
    expect((await ok(await xiamenClerk.get('/api/court/confirmations'))).items.map((i: { id: string }) => i.id)).not.toContain(filed.id);
    const before = await state();
    await expectRefused(await xiamenClerk.get(`/api/confirmations/${filed.id}`), 404, 'NOT_FOUND');
    await expectRefused(await xiamenClerk.post(`/api/confirmations/${filed.id}/accept`), 404, 'NOT_FOUND');
    await expectRefused(await xiamenClerk.post(`/api/confirmations/${filed.id}/not-accept`, { reason: '不属于本院管辖。' }), 404, 'NOT_FOUND');
    await expectRefused(await judge().post(`/api/confirmations/${filed.id}/accept`), 403, 'FORBIDDEN');
    await expectRefused(await mediator().post(`/api/confirmations/${filed.id}/accept`), 403, 'FORBIDDEN');
    expect(await state()).toEqual(before);

    // The tribunal's parent court accepts; the wrong court's judge cannot review or rule.
    await ok(await clerk().post(`/api/confirmations/${filed.id}/accept`));
    const wrongJudge = api(world.app, xiamenJudge);
    const beforeReview = await state();
    await expectRefused(await wrongJudge.post(`/api/confirmations/${filed.id}/review`), 404, 'NOT_FOUND');
    await expectRefused(await clerk().post(`/api/confirmations/${filed.id}/review`), 403, 'FORBIDDEN');
    expect(await state()).toEqual(beforeReview);
    // The parent court's judge may.
    await ok(await api(world.app, ningboJudge).post(`/api/confirmations/${filed.id}/review`));
    const beforeDecide = await state();
    await expectRefused(await wrongJudge.post(`/api/confirmations/${filed.id}/decide`, { decision: 'confirmed', reason: '符合法律规定。' }), 404, 'NOT_FOUND');
    await expectRefused(await clerk().post(`/api/confirmations/${filed.id}/decide`, { decision: 'confirmed', reason: '符合法律规定。' }), 403, 'FORBIDDEN');
    await expectRefused(await wrongJudge.post(`/api/confirmations/${filed.id}/extend`, { reason: '需要补充调查。' }), 404, 'NOT_FOUND');
    expect(await state()).toEqual(beforeDecide);
  });

  it('steps out of order are 409 and write nothing', async () => {
    const { agreement } = await sealedAgreement(world);
    const filed = await file(agreement.id);
    const before = await state();
    await expectRefused(await judge().post(`/api/confirmations/${filed.id}/review`), 409, 'CONFLICT');
    await expectRefused(await judge().post(`/api/confirmations/${filed.id}/decide`, { decision: 'confirmed', reason: '符合法律规定。' }), 409, 'CONFLICT');
    await expectRefused(await judge().post(`/api/confirmations/${filed.id}/hearing`, { scheduledAt: '2026-11-24T02:00:00Z' }), 409, 'CONFLICT');
    expect(await state()).toEqual(before);
    await ok(await clerk().post(`/api/confirmations/${filed.id}/accept`));
    const accepted = await state();
    await expectRefused(await clerk().post(`/api/confirmations/${filed.id}/accept`), 409, 'CONFLICT');
    await expectRefused(await clerk().post(`/api/confirmations/${filed.id}/not-accept`, { reason: '重复申请。' }), 409, 'CONFLICT');
    expect(await state()).toEqual(accepted);
  });
});

describe('the court’s periods', () => {
  it('accepting sets 15 days to rule; the judge extends once by 10 (25 days from acceptance); a second extension is 409 and writes nothing', async () => {
    const { f, confirmationId } = await underReview();
    // Accepted Sun Nov 22 2026 (Beijing): day 15 is Mon Dec 7; day 25 is Thu Dec 17.
    const reviewed = await ok(await judge().get(`/api/confirmations/${confirmationId}`));
    expect(reviewed.ruleBy).toEqual({ at: '2026-12-07T15:59:59.999Z', daysLeft: 15 });
    const extended = await ok(await judge().post(`/api/confirmations/${confirmationId}/extend`, { reason: '案情复杂，需要补充调查。' }));
    expect(extended).toMatchObject({ extended: true, ruleBy: { at: '2026-12-17T15:59:59.999Z', daysLeft: 25 } });
    const before = await state();
    const again = await expectRefused(await judge().post(`/api/confirmations/${confirmationId}/extend`, { reason: '仍需调查。' }), 409, 'CONFLICT');
    expect(again.message).toContain('once');
    expect(await state()).toEqual(before);
    const events = (await auditOf(f.caseId)).filter((e) => e.type === 'confirmation.extended');
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ from: '2026-12-07T15:59:59.999Z', ruleBy: '2026-12-17T15:59:59.999Z' });
  });

  it('two extensions at once: one 200, one 409, extended once', async () => {
    const { f, confirmationId } = await underReview();
    const results = await Promise.all([
      judge().post(`/api/confirmations/${confirmationId}/extend`, { reason: '需要补充调查。' }),
      api(world.app, ningboJudge).post(`/api/confirmations/${confirmationId}/extend`, { reason: '需要询问当事人。' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect((await auditOf(f.caseId)).filter((e) => e.type === 'confirmation.extended')).toHaveLength(1);
    expect((await ok(await judge().get(`/api/confirmations/${confirmationId}`))).ruleBy.daysLeft).toBe(25);
  });

  it('a lapsed period cannot be extended (409, nothing written); a ruling past the deadline is still given but recorded as late', async () => {
    const { f, confirmationId } = await underReview();
    await setClock('2026-12-07T16:00:00.000Z'); // 00:00 Dec 8 in Beijing: the 15 days are over
    try {
      expect((await ok(await judge().get(`/api/confirmations/${confirmationId}`))).ruleBy.daysLeft).toBe(-1);
      const before = await state();
      const error = await expectRefused(await judge().post(`/api/confirmations/${confirmationId}/extend`, { reason: '需要补充调查。' }), 409, 'CONFLICT');
      expect(error.message).toContain('only be extended while it runs');
      expect(await state()).toEqual(before);
      await ok(await judge().post(`/api/confirmations/${confirmationId}/decide`, { decision: 'confirmed', reason: '协议合法有效。' }));
      const decided = (await auditOf(f.caseId)).find((e) => e.type === 'confirmation.status_changed' && e.data.to === 'confirmed');
      expect(decided!.data).toMatchObject({ late: true, deadline: '2026-12-07T15:59:59.999Z' });
    } finally {
      await setClock(startClock.toISOString());
    }
  });

  it('a clerk accepting after the 3 days is recorded as late; in time, not', async () => {
    const { f, agreement } = await sealedAgreement(world);
    const filed = await file(agreement.id);
    await setClock('2026-11-25T16:00:00.000Z'); // 00:00 Nov 26 in Beijing: a day late
    try {
      expect((await ok(await clerk().get('/api/court/confirmations?status=filed'))).items.find((i: { id: string }) => i.id === filed.id).acceptBy.daysLeft).toBe(-1);
      await ok(await clerk().post(`/api/confirmations/${filed.id}/accept`));
      const accepted = (await auditOf(f.caseId)).find((e) => e.type === 'confirmation.status_changed' && e.data.to === 'accepted');
      expect(accepted!.data).toMatchObject({ late: true, deadline: '2026-11-25T15:59:59.999Z' });
    } finally {
      await setClock(startClock.toISOString());
    }
    const inTime = await underReview();
    const event = (await auditOf(inTime.f.caseId)).find((e) => e.type === 'confirmation.status_changed' && e.data.to === 'accepted');
    expect(event!.data.late).toBeUndefined();
  });
});

describe('the hearing (in the room system)', () => {
  it('the judge schedules a hearing session of the case, within the review period; in the past or after the deadline is 400 on scheduledAt', async () => {
    const { f, confirmationId } = await underReview();
    const before = await state();
    for (const scheduledAt of ['2026-11-21T02:00:00Z', '2026-12-08T02:00:00Z']) {
      const error = await expectRefused(await judge().post(`/api/confirmations/${confirmationId}/hearing`, { scheduledAt }), 400, 'VALIDATION_FAILED');
      expect(error.field).toBe('scheduledAt');
    }
    expect(await state()).toEqual(before);
    const scheduled = await ok(await judge().post(`/api/confirmations/${confirmationId}/hearing`, { scheduledAt: '2026-11-26T02:00:00Z', durationMinutes: 20 }));
    const session = await ok(await judge().get(`/api/sessions/${scheduled.hearingSessionId}`));
    expect(session).toMatchObject({ caseId: f.caseId, kind: 'hearing', title: '司法确认询问', scheduledAt: '2026-11-26T02:00:00.000Z' });
    expect((await ok(await mediator().get(`/api/cases/${f.caseId}/sessions`))).items.map((s: { id: string }) => s.id)).toContain(session.id);
  });
});

describe('concurrent decisions', () => {
  for (let round = 1; round <= 4; round++) {
    it(`confirm and reject at once (round ${round}): exactly one wins, one ruling number, one ruling document, states agree`, async () => {
      const { f, agreementId, confirmationId } = await underReview();
      const [confirm, reject] = await Promise.all([
        judge().post(`/api/confirmations/${confirmationId}/decide`, { decision: 'confirmed', reason: '协议合法有效。' }),
        api(world.app, ningboJudge).post(`/api/confirmations/${confirmationId}/decide`, { decision: 'rejected', reason: '协议内容违反法律规定。' }),
      ]);
      expect([confirm.statusCode, reject.statusCode].sort()).toEqual([200, 409]);
      const winner = confirm.statusCode === 200 ? 'confirmed' : 'rejected';
      await world.app.sealer.idle();
      const events = await auditOf(f.caseId);
      const decisions = events.filter((e) => e.type === 'confirmation.status_changed' && e.data.from === 'under_review');
      expect(decisions.map((e) => e.data.to)).toEqual([winner]);
      expect(events.filter((e) => e.type === 'document.sealed' && e.data.kind === 'ruling')).toHaveLength(1);
      const view = await ok(await mediator().get(`/api/agreements/${agreementId}`));
      expect(view.confirmation).toMatchObject({ status: winner, rulingNumber: expect.stringMatching(/^（2026）浙72民特\d+号$/), rulingDocument: { id: expect.any(String) } });
      const caseView = await ok(await mediator().get(`/api/cases/${f.caseId}`));
      if (winner === 'confirmed') {
        expect(view.status).toBe('sealed');
        expect(caseView.enforceableAt).toBe(world.clock.now.toISOString());
        expect(events.filter((e) => e.type === 'case.enforceable')).toHaveLength(1);
      } else {
        expect(view.status).toBe('set_aside');
        expect(caseView).toMatchObject({ status: 'mediating', enforceableAt: null });
      }
    });
  }

  it('accept and not-accept at once: one wins', async () => {
    const { agreement } = await sealedAgreement(world);
    const filed = await file(agreement.id);
    const results = await Promise.all([
      clerk().post(`/api/confirmations/${filed.id}/accept`),
      api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${filed.id}/not-accept`, { reason: '材料不全。' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const status = (await ok(await clerk().get(`/api/confirmations/${filed.id}`))).status;
    expect(status).toBe(results[0]!.statusCode === 200 ? 'accepted' : 'not_accepted');
  });

  it('ruling numbers are never shared between applications decided at once', async () => {
    const pending = await Promise.all([underReview(), underReview(), underReview()]);
    const decided = await Promise.all(pending.map((p) => judge().post(`/api/confirmations/${p.confirmationId}/decide`, { decision: 'confirmed', reason: '协议合法有效。' })));
    const numbers = await Promise.all(decided.map(async (d) => (await ok(d)).rulingNumber as string));
    expect(new Set(numbers).size).toBe(3);
  });
});

describe('a ruling against the agreement reopens mediation', () => {
  async function decideAgainst(decision: 'rejected' | 'returned') {
    const { f, agreementId, confirmationId } = await underReview();
    expect((await ok(await mediator().get(`/api/cases/${f.caseId}`))).status).toBe('following_up');
    expect((await ok(await mediator().get(`/api/cases/${f.caseId}/obligations`))).items).toHaveLength(2);
    const reason = decision === 'rejected' ? '协议约定的赔偿项目违反法律强制性规定。' : '协议未载明船舶登记信息，请补正后重新达成协议。';
    const decided = await ok(await judge().post(`/api/confirmations/${confirmationId}/decide`, { decision, reason }));
    expect(decided).toMatchObject({ status: decision, reason });
    await world.app.sealer.idle();
    return { f, agreementId, confirmationId, decided };
  }

  async function expectMediationReopened(f: AgreementFixture, agreementId: string) {
    const agreement = await ok(await mediator().get(`/api/agreements/${agreementId}`));
    expect(agreement.status).toBe('set_aside');
    expect(await ok(await mediator().get(`/api/cases/${f.caseId}`))).toMatchObject({ status: 'mediating', enforceableAt: null });
    // Its instalments are no longer tracked…
    expect((await ok(await mediator().get(`/api/cases/${f.caseId}/obligations`))).items).toEqual([]);
    // …it cannot be filed again, and a new agreement can be drafted in the reopened mediation.
    const before = await state();
    await expectRefused(await mediator().post(`/api/agreements/${agreementId}/confirmation`, {}), 409, 'CONFLICT');
    expect(await state()).toEqual(before);
    const next = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f, { facts: '经法院退回后重新协商：乙方货轮与甲方渔船在南麂列岛海域碰撞。' })), 201);
    expect(next.status).toBe('drafting');
    const events = await auditOf(f.caseId);
    expect(events.filter((e) => e.type === 'agreement.status_changed' && e.data.to === 'set_aside')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'case.status_changed' && e.data.from === 'following_up' && e.data.to === 'mediating')).toHaveLength(1);
  }

  it('returned with reasons: no ruling, the agreement is set aside and the case back in mediation', async () => {
    const { f, agreementId, decided } = await decideAgainst('returned');
    expect(decided).toMatchObject({ rulingNumber: null, rulingDocument: null });
    await expectMediationReopened(f, agreementId);
  });

  it('rejected: a sealed ruling (驳回) that pdfsig accepts, and mediation reopens', async () => {
    const { f, agreementId } = await decideAgainst('rejected');
    const view = await ok(await mediator().get(`/api/agreements/${agreementId}`));
    expect(view.confirmation.rulingNumber).toMatch(/^（2026）浙72民特\d+号$/);
    const ruling = await world.app.inject({ method: 'GET', url: view.confirmation.rulingDocument.url });
    expect(ruling.statusCode).toBe(200);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hq-ruling-')), 'ruling.pdf');
    writeFileSync(file, ruling.rawPayload);
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '')).toContain('驳回申请人的司法确认申请');
    expect(execFileSync('pdfsig', [file], { encoding: 'utf8' })).toContain('Signature is Valid');
    await expectMediationReopened(f, agreementId);
  });

  it('fulfilment of a set-aside agreement’s instalment is 409 and writes nothing', async () => {
    const { f, agreementId, confirmationId } = await underReview();
    const [first] = (await ok(await mediator().get(`/api/cases/${f.caseId}/obligations`))).items;
    await ok(await judge().post(`/api/confirmations/${confirmationId}/decide`, { decision: 'returned', reason: '请补正后重新申请。' }));
    const before = await state();
    await expectRefused(await mediator().post(`/api/obligations/${first.id}/fulfil`, { note: '已转账' }), 409, 'CONFLICT');
    expect(await state()).toEqual(before);
    expect((await ok(await mediator().get(`/api/agreements/${agreementId}`))).status).toBe('set_aside');
  });
});
