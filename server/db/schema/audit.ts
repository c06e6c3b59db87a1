import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { AuditActor, AuditEventType } from '../../../shared/audit-events.ts';

/** Append-only, hash-chained: `hash` = SHA-256 over the canonical event including `prevHash`. */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull().unique().defaultRandom(),
    type: text('type').$type<AuditEventType>().notNull(),
    caseId: uuid('case_id'),
    actor: jsonb('actor').$type<AuditActor>().notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [index('audit_events_case_idx').on(t.caseId)],
);

/**
 * RFC 3161 timestamps of the chain's head, taken periodically: a TSA vouches that the event with
 * `seq` had `headHash` at `tsaTime`, so a later cut or rewrite of the tail no longer matches.
 */
export const auditAnchors = pgTable('audit_anchors', {
  seq: bigint('seq', { mode: 'number' }).primaryKey(),
  headHash: text('head_hash').notNull(),
  /** The TimeStampToken over SHA-256 of `anchorMessage(seq, headHash)`, DER as base64. */
  token: text('token').notNull(),
  tsaTime: timestamp('tsa_time', { withTimezone: true }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
