/** Every kind of audit event. Events are append-only and hash-chained on the server. */
export const auditEventTypes = [
  'organisation.created',
  'organisation.updated',
  'staff_user.created',
  'staff_user.updated',
  'staff_user.password_changed',
  'case.created',
  'case.updated',
  'case.status_changed',
  'party.added',
  'party.updated',
  'party.removed',
  'vessel.added',
  'vessel.updated',
  'vessel.removed',
  'participant.added',
  'participant.removed',
  'session.scheduled',
  'session.updated',
  'session.status_changed',
  'invitation.issued',
  'invitation.revoked',
  'invitation.opened',
  'attendance.identity_confirmed',
  'attendance.lobby_entered',
  'attendance.admitted',
  'attendance.refused',
  'attendance.removed',
  'attendance.left',
  'evidence.uploaded',
  'evidence.shared',
] as const;
export type AuditEventType = (typeof auditEventTypes)[number];

export type AuditActor =
  | { kind: 'staff'; staffUserId: string }
  | { kind: 'participant'; participantId: string }
  | { kind: 'system' };
