import { z } from 'zod';

/** Branded ids: a parsed case id cannot be passed where a session id is expected. */
const id = <B extends string>() => z.uuid().brand<B>();

export const organisationIdSchema = id<'OrganisationId'>();
export const staffUserIdSchema = id<'StaffUserId'>();
export const caseIdSchema = id<'CaseId'>();
export const partyIdSchema = id<'PartyId'>();
export const vesselIdSchema = id<'VesselId'>();
export const participantIdSchema = id<'ParticipantId'>();
export const sessionIdSchema = id<'SessionId'>();
export const invitationIdSchema = id<'InvitationId'>();

export type OrganisationId = z.infer<typeof organisationIdSchema>;
