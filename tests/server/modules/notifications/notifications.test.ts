/**
 * The SMS outbox on real pg-boss and PostgreSQL: an invitation writes its SMS and the session's
 * reminders in the invitation's transaction; the job delivers the SMS at once and each reminder
 * when the sweep finds it due (09:00 Beijing the day before, one hour before), exactly once; a
 * failing provider is retried with backoff until it succeeds or the retries run out, and every
 * attempt, error and final status is stored.
 */
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { notifications, participants } from '../../../../server/db/schema/index.ts';
import type { SmsProvider } from '../../../../server/modules/notifications/sms-provider.ts';
import { reminderTimes } from '../../../../shared/domain/notifications.ts';
import { agreementFixture, collisionDraft, sealedAgreement, signAs } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, ok, sampleCase, type TestWorld } from '../../../helpers/test-app.ts';

/** An SMS gateway that can be made to fail: the stand-in for a cloud SMS API's outages. */
class GatewayUnderTest implements SmsProvider {
  readonly name = 'test-gateway';
  readonly delivered: { to: string; body: string; notificationId: string }[] = [];
  calls = 0;
  failuresLeft = 0;
  async send(message: { notificationId: string; to: string; body: string }) {
    this.calls++;
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('gateway unavailable (503)');
    }
    this.delivered.push(message);
    return { messageId: `gw-${this.delivered.length}` };
  }
}

const gateway = new GatewayUnderTest();
let world: TestWorld;
let caseId: string;
let partyId: string;
let sessionId: string;
const mediator = () => api(world.app, world.cookies.mediator);

async function created(res: { statusCode: number; body: string }) {
  if (res.statusCode !== 201) throw new Error(`expected 201, got ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body);
}
async function invite(name: string, phone: string | undefined) {
  const participant = await created(await mediator().post(`/api/cases/${caseId}/participants`, { role: 'party', displayName: name, partyId, ...(phone ? { phone } : {}) }));
  return created(await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId: participant.id }));
}
const rowsOfParticipant = async (participantId: string) =>
  world.database.db.select().from(notifications).where(eq(notifications.participantId, participantId)).orderBy(notifications.sendAfter);
async function waitForStatus(participantId: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const [row] = (await rowsOfParticipant(participantId)).filter((r) => r.kind === 'invitation');
    if (row?.status === status) return row;
    if (Date.now() > deadline) throw new Error(`still ${row?.status} after ${row?.attempts} attempts`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
async function sweepAt(iso: string) {
  world.clock.now = new Date(iso);
  await world.app.notifier.sweep();
  await world.app.notifier.idle();
}

beforeAll(async () => {
  world = await createTestWorld({ smsProvider: gateway, notificationRetry: { retryLimit: 2, retryDelaySeconds: 1, retryDelayMaxSeconds: 2 } });
  const view = await created(await mediator().post('/api/cases', sampleCase));
  caseId = view.id;
  partyId = view.parties[0].id;
  sessionId = (await created(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '调解会', scheduledAt: '2026-11-25T09:30:00+08:00' }))).id;
}, 60_000);
afterAll(() => world?.close());
// Staff logins expire: every test starts back at the world's time.
afterEach(() => {
  world.clock.now = new Date('2026-11-22T02:00:00Z');
});

describe('reminder times', () => {
  it('are 09:00 Beijing the day before and an hour before, across the UTC date line', () => {
    expect(reminderTimes(new Date('2026-11-25T09:30:00+08:00')).map((r) => [r.kind, r.sendAfter.toISOString()])).toEqual([
      ['reminder_day_before', '2026-11-24T01:00:00.000Z'],
      ['reminder_hour_before', '2026-11-25T00:30:00.000Z'],
    ]);
    // 07:00 Beijing on the 25th is still the 24th in UTC: the day before is the 24th in Beijing.
    expect(reminderTimes(new Date('2026-11-24T23:00:00Z'))[0]!.sendAfter.toISOString()).toBe('2026-11-24T01:00:00.000Z');
  });
});

describe('invitation SMS and session reminders', () => {
  let participantId: string;
  let link: string;

  it('sends the invitation SMS at once and stores the reminders for later', async () => {
    const issued = await invite('陈阿海', '13800138000');
    participantId = issued.invitation.participantId;
    link = issued.link;
    await world.app.notifier.idle();
    expect(gateway.delivered).toEqual([{ notificationId: expect.any(String), to: '13800138000', body: issued.smsText }]);
    const rows = await rowsOfParticipant(participantId);
    expect(rows.map((r) => [r.kind, r.status, r.attempts, r.sendAfter.toISOString()])).toEqual([
      ['invitation', 'sent', 1, '2026-11-22T02:00:00.000Z'],
      ['reminder_day_before', 'pending', 0, '2026-11-24T01:00:00.000Z'],
      ['reminder_hour_before', 'pending', 0, '2026-11-25T00:30:00.000Z'],
    ]);
    expect(rows[0]!.provider).toBe('test-gateway');
    expect(rows[0]!.providerMessageId).toBe('gw-1');
    // The text (with its link) is stored encrypted.
    expect(rows.every((r) => !r.bodyCiphertext.includes('haiqiao.test'))).toBe(true);
  });

  it('delivers each reminder once, when it falls due', async () => {
    await sweepAt('2026-11-24T00:59:00Z');
    expect(gateway.delivered).toHaveLength(1);
    await sweepAt('2026-11-24T01:00:30Z');
    await sweepAt('2026-11-24T01:01:30Z');
    expect(gateway.delivered).toHaveLength(2);
    expect(gateway.delivered[1]!.body).toContain('11月25日 09:30');
    expect(gateway.delivered[1]!.body).toContain(link);
    await sweepAt('2026-11-25T00:31:00Z');
    await sweepAt('2026-11-25T00:32:00Z');
    expect(gateway.delivered).toHaveLength(3);
    expect((await rowsOfParticipant(participantId)).map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it('writes nothing for a participant without a phone', async () => {
    const issued = await invite('无手机的代理人', undefined);
    expect(await rowsOfParticipant(issued.invitation.participantId)).toEqual([]);
  });

  it('cancels a reminder whose session was cancelled before it was due', async () => {
    const other = await created(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '第二次调解', scheduledAt: '2026-11-24T15:00:00+08:00' }));
    const participant = await created(await mediator().post(`/api/cases/${caseId}/participants`, { role: 'party', displayName: '林船长', partyId, phone: '13900139000' }));
    await created(await mediator().post(`/api/sessions/${other.id}/invitations`, { participantId: participant.id }));
    await world.app.notifier.idle();
    expect((await mediator().post(`/api/sessions/${other.id}/transitions`, { to: 'cancelled' })).statusCode).toBe(200);
    const before = gateway.delivered.length;
    await sweepAt('2026-11-23T02:00:00Z');
    expect(gateway.delivered).toHaveLength(before);
    expect((await rowsOfParticipant(participant.id)).map((r) => [r.kind, r.status])).toEqual([
      ['invitation', 'sent'],
      ['reminder_day_before', 'cancelled'],
      ['reminder_hour_before', 'pending'],
    ]);
  });
});

describe('provider failures', () => {
  it('retries with backoff until the gateway answers, storing each attempt and the last error', async () => {
    gateway.failuresLeft = 2;
    const callsBefore = gateway.calls;
    const issued = await invite('郑渔民', '13700137000');
    const row = await waitForStatus(issued.invitation.participantId, 'sent');
    expect(gateway.calls - callsBefore).toBe(3);
    expect(row.attempts).toBe(3);
    expect(row.lastError).toBe('gateway unavailable (503)');
    expect(gateway.delivered.filter((m) => m.notificationId === row.id)).toHaveLength(1);
  }, 40_000);

  it('marks the message failed once the retries run out', async () => {
    gateway.failuresLeft = 100;
    const issued = await invite('吴渔民', '13600136000');
    const row = await waitForStatus(issued.invitation.participantId, 'failed');
    expect(row.attempts).toBe(3);
    expect(row.sentAt).toBeNull();
    gateway.failuresLeft = 0;
  }, 40_000);
});

describe('court decisions', () => {
  it('tell each party of the case with a phone, once, after the decision commits', async () => {
    const { f, agreement } = await sealedAgreement(world);
    await world.database.db.update(participants).set({ phone: '13500135000' }).where(eq(participants.caseId, f.caseId));
    const filed = await ok(await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {}), 201);
    await ok(await api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${filed.id}/accept`));
    const judge = api(world.app, world.cookies.wenzhouJudge);
    await ok(await judge.post(`/api/confirmations/${filed.id}/review`));
    const decided = await ok(await judge.post(`/api/confirmations/${filed.id}/decide`, { decision: 'confirmed', reason: '符合法律规定。' }));
    await world.app.notifier.idle();
    const rows = await world.database.db.select().from(notifications).where(eq(notifications.caseId, f.caseId));
    const parties = (await world.database.db.select().from(participants).where(eq(participants.caseId, f.caseId))).filter((p) => p.role === 'party' && !p.removedAt);
    expect(parties.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.kind === 'court_decision').map((r) => [r.participantId, r.status]).sort()).toEqual(parties.map((p) => [p.id, 'sent']).sort());
    const texts = gateway.delivered.filter((m) => rows.some((r) => r.id === m.notificationId && r.kind === 'court_decision')).map((m) => m.body);
    expect(texts).toHaveLength(parties.length);
    for (const text of texts) {
      expect(text).toContain('宁波海事法院温州法庭对纠纷');
      expect(text).toContain(`确认调解协议有效（${decided.rulingNumber}）`);
    }
  }, 60_000);
});

describe('instalment notices', () => {
  it("go to the obligor's side the day before and, only if still unpaid, the day after", async () => {
    const f = await agreementFixture(world);
    await world.database.db.update(participants).set({ phone: '13400134000' }).where(eq(participants.caseId, f.caseId));
    // Instalments due 2026-12-31 and 2027-03-31, owed by the company, whose agent is reachable.
    const agreementId = (await created(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)))).id;
    await ok(await mediator().post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' }));
    for (const who of ['fisherman', 'agent'] as const) expect((await signAs(world, f, agreementId, who)).statusCode).toBe(200);
    await world.app.sealer.idle();
    const notices = async () =>
      (await world.database.db.select().from(notifications).where(eq(notifications.caseId, f.caseId)))
        .filter((r) => r.kind.startsWith('instalment'))
        .map((r) => [r.kind, r.participantId, r.sendAfter.toISOString(), r.status])
        .sort();
    expect(await notices()).toEqual([
      ['instalment_due', f.agentParticipantId, '2026-12-30T01:00:00.000Z', 'pending'],
      ['instalment_due', f.agentParticipantId, '2027-03-30T01:00:00.000Z', 'pending'],
      ['instalment_overdue', f.agentParticipantId, '2027-01-01T01:00:00.000Z', 'pending'],
      ['instalment_overdue', f.agentParticipantId, '2027-04-01T01:00:00.000Z', 'pending'],
    ]);
    const sentBefore = gateway.delivered.length;
    await sweepAt('2026-12-30T01:00:30Z');
    // Only the first instalment's notice; the earlier tests' reminders, now past their sessions, are cancelled, not sent.
    expect(gateway.delivered.slice(sentBefore).map((m) => m.body)).toEqual([expect.stringContaining('第1期（向甲方支付第一期赔偿款，人民币500,000.00元）应于2026-12-31履行')]);
    expect((await world.database.db.select().from(notifications).where(eq(notifications.status, 'pending'))).every((r) => r.kind.startsWith('instalment'))).toBe(true);
    // The first instalment is paid: its overdue notice is cancelled, the second's stays.
    world.clock.now = new Date('2026-11-22T02:00:00Z');
    const [first] = (await ok(await mediator().get(`/api/cases/${f.caseId}/obligations`))).items;
    await ok(await mediator().post(`/api/obligations/${first.id}/fulfil`, { note: '已转账' }));
    await sweepAt('2027-01-01T01:00:30Z');
    expect(gateway.delivered).toHaveLength(sentBefore + 1);
    expect((await notices()).map((n) => n[3])).toEqual(['sent', 'pending', 'cancelled', 'pending']);
  }, 60_000);
});

describe('the outbox page', () => {
  it("lists the center's messages with their texts and statuses to its staff only", async () => {
    const res = await mediator().get('/api/notifications');
    expect(res.statusCode).toBe(200);
    const items = json(res).items as { kind: string; status: string; recipient: string; body: string }[];
    expect(items.filter((i) => i.recipient === '13800138000').map((i) => i.status)).toEqual(['sent', 'sent', 'sent']);
    expect(items.some((i) => i.status === 'failed' && i.body.includes('吴渔民'))).toBe(true);
    expect(json(await api(world.app, world.cookies.otherMediator).get('/api/notifications')).items).toEqual([]);
    expect((await api(world.app, world.cookies.ningboClerk).get('/api/notifications')).statusCode).toBe(403);
  });
});
