/**
 * Legal help on demand on real PostgreSQL and pg-boss: each move of a consultation (booked →
 * requested → accepted → in progress → closed; declined; expired; cancelled) and each refusal,
 * with what is written (rows, audit events, SMS in the outbox) and what is not.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, consultations, lawyerSlots, notifications, participants } from '../../../../server/db/schema/index.ts';
import { unansweredAdvice } from '../../../../shared/domain/consultations.ts';
import { invitationHeader } from '../../../helpers/agreement-fixture.ts';
import { type LegalFixture, legalFixture } from '../../../helpers/legal-fixture.ts';
import { api, createTestWorld, ok, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let f: LegalFixture;
const start = new Date('2026-11-22T02:00:00Z'); // 10:00 Beijing: 律师甲 is on duty

const party = (token = f.party.token) => ({
  get: (url: string) => world.app.inject({ method: 'GET', url, headers: invitationHeader(token) }),
  post: (url: string, payload: object) => world.app.inject({ method: 'POST', url, payload, headers: invitationHeader(token) }),
});
const lawyerA = () => api(world.app, f.onDuty.cookie);
const lawyerB = () => api(world.app, f.offDuty.cookie);
const mediator = () => api(world.app, world.cookies.mediator);
const move = (who: ReturnType<typeof api> | ReturnType<typeof party>, id: string, to: string, reason?: string) =>
  who.post(`/api/consultations/${id}/transitions`, { to, ...(reason ? { reason } : {}) });

const outboxFor = (phone: string) => world.database.db.select().from(notifications).where(eq(notifications.recipient, phone)).orderBy(notifications.sendAfter);
const eventsOf = async (consultationId: string) =>
  (await world.database.db.select().from(auditEvents).orderBy(auditEvents.seq))
    .filter((e) => (e.data as { consultationId?: string }).consultationId === consultationId)
    .map((e) => (e.type === 'consultation.status_changed' ? `${(e.data as { from: string }).from}→${(e.data as { to: string }).to}` : e.type));

async function expectRefused(res: { statusCode: number; body: string }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(JSON.parse(res.body).error.code).toBe(code);
}

beforeAll(async () => {
  world = await createTestWorld();
});
afterAll(() => world?.close());
beforeEach(async () => {
  world.clock.now = start;
  f = await legalFixture(world);
});

describe('accounts', () => {
  it('the admin records firms and lawyers; a lawyer logs in to the desk but is refused every case route', async () => {
    const me = await ok(await lawyerA().get('/api/auth/me'));
    expect(me.role).toBe('lawyer');
    await expectRefused(await lawyerA().get('/api/cases'), 403, 'FORBIDDEN');
    await expectRefused(await lawyerA().get(`/api/cases/${f.caseId}`), 403, 'FORBIDDEN');
    await expectRefused(await lawyerA().get(`/api/cases/${f.caseId}/evidence`), 403, 'FORBIDDEN');
    await expectRefused(await mediator().post('/api/legal/firms', { name: '调解员不能登记的律所' }), 403, 'FORBIDDEN');
    const bad = await api(world.app, world.cookies.admin).post('/api/legal/lawyers', { lawFirmId: f.firmId, username: 'x1', displayName: 'x', password: 'long enough pw', phone: '13900003333', licenceNumber: '123' });
    await expectRefused(bad, 400, 'VALIDATION_FAILED');
    expect(bad.body).toContain('licenceNumber');
  });

  it('a party sees the firm’s list with who is on duty, and no phone or licence number', async () => {
    const res = await party().get('/api/legal/lawyers');
    const list = await ok(res);
    const mine = list.items.filter((l: { id: string }) => l.id === f.onDuty.id || l.id === f.offDuty.id);
    expect(mine.map((l: { displayName: string; onDutyNow: boolean }) => [l.displayName, l.onDutyNow]).sort()).toEqual([
      ['律师乙', false],
      ['律师甲', true],
    ].sort());
    expect(res.body).not.toContain(f.onDuty.phone);
    expect(res.body).not.toContain('13303201910123456');
  });
});

describe('on duty (坐班制)', () => {
  it('requested → accepted → in progress → closed: the lawyer on duty is texted and opens a private room with the party as 咨询律师; both links end with it', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty', question: '对方只肯赔一半，合理吗？' }), 201);
    expect(asked).toMatchObject({ kind: 'on_duty', status: 'requested', lawyer: null, caseId: f.caseId, sessionId: f.sessionId, forParticipant: { id: f.party.participantId }, roomLink: null });
    const [sms] = await outboxFor(f.onDuty.phone);
    expect(sms).toMatchObject({ kind: 'consultation_request', caseId: f.caseId });
    expect(await outboxFor(f.offDuty.phone)).toEqual([]);

    // On the desk of the lawyer on duty, not of the one off duty.
    expect((await ok(await lawyerA().get('/api/consultations'))).items.map((c: { id: string }) => c.id)).toEqual([asked.id]);
    expect((await ok(await lawyerB().get('/api/consultations'))).items).toEqual([]);
    await expectRefused(await move(lawyerB(), asked.id, 'accepted'), 403, 'FORBIDDEN');

    const accepted = await ok(await move(lawyerA(), asked.id, 'accepted'));
    expect(accepted.consultation).toMatchObject({ status: 'accepted', lawyer: { id: f.onDuty.id, displayName: '律师甲' } });
    const resolve = async (link: string) => ok(await world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: link.split('/j/')[1]! } }));
    const lawyerJoin = await resolve(accepted.joinLink);
    expect(lawyerJoin.participant).toMatchObject({ role: 'consulting_lawyer', displayName: '律师甲（咨询律师）' });
    const room = lawyerJoin.session.id as string;
    expect(room).not.toBe(f.sessionId);
    // The party reads their own link into the same private room from their consultation.
    const [mine] = (await ok(await party().get('/api/consultations'))).items;
    expect(mine.sessionId).toBe(room);
    const partyJoin = await resolve(mine.roomLink);
    expect(partyJoin).toMatchObject({ participant: { id: f.party.participantId, role: 'party' }, session: { id: room } });
    // Nobody else has it: the mediator's list shows the consultation without the link, and cannot invite anyone into the room.
    expect((await ok(await mediator().get('/api/consultations'))).items.find((c: { id: string }) => c.id === asked.id).roomLink).toBeNull();
    const sessions = (await ok(await mediator().get(`/api/cases/${f.caseId}/sessions`))).items as { id: string; kind: string }[];
    expect(sessions.find((x) => x.id === room)?.kind).toBe('consultation');
    await expectRefused(await mediator().post(`/api/sessions/${room}/invitations`, { participantId: f.party.participantId }), 403, 'FORBIDDEN');
    // Not an agent of any party.
    const [seat] = await world.database.db.select().from(participants).where(and(eq(participants.caseId, f.caseId), eq(participants.role, 'consulting_lawyer')));
    expect(seat).toMatchObject({ representsPartyId: null, partyId: null, staffUserId: f.onDuty.id });

    // Accepting twice is a conflict, not a second seat.
    await expectRefused(await move(lawyerA(), asked.id, 'accepted'), 409, 'CONFLICT');
    await ok(await move(lawyerA(), asked.id, 'in_progress'));
    await ok(await move(lawyerA(), asked.id, 'closed'));
    const [closedSeat] = await world.database.db.select().from(participants).where(eq(participants.id, seat!.id));
    expect(closedSeat!.removedAt).not.toBeNull();
    for (const link of [accepted.joinLink, mine.roomLink]) {
      const again = await world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: link.split('/j/')[1] } });
      expect(JSON.parse(again.body).error.code).toBe('INVITATION_REVOKED');
    }
    expect((await ok(await party().get('/api/consultations'))).items[0].roomLink).toBeNull();
    expect(await eventsOf(asked.id)).toEqual(['consultation.requested', 'requested→accepted', 'accepted→in_progress', 'in_progress→closed']);
  });

  it('accepted into the live room: the lawyer’s link is to the party’s mediation session, where the mediator admits them', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty' }), 201);
    const accepted = await ok(await lawyerA().post(`/api/consultations/${asked.id}/transitions`, { to: 'accepted', room: 'live' }));
    const joined = await ok(await world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: accepted.joinLink.split('/j/')[1] } }));
    expect(joined).toMatchObject({ participant: { role: 'consulting_lawyer' }, session: { id: f.sessionId } });
    expect(accepted.consultation.roomLink).toBeNull();
  });

  it('nobody on duty: 409 with nothing written; the party is told to book or try later', async () => {
    world.clock.now = new Date('2026-11-22T12:00:00Z'); // 20:00 Beijing, after the shift
    const before = await tableCounts(world.database);
    const res = await party().post('/api/consultations', { kind: 'on_duty' });
    await expectRefused(res, 409, 'CONFLICT');
    expect(res.body).toContain('no lawyer is on duty');
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('requested → expired when nobody answers within 10 minutes: the party gets an SMS saying what to do next', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty' }), 201);
    world.clock.now = new Date(start.getTime() + 9 * 60_000);
    await world.app.consultations.sweep();
    expect((await ok(await party().get('/api/consultations'))).items[0].status).toBe('requested');
    world.clock.now = new Date(start.getTime() + 10 * 60_000);
    await world.app.consultations.sweep();
    const [mine] = (await ok(await party().get('/api/consultations'))).items;
    expect(mine).toMatchObject({ status: 'expired', advice: unansweredAdvice.expired });
    const told = (await outboxFor('13800138000')).filter((n) => n.kind === 'consultation_unanswered');
    expect(told).toHaveLength(1);
    expect(world.app.ctx.cipher.decrypt(told[0]!.bodyCiphertext)).toContain(unansweredAdvice.expired);
    // Too late to accept.
    await expectRefused(await move(lawyerA(), asked.id, 'accepted'), 409, 'CONFLICT');
    expect(await eventsOf(asked.id)).toEqual(['consultation.requested', 'requested→expired']);
  });

  it('an accepted consultation nobody starts within an hour expires and the lawyer’s seat goes', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty' }), 201);
    await ok(await move(lawyerA(), asked.id, 'accepted'));
    world.clock.now = new Date(start.getTime() + 61 * 60_000);
    await world.app.consultations.sweep();
    const [row] = await world.database.db.select().from(consultations).where(eq(consultations.id, asked.id));
    expect(row!.status).toBe('expired');
    const [seat] = await world.database.db.select().from(participants).where(eq(participants.id, row!.lawyerParticipantId!));
    expect(seat!.removedAt).not.toBeNull();
  });

  it('refusals: the party or the mediator cannot answer, a lawyer cannot cancel, a closed consultation does not move, court staff and admins are refused by role', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty' }), 201);
    await expectRefused(await move(party(), asked.id, 'accepted'), 403, 'FORBIDDEN');
    await expectRefused(await move(mediator(), asked.id, 'accepted'), 403, 'FORBIDDEN');
    await expectRefused(await move(lawyerA(), asked.id, 'cancelled'), 403, 'FORBIDDEN');
    await expectRefused(await move(lawyerA(), asked.id, 'closed'), 409, 'CONFLICT');
    await expectRefused(await move(api(world.app, world.cookies.ningboClerk), asked.id, 'accepted'), 403, 'FORBIDDEN');
    await expectRefused(await api(world.app, world.cookies.admin).get('/api/consultations'), 403, 'FORBIDDEN');
    await expectRefused(await move(api(world.app, world.cookies.otherMediator), asked.id, 'cancelled'), 404, 'NOT_FOUND');
    await ok(await move(party(), asked.id, 'cancelled'));
    await expectRefused(await move(lawyerA(), asked.id, 'accepted'), 409, 'CONFLICT');
    expect(await eventsOf(asked.id)).toEqual(['consultation.requested', 'requested→cancelled']);
  });

  it('two lawyers on duty take the same request: one gets it, the other a conflict', async () => {
    await ok(await api(world.app, world.cookies.admin).post('/api/legal/duty', { lawyerId: f.offDuty.id, startsAt: '2026-11-22T09:00:00+08:00', endsAt: '2026-11-22T12:00:00+08:00' }), 201);
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty' }), 201);
    expect(await outboxFor(f.offDuty.phone)).toHaveLength(1);
    const answers = await Promise.all([move(lawyerA(), asked.id, 'accepted'), move(lawyerB(), asked.id, 'accepted')]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const seats = await world.database.db.select().from(participants).where(and(eq(participants.caseId, f.caseId), eq(participants.role, 'consulting_lawyer')));
    expect(seats).toHaveLength(1);
    // The one who comes after the other has answered (not only at the same moment) is told it is taken, and changes nothing.
    const late = answers[0]!.statusCode === 200 ? lawyerB : lawyerA;
    await expectRefused(await move(late(), asked.id, 'accepted'), 409, 'CONFLICT');
    // Taken by another, the request is still not theirs to close or decline.
    await expectRefused(await move(late(), asked.id, 'declined', 'x'), 404, 'NOT_FOUND');
    expect(await world.database.db.select().from(participants).where(and(eq(participants.caseId, f.caseId), eq(participants.role, 'consulting_lawyer')))).toHaveLength(1);
  });
});

describe('chosen (自选制) and called in (介入制)', () => {
  it('the party chooses a lawyer off duty; they decline and the party is told to choose another or book', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'chosen', lawyerId: f.offDuty.id }), 201);
    expect(asked.lawyer).toMatchObject({ id: f.offDuty.id });
    expect(await outboxFor(f.offDuty.phone)).toHaveLength(1);
    await expectRefused(await move(lawyerA(), asked.id, 'accepted'), 404, 'NOT_FOUND');
    const declined = await ok(await move(lawyerB(), asked.id, 'declined', '今天在外地开庭'));
    expect(declined.consultation).toMatchObject({ status: 'declined', advice: unansweredAdvice.declined });
  });

  it('the mediator calls a named lawyer in for a party; a party cannot call one in; a lawyer of another center is refused', async () => {
    const called = await ok(await mediator().post('/api/consultations', { kind: 'called_in', caseId: f.caseId, forParticipantId: f.party.participantId, lawyerId: f.offDuty.id }), 201);
    expect(called).toMatchObject({ status: 'requested', sessionId: f.sessionId, forParticipant: { id: f.party.participantId } });
    await expectRefused(await party().post('/api/consultations', { kind: 'called_in', lawyerId: f.offDuty.id }), 403, 'FORBIDDEN');
    const res = await api(world.app, world.cookies.otherMediator).post('/api/consultations', { kind: 'called_in', caseId: f.caseId, lawyerId: f.offDuty.id });
    await expectRefused(res, 404, 'NOT_FOUND');
    const ghost = await party().post('/api/consultations', { kind: 'chosen', lawyerId: '00000000-0000-4000-8000-000000000000' });
    await expectRefused(ghost, 400, 'VALIDATION_FAILED');
    expect(ghost.body).toContain('lawyerId');
  });
});

describe('booked (预约制)', () => {
  it('booked → requested at its time with reminders before; a slot is booked once; cancelling gives it back', async () => {
    const slot = await ok(await lawyerB().post('/api/legal/slots', { startsAt: '2026-11-22T14:00:00+08:00', durationMinutes: 30 }), 201);
    const open = await ok(await party().get('/api/legal/slots'));
    expect(open.items.map((s: { id: string }) => s.id)).toContain(slot.id);

    const booked = await ok(await party().post('/api/consultations', { kind: 'booked', slotId: slot.id, question: '赔偿标准' }), 201);
    expect(booked).toMatchObject({ status: 'booked', scheduledAt: '2026-11-22T06:00:00.000Z', lawyer: { id: f.offDuty.id } });
    expect((await ok(await party().get('/api/legal/slots'))).items.map((s: { id: string }) => s.id)).not.toContain(slot.id);
    const before = await tableCounts(world.database);
    await expectRefused(await party().post('/api/consultations', { kind: 'booked', slotId: slot.id }), 409, 'CONFLICT');
    expect(await tableCounts(world.database)).toEqual(before);
    // Reminders an hour and ten minutes before, to the lawyer and the party.
    const reminders = (await world.database.db.select().from(notifications).where(eq(notifications.kind, 'consultation_reminder'))).filter((n) => n.caseId === f.caseId);
    expect(reminders.map((n) => [n.recipient, n.sendAfter.toISOString()]).sort()).toEqual(
      [
        ['13800138000', '2026-11-22T05:00:00.000Z'],
        ['13800138000', '2026-11-22T05:50:00.000Z'],
        [f.offDuty.phone, '2026-11-22T05:00:00.000Z'],
        [f.offDuty.phone, '2026-11-22T05:50:00.000Z'],
      ].sort(),
    );

    await world.app.consultations.sweep();
    expect((await ok(await lawyerB().get('/api/consultations'))).items[0].status).toBe('booked');
    world.clock.now = new Date('2026-11-22T06:00:00Z');
    await world.app.consultations.sweep();
    expect((await ok(await lawyerB().get('/api/consultations'))).items[0].status).toBe('requested');
    expect((await outboxFor(f.offDuty.phone)).filter((n) => n.kind === 'consultation_request')).toHaveLength(1);
    await ok(await move(lawyerB(), booked.id, 'accepted'));
    expect(await eventsOf(booked.id)).toEqual(['consultation.requested', 'booked→requested', 'requested→accepted']);

    // Another booking, cancelled by the party: the slot is open again.
    world.clock.now = start;
    const later = await ok(await lawyerB().post('/api/legal/slots', { startsAt: '2026-11-23T09:00:00+08:00', durationMinutes: 30 }), 201);
    const second = await ok(await party().post('/api/consultations', { kind: 'booked', slotId: later.id }), 201);
    await ok(await move(party(), second.id, 'cancelled'));
    const [freed] = await world.database.db.select().from(lawyerSlots).where(eq(lawyerSlots.id, later.id));
    expect(freed!.consultationId).toBeNull();
  });

  it('only lawyers publish slots, in the future', async () => {
    await expectRefused(await mediator().post('/api/legal/slots', { startsAt: '2026-11-22T14:00:00+08:00', durationMinutes: 30 }), 403, 'FORBIDDEN');
    const past = await lawyerB().post('/api/legal/slots', { startsAt: '2026-11-21T14:00:00+08:00', durationMinutes: 30 });
    await expectRefused(past, 400, 'VALIDATION_FAILED');
    expect(past.body).toContain('startsAt');
  });
});

describe('what the consulting lawyer sees', () => {
  it('the case summary only while the consultation runs, audited each time; never the evidence or the case', async () => {
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty', question: '能要求误工费吗？' }), 201);
    await expectRefused(await lawyerA().get(`/api/consultations/${asked.id}/summary`), 404, 'NOT_FOUND');
    await ok(await move(lawyerA(), asked.id, 'accepted'));
    const summary = await ok(await lawyerA().get(`/api/consultations/${asked.id}/summary`));
    expect(summary).toMatchObject({ caseNumber: expect.any(String), question: '能要求误工费吗？', parties: [{ displayName: '陈阿海', kind: 'person' }, { displayName: '福鼎远洋运输有限公司', kind: 'organisation' }] });
    expect(JSON.stringify(summary)).not.toContain('11010519491231002X');
    expect(await eventsOf(asked.id)).toContain('consultation.summary_viewed');
    await expectRefused(await lawyerB().get(`/api/consultations/${asked.id}/summary`), 404, 'NOT_FOUND');
    await expectRefused(await mediator().get(`/api/consultations/${asked.id}/summary`), 403, 'FORBIDDEN');
    await ok(await move(lawyerA(), asked.id, 'in_progress'));
    await ok(await move(lawyerA(), asked.id, 'closed'));
    await expectRefused(await lawyerA().get(`/api/consultations/${asked.id}/summary`), 409, 'CONFLICT');
  });

  it('by their room link, the consulting lawyer sees only evidence shared with everyone, and no agreement', async () => {
    const upload = async (sharedWith: string, description: string) => {
      const body = new FormData();
      body.append('description', description);
      body.append('sharedWith', sharedWith);
      body.append('file', new Blob([Buffer.from('%PDF-1.4 test')], { type: 'application/pdf' }), 'x.pdf');
      return ok(await world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/evidence`, payload: body, headers: { cookie: world.cookies.mediator } }), 201);
    };
    const parties = (await ok(await mediator().get(`/api/cases/${f.caseId}`))).parties as { id: string }[];
    const everyone = await upload('all', '现场照片');
    await upload(parties[1]!.id, '公司一方的内部材料');
    await upload(parties[0]!.id, '渔民一方的医疗票据');
    const asked = await ok(await party().post('/api/consultations', { kind: 'on_duty' }), 201);
    const { joinLink } = await ok(await move(lawyerA(), asked.id, 'accepted'));
    const token = (joinLink as string).split('/j/')[1]!;
    const seen = await ok(await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(token) }));
    expect(seen.items.map((e: { id: string }) => e.id)).toEqual([everyone.id]);
    const agreements = await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/agreements`, headers: invitationHeader(token) });
    expect(agreements.statusCode).toBe(403);
  });
});
