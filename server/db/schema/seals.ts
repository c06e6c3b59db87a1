import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organisations, staffUsers } from './organisations.ts';

/**
 * Each organisation's sealing certificates: the mediation center seals its agreements, a court
 * its rulings. A PKCS#12 and its passphrase are stored encrypted (like ID numbers). Superseded
 * certificates are kept (inactive) so that documents sealed with them are still recognised.
 */
export const organisationSeals = pgTable(
  'organisation_seals',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organisationId: uuid('organisation_id').notNull().references(() => organisations.id),
    /** `test`: the self-signed default made on first start; `uploaded`: an admin's PKCS#12. */
    source: text('source', { enum: ['test', 'uploaded'] }).notNull(),
    p12Encrypted: text('p12_encrypted').notNull(),
    passphraseEncrypted: text('passphrase_encrypted').notNull(),
    fingerprintSha256: text('fingerprint_sha256').notNull().unique(),
    subject: text('subject').notNull(),
    notAfter: timestamp('not_after', { withTimezone: true }).notNull(),
    active: boolean('active').notNull(),
    createdBy: uuid('created_by').references(() => staffUsers.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('organisation_seals_one_active').on(t.organisationId).where(sql`${t.active}`),
    index('organisation_seals_organisation_idx').on(t.organisationId),
  ],
);
