import { sql } from 'drizzle-orm';
import { bigint, check, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import type { CompensationProvince } from '../../../shared/domain/compensation.ts';
import { staffUsers } from './organisations.ts';

/**
 * A province's yearly statistics for personal-injury compensation, each figure with its source.
 * Versioned: rows are never changed (a trigger refuses it); a correction is a new version of the
 * same province and year, and the highest version is the one in force.
 */
export const compensationFigures = pgTable(
  'compensation_figures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    province: text('province').$type<CompensationProvince>().notNull(),
    /** The statistical year the figures describe (used for cases argued the following year). */
    year: integer('year').notNull(),
    version: integer('version').notNull(),
    urbanDisposableIncomeFen: bigint('urban_disposable_income_fen', { mode: 'number' }).notNull(),
    urbanDisposableIncomeSource: text('urban_disposable_income_source').notNull(),
    urbanConsumptionFen: bigint('urban_consumption_fen', { mode: 'number' }).notNull(),
    urbanConsumptionSource: text('urban_consumption_source').notNull(),
    averageWageFen: bigint('average_wage_fen', { mode: 'number' }).notNull(),
    averageWageSource: text('average_wage_source').notNull(),
    /** Null for the figures shipped with the migrations. */
    createdBy: uuid('created_by').references(() => staffUsers.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('compensation_figures_version').on(t.province, t.year, t.version),
    check('compensation_figures_positive', sql`${t.urbanDisposableIncomeFen} > 0 and ${t.urbanConsumptionFen} > 0 and ${t.averageWageFen} > 0`),
    check('compensation_figures_province', sql`${t.province} in ('zhejiang', 'fujian')`),
  ],
);
