import { bigint, index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { agreements, agreementVersions, signatures } from './agreements.ts';
import { cases } from './cases.ts';
import { participants } from './sessions.ts';

/**
 * A signer's spoken consent (e.g. "我同意以上协议内容"), recorded on the signing page after the
 * read-aloud and uploaded before the signature: Opus audio, checked with ffprobe. It is evidence
 * of that signature: `signatureId` is set in the signing transaction, and the signature carries
 * the same SHA-256. Upload is idempotent per (version, participant, sha256), so a weak link may
 * retry it freely; recordings never bound to a signature (redone, abandoned) stay unbound.
 */
export const consentRecordings = pgTable(
  'consent_recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
    versionId: uuid('version_id').notNull().references(() => agreementVersions.id),
    participantId: uuid('participant_id').notNull().references(() => participants.id),
    sha256: text('sha256').notNull(),
    byteSize: bigint('byte_size', { mode: 'number' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** `audio/webm` or `audio/ogg` (the container ffprobe found), Opus inside. */
    contentType: text('content_type').notNull(),
    storageKey: text('storage_key').notNull().unique(),
    signatureId: uuid('signature_id')
      .unique()
      .references(() => signatures.id, { onDelete: 'cascade' }),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('consent_recordings_one_per_hash').on(t.versionId, t.participantId, t.sha256), index('consent_recordings_agreement_idx').on(t.agreementId)],
);
