import { z } from 'zod';
import { defineMachine } from '../state-machine.ts';
import { textSchema } from '../text.ts';
import { maxAmountFen } from './cases.ts';

/**
 * A mediation agreement: drafted in immutable versions, sent for signature (one version is
 * frozen), signed by every required signer, sealed as a PDF; a court ruling may set it aside.
 */
export const agreementStatuses = ['drafting', 'signing', 'signed', 'sealed', 'set_aside', 'withdrawn'] as const;
export type AgreementStatus = (typeof agreementStatuses)[number];

export const agreementMachine = defineMachine(agreementStatuses, {
  drafting: ['signing', 'withdrawn'],
  signing: ['drafting', 'signed', 'withdrawn'],
  signed: ['sealed'],
  sealed: ['set_aside'],
  set_aside: [],
  withdrawn: [],
});

/** A signature row exists once someone signs or declines; a new version voids it. */
export const signatureStatuses = ['signed', 'declined', 'voided'] as const;
export type SignatureStatus = (typeof signatureStatuses)[number];

export const signatureMachine = defineMachine(signatureStatuses, {
  signed: ['voided'],
  declined: ['voided'],
  voided: [],
});

/** Judicial confirmation (司法确认): filed → accepted → under review → confirmed | rejected | returned. */
export const confirmationStatuses = ['filed', 'accepted', 'not_accepted', 'under_review', 'confirmed', 'rejected', 'returned'] as const;
export type ConfirmationStatus = (typeof confirmationStatuses)[number];

export const confirmationMachine = defineMachine(confirmationStatuses, {
  filed: ['accepted', 'not_accepted'],
  accepted: ['under_review'],
  not_accepted: [],
  under_review: ['confirmed', 'rejected', 'returned'],
  confirmed: [],
  rejected: [],
  returned: [],
});

export const templateIds = ['collision_injury', 'fishing_gear_damage', 'crew_wages', 'catch_sale', 'general'] as const;
export type TemplateId = (typeof templateIds)[number];

const fen = z.number().int().min(0).max(maxAmountFen);
const line = (max: number) => textSchema.trim().min(1).max(max);
export const isoDateSchema = z.iso.date();

/** A payment or act one party owes, by a date; instalments are several of these. */
export const obligationTermSchema = z.object({
  obligorPartyId: z.uuid(),
  description: line(300),
  amountFen: fen.optional(),
  dueDate: isoDateSchema,
});

/**
 * Every amount, line subtotal (quantity × unit price, weight × price) and the obligations' total
 * stays within the legal maximum of a claim, and so far below 2^53 where fen stop being exact.
 */
const overLegalMaximum = `must not exceed ${maxAmountFen / 100} yuan in total`;
const obligationsWithinMaximum = (t: { obligations: { amountFen?: number | undefined }[] }) => t.obligations.reduce((sum, o) => sum + (o.amountFen ?? 0), 0) <= maxAmountFen;
const obligationsOverMaximum = { message: `the obligations must not exceed ${maxAmountFen / 100} yuan in total`, path: ['obligations'] };

const commonTerms = {
  /** Side 甲 (usually the claimant) and side 乙, by party id. */
  partiesA: z.array(z.uuid()).min(1).max(10),
  partiesB: z.array(z.uuid()).min(1).max(10),
  /** Agents who act for a party; `maySign` when the agreement authorises them to sign. */
  agents: z.array(z.object({ participantId: z.uuid(), forPartyId: z.uuid(), maySign: z.boolean() })).max(20).default([]),
  vesselIds: z.array(z.uuid()).max(10).default([]),
  facts: line(5000),
  obligations: z.array(obligationTermSchema).min(1).max(60),
  confidential: z.boolean().default(true),
  /** What happens if a payment is missed; the template's standard clause when empty. */
  defaultClause: textSchema.trim().max(2000).default(''),
  /** Appraisal reports and other evidence the agreement relies on. */
  citedEvidenceIds: z.array(z.uuid()).max(20).default([]),
  applyForConfirmation: z.boolean().default(true),
  otherClauses: z.array(line(2000)).max(20).default([]),
};

const injuredPerson = z.object({
  name: line(50),
  outcome: z.enum(['death', 'injury']),
  medicalFen: fen.default(0),
  lostIncomeFen: fen.default(0),
  /** Disability compensation (残疾赔偿金), for an injury that left a disability. */
  disabilityCompensationFen: fen.default(0),
  funeralFen: fen.default(0),
  deathCompensationFen: fen.default(0),
  dependentsFen: fen.default(0),
  mentalDamageFen: fen.default(0),
});

export const templateTermsSchemas = {
  collision_injury: z.object({
    ...commonTerms,
    collisionAt: z.iso.datetime({ offset: true }),
    persons: z.array(injuredPerson).max(20).default([]),
    vesselLossFen: fen.default(0),
    otherLossFen: fen.default(0),
  }).refine(obligationsWithinMaximum, obligationsOverMaximum),
  fishing_gear_damage: z.object({
    ...commonTerms,
    gear: z
      .array(
        z
          .object({ kind: line(40), quantity: z.number().int().min(1).max(100_000), unitPriceFen: fen })
          .refine((g) => g.quantity * g.unitPriceFen <= maxAmountFen, { message: overLegalMaximum, path: ['unitPriceFen'] }),
      )
      .min(1)
      .max(30),
  }).refine(obligationsWithinMaximum, obligationsOverMaximum),
  crew_wages: z.object({
    ...commonTerms,
    crew: z.array(z.object({ name: line(50), fromMonth: z.string().regex(/^\d{4}-\d{2}$/), toMonth: z.string().regex(/^\d{4}-\d{2}$/), unpaidFen: fen })).min(1).max(60),
  }).refine(obligationsWithinMaximum, obligationsOverMaximum),
  catch_sale: z.object({
    ...commonTerms,
    catches: z
      .array(
        z
          .object({ species: line(40), weightKg: z.number().min(0).max(10_000_000), pricePerKgFen: fen })
          .refine((c) => Math.round(c.weightKg * c.pricePerKgFen) <= maxAmountFen, { message: overLegalMaximum, path: ['pricePerKgFen'] }),
      )
      .min(1)
      .max(30),
  }).refine(obligationsWithinMaximum, obligationsOverMaximum),
  general: z.object({ ...commonTerms }).refine(obligationsWithinMaximum, obligationsOverMaximum),
} as const satisfies Record<TemplateId, z.ZodType>;

export type TemplateTerms<T extends TemplateId = TemplateId> = z.output<(typeof templateTermsSchemas)[T]>;

/** A draft names its template and that template's terms, checked against the template's schema. */
export const agreementDraftSchema = z.discriminatedUnion('templateId', [
  z.object({ templateId: z.literal('collision_injury'), terms: templateTermsSchemas.collision_injury }),
  z.object({ templateId: z.literal('fishing_gear_damage'), terms: templateTermsSchemas.fishing_gear_damage }),
  z.object({ templateId: z.literal('crew_wages'), terms: templateTermsSchemas.crew_wages }),
  z.object({ templateId: z.literal('catch_sale'), terms: templateTermsSchemas.catch_sale }),
  z.object({ templateId: z.literal('general'), terms: templateTermsSchemas.general }),
]);
export type AgreementDraft = z.output<typeof agreementDraftSchema>;
export type AgreementDraftInput = z.input<typeof agreementDraftSchema>;
