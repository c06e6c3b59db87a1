/**
 * The center's side of legal help and the lawyer's desk, on real PostgreSQL and socket.io: the
 * admin keeps the duty roster (removing a shift) and publishes slots on a lawyer's behalf; the
 * mediator calls the lawyer on duty in to a case (介入制), which is pushed to that lawyer's staff
 * socket (and not to a lawyer off duty), who answers into the case's session as consulting lawyer.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, dutyShifts, participants } from '../../../../server/db/schema/index.ts';
import { type LegalFixture, legalFixture } from '../../../helpers/legal-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, ok, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let f: LegalFixture;
const sockets: TestSocket[] = [];
const start = new Date('2026-11-22T02:00:00Z'); // 10:00 Beijing: 律师甲 is on duty, 律师乙 is not

const admin = () => api(world.app, world.cookies.admin);
const mediator = () => api(world.app, world.cookies.mediator);
const lawyerA = () => api(world.app, f.onDuty.cookie);
const typesOf = async () => (await world.database.db.select({ type: auditEvents.type }).from(auditEvents)).map((e) => e.type);

/** A refused call answers `status` (naming `field`) and writes nothing. */
async function refused(call: () => Promise<{ statusCode: number; body: string }>, status: number, field?: string) {
  const before = await tableCounts(world.database);
  const res = await call();
  expect(res.statusCode, res.body).toBe(status);
  if (field) expect(JSON.parse(res.body).error.field).toBe(field);
  expect(await tableCounts(world.database)).toEqual(before);
}

async function lawyerSocket(cookie: string) {
  const socket = connectSocket(world.baseUrl, { cookie });
  sockets.push(socket);
  await connected(socket);
  return socket;
}

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await world?.close();
});
beforeEach(async () => {
  world.clock.now = start;
  f = await legalFixture(world);
});

describe('the admin keeps the roster and the slots', () => {
  it('removes a shift: audited, and the lawyer is no longer on duty; twice is 404; others are refused', async () => {
    const roster = await ok(await admin().get('/api/legal/duty?from=2026-11-22T00:00:00%2B08:00&to=2026-11-23T00:00:00%2B08:00'));
    const shift = roster.items.find((s: { lawyerId: string }) => s.lawyerId === f.onDuty.id);
    await refused(() => mediator().delete(`/api/legal/duty/${shift.id}`), 403);
    await refused(() => lawyerA().delete(`/api/legal/duty/${shift.id}`), 403);
    await refused(() => admin().delete('/api/legal/duty/not-a-uuid'), 400, 'dutyShiftId');

    expect(await ok(await admin().delete(`/api/legal/duty/${shift.id}`))).toEqual({ id: shift.id });
    expect(await world.database.db.select().from(dutyShifts).where(eq(dutyShifts.id, shift.id))).toEqual([]);
    expect(await typesOf()).toContain('duty_shift.removed');
    const lawyers = (await ok(await mediator().get('/api/legal/lawyers'))).items as { id: string; onDutyNow: boolean }[];
    expect(lawyers.find((l) => l.id === f.onDuty.id)?.onDutyNow).toBe(false);
    await refused(() => admin().delete(`/api/legal/duty/${shift.id}`), 404);
  });

  it('publishes a slot for a lawyer, which the lawyer sees on their desk; an unknown lawyer, a bad length or the same time twice are refused', async () => {
    const body = { startsAt: '2026-11-24T14:00:00+08:00', durationMinutes: 45 };
    const slot = await ok(await admin().post(`/api/legal/lawyers/${f.offDuty.id}/slots`, body), 201);
    expect(slot).toMatchObject({ lawyerId: f.offDuty.id, lawyerName: '律师乙', startsAt: '2026-11-24T06:00:00.000Z', endsAt: '2026-11-24T06:45:00.000Z', booked: false });
    const own = (await ok(await api(world.app, f.offDuty.cookie).get('/api/legal/slots'))).items.map((s: { id: string }) => s.id);
    expect(own).toContain(slot.id);
    expect(await typesOf()).toContain('lawyer_slot.published');

    await refused(() => admin().post(`/api/legal/lawyers/${crypto.randomUUID()}/slots`, body), 404);
    await refused(() => admin().post(`/api/legal/lawyers/${f.offDuty.id}/slots`, { ...body, durationMinutes: 5 }), 400, 'durationMinutes');
    await refused(() => admin().post(`/api/legal/lawyers/${f.offDuty.id}/slots`, body), 409);
    await refused(() => mediator().post(`/api/legal/lawyers/${f.offDuty.id}/slots`, body), 403);
  });
});

describe('the mediator calls the lawyer on duty in (介入制), pushed to the desk', () => {
  it('the lawyer on duty hears of it on their socket, the one off duty does not; they answer into the case’s session as 咨询律师', async () => {
    const onDuty = await lawyerSocket(f.onDuty.cookie);
    const offDuty = await lawyerSocket(f.offDuty.cookie);
    const heardByOffDuty: unknown[] = [];
    offDuty.on('legal:consultation', (p: unknown) => heardByOffDuty.push(p));

    const pushed = onDuty.next('legal:consultation', (p) => p.status === 'requested');
    const asked = await ok(await mediator().post('/api/consultations', { kind: 'on_duty', caseId: f.caseId, question: '船东责任限额如何适用？' }), 201);
    expect(asked).toMatchObject({ kind: 'on_duty', status: 'requested', caseId: f.caseId, sessionId: f.sessionId, forParticipant: null });
    expect(await pushed).toEqual({ consultationId: asked.id, status: 'requested' });

    const answered = onDuty.next('legal:consultation', (p) => p.status === 'accepted');
    const accepted = await ok(await lawyerA().post(`/api/consultations/${asked.id}/transitions`, { to: 'accepted' }));
    expect(await answered).toEqual({ consultationId: asked.id, status: 'accepted' });
    // No party named: the lawyer is seated in the case's open session, not a private room.
    const joined = await ok(await world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: accepted.joinLink.split('/j/')[1] } }));
    expect(joined).toMatchObject({ participant: { role: 'consulting_lawyer' }, session: { id: f.sessionId } });
    const [seat] = await world.database.db.select().from(participants).where(eq(participants.staffUserId, f.onDuty.id));
    expect(seat).toMatchObject({ caseId: f.caseId, role: 'consulting_lawyer' });
    expect(heardByOffDuty).toEqual([]);
  });

  it('nobody on duty: the mediator is told so (409), nothing is written and nothing pushed', async () => {
    world.clock.now = new Date('2026-11-22T12:00:00Z'); // 20:00 Beijing
    const onDuty = await lawyerSocket(f.onDuty.cookie);
    const heard: unknown[] = [];
    onDuty.on('legal:consultation', (p: unknown) => heard.push(p));
    await refused(() => mediator().post('/api/consultations', { kind: 'on_duty', caseId: f.caseId }), 409);
    await new Promise((r) => setTimeout(r, 200));
    expect(heard).toEqual([]);
  });
});
