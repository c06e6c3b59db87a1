import type { AuditVerification } from '../../../../shared/api/admin.ts';
import type { AuditEventType } from '../../../../shared/audit-events.ts';
import type { invitationStates } from '../../../../shared/api/sessions.ts';
import type { CaseStatus, DisputeType, Province, SeaArea } from '../../../../shared/domain/cases.ts';
import type { IdType } from '../../../../shared/domain/id-numbers.ts';
import type { OrganisationKind, StaffRole } from '../../../../shared/domain/organisations.ts';
import type { ParticipantRole } from '../../../../shared/domain/participants.ts';
import type { PartyKind } from '../../../../shared/domain/parties.ts';
import type { SessionStatus } from '../../../../shared/domain/sessions.ts';
import type { ErrorCode } from '../../../../shared/errors.ts';
import type { ClientErrorCode } from '../http.ts';

export const locales = ['zh-CN', 'en'] as const;
export type Locale = (typeof locales)[number];

type InvitationState = (typeof invitationStates)[number];
type AuditBreak = NonNullable<AuditVerification['firstBroken']>['reason'];

/** A label for every value of every enum the UI shows; both locales must fill all of them. */
export interface EnumLabels {
  disputeType: Record<DisputeType, string>;
  seaArea: Record<SeaArea, string>;
  province: Record<Province, string>;
  caseStatus: Record<CaseStatus, string>;
  /** Button text for moving a case to that status. */
  caseAction: Record<CaseStatus, string>;
  sessionStatus: Record<SessionStatus, string>;
  /** Button text for moving a session to that status. */
  sessionAction: Record<SessionStatus, string>;
  participantRole: Record<ParticipantRole, string>;
  idType: Record<IdType, string>;
  partyKind: Record<PartyKind, string>;
  organisationKind: Record<OrganisationKind, string>;
  staffRole: Record<StaffRole, string>;
  invitationState: Record<InvitationState, string>;
  auditBreak: Record<AuditBreak, string>;
  auditEventType: Record<AuditEventType, string>;
  errorCode: Record<ErrorCode | ClientErrorCode, string>;
}
