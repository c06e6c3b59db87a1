import { z } from 'zod';
import { partyIdSchema } from '../ids';

export const mmsiSchema = z.string().trim().regex(/^\d{9}$/, 'MMSI must be exactly 9 digits');

export const vesselInputSchema = z.object({
  name: z.string().trim().min(1).max(60),
  registrationNumber: z.string().trim().min(1).max(40).optional(),
  mmsi: mmsiSchema.optional(),
  portOfRegistry: z.string().trim().min(1).max(60).optional(),
  ownerPartyId: partyIdSchema.optional(),
});
export type VesselInput = z.infer<typeof vesselInputSchema>;
