import { z } from 'zod';
import { textSchema } from '../text.ts';
import { caseStatuses, disputeTypes, maxAmountFen, provinces, seaAreas } from '../domain/cases.ts';
import { courtCodes } from '../domain/courts.ts';
import { idTypes } from '../domain/id-numbers.ts';
import { partyInputSchema, partyKinds } from '../domain/parties.ts';
import { vesselInputSchema } from '../domain/vessels.ts';
import { isoDateTimeSchema, pageQuerySchema } from './common.ts';

export const amountFenSchema = z.number().int().min(0).max(maxAmountFen);

export const positionSchema = z.object({
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
});

const caseFields = {
  title: textSchema.trim().min(2).max(120),
  disputeType: z.enum(disputeTypes),
  incidentAt: isoDateTimeSchema,
  incidentPosition: positionSchema.nullable(),
  seaArea: z.enum(seaAreas),
  incidentDescription: textSchema.trim().max(5000),
  provinces: z.array(z.enum(provinces)).min(1).max(3).refine((p) => new Set(p).size === p.length, 'duplicate province'),
  claimedAmountFen: amountFenSchema,
  competentCourt: z.enum(courtCodes),
};

/** A vessel given with a new case names its owner by position in `parties`. */
export const newCaseVesselSchema = vesselInputSchema.omit({ ownerPartyId: true }).extend({
  ownerPartyIndex: z.number().int().min(0).max(49).optional(),
});

export const caseCreateSchema = z
  .object({
    ...caseFields,
    incidentPosition: caseFields.incidentPosition.default(null),
    incidentDescription: caseFields.incidentDescription.default(''),
    parties: z.array(partyInputSchema).max(50).default([]),
    vessels: z.array(newCaseVesselSchema).max(50).default([]),
  })
  .superRefine((c, ctx) => {
    c.vessels.forEach((v, i) => {
      if (v.ownerPartyIndex !== undefined && v.ownerPartyIndex >= c.parties.length) {
        ctx.addIssue({ code: 'custom', path: ['vessels', i, 'ownerPartyIndex'], message: 'no party at that position' });
      }
    });
  });
export type CaseCreate = z.input<typeof caseCreateSchema>;
export type CaseCreateData = z.output<typeof caseCreateSchema>;

export const caseUpdateSchema = z
  .object(caseFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'nothing to update');
export type CaseUpdate = z.infer<typeof caseUpdateSchema>;

export const caseTransitionSchema = z.object({ to: z.enum(caseStatuses) });

export const caseListQuerySchema = pageQuerySchema.extend({
  q: textSchema.trim().max(100).optional(),
  status: z.enum(caseStatuses).optional(),
  disputeType: z.enum(disputeTypes).optional(),
});
export type CaseListQuery = z.infer<typeof caseListQuerySchema>;

export const partyViewSchema = z.object({
  id: z.string(),
  kind: z.enum(partyKinds),
  name: z.string(),
  idType: z.enum(idTypes).nullable(),
  /** Always masked; the full number never leaves the server. */
  idNumberMasked: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
});
export type PartyView = z.infer<typeof partyViewSchema>;

export const vesselViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  registrationNumber: z.string().nullable(),
  mmsi: z.string().nullable(),
  portOfRegistry: z.string().nullable(),
  ownerPartyId: z.string().nullable(),
});
export type VesselView = z.infer<typeof vesselViewSchema>;

export const caseSummarySchema = z.object({
  id: z.string(),
  number: z.string(),
  title: z.string(),
  status: z.enum(caseStatuses),
  disputeType: z.enum(disputeTypes),
  incidentAt: z.string(),
  seaArea: z.enum(seaAreas),
  claimedAmountFen: z.number().int(),
  competentCourt: z.enum(courtCodes),
  centerId: z.string(),
  centerName: z.string(),
  partyNames: z.array(z.string()),
  updatedAt: z.string(),
  /** The caller is the case's lead or a co-mediator ("my cases", listed first). */
  mine: z.boolean(),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

export const caseViewSchema = caseSummarySchema.extend({
  incidentPosition: positionSchema.nullable(),
  incidentDescription: z.string(),
  provinces: z.array(z.enum(provinces)),
  allowedTransitions: z.array(z.enum(caseStatuses)),
  parties: z.array(partyViewSchema),
  vessels: z.array(vesselViewSchema),
  createdAt: z.string(),
  /** When a court's ruling confirmed the agreement (司法确认): the case is enforceable from then. */
  enforceableAt: z.string().nullable(),
  /** An application for judicial confirmation has been filed: the competent court is fixed. */
  applicationFiled: z.boolean(),
});
export type CaseView = z.infer<typeof caseViewSchema>;

export const caseListSchema = z.object({ items: z.array(caseSummarySchema), total: z.number().int() });
export type CaseList = z.infer<typeof caseListSchema>;

export { partyInputSchema, vesselInputSchema };
