import { randomUUID } from 'node:crypto';
import { asc, eq, gt, sql } from 'drizzle-orm';
import { type AuditActor, type AuditEventBody, auditEventSchema } from '../../../shared/audit-events.ts';
import type { Db } from '../../db/client.ts';
import { auditEvents } from '../../db/schema/index.ts';
import { canonicalAround, genesisHash, hashOf } from './audit-hash.ts';

export { genesisHash, hashOf };

/** One member of the audit event union (shared/audit-events.ts), with its case and actor. */
export type NewAuditEvent = AuditEventBody & { caseId?: string | null; actor: AuditActor };

type StoredEvent = typeof auditEvents.$inferSelect;

/** Must run inside the transaction that makes the state change it records. */
export async function appendAuditEvent(tx: Db, event: NewAuditEvent): Promise<StoredEvent> {
  // The compiler checks each call; this catches what it cannot see (spread data, casts).
  const checked = auditEventSchema.safeParse({ type: event.type, data: event.data });
  if (!checked.success) throw new Error(`audit event ${event.type} does not match its schema: ${checked.error.message}`);
  const fields = {
    id: randomUUID(),
    type: event.type,
    caseId: event.caseId ?? null,
    actor: event.actor,
    data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    occurredAt: new Date(),
  };
  // The event's canonical JSON around the two members the database fills in (migration 0023:
  // audit_append takes the chain's lock, reads the last link, hashes, inserts: one round trip).
  const { head, tail } = canonicalAround(fields);
  const [appended] = await tx
    .select({ seq: sql<number>`appended_seq`.mapWith(Number), prevHash: sql<string>`appended_prev_hash`, hash: sql<string>`appended_hash` })
    .from(
      sql`audit_append(${fields.id}::uuid, ${fields.type}, ${fields.caseId}::uuid, ${JSON.stringify(fields.actor)}::jsonb, ${JSON.stringify(fields.data)}::jsonb, ${fields.occurredAt.toISOString()}::timestamptz, ${head}, ${tail})`,
    );
  if (!appended) throw new Error('audit_append returned nothing');
  const stored = { seq: appended.seq, ...fields, prevHash: appended.prevHash, hash: appended.hash };
  // The database hashed what hashOf hashes, or this transaction does not commit.
  if (hashOf(stored) !== stored.hash) throw new Error(`audit event ${stored.seq}: the database's hash differs from hashOf`);
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
