import { z } from 'zod';
import { partyIdSchema } from '../ids';

/** What may be uploaded: sniffed from the bytes, not taken from the file name. */
export const evidenceContentTypes = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] as const;
export const evidenceMaxBytes = 25 * 1024 * 1024;

/** 'all' participants, the 'mediator' side only, or one party's side (a party id). */
export const sharedWithSchema = z.union([z.literal('all'), z.literal('mediator'), partyIdSchema]);

export const evidenceViewSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  kind: z.enum(['evidence', 'appraisal_report']),
  fileName: z.string(),
  contentType: z.enum(evidenceContentTypes),
  byteSize: z.number().int(),
  sha256: z.string(),
  description: z.string(),
  sharedWith: z.string(),
  uploadedBy: z.object({ kind: z.enum(['staff', 'participant']), name: z.string() }),
  uploadedAt: z.string(),
  /** Short-lived link to the bytes (works in <img> without a cookie); made for the caller, whose every use is audited (custody). */
  url: z.string(),
  /** The same, served as a download (audited as a download). */
  downloadUrl: z.string(),
  /** For an appraisal report: the appraiser's signed statement of truthfulness. */
  appraisalStatement: z.object({ text: z.string(), signedAt: z.string(), signatureSha256: z.string() }).nullable().optional(),
});
export type EvidenceView = z.infer<typeof evidenceViewSchema>;
export const evidenceListSchema = z.object({ items: z.array(evidenceViewSchema) });
export const evidenceShareSchema = z.object({ sharedWith: sharedWithSchema });

/** One entry of an item's chain of custody: who did what with it, when, and the hash it had. */
export const custodyEntrySchema = z.object({
  type: z.enum(['evidence.uploaded', 'evidence.shared', 'evidence.viewed', 'evidence.downloaded', 'evidence.shown']),
  at: z.string(),
  actor: z.object({ kind: z.enum(['staff', 'participant', 'system']), name: z.string() }),
  sha256: z.string().nullable(),
  /** A PDF page, when one page was viewed or shown. */
  page: z.number().int().nullable(),
  /** For a showing in the live room: who was in the joint room. */
  audience: z.array(z.string()).nullable(),
  /** The audit event's sequence number (its place in the hash chain). */
  seq: z.number().int(),
});
export const custodyListSchema = z.object({ evidenceId: z.string(), sha256: z.string(), items: z.array(custodyEntrySchema) });
export type CustodyEntry = z.infer<typeof custodyEntrySchema>;
