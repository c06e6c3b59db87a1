import { z } from 'zod';
import { consultationKinds, consultationStatuses, requestedMoves } from '../domain/consultations.ts';
import { chineseMobileSchema } from '../domain/parties.ts';
import { textSchema } from '../text.ts';
import { newPasswordSchema, usernameSchema } from './admin.ts';
import { isoDateTimeSchema } from './common.ts';

/** Legal help on demand (issue 11 point 4): law firms, lawyers, duty roster, slots, consultations. */

export const lawFirmCreateSchema = z.object({ name: textSchema.trim().min(2).max(100) });
export const lawFirmViewSchema = z.object({ id: z.string(), name: z.string() });

export const lawyerCreateSchema = z.object({
  lawFirmId: z.uuid(),
  username: usernameSchema,
  displayName: textSchema.trim().min(1).max(60),
  password: newPasswordSchema,
  phone: chineseMobileSchema,
  /** 律师执业证号: 17 digits. */
  licenceNumber: z.string().regex(/^\d{17}$/, 'a lawyer’s licence number has 17 digits'),
  specialities: textSchema.trim().max(200).default(''),
});
export type LawyerCreate = z.infer<typeof lawyerCreateSchema>;

/** What a party sees of a lawyer when choosing one: no phone, no licence number. */
export const lawyerCardSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  lawFirmName: z.string(),
  specialities: z.string(),
  onDutyNow: z.boolean(),
});
export const lawyerListSchema = z.object({ items: z.array(lawyerCardSchema) });

const withinAWeek = (v: { startsAt: string; endsAt: string }) => {
  const span = Date.parse(v.endsAt) - Date.parse(v.startsAt);
  return span > 0 && span <= 7 * 86_400_000;
};
export const dutyShiftCreateSchema = z
  .object({ lawyerId: z.uuid(), startsAt: isoDateTimeSchema, endsAt: isoDateTimeSchema })
  .refine(withinAWeek, { path: ['endsAt'], message: 'after startsAt, at most a week later' });
export const dutyShiftViewSchema = z.object({ id: z.string(), lawyerId: z.string(), lawyerName: z.string(), startsAt: z.string(), endsAt: z.string() });
export const dutyRosterQuerySchema = z.object({ from: isoDateTimeSchema.optional(), to: isoDateTimeSchema.optional() });
export const dutyRosterSchema = z.object({ items: z.array(dutyShiftViewSchema) });

export const slotCreateSchema = z.object({ startsAt: isoDateTimeSchema, durationMinutes: z.number().int().min(15).max(120) });
export const slotViewSchema = z.object({ id: z.string(), lawyerId: z.string(), lawyerName: z.string(), lawFirmName: z.string(), startsAt: z.string(), endsAt: z.string(), booked: z.boolean() });
export const slotListSchema = z.object({ items: z.array(slotViewSchema) });

/**
 * A request. A party (by their link) names nothing about the case: it is theirs. A mediator names
 * the case and, optionally, the party advised. `lawyerId` for chosen and called_in, `slotId` for
 * booked, neither for on_duty.
 */
export const consultationCreateSchema = z
  .object({
    kind: z.enum(consultationKinds),
    caseId: z.uuid().optional(),
    forParticipantId: z.uuid().optional(),
    lawyerId: z.uuid().optional(),
    slotId: z.uuid().optional(),
    question: textSchema.trim().max(500).default(''),
  })
  .superRefine((v, ctx) => {
    const named = v.kind === 'chosen' || v.kind === 'called_in';
    if (named && !v.lawyerId) ctx.addIssue({ code: 'custom', path: ['lawyerId'], message: 'name the lawyer' });
    if (!named && v.lawyerId) ctx.addIssue({ code: 'custom', path: ['lawyerId'], message: 'only a chosen or called-in consultation names a lawyer' });
    if (v.kind === 'booked' && !v.slotId) ctx.addIssue({ code: 'custom', path: ['slotId'], message: 'a booking names a slot' });
    if (v.kind !== 'booked' && v.slotId) ctx.addIssue({ code: 'custom', path: ['slotId'], message: 'only a booking names a slot' });
  });
export type ConsultationCreate = z.infer<typeof consultationCreateSchema>;

/**
 * `room` on accepting: `private` (default when a party is advised) opens a consultation room for
 * the lawyer and that party alone; `live` seats the lawyer in the party's mediation session.
 */
export const consultationMoveSchema = z.object({ to: z.enum(requestedMoves), reason: textSchema.trim().max(200).optional(), room: z.enum(['private', 'live']).optional() });

export const consultationViewSchema = z.object({
  id: z.string(),
  caseId: z.string(),
  caseNumber: z.string(),
  kind: z.enum(consultationKinds),
  status: z.enum(consultationStatuses),
  lawyer: z.object({ id: z.string(), displayName: z.string(), lawFirmName: z.string() }).nullable(),
  forParticipant: z.object({ id: z.string(), displayName: z.string() }).nullable(),
  question: z.string(),
  scheduledAt: z.string(),
  requestedAt: z.string().nullable(),
  answeredAt: z.string().nullable(),
  sessionId: z.string().nullable(),
  /** Plain words for the person who asked when nobody answered or the lawyer declined. */
  advice: z.string().nullable(),
  /** For the party advised, while it runs: their link into the private consultation room. */
  roomLink: z.string().nullable(),
});
export type ConsultationView = z.infer<typeof consultationViewSchema>;
export const consultationListSchema = z.object({ items: z.array(consultationViewSchema) });

/** The lawyer's answer to accepting: the link into the room, shown once (only its hash is kept). */
export const consultationAcceptedSchema = z.object({ consultation: consultationViewSchema, joinLink: z.string().nullable() });

/**
 * What a consulting lawyer may read of the case: the summary, not the evidence, the drafts, the
 * other side's material or the caucus (issue 11 point 4; recorded as consultation.summary_viewed).
 */
export const consultationSummarySchema = z.object({
  consultationId: z.string(),
  caseNumber: z.string(),
  title: z.string(),
  disputeType: z.string(),
  seaArea: z.string(),
  incidentAt: z.string(),
  incidentDescription: z.string(),
  claimedAmountFen: z.number().int(),
  parties: z.array(z.object({ displayName: z.string(), kind: z.string() })),
  question: z.string(),
});
