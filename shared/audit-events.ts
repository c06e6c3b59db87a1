import { z } from 'zod';
import { listeningModes } from './domain/interpretation.ts';
import { agreementStatuses, confirmationStatuses, signatureStatuses, templateIds } from './domain/agreements.ts';
import { attendanceStates, identityMethods } from './domain/attendance.ts';
import { caseStatuses, disputeTypes } from './domain/cases.ts';
import { courtCodes } from './domain/courts.ts';
import { organisationKinds, organisationLevels, staffRoles } from './domain/organisations.ts';
import { participantRoles } from './domain/participants.ts';
import { sessionStatuses } from './domain/sessions.ts';
import { transferKinds } from './domain/transfers.ts';
import { consultationKinds, consultationStatuses } from './domain/consultations.ts';
import { accessWithdrawnCauses } from './realtime.ts';
import { consentRecordingContentTypes } from './api/agreements.ts';

/**
 * Every kind of audit event, one zod schema each: `type` and the exact shape of its `data`.
 * Events are append-only and hash-chained on the server (server/modules/audit). To add a kind,
 * add one `event(...)` line below; the writer then accepts it, typed and checked at runtime.
 */
const event = <T extends string, D extends z.ZodType>(type: T, data: D) => z.object({ type: z.literal(type), data });
const shape = z.strictObject;

const id = z.string().min(1);
const instant = z.string().min(1);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const fieldNames = z.array(z.string());
const inSession = { sessionId: id };
const attendance = { sessionId: id, attendanceId: id };

/** An attendance's move along the attendance machine (entering the lobby, admitted, refused, removed, left). */
const attendanceMove = shape({
  ...attendance,
  from: z.enum(attendanceStates),
  to: z.enum(attendanceStates),
  /** Set when the person leaving was in the spotlight, which the same transaction cleared. */
  spotlightCleared: z.literal(true).optional(),
  reason: z.string().nullable().optional(),
  cause: z.enum(accessWithdrawnCauses).optional(),
});
const custody = shape({ evidenceId: id, sha256, page: z.number().int().optional(), via: z.enum(['login', 'signed_link', 'room_link']) });

export const auditEventSchema = z.discriminatedUnion('type', [
  event('organisation.created', shape({ organisationId: id, kind: z.enum(organisationKinds), name: z.string() })),
  event('organisation.updated', shape({ organisationId: id, fields: fieldNames })),
  event(
    'organisation.placed',
    shape({ organisationId: id, parentId: id.nullable(), level: z.enum(organisationLevels).nullable(), previousParentId: id.nullable(), previousLevel: z.enum(organisationLevels).nullable() }),
  ),
  /** An admin changed how long the organisation's recordings are kept (null: until deleted by hand). */
  event('organisation.recording_retention_changed', shape({ organisationId: id, from: z.number().int().nullable(), to: z.number().int().nullable() })),
  event('organisation.seal_installed', shape({ organisationId: id, sealId: id, source: z.enum(['test', 'uploaded']), fingerprintSha256: sha256 })),
  event('staff_user.created', shape({ staffUserId: id, username: z.string(), role: z.enum(staffRoles), organisationId: id })),
  event('staff_user.updated', shape({ staffUserId: id, fields: fieldNames })),
  event('staff_user.password_changed', shape({ staffUserId: id, fields: fieldNames })),

  event('case.created', shape({ number: z.string(), disputeType: z.enum(disputeTypes), parties: z.array(id), vessels: z.array(id) })),
  event('case.updated', shape({ fields: fieldNames })),
  event(
    'case.status_changed',
    shape({ from: z.enum(caseStatuses), to: z.enum(caseStatuses), agreementId: id.optional(), confirmationId: id.optional(), reason: z.string().optional() }),
  ),
  event(
    'case.transfer_requested',
    shape({ transferId: id, kind: z.enum(transferKinds), fromOrganisationId: id, toOrganisationId: id }),
  ),
  event('case.transfer_accepted', shape({ transferId: id, fromOrganisationId: id, toOrganisationId: id })),
  event('case.transfer_returned', shape({ transferId: id, fromOrganisationId: id, toOrganisationId: id, reason: z.string() })),
  event('case.mediators_assigned', shape({ lead: id, coMediators: z.array(id), previousLead: id.nullable(), previousCoMediators: z.array(id) })),
  event('case.mediator_chosen', shape({ participantId: id, staffUserId: id, previous: id.nullable() })),
  event('mediator.profile_updated', shape({ staffUserId: id, fields: fieldNames })),
  event('mediator.photo_uploaded', shape({ staffUserId: id, sha256, byteSize: z.number().int() })),
  event('notification.resent', shape({ notificationId: id, previousAttempts: z.number().int(), lastError: z.string().nullable() })),
  event('case.enforceable', shape({ confirmationId: id, rulingNumber: z.string().nullable() })),
  event('party.added', shape({ partyId: id })),
  event('party.updated', shape({ partyId: id, idNumberChanged: z.boolean() })),
  event('party.removed', shape({ partyId: id })),
  event('vessel.added', shape({ vesselId: id })),
  event('vessel.updated', shape({ vesselId: id })),
  event('vessel.removed', shape({ vesselId: id })),
  event('participant.added', shape({ participantId: id, role: z.enum(participantRoles) })),
  event('participant.removed', shape({ participantId: id })),

  event('session.scheduled', shape({ ...inSession, scheduledAt: instant })),
  event('session.updated', shape({ ...inSession, fields: fieldNames })),
  event('session.status_changed', shape({ ...inSession, from: z.enum(sessionStatuses), to: z.enum(sessionStatuses) })),
  event('invitation.issued', shape({ invitationId: id, sessionId: id, participantId: id, expiresAt: instant })),
  event('invitation.revoked', shape({ invitationId: id })),
  event('invitation.opened', shape({ invitationId: id })),

  event('attendance.lobby_entered', attendanceMove),
  event('attendance.admitted', attendanceMove),
  event('attendance.refused', attendanceMove),
  event('attendance.removed', attendanceMove),
  event('attendance.left', attendanceMove),
  event('attendance.identity_confirmed', shape({ ...attendance, method: z.enum(identityMethods) })),
  event(
    'attendance.identity_failed',
    shape({ ...attendance, method: z.enum(identityMethods), failures: z.number().int(), codeVoid: z.boolean().optional() }),
  ),
  event('attendance.code_issued', shape({ ...attendance, expiresAt: instant })),
  event('attendance.moved', shape({ ...attendance, from: z.string(), to: z.string() })),
  event('attendance.host_muted', shape({ ...attendance, kind: z.enum(['audio', 'video']), muted: z.boolean() })),
  event('attendance.screen_permission_changed', shape({ ...attendance, allowed: z.boolean() })),
  /** A listener chose what they hear of one person (interpreter channel): who heard what, for the record. */
  event('attendance.listening_changed', shape({ ...attendance, speakerAttendanceId: id, mode: z.enum(listeningModes) })),
  event('room.lock_changed', shape({ ...inSession, locked: z.boolean() })),
  event('room.spotlight_changed', shape({ ...inSession, attendanceId: id.nullable() })),
  event('room.caucus_opened', shape({ ...inSession, caucusId: id, name: z.string() })),
  event('room.caucus_closed', shape({ ...inSession, caucusId: id, returned: z.array(id) })),
  event('room.caucus_recording_changed', shape({ ...inSession, caucusId: id, recorded: z.boolean() })),
  event('recording.started', shape({ ...inSession, recordingId: id })),
  event('recording.paused', shape({ ...inSession, recordingId: id })),
  event('recording.resumed', shape({ ...inSession, recordingId: id })),
  /** `cause`: set when the session's end or a full disk stopped it (else the host did). */
  event('recording.stopped', shape({ ...inSession, recordingId: id, cause: z.enum(['session_ended', 'storage_full']).optional() })),
  event(
    'recording.segment_stored',
    shape({
      ...inSession,
      recordingId: id,
      segmentId: id,
      attendanceId: id,
      kind: z.enum(['audio', 'video']),
      source: z.enum(['microphone', 'camera', 'screen', 'interpretation']),
      space: z.string(),
      fileKey: z.string(),
      bytes: z.number().int(),
      sha256,
    }),
  ),
  event(
    'recording.gap',
    shape({
      ...inSession,
      recordingId: id,
      gapId: id,
      reason: z.enum(['server_restart', 'worker_died', 'storage_full', 'writer_failed']),
      from: instant,
      to: instant.nullable(),
      /** How many tracks it concerns (0: all). */
      tracks: z.number().int(),
    }),
  ),
  event('recording.consented', shape({ ...inSession, recordingId: id, attendanceId: id })),
  /** Custody: a staff member downloaded the recording's package. */
  event('recording.downloaded', shape({ ...inSession, recordingId: id, segments: z.number().int() })),
  /** Custody: a staff member played (a range of) the recording on the staff desk. */
  event('recording.played', shape({ ...inSession, recordingId: id, from: instant, to: instant })),
  /**
   * A recording's files and rows were deleted (retention rule or by hand, with a reason); the
   * tombstone (recording_deletions) keeps every segment's hash; `segmentsSha256` is SHA-256 of
   * the sorted "sha256  fileKey" lines, so the tombstone can be checked against this event.
   */
  event(
    'recording.deleted',
    shape({
      ...inSession,
      recordingId: id,
      deletionId: id,
      rule: z.enum(['retention', 'manual']),
      retentionDays: z.number().int().nullable(),
      reason: z.string().nullable(),
      segments: z.number().int(),
      bytes: z.number().int(),
      segmentsSha256: sha256,
    }),
  ),
  event(
    'realtime.abuse_disconnected',
    shape({ event: z.string().max(40), address: z.string(), sessionId: id.nullable(), peerId: id.nullable() }),
  ),

  event('evidence.uploaded', shape({ evidenceId: id, sha256, byteSize: z.number().int(), contentType: z.string(), kind: z.enum(['evidence', 'appraisal_report']), capturedAt: z.string().optional() })),
  event('evidence.shared', shape({ evidenceId: id, from: z.string(), to: z.string() })),
  event('evidence.viewed', custody),
  event('evidence.downloaded', custody),
  event('evidence.shown', shape({ evidenceId: id, sha256, page: z.number().int(), sessionId: id, /** Display names of those in the joint room. */ audience: z.array(z.string()) })),
  event('appraisal.statement_signed', shape({ evidenceId: id, reportSha256: sha256, signatureSha256: sha256 })),

  event('agreement.drafted', shape({ agreementId: id, templateId: z.enum(templateIds), versionHash: sha256 })),
  event('agreement.version_saved', shape({ agreementId: id, number: z.number().int(), versionHash: sha256, voidedSignatures: z.number().int() })),
  event('agreement.comment_added', shape({ agreementId: id, kind: z.enum(['comment', 'change_request']) })),
  event(
    'agreement.status_changed',
    shape({ agreementId: id, from: z.enum(agreementStatuses), to: z.enum(agreementStatuses), versionHash: sha256.optional(), confirmationId: id.optional() }),
  ),
  event('agreement.signing_code_issued', shape({ agreementId: id, participantId: id })),
  /** A wrong answer at signing (ID digits or a one-time code), counted against the cap; `codeVoid`: the signer's open codes were voided. */
  event('signature.identity_failed', shape({ agreementId: id, participantId: id, method: z.enum(identityMethods), failures: z.number().int(), codeVoid: z.boolean().optional() })),
  event(
    'signature.signed',
    shape({
      agreementId: id,
      signatureId: id,
      partyId: id,
      versionHash: sha256,
      identityMethod: z.enum(identityMethods),
      imageSha256: sha256.nullable(),
      /** The signer's spoken consent (consent_recordings) bound to this signature. */
      consentRecordingSha256: sha256,
    }),
  ),
  event(
    'signature.consent_recorded',
    shape({ agreementId: id, versionHash: sha256, partyId: id, sha256, durationMs: z.number().int(), byteSize: z.number().int(), contentType: z.enum(consentRecordingContentTypes) }),
  ),
  /** Custody: staff played the spoken consent back. */
  event('signature.consent_played', shape({ agreementId: id, signatureId: id, sha256 })),
  event('signature.declined', shape({ agreementId: id, signatureId: id, partyId: id, versionHash: sha256 })),
  event('signature.voided', shape({ agreementId: id, signatureId: id, partyId: id, was: z.enum(signatureStatuses), byVersion: z.number().int().optional() })),
  event(
    'document.sealed',
    z.union([
      shape({ agreementId: id, documentId: id, sha256, versionHash: sha256 }),
      shape({ confirmationId: id, documentId: id, sha256, kind: z.literal('ruling') }),
    ]),
  ),

  event(
    'confirmation.status_changed',
    shape({
      confirmationId: id,
      /** Absent when filed: an application starts there. */
      from: z.enum(confirmationStatuses).optional(),
      to: z.enum(confirmationStatuses),
      agreementId: id.optional(),
      court: z.enum(courtCodes).optional(),
      reason: z.string().optional(),
      rulingNumber: z.string().nullable().optional(),
      /** The court's own time limit had passed: recorded, not refused. */
      late: z.literal(true).optional(),
      deadline: instant.optional(),
    }),
  ),
  event('confirmation.extended', shape({ confirmationId: id, from: instant, ruleBy: instant, reason: z.string() })),
  event('confirmation.hearing_scheduled', shape({ confirmationId: id, sessionId: id, scheduledAt: instant })),
  event('obligation.fulfilled', shape({ obligationId: id, note: z.string() })),
  event('law_firm.created', shape({ lawFirmId: id, name: z.string() })),
  event('lawyer.created', shape({ staffUserId: id, lawFirmId: id })),
  event('duty_shift.added', shape({ dutyShiftId: id, lawyerId: id, startsAt: instant, endsAt: instant })),
  event('duty_shift.removed', shape({ dutyShiftId: id, lawyerId: id, startsAt: instant, endsAt: instant })),
  event('lawyer_slot.published', shape({ slotId: id, lawyerId: id, startsAt: instant, endsAt: instant })),
  event(
    'consultation.requested',
    shape({ consultationId: id, kind: z.enum(consultationKinds), status: z.enum(['booked', 'requested']), lawyerId: id.nullable(), forParticipantId: id.nullable(), slotId: id.optional() }),
  ),
  event(
    'consultation.status_changed',
    shape({ consultationId: id, from: z.enum(consultationStatuses), to: z.enum(consultationStatuses), lawyerId: id.optional(), reason: z.string().optional() }),
  ),
  /** The consulting lawyer read the case summary: what a consultation lets them see, recorded each time. */
  event('consultation.summary_viewed', shape({ consultationId: id })),
  event('compensation.figures_added', shape({ figuresId: id, province: z.string(), year: z.number().int(), version: z.number().int() })),
]);

/** An event's kind and data, as the writer takes it (`caseId` and `actor` are given alongside). */
export type AuditEventBody = z.input<typeof auditEventSchema>;
export type AuditEventType = AuditEventBody['type'];
export type AuditDataOf<T extends AuditEventType> = Extract<AuditEventBody, { type: T }>['data'];
export const auditEventTypes = auditEventSchema.options.map((o) => o.shape.type.value) as AuditEventType[];

/** Builds an event whose kind is only known as a type parameter (a helper that takes `type`). */
export const auditEvent = <T extends AuditEventType>(type: T, data: AuditDataOf<T>) => ({ type, data }) as AuditEventBody;

export const auditActorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('staff'), staffUserId: id }),
  z.object({ kind: z.literal('participant'), participantId: id }),
  z.object({ kind: z.literal('system') }),
]);
export type AuditActor = z.infer<typeof auditActorSchema>;
