/**
 * The compensation calculator against examples worked by hand (figures in yuan, amounts in fen).
 * Zhejiang 2022: urban disposable income 71 268, urban consumption 44 511, average wage 122 309.
 * Zhejiang 2020: 62 699, 36 197, 108 645.
 */
import { describe, expect, it } from 'vitest';
import { calculateCompensation, compensationInputSchema, type CompensationFigures, disabilityPercent, mulDivRound, yearsForAge } from '../../../shared/domain/compensation.ts';

const zj2022: CompensationFigures = { province: 'zhejiang', year: 2022, urbanDisposableIncomeFen: 7_126_800, urbanConsumptionFen: 4_451_100, averageWageFen: 12_230_900 };
const zj2020: CompensationFigures = { province: 'zhejiang', year: 2020, urbanDisposableIncomeFen: 6_269_900, urbanConsumptionFen: 3_619_700, averageWageFen: 10_864_500 };

describe('rules of the interpretation', () => {
  it('20 years up to 60, one less per year over 60, 5 from 75', () => {
    expect([0, 45, 60, 61, 63, 74, 75, 90].map(yearsForAge)).toEqual([20, 20, 20, 19, 17, 6, 5, 5]);
  });
  it('grade 1 is 100 %, grade 10 is 10 %', () => {
    expect([1, 2, 7, 10].map(disabilityPercent)).toEqual([100, 90, 40, 10]);
  });
  it('rounds half up to the fen', () => {
    expect(mulDivRound(1, 3, 2)).toBe(2); // 1.5
    expect(mulDivRound(5, 1, 4)).toBe(1); // 1.25
    expect(mulDivRound(10_864_500, 90, 365)).toBe(2_678_918); // 2 678 917.808…
  });
});

describe('a fisherman of 45 killed in a collision (Zhejiang 2022)', () => {
  // Death: 71 268 × 20 = 1 425 360. Funeral: 122 309 ÷ 12 × 6 = 61 154.50.
  // Son of 10, two parents owe him support: 44 511 ÷ 2 = 22 255.50 a year for 8 years = 178 044.
  // Mother of 68 unable to work, three children owe her support: 44 511 ÷ 3 = 14 837 a year for 12 years = 178 044.
  // Together 37 092.50 a year, under 44 511: no cap; 356 088.
  // With medical 30 000 and mental distress 50 000: 1 922 602.50 yuan.
  const result = calculateCompensation(zj2022, {
    outcome: 'death',
    victimAge: 45,
    medicalFen: 3_000_000,
    dependants: [
      { kind: 'minor', age: 10, supporters: 2 },
      { kind: 'adult_unable', age: 68, supporters: 3 },
    ],
    mentalDistressFen: 5_000_000,
  });

  it('gives each item as worked by hand', () => {
    expect(result.amounts).toEqual({ medical: 3_000_000, lostEarnings: 0, disability: 0, funeral: 6_115_450, death: 142_536_000, dependants: 35_608_800, mentalDistress: 5_000_000 });
    expect(result.totalFen).toBe(192_260_250);
  });

  it('shows its working line by line', () => {
    expect(result.lines).toEqual([
      { item: 'medical', amountFen: 3_000_000 },
      { item: 'death', incomeFen: 7_126_800, years: 20, amountFen: 142_536_000 },
      { item: 'funeral', averageWageFen: 12_230_900, amountFen: 6_115_450 },
      { item: 'dependant', index: 0, kind: 'minor', age: 10, consumptionFen: 4_451_100, percent: 100, supporters: 2, yearlyFen: 2_225_550, years: 8, amountFen: 17_804_400 },
      { item: 'dependant', index: 1, kind: 'adult_unable', age: 68, consumptionFen: 4_451_100, percent: 100, supporters: 3, yearlyFen: 1_483_700, years: 12, amountFen: 17_804_400 },
      { item: 'dependants', amountFen: 35_608_800 },
      { item: 'mentalDistress', amountFen: 5_000_000 },
    ]);
  });
});

describe('a crewman of 63 disabled (grade 7) with three children (Zhejiang 2020)', () => {
  // Disability: 62 699 × 17 years × 40 % = 426 353.20.
  // Lost earnings, 90 days, no proof of income: 108 645 × 90 ÷ 365 = 26 789.18.
  // Children of 16, 12 and 5, he alone supports them: 36 197 × 40 % = 14 478.80 a year each, for 2, 6 and 13 years
  // (304 054.80 uncapped). The first 2 years the three together (43 436.40) exceed 36 197: capped, 7 239.40 less each year.
  // 2 × 36 197 + 4 × 28 957.60 + 7 × 14 478.80 = 289 576.
  // With medical 80 000 and mental distress 20 000: 842 718.38 yuan.
  const result = calculateCompensation(zj2020, {
    outcome: 'injury',
    victimAge: 63,
    disabilityGrade: 7,
    medicalFen: 8_000_000,
    lostEarningsDays: 90,
    dependants: [
      { kind: 'minor', age: 16, supporters: 1 },
      { kind: 'minor', age: 12, supporters: 1 },
      { kind: 'minor', age: 5, supporters: 1 },
    ],
    mentalDistressFen: 2_000_000,
  });

  it('gives each item as worked by hand, the dependants capped year by year', () => {
    expect(result.amounts).toEqual({ medical: 8_000_000, lostEarnings: 2_678_918, disability: 42_635_320, funeral: 0, death: 0, dependants: 28_957_600, mentalDistress: 2_000_000 });
    expect(result.totalFen).toBe(84_271_838);
    expect(result.lines.find((l) => l.item === 'dependantsCap')).toEqual({ item: 'dependantsCap', capFen: 3_619_700, yearsCapped: 2, reductionFen: 1_447_880, amountFen: 28_957_600 });
    expect(result.lines.find((l) => l.item === 'lostEarnings')).toEqual({ item: 'lostEarnings', days: 90, dailyIncomeFen: null, averageWageFen: 10_864_500, amountFen: 2_678_918 });
  });

  it('uses a proven daily income when there is one', () => {
    const proven = calculateCompensation(zj2020, { outcome: 'injury', victimAge: 40, lostEarningsDays: 30, dailyIncomeFen: 30_000 });
    expect(proven.amounts.lostEarnings).toBe(900_000);
    expect(proven.totalFen).toBe(900_000);
  });
});

describe('bad input', () => {
  it('names the field', () => {
    const death = compensationInputSchema.safeParse({ outcome: 'death', victimAge: 40, disabilityGrade: 3 });
    expect(death.success).toBe(false);
    expect(death.error!.issues[0]!.path).toEqual(['disabilityGrade']);
    const adult = compensationInputSchema.safeParse({ outcome: 'death', victimAge: 40, dependants: [{ kind: 'minor', age: 18, supporters: 1 }] });
    expect(adult.error!.issues[0]!.path).toEqual(['dependants', 0, 'age']);
    expect(compensationInputSchema.safeParse({ outcome: 'injury', victimAge: -1 }).success).toBe(false);
    expect(compensationInputSchema.safeParse({ outcome: 'injury', victimAge: 30, medicalFen: 1.5 }).success).toBe(false);
  });
});
