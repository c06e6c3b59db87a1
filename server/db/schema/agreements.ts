import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { AgreementStatus, ConfirmationStatus, SignatureStatus, TemplateId } from '../../../shared/domain/agreements.ts';
import type { CourtCode } from '../../../shared/domain/courts.ts';
import type { IdentityMethod } from '../../../shared/domain/attendance.ts';
import { cases, parties } from './cases.ts';
import { staffUsers } from './organisations.ts';
import { participants, sessions } from './sessions.ts';

export const agreements = pgTable(
  'agreements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    templateId: text('template_id').$type<TemplateId>().notNull(),
    status: text('status').$type<AgreementStatus>().notNull().default('drafting'),
    currentVersionId: uuid('current_version_id'),
    /** When the last required signature made it binding; the 30-day filing period runs from here. */
    effectiveAt: timestamp('effective_at', { withTimezone: true }),
    sealedDocumentId: uuid('sealed_document_id'),
    createdBy: uuid('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('agreements_case_idx').on(t.caseId)],
);

/** Immutable: a trigger refuses UPDATE and DELETE. */
export const agreementVersions = pgTable(
  'agreement_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    terms: jsonb('terms').$type<Record<string, unknown>>().notNull(),
    text: text('text').notNull(),
    /** SHA-256 over the canonical JSON of {templateId, terms, text}. */
    sha256: text('sha256').notNull(),
    createdByStaffId: uuid('created_by_staff_id').references(() => staffUsers.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('agreement_versions_number').on(t.agreementId, t.number)],
);

export const agreementComments = pgTable(
  'agreement_comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
    versionId: uuid('version_id').notNull().references(() => agreementVersions.id),
    kind: text('kind', { enum: ['comment', 'change_request'] }).notNull(),
    text: text('text').notNull(),
    authorName: text('author_name').notNull(),
    authorStaffId: uuid('author_staff_id').references(() => staffUsers.id),
    authorParticipantId: uuid('author_participant_id').references(() => participants.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('agreement_comments_agreement_idx').on(t.agreementId)],
);

/**
 * One signer's signature (or refusal) of one version, bound to that version's hash. At most one
 * live (signed or declined) row per party and version.
 */
export const signatures = pgTable(
  'signatures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
    versionId: uuid('version_id').notNull().references(() => agreementVersions.id),
    versionHash: text('version_hash').notNull(),
    partyId: uuid('party_id').notNull().references(() => parties.id),
    signerParticipantId: uuid('signer_participant_id').notNull().references(() => participants.id),
    signerName: text('signer_name').notNull(),
    status: text('status').$type<SignatureStatus>().notNull(),
    identityMethod: text('identity_method').$type<IdentityMethod>(),
    consentText: text('consent_text'),
    imageStorageKey: text('image_storage_key'),
    imageSha256: text('image_sha256'),
    /** SHA-256 of the spoken consent recording (consent_recordings) bound to this signature. */
    consentRecordingSha256: text('consent_recording_sha256'),
    declineReason: text('decline_reason'),
    ip: text('ip').notNull(),
    userAgent: text('user_agent').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('signatures_one_live_per_party').on(t.versionId, t.partyId).where(sql`${t.status} <> 'voided'`),
    index('signatures_agreement_idx').on(t.agreementId),
  ],
);

/** One-time codes a mediator reads out for signing (hashed, short-lived). */
export const signingCodes = pgTable('signing_codes', {
  id: uuid('id').primaryKey().defaultRandom(),
  agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
  participantId: uuid('participant_id').notNull().references(() => participants.id),
  codeHash: text('code_hash').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true }),
});

/**
 * Wrong identity answers at signing, per signer and agreement (held in the database so that every
 * node and a restart see the same count): ID digits are refused for good at the cap (a one-time
 * code from the mediator is then needed); wrong codes at the cap void the codes out, and a new
 * code starts that count again.
 */
export const signingIdentityFailures = pgTable(
  'signing_identity_failures',
  {
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
    participantId: uuid('participant_id').notNull().references(() => participants.id),
    idDigitFailures: integer('id_digit_failures').notNull().default(0),
    codeFailures: integer('code_failures').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.agreementId, t.participantId] })],
);

/** Sealed PDFs (agreements, rulings): bytes in storage, SHA-256 of the exact file here. */
export const documents = pgTable(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    agreementId: uuid('agreement_id').references(() => agreements.id),
    kind: text('kind', { enum: ['sealed_agreement', 'ruling'] }).notNull(),
    versionHash: text('version_hash'),
    sha256: text('sha256').notNull().unique(),
    byteSize: bigint('byte_size', { mode: 'number' }).notNull(),
    storageKey: text('storage_key').notNull().unique(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('documents_case_idx').on(t.caseId)],
);

export const confirmations = pgTable(
  'confirmations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    courtCode: text('court_code').$type<CourtCode>().notNull(),
    status: text('status').$type<ConfirmationStatus>().notNull().default('filed'),
    filedAt: timestamp('filed_at', { withTimezone: true }).notNull(),
    filedBy: uuid('filed_by').notNull(),
    acceptBy: timestamp('accept_by', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    ruleBy: timestamp('rule_by', { withTimezone: true }),
    extended: boolean('extended').notNull().default(false),
    clerkId: uuid('clerk_id').references(() => staffUsers.id),
    judgeId: uuid('judge_id').references(() => staffUsers.id),
    hearingSessionId: uuid('hearing_session_id').references(() => sessions.id),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    reason: text('reason'),
    rulingNumber: text('ruling_number'),
    rulingDocumentId: uuid('ruling_document_id').references(() => documents.id),
  },
  (t) => [
    index('confirmations_court_idx').on(t.courtCode),
    // One open application per agreement.
    uniqueIndex('confirmations_one_open').on(t.agreementId).where(sql`${t.status} in ('filed', 'accepted', 'under_review', 'confirmed')`),
  ],
);

export const obligations = pgTable(
  'obligations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    agreementId: uuid('agreement_id').notNull().references(() => agreements.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id').notNull().references(() => cases.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    obligorPartyId: uuid('obligor_party_id').notNull().references(() => parties.id),
    description: text('description').notNull(),
    amountFen: bigint('amount_fen', { mode: 'number' }),
    dueDate: text('due_date').notNull(),
    fulfilledAt: timestamp('fulfilled_at', { withTimezone: true }),
    fulfilmentNote: text('fulfilment_note'),
    recordedBy: uuid('recorded_by').references(() => staffUsers.id),
  },
  (t) => [unique('obligations_ordinal').on(t.agreementId, t.ordinal), index('obligations_case_idx').on(t.caseId)],
);
