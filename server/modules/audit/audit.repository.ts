import { randomUUID } from 'node:crypto';
import { asc, type ColumnsSelection, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { TypedQueryBuilder } from 'drizzle-orm/query-builders/query-builder';
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
  const { fields, call } = toAppend(event);
  const [appended] = await tx
    .select({ seq: sql<number>`appended_seq`.mapWith(Number), prevHash: sql<string>`appended_prev_hash`, hash: sql<string>`appended_hash` })
    .from(call);
  if (!appended) throw new Error('audit_append returned nothing');
  // The database hashed what hashOf hashes, or this transaction does not commit.
  return checked({ seq: appended.seq, ...fields, prevHash: appended.prevHash, hash: appended.hash });
}

/**
 * A change of one row (by its key) and its audit event in one statement: one round trip, and one
 * transaction (the statement's own, or the caller's when `db` is one). `change` is the conditional
 * UPDATE … RETURNING; the event is appended only when it returned the row, so a change that
 * matched nothing records nothing and returns undefined.
 */
export async function changeAudited<TSelection extends ColumnsSelection, TRow>(db: Db, change: TypedQueryBuilder<TSelection, TRow[]>, event: NewAuditEvent): Promise<TRow | undefined> {
  const { fields, call } = toAppend(event);
  // Typed by the caller's TRow: drizzle's CTE typing does not follow a generic selection.
  const changed = db.$with('changed').as(change as TypedQueryBuilder<Record<string, AnyPgColumn>>);
  const rows = (await db
    .with(changed)
    .select({ row: changed._.selectedFields as Record<string, AnyPgColumn>, appended: appendedOf(call) })
    .from(changed)) as ChangedRow<TRow>[];
  return changedRow(rows, fields);
}

/** A prepared changeAudited: the change's own values, and the event to append when it matched. */
export type AuditedChange<TRow> = (values: Record<string, unknown>, event: NewAuditEvent) => Promise<TRow | undefined>;

/**
 * changeAudited's statement prepared once (db/prepared.ts: drizzle builds it once, PostgreSQL
 * gets it in one round trip). `change` takes its values from placeholders, filled from `values`
 * on each call; the event's fields are placeholders too. Prepare it on the database (not a
 * transaction): each call is then one statement and its own transaction, as changeAudited's.
 */
export function prepareChangeAudited<TSelection extends ColumnsSelection, TRow>(db: Db, change: TypedQueryBuilder<TSelection, TRow[]>): AuditedChange<TRow> {
  const changed = db.$with('changed').as(change as TypedQueryBuilder<Record<string, AnyPgColumn>>);
  const p = (name: keyof AppendValues) => sql.placeholder(name);
  const call = sql`audit_append(${p('audit_id')}::uuid, ${p('audit_type')}, ${p('audit_case_id')}::uuid, ${p('audit_actor')}::jsonb, ${p('audit_data')}::jsonb, ${p('audit_occurred_at')}::timestamptz, ${p('audit_head')}, ${p('audit_tail')})`;
  const statement = db
    .with(changed)
    .select({ row: changed._.selectedFields as Record<string, AnyPgColumn>, appended: appendedOf(call) })
    .from(changed)
    .prepare('audited_change');
  return async (values, event) => {
    const { fields, append } = appendValues(event);
    const rows = (await statement.execute({ ...values, ...append })) as ChangedRow<TRow>[];
    return changedRow(rows, fields);
  };
}

type ChangedRow<TRow> = { row: TRow; appended: string };

/** audit_append's result for the one row the change returned, as text "seq prevHash hash". */
function appendedOf(call: SQL) {
  return sql<string>`(select a.appended_seq::text || ' ' || a.appended_prev_hash || ' ' || a.appended_hash from ${call} a)`;
}

function changedRow<TRow>(rows: ChangedRow<TRow>[], fields: EventFields): TRow | undefined {
  if (rows.length > 1) throw new Error(`changeAudited: ${rows.length} rows changed, one at most expected`);
  const [found] = rows;
  if (!found) return undefined;
  const [seq, prevHash, hash] = found.appended.split(' ');
  // Committed already when the statement was its own transaction: a mismatch (which the test of
  // canonicalAround rules out) is then reported here and by the chain's verification.
  checked({ seq: Number(seq), ...fields, prevHash: prevHash!, hash: hash! });
  return found.row;
}

type EventFields = Omit<StoredEvent, 'seq' | 'prevHash' | 'hash'>;

/** The event's stored fields and audit_append's arguments (migration 0024: lock, last link, hash, insert). */
function appendValues(event: NewAuditEvent) {
  // The compiler checks each call; this catches what it cannot see (spread data, casts).
  const parsed = auditEventSchema.safeParse({ type: event.type, data: event.data });
  if (!parsed.success) throw new Error(`audit event ${event.type} does not match its schema: ${parsed.error.message}`);
  const fields: EventFields = {
    id: randomUUID(),
    type: event.type,
    caseId: event.caseId ?? null,
    actor: event.actor,
    data: JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>,
    occurredAt: new Date(),
  };
  // The database fills in the two members only the chain knows (prevHash, seq) between these.
  const { head, tail } = canonicalAround(fields);
  const append = {
    audit_id: fields.id,
    audit_type: fields.type,
    audit_case_id: fields.caseId,
    audit_actor: JSON.stringify(fields.actor),
    audit_data: JSON.stringify(fields.data),
    audit_occurred_at: fields.occurredAt.toISOString(),
    audit_head: head,
    audit_tail: tail,
  };
  return { fields, append };
}
type AppendValues = ReturnType<typeof appendValues>['append'];

/** The event's stored fields and the audit_append call that chains it. */
function toAppend(event: NewAuditEvent) {
  const { fields, append: a } = appendValues(event);
  const call = sql`audit_append(${a.audit_id}::uuid, ${a.audit_type}, ${a.audit_case_id}::uuid, ${a.audit_actor}::jsonb, ${a.audit_data}::jsonb, ${a.audit_occurred_at}::timestamptz, ${a.audit_head}, ${a.audit_tail})`;
  return { fields, call };
}

function checked(stored: StoredEvent): StoredEvent {
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
