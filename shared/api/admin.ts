import { z } from 'zod';
import { textSchema } from '../text.ts';
import { organisationIdSchema } from '../ids.ts';
import { organisationLevels, staffRoles } from '../domain/organisations.ts';
import { organisationViewSchema } from './auth.ts';

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, '3–64 characters: letters, digits, dot, dash, underscore');
export const newPasswordSchema = z.string().min(10, 'at least 10 characters').max(256);

export const staffUserCreateSchema = z.object({
  organisationId: organisationIdSchema,
  username: usernameSchema,
  displayName: textSchema.trim().min(1).max(60),
  role: z.enum(staffRoles),
  password: newPasswordSchema,
  /** The center's head (a mediator): assigns the center's cases to mediators. */
  centerHead: z.boolean().optional(),
});
export type StaffUserCreate = z.infer<typeof staffUserCreateSchema>;

export const staffUserUpdateSchema = z
  .object({
    displayName: textSchema.trim().min(1).max(60),
    role: z.enum(staffRoles),
    active: z.boolean(),
    password: newPasswordSchema,
    centerHead: z.boolean(),
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type StaffUserUpdate = z.infer<typeof staffUserUpdateSchema>;

export const staffUserViewSchema = z.object({
  id: z.string(),
  organisationId: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(staffRoles),
  active: z.boolean(),
  centerHead: z.boolean(),
  createdAt: z.string(),
});
export type StaffUserView = z.infer<typeof staffUserViewSchema>;

/** An organisation as admins manage it: where it stands in the tree and its duty phone too. */
export const adminOrganisationViewSchema = organisationViewSchema.extend({
  parentId: z.string().nullable(),
  level: z.enum(organisationLevels).nullable(),
  dutyPhone: z.string().nullable(),
});
export type AdminOrganisationView = z.infer<typeof adminOrganisationViewSchema>;
export const organisationListSchema = z.object({ items: z.array(adminOrganisationViewSchema) });
export const staffUserListSchema = z.object({ items: z.array(staffUserViewSchema) });

export const auditVerificationSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  firstBroken: z
    .object({ seq: z.number().int(), eventId: z.string(), reason: z.enum(['hash_mismatch', 'previous_hash_mismatch', 'sequence_gap']) })
    .nullable(),
  /** The RFC 3161 timestamps of the chain's head: a cut or rewritten tail breaks one. */
  anchors: z.object({
    checked: z.number().int(),
    firstBroken: z
      .object({ seq: z.number().int(), reason: z.enum(['anchored_event_missing', 'anchored_hash_mismatch', 'anchor_token_invalid', 'anchor_tsa_untrusted']) })
      .nullable(),
    latest: z.object({ seq: z.number().int(), headHash: z.string(), tsaTime: z.string() }).nullable(),
    tsaSubjects: z.array(z.string()),
    /** The tokens' TSA was checked against the trust list (HAIQIAO_TSA_TRUST_FILE); false: not checked. */
    tsaTrustChecked: z.boolean(),
  }),
});
export type AuditVerification = z.infer<typeof auditVerificationSchema>;

export const auditEventViewSchema = z.object({
  seq: z.number().int(),
  type: z.string(),
  actor: z.record(z.string(), z.unknown()),
  data: z.record(z.string(), z.unknown()),
  occurredAt: z.string(),
  hash: z.string(),
});
export const auditEventListSchema = z.object({ items: z.array(auditEventViewSchema) });

/** An organisation's sealing certificate (the key itself never leaves the server). */
export const sealViewSchema = z.object({
  id: z.string(),
  source: z.enum(['test', 'uploaded']),
  /** A self-signed certificate made on first start: for trying the platform, not for real documents. */
  test: z.boolean(),
  fingerprintSha256: z.string(),
  subject: z.string(),
  notAfter: z.string(),
  active: z.boolean(),
  createdAt: z.string(),
});
export type SealView = z.infer<typeof sealViewSchema>;
export const sealListSchema = z.object({ items: z.array(sealViewSchema) });
/** A PKCS#12 (.p12/.pfx) as base64, at most 128 KiB, and its passphrase. */
export const sealInstallSchema = z.object({
  p12Base64: z.string().min(1).max(180_000).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 expected'),
  passphrase: z.string().max(1024),
});

/** The manifest of a per-case audit export (GET /api/cases/:caseId/audit/export/manifest.json). */
export const auditExportManifestSchema = z.object({
  format: z.literal('haiqiao-audit-export/1'),
  caseId: z.string(),
  caseNumber: z.string(),
  exportedAt: z.string(),
  upToSeq: z.number().int(),
  file: z.literal('events.jsonl'),
  sha256: z.string(),
  rows: z.number().int(),
  caseEvents: z.number().int(),
  firstSeq: z.number().int().nullable(),
  lastSeq: z.number().int().nullable(),
  hash: z.object({ algorithm: z.literal('sha256'), canonicalization: z.literal('RFC 8785 JCS'), fields: z.array(z.string()) }),
  anchors: z.array(z.object({ seq: z.number().int(), headHash: z.string(), tsaTime: z.string(), token: z.string() })),
});
