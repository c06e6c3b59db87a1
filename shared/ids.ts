import { z } from 'zod';

/** Branded ids: a CaseId cannot be passed where a SessionId is expected. */
const id = <B extends string>(brand: B) => z.uuid().brand<B>();

export const organisationIdSchema = id('OrganisationId');
export const staffUserIdSchema = id('StaffUserId');
export const caseIdSchema = id('CaseId');
export const partyIdSchema = id('PartyId');
export const vesselIdSchema = id('VesselId');
export const participantIdSchema = id('ParticipantId');
export const sessionIdSchema = id('SessionId');
export const invitationIdSchema = id('InvitationId');

export type OrganisationId = z.infer<typeof organisationIdSchema>;
export type StaffUserId = z.infer<typeof staffUserIdSchema>;
export type CaseId = z.infer<typeof caseIdSchema>;
export type PartyId = z.infer<typeof partyIdSchema>;
export type VesselId = z.infer<typeof vesselIdSchema>;
export type ParticipantId = z.infer<typeof participantIdSchema>;
export type SessionId = z.infer<typeof sessionIdSchema>;
export type InvitationId = z.infer<typeof invitationIdSchema>;
