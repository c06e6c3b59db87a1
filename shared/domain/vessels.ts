import { z } from 'zod';
import { textSchema } from '../text.ts';
import { partyIdSchema } from '../ids.ts';

export const mmsiSchema = z.string().trim().regex(/^\d{9}$/, 'MMSI must be exactly 9 digits');

export const vesselInputSchema = z.object({
  name: textSchema.trim().min(1).max(60),
  registrationNumber: textSchema.trim().min(1).max(40).optional(),
  mmsi: mmsiSchema.optional(),
  portOfRegistry: textSchema.trim().min(1).max(60).optional(),
  ownerPartyId: partyIdSchema.optional(),
});
export type VesselInput = z.infer<typeof vesselInputSchema>;
