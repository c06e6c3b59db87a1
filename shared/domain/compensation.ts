/**
 * Compensation for personal injury and death at sea, after the Supreme People's Court's
 * Interpretation on the Application of Law in Personal Injury Compensation Cases
 * (最高人民法院关于审理人身损害赔偿案件适用法律若干问题的解释, 法释〔2022〕14号, from 2022-05-01),
 * which applies the urban figures to everyone. Pure and in integer fen: the same numbers on the
 * server, in the browser and in the hand-worked examples of the tests.
 *
 * - art. 6 medical costs: as paid (entered);
 * - art. 7 lost earnings: days × daily income; without proof of income, the average wage of the
 *   previous year (here: the province's average wage ÷ 365);
 * - art. 12 disability compensation: urban per-capita disposable income × 20 years (one year less
 *   for each year of age over 60, 5 years from 75) × the disability grade's coefficient
 *   (grade 1 = 100 % … grade 10 = 10 %);
 * - art. 14 funeral costs: six months of the average monthly wage (the yearly wage ÷ 2);
 * - art. 15 death compensation: urban per-capita disposable income × the same years;
 * - art. 16 dependants' living expenses: urban per-capita consumption × the degree of lost
 *   working capacity, until 18 for a minor, for 20 years (reduced the same way with age) for an
 *   adult unable to work with no other support; shared among the dependant's supporters; for
 *   several dependants the yearly total does not exceed the per-capita consumption; art. 17
 *   counts it into the disability or death compensation;
 * - mental-distress compensation (精神损害抚慰金): entered (Civil Code art. 1183).
 */
import { z } from 'zod';

export const compensationProvinces = ['zhejiang', 'fujian'] as const;
export type CompensationProvince = (typeof compensationProvinces)[number];

/** One province's figures for one statistical year, in fen per year. */
export interface CompensationFigures {
  province: CompensationProvince;
  year: number;
  urbanDisposableIncomeFen: number;
  urbanConsumptionFen: number;
  averageWageFen: number;
}

const fen = z.number().int().min(0).max(100_000_000_000);
const age = z.number().int().min(0).max(120);

export const dependantSchema = z.object({
  /** A minor (until 18) or an adult unable to work with no other support (20 years, less with age). */
  kind: z.enum(['minor', 'adult_unable']),
  age,
  /** How many people owe this dependant support, the victim included (the victim's share is 1 ÷ this). */
  supporters: z.number().int().min(1).max(20),
});
export type Dependant = z.infer<typeof dependantSchema>;

export const compensationInputSchema = z
  .object({
    outcome: z.enum(['death', 'injury']),
    /** Age in whole years at death, or when the disability was assessed (定残). */
    victimAge: age,
    /** Disability grade 1 (most severe) to 10; none for a death or an injury without disability. */
    disabilityGrade: z.number().int().min(1).max(10).nullable().default(null),
    medicalFen: fen.default(0),
    lostEarningsDays: z.number().int().min(0).max(3650).default(0),
    /** Proven daily income; null: the province's average wage ÷ 365. */
    dailyIncomeFen: fen.nullable().default(null),
    dependants: z.array(dependantSchema).max(10).default([]),
    mentalDistressFen: fen.default(0),
  })
  .superRefine((input, ctx) => {
    if (input.outcome === 'death' && input.disabilityGrade !== null) ctx.addIssue({ code: 'custom', path: ['disabilityGrade'], message: 'a death has no disability grade' });
    if (input.outcome === 'injury' && input.disabilityGrade === null && input.dependants.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['dependants'], message: 'dependants are owed living expenses only after a death or a disability' });
    }
    input.dependants.forEach((d, i) => {
      if (d.kind === 'minor' && d.age >= 18) ctx.addIssue({ code: 'custom', path: ['dependants', i, 'age'], message: 'a minor is under 18' });
    });
  });
export type CompensationInput = z.input<typeof compensationInputSchema>;

export type CompensationItem = 'medical' | 'lostEarnings' | 'disability' | 'funeral' | 'death' | 'dependants' | 'mentalDistress';

/** One line of the working: the item, the numbers it was computed from, and the amount. */
export type WorkingLine =
  | { item: 'medical' | 'mentalDistress'; amountFen: number }
  | { item: 'lostEarnings'; days: number; dailyIncomeFen: number | null; averageWageFen: number | null; amountFen: number }
  | { item: 'disability'; incomeFen: number; years: number; percent: number; amountFen: number }
  | { item: 'death'; incomeFen: number; years: number; amountFen: number }
  | { item: 'funeral'; averageWageFen: number; amountFen: number }
  | { item: 'dependant'; index: number; kind: Dependant['kind']; age: number; consumptionFen: number; percent: number; supporters: number; yearlyFen: number; years: number; amountFen: number }
  | { item: 'dependantsCap'; capFen: number; yearsCapped: number; reductionFen: number; amountFen: number }
  | { item: 'dependants'; amountFen: number };

export interface CompensationResult {
  figures: CompensationFigures;
  lines: WorkingLine[];
  /** The amounts per item, as the agreement's injured-person row takes them. */
  amounts: Record<CompensationItem, number>;
  totalFen: number;
}

/** a × b ÷ c rounded half up, for non-negative integers (exact for values below 2^53). */
export function mulDivRound(a: number, b: number, c: number): number {
  const product = BigInt(a) * BigInt(b);
  const divisor = BigInt(c);
  return Number((product * 2n + divisor) / (divisor * 2n));
}

/** Years of death or disability compensation for an age: 20; one less per year over 60; 5 from 75. */
export function yearsForAge(years: number): number {
  if (years >= 75) return 5;
  if (years > 60) return 20 - (years - 60);
  return 20;
}

/** Grade 1 is 100 %, each grade below takes 10 % off: grade 10 is 10 %. */
export function disabilityPercent(grade: number): number {
  return (11 - grade) * 10;
}

export function dependantYears(d: Dependant): number {
  return d.kind === 'minor' ? 18 - d.age : yearsForAge(d.age);
}

export function calculateCompensation(figures: CompensationFigures, raw: CompensationInput): CompensationResult {
  const input = compensationInputSchema.parse(raw);
  const lines: WorkingLine[] = [];
  const amounts: Record<CompensationItem, number> = { medical: 0, lostEarnings: 0, disability: 0, funeral: 0, death: 0, dependants: 0, mentalDistress: 0 };

  amounts.medical = input.medicalFen;
  lines.push({ item: 'medical', amountFen: amounts.medical });

  if (input.lostEarningsDays > 0) {
    amounts.lostEarnings =
      input.dailyIncomeFen !== null ? input.dailyIncomeFen * input.lostEarningsDays : mulDivRound(figures.averageWageFen, input.lostEarningsDays, 365);
    lines.push({
      item: 'lostEarnings',
      days: input.lostEarningsDays,
      dailyIncomeFen: input.dailyIncomeFen,
      averageWageFen: input.dailyIncomeFen === null ? figures.averageWageFen : null,
      amountFen: amounts.lostEarnings,
    });
  }

  const years = yearsForAge(input.victimAge);
  // Lost working capacity: complete for a death, the grade's coefficient for a disability.
  let percent = 0;
  if (input.outcome === 'death') {
    percent = 100;
    amounts.death = figures.urbanDisposableIncomeFen * years;
    lines.push({ item: 'death', incomeFen: figures.urbanDisposableIncomeFen, years, amountFen: amounts.death });
    amounts.funeral = mulDivRound(figures.averageWageFen, 6, 12);
    lines.push({ item: 'funeral', averageWageFen: figures.averageWageFen, amountFen: amounts.funeral });
  } else if (input.disabilityGrade !== null) {
    percent = disabilityPercent(input.disabilityGrade);
    amounts.disability = mulDivRound(figures.urbanDisposableIncomeFen * years, percent, 100);
    lines.push({ item: 'disability', incomeFen: figures.urbanDisposableIncomeFen, years, percent, amountFen: amounts.disability });
  }

  if (input.dependants.length > 0 && percent > 0) {
    const shares = input.dependants.map((d, index) => {
      const yearlyFen = mulDivRound(figures.urbanConsumptionFen, percent, 100 * d.supporters);
      const span = Math.max(0, dependantYears(d));
      lines.push({ item: 'dependant', index, kind: d.kind, age: d.age, consumptionFen: figures.urbanConsumptionFen, percent, supporters: d.supporters, yearlyFen, years: span, amountFen: yearlyFen * span });
      return { yearlyFen, span };
    });
    // Year by year, the dependants still owed support share at most one year's per-capita consumption.
    const uncapped = shares.reduce((sum, s) => sum + s.yearlyFen * s.span, 0);
    let capped = 0;
    let yearsCapped = 0;
    const longest = Math.max(...shares.map((s) => s.span));
    for (let year = 0; year < longest; year++) {
      const owed = shares.filter((s) => year < s.span).reduce((sum, s) => sum + s.yearlyFen, 0);
      if (owed > figures.urbanConsumptionFen) yearsCapped++;
      capped += Math.min(owed, figures.urbanConsumptionFen);
    }
    if (capped < uncapped) lines.push({ item: 'dependantsCap', capFen: figures.urbanConsumptionFen, yearsCapped, reductionFen: uncapped - capped, amountFen: capped });
    amounts.dependants = capped;
    lines.push({ item: 'dependants', amountFen: capped });
  }

  amounts.mentalDistress = input.mentalDistressFen;
  lines.push({ item: 'mentalDistress', amountFen: amounts.mentalDistress });

  const totalFen = Object.values(amounts).reduce((sum, a) => sum + a, 0);
  return { figures, lines, amounts, totalFen };
}
