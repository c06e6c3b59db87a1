import { z } from 'zod';
import { textSchema } from '../text.ts';
import { partyIdSchema, staffUserIdSchema } from '../ids.ts';
import { languagePairSchema } from './interpretation.ts';
import { chineseMobileSchema } from './parties.ts';

export const participantRoles = [
  'mediator',
  'party',
  'agent',
  'appraiser',
  'interpreter',
  'clerk',
  'judge',
  'observer',
  /** 咨询律师: a lawyer of the center's linked firm advising through a consultation, no party's agent. */
  'consulting_lawyer',
] as const;
export type ParticipantRole = (typeof participantRoles)[number];

export const participantInputSchema = z
  .object({
    role: z.enum(participantRoles),
    displayName: textSchema.trim().min(1).max(100),
    phone: chineseMobileSchema.optional(),
    /** The party this participant is (role party). */
    partyId: partyIdSchema.optional(),
    /** The party this agent or lawyer acts for (role agent). */
    representsPartyId: partyIdSchema.optional(),
    staffUserId: staffUserIdSchema.optional(),
    /** The languages an interpreter works between (role interpreter), e.g. 闽南语 ↔ 普通话. */
    languagePair: languagePairSchema.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.role === 'party' && !p.partyId) ctx.addIssue({ code: 'custom', path: ['partyId'], message: 'a party participant names the party' });
    if (p.role !== 'party' && p.partyId) ctx.addIssue({ code: 'custom', path: ['partyId'], message: 'only a party participant is a party' });
    if (p.role === 'agent' && !p.representsPartyId) ctx.addIssue({ code: 'custom', path: ['representsPartyId'], message: 'an agent acts for a named party' });
    if (p.role === 'consulting_lawyer') ctx.addIssue({ code: 'custom', path: ['role'], message: 'a consulting lawyer joins through a consultation request' });
    if (p.role === 'interpreter' && !p.languagePair) ctx.addIssue({ code: 'custom', path: ['languagePair'], message: 'an interpreter names the two languages they interpret between' });
    if (p.role !== 'interpreter' && p.languagePair) ctx.addIssue({ code: 'custom', path: ['languagePair'], message: 'only an interpreter has a language pair' });
    if (p.role !== 'agent' && p.representsPartyId) ctx.addIssue({ code: 'custom', path: ['representsPartyId'], message: 'only an agent represents a party' });
  });
export type ParticipantInput = z.infer<typeof participantInputSchema>;
