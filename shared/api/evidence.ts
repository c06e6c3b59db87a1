import { z } from 'zod';
import { partyIdSchema } from '../ids.ts';
import { isoDateTimeSchema } from './common.ts';

/** What may be uploaded: sniffed from the bytes, not taken from the file name (audio: a voice statement recorded on the phone). */
export const evidenceContentTypes = ['image/jpeg', 'image/png', 'image/webp', 'application/pdf', 'audio/webm', 'audio/ogg', 'audio/mp4'] as const;
/** A voice statement (store-and-forward): one audio stream, at most this long. */
export const voiceStatementLimits = { minMs: 500, maxMs: 10 * 60_000 } as const;
export const evidenceMaxBytes = 25 * 1024 * 1024;

/** 'all' participants, the 'mediator' side only, or one party's side (a party id). */
export const sharedWithSchema = z.union([z.literal('all'), z.literal('mediator'), partyIdSchema]);

/**
 * An item captured on a phone before upload (store-and-forward, issue 12 point 6): when and where
 * it was captured, and the SHA-256 taken then, which must be the uploaded bytes' own. Latitude
 * and longitude come together or not at all (Geolocation may be refused).
 */
export const evidenceCaptureSchema = z
  .object({
    capturedAt: isoDateTimeSchema,
    captureSha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex characters'),
    latitude: z.coerce.number().min(-90).max(90).optional(),
    longitude: z.coerce.number().min(-180).max(180).optional(),
  })
  .refine((c) => (c.latitude === undefined) === (c.longitude === undefined), { message: 'latitude and longitude come together', path: ['longitude'] });
export type EvidenceCapture = z.infer<typeof evidenceCaptureSchema>;

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
  /** Captured on the phone before upload: capture time (against uploadedAt) and position when granted. */
  capture: z.object({ capturedAt: z.string(), latitude: z.number().nullable(), longitude: z.number().nullable() }).nullable().optional(),
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
