import { randomUUID } from 'node:crypto';
import { asc, eq, gt, sql } from 'drizzle-orm';
import { type AuditActor, type AuditEventBody, auditEventSchema } from '../../../shared/audit-events.ts';
import type { Db } from '../../db/client.ts';
import { auditEvents } from '../../db/schema/index.ts';
import { genesisHash, hashOf } from './audit-hash.ts';

export { genesisHash, hashOf };

// Appends are serialised (each event links to exactly one predecessor) by the advisory lock that
// audit_chain_tail() (migration 0023) takes before reading the last link: one round trip for both.

/** One member of the audit event union (shared/audit-events.ts), with its case and actor. */
export type NewAuditEvent = AuditEventBody & { caseId?: string | null; actor: AuditActor };

type StoredEvent = typeof auditEvents.$inferSelect;

/** The columns of audit_chain_tail(): the last event's seq (bigint, as a number like auditEvents.seq) and hash. */
const chainTail = { seq: sql<number>`tail_seq`.mapWith(Number), hash: sql<string>`tail_hash` };

/** Must run inside the transaction that makes the state change it records. */
export async function appendAuditEvent(tx: Db, event: NewAuditEvent): Promise<StoredEvent> {
  // The compiler checks each call; this catches what it cannot see (spread data, casts).
  const checked = auditEventSchema.safeParse({ type: event.type, data: event.data });
  if (!checked.success) throw new Error(`audit event ${event.type} does not match its schema: ${checked.error.message}`);
  const [last] = await tx.select(chainTail).from(sql`audit_chain_tail()`);
  const row = {
    seq: (last?.seq ?? 0) + 1,
    id: randomUUID(),
    type: event.type,
    caseId: event.caseId ?? null,
    actor: event.actor,
    data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    occurredAt: new Date(),
    prevHash: last?.hash ?? genesisHash,
  };
  const stored = { ...row, hash: hashOf(row) };
  await tx.insert(auditEvents).values(stored);
  return stored;
}

export function listCaseEvents(db: Db, caseId: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.caseId, caseId)).orderBy(asc(auditEvents.seq));
}

export type ChainBreak = { seq: number; eventId: string; reason: 'hash_mismatch' | 'previous_hash_mismatch' | 'sequence_gap' };

/** Walks the whole chain in order and reports the first broken link. */
export async function verifyChain(db: Db, batchSize = 1000): Promise<{ checked: number; firstBroken: ChainBreak | null }> {
  let previous = { seq: 0, hash: genesisHash };
  let checked = 0;
  for (;;) {
    const batch = await db.select().from(auditEvents).where(gt(auditEvents.seq, previous.seq)).orderBy(asc(auditEvents.seq)).limit(batchSize);
    for (const event of batch) {
      const at = { seq: event.seq, eventId: event.id };
      if (event.seq !== previous.seq + 1) return { checked, firstBroken: { ...at, reason: 'sequence_gap' } };
      if (event.prevHash !== previous.hash) return { checked, firstBroken: { ...at, reason: 'previous_hash_mismatch' } };
      if (hashOf(event) !== event.hash) return { checked, firstBroken: { ...at, reason: 'hash_mismatch' } };
      previous = { seq: event.seq, hash: event.hash };
      checked += 1;
    }
    if (batch.length < batchSize) return { checked, firstBroken: null };
  }
}
