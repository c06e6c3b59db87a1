import { z } from 'zod';
import { confirmationStatuses } from '../domain/agreements.ts';
import { caseStatuses, disputeTypes, provinces, seaAreas } from '../domain/cases.ts';
import { organisationLevels } from '../domain/organisations.ts';
import { consultationKinds } from '../domain/consultations.ts';

/** A Beijing calendar date. */
const beijingDateSchema = z.iso.date();

/**
 * The period counted: cases registered from `from` to `to` (Beijing dates, both included).
 * Without them: the 12 weeks up to today.
 */
export const dashboardQuerySchema = z
  .object({ from: beijingDateSchema.optional(), to: beijingDateSchema.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'must not be before from' })
  .refine((q) => !q.from || !q.to || Date.parse(q.to) - Date.parse(q.from) <= 3 * 366 * 86_400_000, { path: ['to'], message: 'at most three years' });
export type DashboardQuery = z.infer<typeof dashboardQuerySchema>;

const count = z.number().int().nonnegative();
const tally = <K extends readonly [string, ...string[]]>(keys: K) => z.array(z.object({ key: z.enum(keys), count }));

export const dashboardSchema = z.object({
  organisation: z.object({ id: z.string(), name: z.string() }),
  period: z.object({ from: beijingDateSchema, to: beijingDateSchema }),
  /** Cases registered in the period. */
  total: count,
  byStatus: tally(caseStatuses),
  /** Cases registered per week (Monday, Beijing date), every week of the period, zeros included. */
  intakePerWeek: z.array(z.object({ weekStart: beijingDateSchema, count })),
  /** Settled (settled, following up, closed) among concluded (those plus failed, declined, withdrawn). */
  resolution: z.object({ resolved: count, concluded: count, rate: z.number().min(0).max(1).nullable() }),
  /** Days from registration to the agreement taking effect (last signature), median over resolved cases. */
  medianDaysToResolution: z.number().nonnegative().nullable(),
  byDisputeType: tally(disputeTypes),
  bySeaArea: tally(seaAreas),
  /** A case naming both provinces counts under each. */
  byProvince: tally(provinces),
  /** Level of the center holding the case; `unset` for centers without one. */
  byLevel: tally([...organisationLevels, 'unset'] as const),
  /**
   * Settled cases (settled, following up, closed) by the level of the center that settled them:
   * a case escalated from the village room and settled by the county counts for the county. A
   * case moves only while open (shared/domain/transfers.ts), so that is its holder's level.
   */
  settledByLevel: tally([...organisationLevels, 'unset'] as const),
  /** Applications for judicial confirmation filed in the period, by status. */
  confirmations: tally(confirmationStatuses),
  /** As of now, whatever the period: court decisions past their deadline, instalments past due. */
  overdue: z.object({
    courtAcceptance: count,
    courtRuling: count,
    instalments: count,
    instalmentsAmountFen: z.number().int().nonnegative(),
  }),
  /**
   * Legal consultations asked for in the period, per kind: answered (a lawyer took it),
   * unanswered (expired or declined; cancelled and pending ones are neither); the median minutes
   * from the request (a booking: its time) to a lawyer taking it.
   */
  consultations: z.object({
    total: count,
    answered: count,
    unanswered: count,
    byKind: z.array(z.object({ key: z.enum(consultationKinds), count, answered: count, unanswered: count })),
    medianWaitMinutes: z.number().nonnegative().nullable(),
  }),
  /** Incident positions of the period's cases that have one. */
  positions: z.array(z.object({ lat: z.number(), lon: z.number(), disputeType: z.enum(disputeTypes) })),
});
export type Dashboard = z.infer<typeof dashboardSchema>;
