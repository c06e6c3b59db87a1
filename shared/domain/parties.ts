import { z } from 'zod';
import { textSchema } from '../text.ts';
import { idTypes, isValidResidentId, isValidUnifiedSocialCreditCode, normaliseIdNumber } from './id-numbers.ts';

export const partyKinds = ['person', 'organisation'] as const;
export type PartyKind = (typeof partyKinds)[number];

export const chineseMobileSchema = z
  .string()
  .trim()
  .regex(/^1[3-9]\d{9}$/, 'must be an 11-digit mainland mobile number');

export const partyInputSchema = z
  .object({
    kind: z.enum(partyKinds),
    name: textSchema.trim().min(1).max(100),
    idType: z.enum(idTypes).optional(),
    idNumber: textSchema.trim().min(4).max(40).transform(normaliseIdNumber).optional(),
    phone: chineseMobileSchema.optional(),
    address: textSchema.trim().max(200).optional(),
  })
  .superRefine((party, ctx) => {
    if (party.idNumber && !party.idType) {
      ctx.addIssue({ code: 'custom', path: ['idType'], message: 'required when an ID number is given' });
    }
    if (party.idType === 'resident_id' && party.idNumber && !isValidResidentId(party.idNumber)) {
      ctx.addIssue({ code: 'custom', path: ['idNumber'], message: 'not a valid resident ID number (check digit)' });
    }
    if (party.idType === 'unified_social_credit_code' && party.idNumber && !isValidUnifiedSocialCreditCode(party.idNumber)) {
      ctx.addIssue({ code: 'custom', path: ['idNumber'], message: 'not a valid unified social credit code' });
    }
    if (party.kind === 'organisation' && party.idType === 'resident_id') {
      ctx.addIssue({ code: 'custom', path: ['idType'], message: 'an organisation has no resident ID' });
    }
  });
export type PartyInput = z.infer<typeof partyInputSchema>;
