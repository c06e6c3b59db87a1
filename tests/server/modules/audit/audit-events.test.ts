/**
 * The audit writer takes only members of the union (shared/audit-events.ts), checks them at
 * runtime too, and links onto rows written before the union existed: the chain is unchanged.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../../../server/db/schema/index.ts';
import { appendAuditEvent, hashOf, type NewAuditEvent, verifyChain } from '../../../../server/modules/audit/audit.repository.ts';
import { createTestDatabase } from '../../../helpers/test-database.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const system = { kind: 'system' as const };
const caseId = '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';

/** An event as the writer stored it before this change: its hash computed by hand (Python, sorted-key JSON = JCS here). */
const earlierRow = {
  seq: 1,
  id: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
  type: 'case.status_changed' as const,
  caseId,
  actor: { kind: 'staff' as const, staffUserId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' },
  data: { from: 'settled', to: 'following_up', agreementId: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e' },
  occurredAt: new Date('2026-11-22T16:00:00.000Z'),
  prevHash: '0'.repeat(64), // the genesis link: the first event of the chain
};
const earlierHash = '57345426b59e86e2dc33fb9c8efdd728965aba890217528fec9416ef0c2d9b4b';

async function count() {
  const result = await database.db.execute(sql`select count(*)::int as n from audit_events`);
  return ((Array.isArray(result) ? result : (result as { rows: unknown[] }).rows)[0] as { n: number }).n;
}

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('audit writer', () => {
  it('hashes an event as before, and links new events onto an earlier row', async () => {
    expect(hashOf(earlierRow)).toBe(earlierHash);
    await database.db.insert(auditEvents).values({ ...earlierRow, hash: earlierHash });
    const appended = await database.db.transaction((tx) =>
      appendAuditEvent(tx, { type: 'case.enforceable', caseId, actor: system, data: { confirmationId: earlierRow.id, rulingNumber: '（2026）浙72民特1号' } }),
    );
    expect(appended).toMatchObject({ seq: 2, prevHash: earlierHash });
    expect(await verifyChain(database.db)).toEqual({ checked: 2, firstBroken: null });
  });

  it('refuses at runtime what the compiler would have refused, writing nothing', async () => {
    const before = await count();
    const wrong = { type: 'party.added', caseId, actor: system, data: { partyId: 'p1', idNumber: '330203199001011234' } } as unknown as NewAuditEvent;
    await expect(database.db.transaction((tx) => appendAuditEvent(tx, wrong))).rejects.toThrow(/party\.added does not match its schema/);
    const unknown = { type: 'case.deleted', caseId, actor: system, data: {} } as unknown as NewAuditEvent;
    await expect(database.db.transaction((tx) => appendAuditEvent(tx, unknown))).rejects.toThrow(/does not match/);
    expect(await count()).toBe(before);
    // @ts-expect-error a field the type does not have is a compile error
    const _typed: NewAuditEvent = { type: 'party.added', caseId, actor: system, data: { partyId: 'p1', idNumber: 'x' } };
  });
});
