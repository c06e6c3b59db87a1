/**
 * A participant's agreement calls (their invitation token in the Authorization header), or the
 * same calls with the staff cookie (a mediator in the room). Every answer is parsed with the
 * shared schemas. Only the sign chunks and the room's agreement panel import this, so these
 * schemas stay out of the join page's first download. Evidence calls: evidence-api.ts.
 */
import {
  agreementListSchema,
  agreementViewSchema,
  consentRecordingSchema,
  diffSchema,
  type AgreementView,
  type SignRequest,
} from '../../../shared/api/agreements.ts';
import { sessionViewSchema } from '../../../shared/api/sessions.ts';
import { ApiError, errorFrom, request } from '../lib/http.ts';
import { invitationHeaders } from '../lib/join-api.ts';

/** A participant (invitation token) or a staff member (session cookie, no header). */
export type Caller = { kind: 'participant'; token: string } | { kind: 'staff' };

export const headersOf = (caller: Caller): Record<string, string> => (caller.kind === 'participant' ? invitationHeaders(caller.token) : {});
const id = encodeURIComponent;

export const listAgreements = (caller: Caller, caseId: string) => request('GET', `/api/cases/${id(caseId)}/agreements`, agreementListSchema, { headers: headersOf(caller) });

export const getAgreement = (caller: Caller, agreementId: string): Promise<AgreementView> =>
  request('GET', `/api/agreements/${id(agreementId)}`, agreementViewSchema, { headers: headersOf(caller) });

export const diffVersions = (caller: Caller, agreementId: string, from: number, to: number) =>
  request('GET', `/api/agreements/${id(agreementId)}/diff`, diffSchema, { headers: headersOf(caller), query: { from, to } });

export const addComment = (caller: Caller, agreementId: string, body: { kind: 'comment' | 'change_request'; text: string }) =>
  request('POST', `/api/agreements/${id(agreementId)}/comments`, agreementViewSchema, { headers: headersOf(caller), body });

export const signAgreement = (caller: Caller, agreementId: string, body: SignRequest) =>
  request('POST', `/api/agreements/${id(agreementId)}/sign`, agreementViewSchema, { headers: headersOf(caller), body });

export const declineAgreement = (caller: Caller, agreementId: string, body: { versionId: string; versionHash: string; reason: string }) =>
  request('POST', `/api/agreements/${id(agreementId)}/decline`, agreementViewSchema, { headers: headersOf(caller), body });

/** The case of a session, for staff in the room (participants know it from their invitation). */
export const sessionCaseId = async (sessionId: string) => (await request('GET', `/api/sessions/${id(sessionId)}`, sessionViewSchema)).caseId;

/** PUTs the spoken consent under its SHA-256 (idempotent: a retry of the same bytes is answered with the stored one). */
export async function uploadConsentRecording(caller: Caller, agreementId: string, sha256: string, recording: Blob) {
  let response: Response;
  try {
    response = await fetch(`/api/agreements/${id(agreementId)}/consent-recordings/${id(sha256)}`, {
      method: 'PUT',
      headers: { ...headersOf(caller), accept: 'application/json', 'content-type': recording.type },
      body: recording,
      credentials: 'same-origin',
    });
  } catch (cause) {
    throw new ApiError('NETWORK', cause instanceof Error ? cause.message : 'network error');
  }
  if (!response.ok) throw await errorFrom(response);
  const parsed = consentRecordingSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new ApiError('BAD_RESPONSE', 'unexpected response from server', response.status);
  return parsed.data;
}
