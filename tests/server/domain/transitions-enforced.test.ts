/**
 * The server enforces the transition tables: for every pair of case states and of session
 * states, a transition request is accepted exactly when the table allows it. A refused one
 * answers 409 and changes nothing (whole-row fingerprint of every table and the stored files);
 * an accepted one moves the state and writes one audit event naming both states.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMachine, caseStatuses } from '../../../shared/domain/cases.ts';
import { sessionMachine, sessionStatuses } from '../../../shared/domain/sessions.ts';
import { api, createTestWorld, ok, rowsOf, sampleCase, type TestWorld, worldState } from '../../helpers/test-app.ts';

let world: TestWorld;
let caseId: string;
let sessionId: string;

const mediator = () => api(world.app, world.cookies.mediator);

function pairs<S extends string>(states: readonly S[]) {
  return states.flatMap((from) => states.map((to) => [from, to] as const));
}

async function auditCount(type: string): Promise<number> {
  return rowsOf<{ n: number }>(await world.database.db.execute(sql`select count(*)::int as n from audit_events where type = ${type}`))[0]!.n;
}

beforeAll(async () => {
  world = await createTestWorld();
  caseId = (await ok(await mediator().post('/api/cases', sampleCase), 201)).id;
  sessionId = (await ok(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '第一次调解', scheduledAt: '2026-11-25T09:00:00+08:00' }), 201)).id;
});
afterAll(() => world?.close());

describe('case transitions', () => {
  it.each(pairs(caseStatuses))('%s → %s', async (from, to) => {
    // Put the case in `from` directly: the route under test is the only thing that may move it.
    await world.database.db.execute(sql`update cases set status = ${from} where id = ${caseId}`);
    const before = await worldState(world);
    const events = await auditCount('case.status_changed');
    const res = await mediator().post(`/api/cases/${caseId}/transitions`, { to });
    if (caseMachine.canTransition(from, to)) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(to);
      expect(await auditCount('case.status_changed')).toBe(events + 1);
    } else {
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error.code).toBe('CONFLICT');
      expect(await worldState(world)).toEqual(before);
    }
  });
});

describe('session transitions', () => {
  it.each(pairs(sessionStatuses))('%s → %s', async (from, to) => {
    await world.database.db.execute(sql`update sessions set status = ${from} where id = ${sessionId}`);
    const before = await worldState(world);
    const events = await auditCount('session.status_changed');
    const res = await mediator().post(`/api/sessions/${sessionId}/transitions`, { to });
    if (sessionMachine.canTransition(from, to)) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(to);
      expect(await auditCount('session.status_changed')).toBe(events + 1);
    } else {
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error.code).toBe('CONFLICT');
      expect(await worldState(world)).toEqual(before);
    }
  });
});
