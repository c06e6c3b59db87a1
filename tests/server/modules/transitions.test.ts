/**
 * The state-change helper on its own: refused by the table → 409 before any write; stale (the
 * conditional update found the row moved) → 409 and no audit event; else one event, same transaction.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseMachine } from '../../../shared/domain/cases.ts';
import { AppError } from '../../../server/errors.ts';
import { applyTransition, applyTransitionIfAllowed } from '../../../server/modules/transitions.ts';
import { createTestDatabase } from '../../helpers/test-database.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const caseId = '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
const actor = { kind: 'system' as const };

async function events() {
  const result = await database.db.execute(sql`select type, data from audit_events order by seq`);
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { type: string; data: unknown }[];
}

function move(from: 'mediating' | 'closed', to: 'settled' | 'mediating', row: { id: string } | undefined, calls: string[]) {
  return {
    subject: 'case' as const,
    machine: caseMachine,
    from,
    to,
    update: async () => {
      calls.push('update');
      return row;
    },
    event: { type: 'case.status_changed' as const, caseId, actor, data: { from, to } },
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('applyTransition', () => {
  it('refuses a pair the table does not allow with 409 CONFLICT, before updating anything', async () => {
    const calls: string[] = [];
    const refused = await database.db.transaction((tx) => applyTransition(tx, move('closed', 'mediating', { id: caseId }, calls))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: 'CONFLICT', message: 'a case cannot go from closed to mediating' });
    expect(calls).toEqual([]);
    expect(await events()).toEqual([]);
  });

  it('answers 409 when the conditional update finds the row moved, and writes no event', async () => {
    const calls: string[] = [];
    const stale = await database.db.transaction((tx) => applyTransition(tx, move('mediating', 'settled', undefined, calls))).catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: 'CONFLICT', message: 'the case changed meanwhile; reload and try again' });
    expect(calls).toEqual(['update']);
    expect(await events()).toEqual([]);
  });

  it('writes the event after the update and returns the row', async () => {
    const calls: string[] = [];
    const row = await database.db.transaction((tx) => applyTransition(tx, move('mediating', 'settled', { id: caseId }, calls)));
    expect(row).toEqual({ id: caseId });
    expect(await events()).toEqual([{ type: 'case.status_changed', data: { from: 'mediating', to: 'settled' } }]);
  });

  it('a follow-on move the table does not allow is skipped, not refused', async () => {
    const calls: string[] = [];
    expect(await database.db.transaction((tx) => applyTransitionIfAllowed(tx, move('closed', 'mediating', { id: caseId }, calls)))).toBeNull();
    expect(calls).toEqual([]);
    expect(await events()).toHaveLength(1);
  });
});
