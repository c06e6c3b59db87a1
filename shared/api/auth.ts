import { z } from 'zod';
import { textSchema } from '../text.ts';
import { courtCodes } from '../domain/courts.ts';
import { organisationKinds, staffRoles } from '../domain/organisations.ts';

export const loginRequestSchema = z.object({
  username: textSchema.trim().min(1).max(64),
  password: z.string().min(1).max(256),
});

export const organisationViewSchema = z.object({
  id: z.string(),
  kind: z.enum(organisationKinds),
  name: z.string(),
  caseNumberPrefix: z.string().nullable(),
  courtCode: z.enum(courtCodes).nullable(),
});
export type OrganisationView = z.infer<typeof organisationViewSchema>;

export const meSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(staffRoles),
  /** The head of a mediation center: assigns the center's cases to mediators. */
  centerHead: z.boolean(),
  organisation: organisationViewSchema,
});
export type Me = z.infer<typeof meSchema>;
