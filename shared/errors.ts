import { z } from 'zod';

/** The single error envelope used by HTTP responses and socket acks. */
export const errorCodes = [
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'INVITATION_EXPIRED',
  'INVITATION_REVOKED',
  'ROOM_LOCKED',
  'NOT_ADMITTED',
  'IDENTITY_REJECTED',
  'MEDIA_ERROR',
  'CANNOT_PREVIEW',
  'RECORDING_CONSENT_REQUIRED',
  'STORAGE_FULL',
  'UNAVAILABLE',
  'WRONG_NODE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INVITATION_EXPIRED: 410,
  INVITATION_REVOKED: 410,
  ROOM_LOCKED: 423,
  NOT_ADMITTED: 403,
  IDENTITY_REJECTED: 403,
  MEDIA_ERROR: 422,
  /** A document page that cannot be drawn within the preview limits; the original can be downloaded. */
  CANNOT_PREVIEW: 422,
  /** The session is being recorded and this person has not yet confirmed the notice (recording:consent). */
  RECORDING_CONSENT_REQUIRED: 428,
  /** The file store (uploads, recordings) has no room left: nothing was kept; an operator must free space. */
  STORAGE_FULL: 507,
  /** A part the service depends on (the database) is out of reach for a moment: retry. */
  UNAVAILABLE: 503,
  /** Misdirected: the live room is held by another node (`node`); the client reconnects there. */
  WRONG_NODE: 421,
  INTERNAL: 500,
};

export const fieldIssueSchema = z.object({ field: z.string(), message: z.string() });
export type FieldIssue = z.infer<typeof fieldIssueSchema>;

export const errorBodySchema = z.object({
  code: z.enum(errorCodes),
  message: z.string(),
  /** The first field at fault, for validation errors. */
  field: z.string().optional(),
  issues: z.array(fieldIssueSchema).optional(),
  /** WRONG_NODE: the node holding the room, as the proxy routes it (`?node=`); absent while it moves. */
  node: z.string().max(64).optional(),
});
export const errorEnvelopeSchema = z.object({ error: errorBodySchema });
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Turns zod issues into field paths like `parties.1.idNumber`. */
export function fieldIssuesOf(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}
