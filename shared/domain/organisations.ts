import { z } from 'zod';
import { textSchema } from '../text.ts';
import { courtCodes } from './courts.ts';

export const organisationKinds = ['mediation_center', 'maritime_court', 'tribunal'] as const;
export type OrganisationKind = (typeof organisationKinds)[number];

export const staffRoles = ['mediator', 'clerk', 'judge', 'admin', 'lawyer'] as const;
export type StaffRole = (typeof staffRoles)[number];

/**
 * Who watches the dashboard (驾驶舱), each for their own organisation and the levels below: a
 * center's admin, the center's head (a mediator flagged center_head) and court staff. Other
 * mediators work cases; they do not watch the cockpit.
 */
export function seesDashboard(staff: { role: StaffRole; centerHead: boolean }): boolean {
  return staff.role === 'admin' || staff.role === 'clerk' || staff.role === 'judge' || (staff.role === 'mediator' && staff.centerHead);
}

/** Levels of mediation in the "136" pattern: about 60 % settled in the village, 30 % in the town, 10 % in the county. */
export const organisationLevels = ['village', 'town', 'county'] as const;
export type OrganisationLevel = (typeof organisationLevels)[number];

/** Which staff roles may belong to which kind of organisation. */
export const rolesForOrganisation: Record<OrganisationKind, readonly StaffRole[]> = {
  mediation_center: ['mediator', 'admin', 'lawyer'],
  maritime_court: ['clerk', 'judge', 'admin'],
  tribunal: ['clerk', 'judge', 'admin'],
};

export const organisationInputSchema = z
  .object({
    kind: z.enum(organisationKinds),
    name: textSchema.trim().min(2).max(100),
    /** Short prefix in case numbers, e.g. 浙闽联调 → （2026）浙闽联调字第0001号. */
    caseNumberPrefix: textSchema.trim().min(1).max(12).optional(),
    courtCode: z.enum(courtCodes).optional(),
    /** The organisation above this one; its subtree is what its dashboard counts. */
    parentId: z.uuid().optional(),
    level: z.enum(organisationLevels).optional(),
  })
  .superRefine((org, ctx) => {
    if (org.kind === 'mediation_center') {
      if (!org.caseNumberPrefix) ctx.addIssue({ code: 'custom', path: ['caseNumberPrefix'], message: 'required for a mediation center' });
      if (org.courtCode) ctx.addIssue({ code: 'custom', path: ['courtCode'], message: 'only courts and tribunals have a court code' });
    } else if (org.level) {
      ctx.addIssue({ code: 'custom', path: ['level'], message: 'only mediation centers have a level' });
    } else if (!org.courtCode) {
      ctx.addIssue({ code: 'custom', path: ['courtCode'], message: 'required for a court or tribunal' });
    }
  });
export type OrganisationInput = z.infer<typeof organisationInputSchema>;
