import { z } from 'zod';
import { textSchema } from '../text.ts';
import { languagePairSchema } from '../domain/interpretation.ts';
import { participantInputSchema, participantRoles, type ParticipantRole } from '../domain/participants.ts';
import { sessionStatuses } from '../domain/sessions.ts';
import { participantIdSchema } from '../ids.ts';
import { isoDateTimeSchema } from './common.ts';

export const sessionCreateSchema = z.object({
  title: textSchema.trim().min(1).max(120),
  scheduledAt: isoDateTimeSchema,
  durationMinutes: z.number().int().min(10).max(8 * 60).default(60),
});
export type SessionCreate = z.input<typeof sessionCreateSchema>;

export const sessionTransitionSchema = z.object({ to: z.enum(sessionStatuses) });

export const sessionViewSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  title: z.string(),
  kind: z.enum(['mediation', 'hearing', 'consultation']),
  scheduledAt: z.string(),
  durationMinutes: z.number().int(),
  status: z.enum(sessionStatuses),
  allowedTransitions: z.array(z.enum(sessionStatuses)),
  createdAt: z.string(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;
export const sessionListSchema = z.object({ items: z.array(sessionViewSchema) });

export { participantInputSchema };
export const participantViewSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  role: z.enum(participantRoles),
  displayName: z.string(),
  phone: z.string().nullable(),
  partyId: z.string().nullable(),
  representsPartyId: z.string().nullable(),
  staffUserId: z.string().nullable(),
  languagePair: languagePairSchema.nullable(),
  createdAt: z.string(),
});
export type ParticipantView = z.infer<typeof participantViewSchema>;
export const participantListSchema = z.object({ items: z.array(participantViewSchema) });

/** Whom a court's confirmation hearing is for: the parties and the agents acting for them. */
export const hearingInviteeRoles: readonly ParticipantRole[] = ['party', 'agent'];

/** Default and longest lifetime of an invitation link. */
export const invitationDefaultHours = 72;
export const invitationMaxHours = 30 * 24;

export const invitationCreateSchema = z.object({
  participantId: participantIdSchema,
  expiresInHours: z.number().int().min(1).max(invitationMaxHours).default(invitationDefaultHours),
});
export type InvitationCreate = z.input<typeof invitationCreateSchema>;

export const invitationStates = ['active', 'expired', 'revoked'] as const;
export const invitationViewSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  participantId: z.string(),
  participantName: z.string(),
  participantRole: z.enum(participantRoles),
  state: z.enum(invitationStates),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  lastOpenedAt: z.string().nullable(),
  createdAt: z.string(),
});
export type InvitationView = z.infer<typeof invitationViewSchema>;
export const invitationListSchema = z.object({ items: z.array(invitationViewSchema) });

/** Returned once, at issue: the token appears only inside `link`, `qrSvg` and `smsText`. */
export const issuedInvitationSchema = z.object({
  invitation: invitationViewSchema,
  link: z.string(),
  qrSvg: z.string(),
  smsText: z.string(),
});
export type IssuedInvitation = z.infer<typeof issuedInvitationSchema>;

export const joinResolveRequestSchema = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'malformed invitation token') });
export const joinContextSchema = z.object({
  participant: z.object({ id: z.string(), displayName: z.string(), role: z.enum(participantRoles) }),
  case: z.object({ id: z.string(), number: z.string(), title: z.string(), disputeType: z.string() }),
  session: z.object({ id: z.string(), title: z.string(), scheduledAt: z.string(), status: z.enum(sessionStatuses) }),
  expiresAt: z.string(),
});
export type JoinContext = z.infer<typeof joinContextSchema>;
