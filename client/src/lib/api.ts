/**
 * Typed wrapper around the staff REST API. Every answer is parsed with the shared zod schema,
 * every error envelope becomes an ApiError (see http.ts). The join page uses join-api.ts instead
 * so that its bundle does not carry the staff schemas.
 */
import type { z } from 'zod';
import {
  auditVerificationSchema,
  organisationListSchema,
  staffUserListSchema,
  staffUserViewSchema,
  type staffUserCreateSchema,
  type staffUserUpdateSchema,
  sealListSchema,
  sealViewSchema,
  auditExportManifestSchema,
} from '../../../shared/api/admin.ts';
import { meSchema, organisationViewSchema, type loginRequestSchema } from '../../../shared/api/auth.ts';
import {
  caseListSchema,
  caseViewSchema,
  partyViewSchema,
  vesselViewSchema,
  type CaseCreate,
  type caseUpdateSchema,
  type newCaseVesselSchema,
  type partyInputSchema,
  type vesselInputSchema,
} from '../../../shared/api/cases.ts';
import { okSchema } from '../../../shared/api/common.ts';
import { dashboardSchema } from '../../../shared/api/dashboard.ts';
import { outboxItemSchema, outboxListSchema } from '../../../shared/api/notifications.ts';
import { type AssignMediators, caseMediatorsSchema, type MediatorProfileInput, mediatorProfileListSchema, mediatorProfileSchema } from '../../../shared/api/mediators.ts';
import { compensationFiguresListSchema, compensationFiguresViewSchema, type CompensationFiguresInput } from '../../../shared/api/compensation.ts';
import {
  invitationListSchema,
  invitationViewSchema,
  issuedInvitationSchema,
  participantListSchema,
  participantViewSchema,
  sessionListSchema,
  sessionViewSchema,
  type InvitationCreate,
  type participantInputSchema,
  type SessionCreate,
} from '../../../shared/api/sessions.ts';
import type { organisationInputSchema } from '../../../shared/domain/organisations.ts';
import type { CaseStatus, DisputeType } from '../../../shared/domain/cases.ts';
import type { SessionStatus } from '../../../shared/domain/sessions.ts';
import { ApiError, request, requestNoContent } from './http.ts';
// Court desk.
import {
  agreementViewSchema,
  confirmationDetailSchema,
  confirmationQueueSchema,
  confirmationSummarySchema,
  type ConfirmationDetail,
  type courtDecisionSchema,
  type hearingRequestSchema,
} from '../../../shared/api/agreements.ts';
import { custodyListSchema, evidenceListSchema } from '../../../shared/api/evidence.ts';
import { recordingDeletionListSchema, recordingListSchema, recordingRetentionSchema } from '../../../shared/api/recordings.ts';
import type { ConfirmationStatus } from '../../../shared/domain/agreements.ts';

// Case page: agreements, evidence, follow-up.
import {
  agreementListSchema,
  diffSchema,
  obligationListSchema,
  overdueListSchema,
  previewSchema,
  signingCodeSchema,
  type commentCreateSchema,
} from '../../../shared/api/agreements.ts';
import { evidenceViewSchema } from '../../../shared/api/evidence.ts';
import type { AgreementDraftInput } from '../../../shared/domain/agreements.ts';

export type LoginRequest = z.input<typeof loginRequestSchema>;
export type OrganisationInput = z.input<typeof organisationInputSchema>;
export type StaffUserCreate = z.input<typeof staffUserCreateSchema>;
export type StaffUserUpdate = z.input<typeof staffUserUpdateSchema>;
export type CaseListQuery = {
  q?: string | undefined;
  status?: CaseStatus | undefined;
  disputeType?: DisputeType | undefined;
  page?: number;
  pageSize?: number;
};
export type CaseUpdate = z.input<typeof caseUpdateSchema>;
export type PartyInput = z.input<typeof partyInputSchema>;
export type VesselInput = z.input<typeof vesselInputSchema>;
/** A vessel sent with a new case: its owner is named by position in the case's parties. */
export type NewCaseVessel = z.input<typeof newCaseVesselSchema>;
export type ParticipantInput = z.input<typeof participantInputSchema>;
export type { CaseCreate, InvitationCreate, SessionCreate };

let onUnauthenticated: (() => void) | null = null;

/** The staff shell registers where to go when the session cookie is missing or expired. */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

async function staff<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') onUnauthenticated?.();
    throw error;
  }
}

const id = encodeURIComponent;

// Auth. Login is not wrapped: a 401 there means wrong credentials, shown on the form.
export const login = (body: LoginRequest) => request('POST', '/api/auth/login', meSchema, { body });
export const logout = () => request('POST', '/api/auth/logout', okSchema, { body: {} });
export const fetchMe = () => request('GET', '/api/auth/me', meSchema);

// Admin: organisations, staff accounts, audit chain.
export const listOrganisations = () => staff(request('GET', '/api/admin/organisations', organisationListSchema));
export const createOrganisation = (body: OrganisationInput) =>
  staff(request('POST', '/api/admin/organisations', organisationViewSchema, { body }));
export const listStaffUsers = () => staff(request('GET', '/api/admin/staff-users', staffUserListSchema));
export const createStaffUser = (body: StaffUserCreate) => staff(request('POST', '/api/admin/staff-users', staffUserViewSchema, { body }));
export const updateStaffUser = (userId: string, body: StaffUserUpdate) =>
  staff(request('PATCH', `/api/admin/staff-users/${id(userId)}`, staffUserViewSchema, { body }));
export const listSeals = (organisationId: string) => staff(request('GET', `/api/admin/organisations/${id(organisationId)}/seals`, sealListSchema));
export const installSeal = (organisationId: string, body: { p12Base64: string; passphrase: string }) =>
  staff(request('POST', `/api/admin/organisations/${id(organisationId)}/seals`, sealViewSchema, { body }));
/** The case's verifiable audit export: the manifest, then the events file made at the same chain head. */
export async function exportCaseAudit(caseId: string): Promise<{ manifest: z.output<typeof auditExportManifestSchema>; events: string }> {
  const manifest = await staff(request('GET', `/api/cases/${id(caseId)}/audit/export/manifest.json`, auditExportManifestSchema));
  let response: Response;
  try {
    response = await fetch(`/api/cases/${id(caseId)}/audit/export/events.jsonl?upToSeq=${manifest.upToSeq}`, { credentials: 'same-origin' });
  } catch (cause) {
    throw new ApiError('NETWORK', cause instanceof Error ? cause.message : 'network error');
  }
  if (!response.ok) throw new ApiError(response.status === 404 ? 'NOT_FOUND' : 'INTERNAL', response.statusText || `HTTP ${response.status}`, response.status);
  return { manifest, events: await response.text() };
}
export const verifyAuditChain = () => staff(request('GET', '/api/admin/audit/verify', auditVerificationSchema));

// Cases.
export const listCases = (query: CaseListQuery) => staff(request('GET', '/api/cases', caseListSchema, { query }));
export const createCase = (body: CaseCreate) => staff(request('POST', '/api/cases', caseViewSchema, { body }));
export const getCase = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}`, caseViewSchema));
export const updateCase = (caseId: string, body: CaseUpdate) =>
  staff(request('PATCH', `/api/cases/${id(caseId)}`, caseViewSchema, { body }));
export const transitionCase = (caseId: string, to: CaseStatus) =>
  staff(request('POST', `/api/cases/${id(caseId)}/transitions`, caseViewSchema, { body: { to } }));

// Parties and vessels of a case.
export const addParty = (caseId: string, body: PartyInput) =>
  staff(request('POST', `/api/cases/${id(caseId)}/parties`, partyViewSchema, { body }));
export const updateParty = (caseId: string, partyId: string, body: PartyInput) =>
  staff(request('PUT', `/api/cases/${id(caseId)}/parties/${id(partyId)}`, partyViewSchema, { body }));
export const removeParty = (caseId: string, partyId: string) =>
  staff(requestNoContent('DELETE', `/api/cases/${id(caseId)}/parties/${id(partyId)}`));
export const addVessel = (caseId: string, body: VesselInput) =>
  staff(request('POST', `/api/cases/${id(caseId)}/vessels`, vesselViewSchema, { body }));
export const updateVessel = (caseId: string, vesselId: string, body: VesselInput) =>
  staff(request('PUT', `/api/cases/${id(caseId)}/vessels/${id(vesselId)}`, vesselViewSchema, { body }));
export const removeVessel = (caseId: string, vesselId: string) =>
  staff(requestNoContent('DELETE', `/api/cases/${id(caseId)}/vessels/${id(vesselId)}`));

// Participants.
export const listParticipants = (caseId: string) =>
  staff(request('GET', `/api/cases/${id(caseId)}/participants`, participantListSchema));
export const addParticipant = (caseId: string, body: ParticipantInput) =>
  staff(request('POST', `/api/cases/${id(caseId)}/participants`, participantViewSchema, { body }));
export const removeParticipant = (caseId: string, participantId: string) =>
  staff(requestNoContent('DELETE', `/api/cases/${id(caseId)}/participants/${id(participantId)}`));

// Sessions and invitations.
export const listSessions = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}/sessions`, sessionListSchema));
export const scheduleSession = (caseId: string, body: SessionCreate) =>
  staff(request('POST', `/api/cases/${id(caseId)}/sessions`, sessionViewSchema, { body }));
export const getSession = (sessionId: string) => staff(request('GET', `/api/sessions/${id(sessionId)}`, sessionViewSchema));
export const transitionSession = (sessionId: string, to: SessionStatus) =>
  staff(request('POST', `/api/sessions/${id(sessionId)}/transitions`, sessionViewSchema, { body: { to } }));
export const listInvitations = (sessionId: string) =>
  staff(request('GET', `/api/sessions/${id(sessionId)}/invitations`, invitationListSchema));
export const issueInvitation = (sessionId: string, body: InvitationCreate) =>
  staff(request('POST', `/api/sessions/${id(sessionId)}/invitations`, issuedInvitationSchema, { body }));
export const revokeInvitation = (invitationId: string) =>
  staff(request('POST', `/api/invitations/${id(invitationId)}/revoke`, invitationViewSchema, { body: {} }));

// Court desk (clerks and judges): the confirmation queue, one application and its steps.
export type { ConfirmationDetail };
export type CourtDecision = z.input<typeof courtDecisionSchema>;
export type HearingRequest = z.input<typeof hearingRequestSchema>;
export const getCourtQueue = (status?: ConfirmationStatus) =>
  staff(request('GET', '/api/court/confirmations', confirmationQueueSchema, { query: { status } }));
export const getConfirmation = (confirmationId: string) =>
  staff(request('GET', `/api/confirmations/${id(confirmationId)}`, confirmationDetailSchema));
export const acceptConfirmation = (confirmationId: string) =>
  staff(request('POST', `/api/confirmations/${id(confirmationId)}/accept`, confirmationDetailSchema, { body: {} }));
export const notAcceptConfirmation = (confirmationId: string, reason: string) =>
  staff(request('POST', `/api/confirmations/${id(confirmationId)}/not-accept`, confirmationDetailSchema, { body: { reason } }));
export const startConfirmationReview = (confirmationId: string) =>
  staff(request('POST', `/api/confirmations/${id(confirmationId)}/review`, confirmationDetailSchema, { body: {} }));
export const extendConfirmation = (confirmationId: string, reason: string) =>
  staff(request('POST', `/api/confirmations/${id(confirmationId)}/extend`, confirmationDetailSchema, { body: { reason } }));
export const scheduleConfirmationHearing = (confirmationId: string, body: HearingRequest) =>
  staff(request('POST', `/api/confirmations/${id(confirmationId)}/hearing`, confirmationDetailSchema, { body }));
export const decideConfirmation = (confirmationId: string, body: CourtDecision) =>
  staff(request('POST', `/api/confirmations/${id(confirmationId)}/decide`, confirmationDetailSchema, { body }));
/** The agreement with its signed version, signatures and sealed document (also readable by court staff). */
export const getAgreement = (agreementId: string) => staff(request('GET', `/api/agreements/${id(agreementId)}`, agreementViewSchema));
export const listRecordings = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}/recordings`, recordingListSchema));
/** Where the browser downloads a recording's self-checking package (same-origin, with the session cookie). */
export const recordingPackageUrl = (caseId: string, recordingId: string) => `/api/cases/${id(caseId)}/recordings/${id(recordingId)}/package`;
/** Every audio track of the recording mixed into one Opus/WebM file (fetched, then played from memory so that seeking works). */
export const recordingPlaybackUrl = (caseId: string, recordingId: string) => `/api/cases/${id(caseId)}/recordings/${id(recordingId)}/playback`;
export const deleteRecording = (caseId: string, recordingId: string, reason: string) =>
  staff(requestNoContent('DELETE', `/api/cases/${id(caseId)}/recordings/${id(recordingId)}`, { body: { reason } }));
export const listRecordingDeletions = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}/recording-deletions`, recordingDeletionListSchema));
export const getRecordingRetention = (organisationId: string) =>
  staff(request('GET', `/api/admin/organisations/${id(organisationId)}/recording-retention`, recordingRetentionSchema));
export const setRecordingRetention = (organisationId: string, days: number | null) =>
  staff(request('PUT', `/api/admin/organisations/${id(organisationId)}/recording-retention`, recordingRetentionSchema, { body: { days } }));
export const listEvidence = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}/evidence`, evidenceListSchema));

// Case page: agreement drafting and signing, evidence, follow-up (mediator's side).
// (getAgreement and listEvidence are defined above, shared with the court desk.)
export type AgreementDraftBody = AgreementDraftInput;
export type AgreementComment = z.input<typeof commentCreateSchema>;
export const listAgreements = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}/agreements`, agreementListSchema));
export const previewAgreement = (caseId: string, body: AgreementDraftBody) =>
  staff(request('POST', `/api/cases/${id(caseId)}/agreements/preview`, previewSchema, { body }));
export const createAgreement = (caseId: string, body: AgreementDraftBody) =>
  staff(request('POST', `/api/cases/${id(caseId)}/agreements`, agreementViewSchema, { body }));
export const saveAgreementVersion = (agreementId: string, body: AgreementDraftBody) =>
  staff(request('POST', `/api/agreements/${id(agreementId)}/versions`, agreementViewSchema, { body }));
export const diffAgreementVersions = (agreementId: string, from: number, to: number) =>
  staff(request('GET', `/api/agreements/${id(agreementId)}/diff`, diffSchema, { query: { from, to } }));
export const commentOnAgreement = (agreementId: string, body: AgreementComment) =>
  staff(request('POST', `/api/agreements/${id(agreementId)}/comments`, agreementViewSchema, { body }));
export const transitionAgreement = (agreementId: string, to: 'signing' | 'drafting' | 'withdrawn') =>
  staff(request('POST', `/api/agreements/${id(agreementId)}/transitions`, agreementViewSchema, { body: { to } }));
export const issueSigningCode = (agreementId: string, participantId: string) =>
  staff(request('POST', `/api/agreements/${id(agreementId)}/signing-codes`, signingCodeSchema, { body: { participantId } }));
export const fileConfirmation = (agreementId: string) =>
  staff(request('POST', `/api/agreements/${id(agreementId)}/confirmation`, confirmationSummarySchema, { body: {} }));
/** `form` holds the file (field "file"), and optionally description and sharedWith. */
export const uploadEvidence = (caseId: string, form: FormData) =>
  staff(request('POST', `/api/cases/${id(caseId)}/evidence`, evidenceViewSchema, { body: form }));
export const evidenceCustody = (evidenceId: string) => staff(request('GET', `/api/evidence/${id(evidenceId)}/custody`, custodyListSchema));
export const shareEvidence = (evidenceId: string, sharedWith: string) =>
  staff(request('PATCH', `/api/evidence/${id(evidenceId)}`, evidenceViewSchema, { body: { sharedWith } }));
export const listObligations = (caseId: string) => staff(request('GET', `/api/cases/${id(caseId)}/obligations`, obligationListSchema));
export const recordFulfilment = (obligationId: string, note: string) =>
  staff(request('POST', `/api/obligations/${id(obligationId)}/fulfil`, obligationListSchema, { body: { note } }));
export const listOverdueObligations = () => staff(request('GET', '/api/follow-up/overdue', overdueListSchema));

// Compensation calculator: the yearly figures (read by staff, added by admins).
export const listCompensationFigures = () => staff(request('GET', '/api/compensation/figures', compensationFiguresListSchema));
export const addCompensationFigures = (body: CompensationFiguresInput) =>
  staff(request('POST', '/api/admin/compensation/figures', compensationFiguresViewSchema, { body }));

// Dashboard (驾驶舱): center heads and court staff; an empty date means the server's default period.
export const loadDashboard = (query: { from: string; to: string }) => staff(request('GET', '/api/dashboard', dashboardSchema, { query }));

// The center's SMS outbox (mediators and admins).
export const listOutbox = () => staff(request('GET', '/api/notifications', outboxListSchema));
export const resendNotification = (id: string) => staff(request('POST', `/api/notifications/${id}/resend`, outboxItemSchema));

// Assigned and chosen mediators; the center's roster and profiles.
export const getCaseMediators = (caseId: string) => staff(request('GET', `/api/cases/${caseId}/mediators`, caseMediatorsSchema));
export const assignMediators = (caseId: string, body: AssignMediators) => staff(request('PUT', `/api/cases/${caseId}/mediators`, caseMediatorsSchema, { body }));
export const listMediatorProfiles = () => staff(request('GET', '/api/mediators', mediatorProfileListSchema));
export const updateMediatorProfile = (staffUserId: string, body: MediatorProfileInput) => staff(request('PUT', `/api/mediators/${staffUserId}/profile`, mediatorProfileSchema, { body }));
export const uploadMediatorPhoto = (staffUserId: string, photo: Blob) => staff(request('PUT', `/api/mediators/${staffUserId}/photo`, mediatorProfileSchema, { body: photo }));
