/**
 * Document verification, for anyone (no login): the PDF itself is the request body. Kept out of
 * lib/api.ts so that the public verify page does not carry the staff desk's schemas.
 */
import type { z } from 'zod';
import { verificationResultSchema } from '../../../../shared/api/agreements.ts';
import { errorEnvelopeSchema } from '../../../../shared/errors.ts';
import { ApiError } from '../../lib/http.ts';

export type VerificationResult = z.infer<typeof verificationResultSchema>;

/** The server's limit for an uploaded PDF. */
export const maxVerifyBytes = 30 * 1024 * 1024;

/** Whether the bytes start like a PDF ("%PDF-"), checked before uploading. */
export async function looksLikePdf(file: Blob): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
  return String.fromCharCode(...head) === '%PDF-';
}

export async function verifyPdf(pdf: Blob): Promise<VerificationResult> {
  let response: Response;
  try {
    response = await fetch('/api/documents/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/pdf', accept: 'application/json' },
      body: pdf,
      credentials: 'omit',
    });
  } catch (cause) {
    throw new ApiError('NETWORK', cause instanceof Error ? cause.message : 'network error');
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const envelope = errorEnvelopeSchema.safeParse(json);
    if (envelope.success) {
      const { code, message, field, issues } = envelope.data.error;
      throw new ApiError(code, message, response.status, field ?? issues?.[0]?.field, issues ?? []);
    }
    throw new ApiError(response.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTERNAL', response.statusText || `HTTP ${response.status}`, response.status);
  }
  const parsed = verificationResultSchema.safeParse(json);
  if (!parsed.success) throw new ApiError('BAD_RESPONSE', 'unexpected response from server', response.status);
  return parsed.data;
}

/** Downloads a document the desk links to (a signed URL) and verifies those exact bytes. */
export async function verifyDocumentAt(url: string): Promise<VerificationResult> {
  let response: Response;
  try {
    response = await fetch(url, { credentials: 'same-origin' });
  } catch (cause) {
    throw new ApiError('NETWORK', cause instanceof Error ? cause.message : 'network error');
  }
  if (!response.ok) throw new ApiError(response.status === 404 ? 'NOT_FOUND' : 'INTERNAL', response.statusText || `HTTP ${response.status}`, response.status);
  return verifyPdf(await response.blob());
}
