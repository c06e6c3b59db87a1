import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { TransferKind, TransferStatus } from '../../../shared/domain/transfers.ts';
import { cases } from './cases.ts';
import { organisations, staffUsers } from './organisations.ts';

/**
 * A case sent from its holder to another organisation (escalated or handed over). The case row's
 * `center_id` is the current holder; accepted rows are its holder history, and their senders keep
 * read-only access. One pending request per case at a time.
 */
export const caseTransfers = pgTable(
  'case_transfers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Request order (one pending at a time, so also the order of the holders). */
    seq: integer('seq').generatedAlwaysAsIdentity(),
    caseId: uuid('case_id').notNull().references(() => cases.id),
    kind: text('kind').$type<TransferKind>().notNull(),
    fromOrganisationId: uuid('from_organisation_id').notNull().references(() => organisations.id),
    toOrganisationId: uuid('to_organisation_id').notNull().references(() => organisations.id),
    status: text('status').$type<TransferStatus>().notNull().default('requested'),
    /** The sender's note: why the case is sent. */
    note: text('note').notNull(),
    /** The receiver's reason for sending it back, shown to the sender. */
    returnReason: text('return_reason'),
    requestedBy: uuid('requested_by').notNull().references(() => staffUsers.id),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull(),
    decidedBy: uuid('decided_by').references(() => staffUsers.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
  },
  (t) => [
    index('case_transfers_case_idx').on(t.caseId),
    index('case_transfers_to_idx').on(t.toOrganisationId, t.status),
    index('case_transfers_from_idx').on(t.fromOrganisationId, t.status),
    uniqueIndex('case_transfers_one_pending').on(t.caseId).where(sql`${t.status} = 'requested'`),
    check('case_transfers_elsewhere', sql`${t.fromOrganisationId} <> ${t.toOrganisationId}`),
    check('case_transfers_return_reason', sql`(${t.status} = 'returned') = (${t.returnReason} is not null)`),
  ],
);
