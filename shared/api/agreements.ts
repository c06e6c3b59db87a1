import { z } from 'zod';
import { agreementDraftSchema, agreementStatuses, confirmationStatuses, signatureStatuses, templateIds } from '../domain/agreements.ts';
import { identityMethods } from '../domain/attendance.ts';
import { courtCodes } from '../domain/courts.ts';
import { textSchema } from '../text.ts';
import { isoDateTimeSchema } from './common.ts';

export { agreementDraftSchema };

/** A PNG of the handwritten signature, base64 (no data: prefix), at most ~300 KB. */
export const signaturePngSchema = z
  .string()
  .max(400_000, 'the signature image is too large')
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64');

export const signingIdentitySchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('id_last4'), name: textSchema.trim().min(1).max(100), last4: z.string().regex(/^[0-9Xx]{4}$/, 'the last four characters of the ID number') }),
  z.object({ method: z.literal('one_time_code'), code: z.string().regex(/^\d{6}$/, 'six digits') }),
]);

export const consentText = '本人已完整阅读本协议全部内容，确认系自愿签署，同意本协议对本人具有约束力，并同意各方共同申请司法确认。';

const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex');

/** What the signer is asked to say after the read-aloud; recorded as evidence of the signature. */
export const spokenConsentPhrase = '我同意以上协议内容';

/** A spoken consent recording: Opus audio in WebM or Ogg, a few seconds (checked with ffprobe). */
export const consentRecordingLimits = { maxBytes: 1024 * 1024, minMs: 1000, maxMs: 30_000 } as const;
/** What MediaRecorder makes: Opus in WebM (Chrome, Android, Firefox) or Ogg, AAC in MP4 (iPhone Safari). */
export const consentRecordingContentTypes = ['audio/webm', 'audio/ogg', 'audio/mp4'] as const;
export const consentRecordingParamsSchema = z.object({ agreementId: z.uuid(), sha256: sha256HexSchema });
export const consentRecordingSchema = z.object({
  sha256: z.string(),
  byteSize: z.number().int(),
  durationMs: z.number().int(),
  contentType: z.enum(consentRecordingContentTypes),
});
export type ConsentRecording = z.infer<typeof consentRecordingSchema>;

export const signRequestSchema = z.object({
  versionId: z.uuid(),
  versionHash: z.string().regex(/^[0-9a-f]{64}$/),
  consent: z.literal(true, 'you must agree to sign'),
  identity: signingIdentitySchema,
  signaturePng: signaturePngSchema,
  /** SHA-256 of the spoken consent the signer uploaded for this version (PUT …/consent-recordings/:sha256). */
  consentRecordingSha256: sha256HexSchema,
});
export type SignRequest = z.infer<typeof signRequestSchema>;

export const declineRequestSchema = z.object({
  versionId: z.uuid(),
  versionHash: z.string().regex(/^[0-9a-f]{64}$/),
  reason: textSchema.trim().min(2).max(1000),
});

export const commentCreateSchema = z.object({ kind: z.enum(['comment', 'change_request']), text: textSchema.trim().min(1).max(2000) });

export const signingCodeRequestSchema = z.object({ participantId: z.uuid() });
export const signingCodeSchema = z.object({ code: z.string(), expiresAt: z.string() });

export const signatureViewSchema = z.object({
  id: z.string(),
  status: z.enum(signatureStatuses),
  signerName: z.string(),
  signerParticipantId: z.string(),
  versionHash: z.string(),
  identityMethod: z.enum(identityMethods).nullable(),
  at: z.string(),
  declineReason: z.string().nullable(),
  imageSha256: z.string().nullable(),
  /** The spoken consent bound to this signature (null for declines and older signatures). */
  consentRecording: z.object({ sha256: z.string(), durationMs: z.number().int() }).nullable(),
});

export const requiredSignerSchema = z.object({
  partyId: z.string(),
  partyName: z.string(),
  side: z.enum(['A', 'B']),
  /** Who may sign for this party: the party itself and any agent authorised in the terms. */
  eligible: z.array(z.object({ participantId: z.string(), name: z.string(), role: z.enum(['party', 'agent']) })),
  signature: signatureViewSchema.nullable(),
});

export const commentViewSchema = z.object({
  id: z.string(),
  versionNumber: z.number().int(),
  kind: z.enum(['comment', 'change_request']),
  text: z.string(),
  authorName: z.string(),
  createdAt: z.string(),
});

export const versionViewSchema = z.object({
  id: z.string(),
  number: z.number().int(),
  sha256: z.string(),
  text: z.string(),
  terms: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

export const deadlineSchema = z.object({ at: z.string(), daysLeft: z.number().int() });

export const confirmationSummarySchema = z.object({
  id: z.string(),
  status: z.enum(confirmationStatuses),
  courtCode: z.enum(courtCodes),
  filedAt: z.string(),
  acceptBy: deadlineSchema,
  ruleBy: deadlineSchema.nullable(),
  extended: z.boolean(),
  reason: z.string().nullable(),
  rulingNumber: z.string().nullable(),
  rulingDocument: z.object({ id: z.string(), sha256: z.string(), url: z.string() }).nullable(),
  hearingSessionId: z.string().nullable(),
});
export type ConfirmationSummary = z.infer<typeof confirmationSummarySchema>;

export const agreementViewSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  caseNumber: z.string(),
  templateId: z.enum(templateIds),
  title: z.string(),
  status: z.enum(agreementStatuses),
  currentVersion: versionViewSchema,
  versions: z.array(z.object({ number: z.number().int(), sha256: z.string(), createdAt: z.string() })),
  requiredSigners: z.array(requiredSignerSchema),
  /** Signatures of earlier versions, kept with their evidence. */
  voidedSignatures: z.array(signatureViewSchema),
  comments: z.array(commentViewSchema),
  effectiveAt: z.string().nullable(),
  /** The joint application for judicial confirmation must be filed by then. */
  applyBy: deadlineSchema.nullable(),
  sealedDocument: z.object({ id: z.string(), sha256: z.string(), byteSize: z.number().int(), url: z.string() }).nullable(),
  confirmation: confirmationSummarySchema.nullable(),
});
export type AgreementView = z.infer<typeof agreementViewSchema>;
export const agreementListSchema = z.object({ items: z.array(agreementViewSchema.pick({ id: true, title: true, status: true, templateId: true }).extend({ versionNumber: z.number().int() })) });

export const diffSchema = z.object({
  from: z.number().int(),
  to: z.number().int(),
  changes: z.array(z.object({ kind: z.enum(['same', 'added', 'removed']), text: z.string() })),
});

export const previewSchema = z.object({ text: z.string(), sha256: z.string() });

export const verificationResultSchema = z.object({
  /** True only for an unaltered file that Haiqiao issued. */
  authentic: z.boolean(),
  /** knownCertificate: sealed with a certificate Haiqiao installed (an organisation's seal, or the platform's own for older documents). */
  signature: z.object({ signed: z.boolean(), intact: z.boolean(), coversWholeFile: z.boolean(), knownCertificate: z.boolean() }),
  /** The organisation whose certificate sealed the document, when it is one Haiqiao installed. */
  sealedBy: z.object({ organisationName: z.string(), organisationKind: z.enum(['mediation_center', 'maritime_court', 'tribunal']), testCertificate: z.boolean() }).nullable(),
  /**
   * The RFC 3161 timestamp in the seal (PAdES B-T): the TSA's time, who the TSA is, whether the token holds for this seal,
   * and whether its TSA is in the server's trust list (HAIQIAO_TSA_TRUST_FILE; null: no trust list, not checked).
   */
  timestamp: z.object({ time: z.string(), tsa: z.string(), intact: z.boolean(), trusted: z.boolean().nullable() }).nullable(),
  document: z
    .object({ id: z.string(), kind: z.enum(['sealed_agreement', 'ruling']), caseNumber: z.string(), agreementId: z.string().nullable(), versionHash: z.string().nullable(), sealedAt: z.string() })
    .nullable(),
  sha256: z.string(),
});

// Court desk.
export const confirmationQueueItemSchema = confirmationSummarySchema.extend({
  caseId: z.string(),
  caseNumber: z.string(),
  caseTitle: z.string(),
  agreementId: z.string(),
  partyNames: z.array(z.string()),
});
export const confirmationQueueSchema = z.object({ items: z.array(confirmationQueueItemSchema) });
/** One application (GET /api/confirmations/:id and every court step): the summary plus the case and agreement it belongs to. */
export const confirmationDetailSchema = confirmationSummarySchema.extend({ caseId: z.string(), agreementId: z.string() });
export type ConfirmationDetail = z.infer<typeof confirmationDetailSchema>;
export const courtReasonSchema = z.object({ reason: textSchema.trim().min(2).max(2000) });
export const courtDecisionSchema = z.object({ decision: z.enum(['confirmed', 'rejected', 'returned']), reason: textSchema.trim().min(2).max(4000) });
export const hearingRequestSchema = z.object({ scheduledAt: isoDateTimeSchema, durationMinutes: z.number().int().min(10).max(120).default(30) });

// Follow-up.
export const obligationViewSchema = z.object({
  id: z.string(),
  agreementId: z.string(),
  caseId: z.string(),
  obligorPartyId: z.string(),
  obligorName: z.string(),
  description: z.string(),
  amountFen: z.number().int().nullable(),
  dueDate: z.string(),
  fulfilledAt: z.string().nullable(),
  fulfilmentNote: z.string().nullable(),
  overdue: z.boolean(),
});
export const obligationListSchema = z.object({ items: z.array(obligationViewSchema) });
export const fulfilRequestSchema = z.object({ note: textSchema.trim().max(500).default('') });
export const overdueListSchema = z.object({ items: z.array(obligationViewSchema.extend({ caseNumber: z.string(), caseTitle: z.string() })) });

// Appraisal.
export const appraisalStatementText = '本人保证所出具的鉴定意见客观、公正、真实，如有虚假愿承担法律责任。';
