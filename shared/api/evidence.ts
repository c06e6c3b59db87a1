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
  /** Short-lived link to the bytes (works in <img> without a cookie). */
  url: z.string(),
  /** For an appraisal report: the appraiser's signed statement of truthfulness. */
  appraisalStatement: z.object({ text: z.string(), signedAt: z.string(), signatureSha256: z.string() }).nullable().optional(),
});
export type EvidenceView = z.infer<typeof evidenceViewSchema>;
export const evidenceListSchema = z.object({ items: z.array(evidenceViewSchema) });
export const evidenceShareSchema = z.object({ sharedWith: sharedWithSchema });
