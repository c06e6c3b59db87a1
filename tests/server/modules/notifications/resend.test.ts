/**
 * Re-sending a failed SMS from the outbox (issue 11 point 6) on real pg-boss and PostgreSQL: the
 * gateway fails until the retries run out, staff send the message again once it is back, and the
 * same `deliver-notification` job delivers it; audited, only a failed message, only the center's
 * own, and rate-limited.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, notifications } from '../../../../server/db/schema/index.ts';
import type { SmsProvider } from '../../../../server/modules/notifications/sms-provider.ts';
import { api, createTestWorld, json, sampleCase, type TestWorld } from '../../../helpers/test-app.ts';

/** A gateway that is down until told otherwise. */
class FlakyGateway implements SmsProvider {
  readonly name = 'flaky-gateway';
  down = true;
  readonly delivered: string[] = [];
  async send(message: { notificationId: string; to: string; body: string }) {
    if (this.down) throw new Error('gateway unavailable (503)');
    this.delivered.push(message.notificationId);
    return { messageId: `fg-${this.delivered.length}` };
  }
}

const gateway = new FlakyGateway();
let world: TestWorld;
let caseId: string;
let sessionId: string;
let partyId: string;
const mediator = () => api(world.app, world.cookies.mediator);

async function created(res: { statusCode: number; body: string }) {
  if (res.statusCode !== 201) throw new Error(`expected 201, got ${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body);
}
const rowOf = async (id: string) => (await world.database.db.select().from(notifications).where(eq(notifications.id, id)))[0]!;
async function waitFor(id: string, status: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = await rowOf(id);
    if (row.status === status) return row;
    if (Date.now() > deadline) throw new Error(`still ${row.status} after ${row.attempts} attempts`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
/** An invitation SMS that has failed for good (one retry, then failed). */
async function failedMessage(name: string, phone: string) {
  const participant = await created(await mediator().post(`/api/cases/${caseId}/participants`, { role: 'party', displayName: name, partyId, phone }));
  await created(await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId: participant.id }));
  const invitation = (await world.database.db.select().from(notifications).where(eq(notifications.participantId, participant.id))).find((r) => r.kind === 'invitation')!;
  return waitFor(invitation.id, 'failed');
}

beforeAll(async () => {
  world = await createTestWorld({ smsProvider: gateway, notificationRetry: { retryLimit: 1, retryDelaySeconds: 1, retryDelayMaxSeconds: 1 } });
  const view = await created(await mediator().post('/api/cases', sampleCase));
  caseId = view.id;
  partyId = view.parties[0].id;
  sessionId = (await created(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '调解会', scheduledAt: '2026-11-25T09:30:00+08:00' }))).id;
}, 60_000);
afterAll(() => world?.close());

describe('re-sending a failed message', () => {
  it('puts it back through the delivery job with a fresh retry budget once the gateway is back, audited', async () => {
    gateway.down = true;
    const failed = await failedMessage('陈阿海', '13900000001');
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, lastError: 'gateway unavailable (503)' });

    gateway.down = false;
    const res = await mediator().post(`/api/notifications/${failed.id}/resend`);
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    const sent = await waitFor(failed.id, 'sent');
    expect(sent).toMatchObject({ attempts: 1, provider: 'flaky-gateway', providerMessageId: expect.stringMatching(/^fg-/) });
    expect(gateway.delivered).toEqual([failed.id]);

    const [event] = await world.database.db.select().from(auditEvents).where(eq(auditEvents.type, 'notification.resent'));
    expect(event).toMatchObject({ caseId, actor: { kind: 'staff', staffUserId: world.staffIds.mediator }, data: { notificationId: failed.id, previousAttempts: 2, lastError: 'gateway unavailable (503)' } });
  });

  it('a message that fails again is marked failed again, and can be re-sent again', async () => {
    gateway.down = true;
    const failed = await failedMessage('陈阿海的妻子', '13900000002');
    expect((await mediator().post(`/api/notifications/${failed.id}/resend`)).statusCode).toBe(200);
    const again = await waitFor(failed.id, 'failed');
    expect(again.attempts).toBe(2);
    gateway.down = false;
    expect((await mediator().post(`/api/notifications/${failed.id}/resend`)).statusCode).toBe(200);
    await waitFor(failed.id, 'sent');
  });

  it('refuses a message that has not failed (409), another center’s (404) and court staff (403), changing nothing', async () => {
    gateway.down = false;
    const participant = await created(await mediator().post(`/api/cases/${caseId}/participants`, { role: 'party', displayName: '陈阿海的儿子', partyId, phone: '13900000003' }));
    await created(await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId: participant.id }));
    const invitation = (await world.database.db.select().from(notifications).where(eq(notifications.participantId, participant.id))).find((r) => r.kind === 'invitation')!;
    const sent = await waitFor(invitation.id, 'sent');
    const twice = await mediator().post(`/api/notifications/${sent.id}/resend`);
    expect(twice.statusCode).toBe(409);
    expect(json(twice).error.message).toMatch(/only a failed message/);

    gateway.down = true;
    const failed = await failedMessage('陈阿海的女儿', '13900000004');
    const before = await rowOf(failed.id);
    expect((await api(world.app, world.cookies.otherMediator).post(`/api/notifications/${failed.id}/resend`)).statusCode).toBe(404);
    expect((await api(world.app, world.cookies.ningboClerk).post(`/api/notifications/${failed.id}/resend`)).statusCode).toBe(403);
    expect((await mediator().post(`/api/notifications/${crypto.randomUUID()}/resend`)).statusCode).toBe(404);
    expect(await rowOf(failed.id)).toEqual(before);
    // The center's admin may send it again too.
    expect((await api(world.app, world.cookies.admin).post(`/api/notifications/${failed.id}/resend`)).statusCode).toBe(200);
  });

  it('is rate-limited: at most 10 re-sends a minute from one address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await world.app.inject({ method: 'POST', url: `/api/notifications/${crypto.randomUUID()}/resend`, headers: { cookie: world.cookies.mediator }, remoteAddress: '203.0.113.77' })).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });
});
