import { isNotNull } from 'drizzle-orm';
import { bigint, doublePrecision, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { cases } from './cases.ts';
import { staffUsers } from './organisations.ts';
import { participants } from './sessions.ts';

/**
 * A file put before the case: its bytes live in storage under `storageKey`, its SHA-256 is
 * taken at upload. `sharedWith`: 'all', 'mediator' (staff side only) or a party id (that side).
 */
export const evidence = pgTable(
  'evidence',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['evidence', 'appraisal_report'] }).notNull().default('evidence'),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    byteSize: bigint('byte_size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull().unique(),
    description: text('description').notNull().default(''),
    sharedWith: text('shared_with').notNull(),
    uploadedByStaffId: uuid('uploaded_by_staff_id').references(() => staffUsers.id),
    uploadedByParticipantId: uuid('uploaded_by_participant_id').references(() => participants.id),
    uploadedAt: timestamp('uploaded_at', { withTimezone: true }).notNull().defaultNow(),
    /** Store-and-forward: when and where the phone captured it (its hash then was `sha256`, checked at upload). */
    capturedAt: timestamp('captured_at', { withTimezone: true }),
    captureLatitude: doublePrecision('capture_latitude'),
    captureLongitude: doublePrecision('capture_longitude'),
  },
  (t) => [
    index('evidence_case_idx').on(t.caseId),
    // A capture is recorded once: a phone's queue may send it again when an answer was lost.
    uniqueIndex('evidence_capture_once').on(t.caseId, t.sha256, t.capturedAt).where(isNotNull(t.capturedAt)),
  ],
);

/** An appraiser's signed statement accompanying their report (云鉴定). */
export const appraisalStatements = pgTable('appraisal_statements', {
  evidenceId: uuid('evidence_id').primaryKey().references(() => evidence.id, { onDelete: 'cascade' }),
  appraiserParticipantId: uuid('appraiser_participant_id').notNull().references(() => participants.id),
  statement: text('statement').notNull(),
  signatureImageKey: text('signature_image_key').notNull(),
  signatureSha256: text('signature_sha256').notNull(),
  ip: text('ip').notNull(),
  userAgent: text('user_agent').notNull(),
  signedAt: timestamp('signed_at', { withTimezone: true }).notNull(),
});
