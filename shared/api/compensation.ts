import { z } from 'zod';
import { compensationProvinces } from '../domain/compensation.ts';
import { textSchema } from '../text.ts';

const yearlyFen = z.number().int().min(100).max(10_000_000_000);
const source = textSchema.trim().min(4).max(500);

/** An admin adds a year's figures (or corrects them: a new version of the same province and year). */
export const compensationFiguresInputSchema = z.object({
  province: z.enum(compensationProvinces),
  year: z.number().int().min(2000).max(2100),
  urbanDisposableIncomeFen: yearlyFen,
  urbanDisposableIncomeSource: source,
  urbanConsumptionFen: yearlyFen,
  urbanConsumptionSource: source,
  averageWageFen: yearlyFen,
  averageWageSource: source,
});
export type CompensationFiguresInput = z.infer<typeof compensationFiguresInputSchema>;

export const compensationFiguresViewSchema = compensationFiguresInputSchema.extend({
  id: z.string(),
  version: z.number().int(),
  /** The newest version of its province and year: the one the calculator uses. */
  current: z.boolean(),
  createdAt: z.string(),
});
export type CompensationFiguresView = z.infer<typeof compensationFiguresViewSchema>;

export const compensationFiguresListSchema = z.object({ items: z.array(compensationFiguresViewSchema) });
