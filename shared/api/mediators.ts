import { z } from 'zod';
import { chineseMobileSchema } from '../domain/parties.ts';
import { dialects, maxCoMediators, mediatorRoles, specialities } from '../domain/mediators.ts';
import { staffUserIdSchema } from '../ids.ts';
import { textSchema } from '../text.ts';

const distinct = <T>(items: T[]) => new Set(items).size === items.length;

export const mediatorProfileInputSchema = z.object({
  dialects: z.array(z.enum(dialects)).max(dialects.length).refine(distinct, 'duplicate dialect'),
  specialities: z.array(z.enum(specialities)).max(specialities.length).refine(distinct, 'duplicate speciality'),
  introduction: textSchema.trim().max(300).default(''),
  phone: chineseMobileSchema.nullable().default(null),
});
export type MediatorProfileInput = z.input<typeof mediatorProfileInputSchema>;

/** One mediator as the roster shows them (to parties: no phone). */
export const rosterEntrySchema = z.object({
  staffUserId: z.string(),
  displayName: z.string(),
  /** A signed link to the photo, or null for the default avatar. */
  photoUrl: z.string().nullable(),
  dialects: z.array(z.enum(dialects)),
  specialities: z.array(z.enum(specialities)),
  introduction: z.string(),
  /** Cases this mediator has led or co-mediated to settlement or beyond (computed). */
  casesHandled: z.number().int(),
});

/** The party's page: the roster, the caller's own choice and whether choosing is still open. */
export const partyRosterSchema = z.object({
  centerName: z.string(),
  open: z.boolean(),
  chosenStaffUserId: z.string().nullable(),
  mediators: z.array(rosterEntrySchema),
});
export type PartyRoster = z.infer<typeof partyRosterSchema>;

export const mediatorChoiceRequestSchema = z.object({ staffUserId: staffUserIdSchema });

export const mediatorProfileSchema = rosterEntrySchema.extend({ phone: z.string().nullable(), centerHead: z.boolean() });
export type MediatorProfile = z.infer<typeof mediatorProfileSchema>;
export const mediatorProfileListSchema = z.object({ items: z.array(mediatorProfileSchema) });

const assignedSchema = z.object({ staffUserId: z.string(), displayName: z.string(), role: z.enum(mediatorRoles) });
export const partyChoiceSchema = z.object({ participantId: z.string(), participantName: z.string(), staffUserId: z.string(), displayName: z.string(), chosenAt: z.string() });

/** A case's mediators as its center sees them: who is assigned, what the parties chose, who may assign. */
export const caseMediatorsSchema = z.object({
  lead: assignedSchema.nullable(),
  coMediators: z.array(assignedSchema),
  choices: z.array(partyChoiceSchema),
  /** The parties chose different mediators: the head decides. */
  choicesDiffer: z.boolean(),
  choiceOpen: z.boolean(),
  /** Whether the caller is the center's head and may assign. */
  mayAssign: z.boolean(),
});
export type CaseMediators = z.infer<typeof caseMediatorsSchema>;

export const assignMediatorsSchema = z
  .object({
    leadId: staffUserIdSchema,
    coMediatorIds: z.array(staffUserIdSchema).max(maxCoMediators).default([]),
    /** The lead the head saw: a reassignment made meanwhile by someone else is refused (409), not overwritten. */
    expectedLeadId: staffUserIdSchema.nullable(),
  })
  .superRefine((v, ctx) => {
    if (!distinct(v.coMediatorIds)) ctx.addIssue({ code: 'custom', path: ['coMediatorIds'], message: 'duplicate co-mediator' });
    if (v.coMediatorIds.includes(v.leadId)) ctx.addIssue({ code: 'custom', path: ['coMediatorIds'], message: 'the lead is not also a co-mediator' });
  });
export type AssignMediators = z.input<typeof assignMediatorsSchema>;
