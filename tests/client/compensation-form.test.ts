/** The calculator's form: typed text to the calculation, the first field to fix, and the person's row filled. */
import { describe, expect, it } from 'vitest';
import type { CompensationFiguresView } from '../../shared/api/compensation.ts';
import { emptyPerson } from '../../client/src/views/case/agreement-form.ts';
import { calculate, emptyCalculator, emptyDependant, fillPerson } from '../../client/src/views/case/compensation-form.ts';

const zj2020: CompensationFiguresView = {
  id: 'f-2020',
  province: 'zhejiang',
  year: 2020,
  version: 1,
  current: true,
  urbanDisposableIncomeFen: 6_269_900,
  urbanDisposableIncomeSource: 's',
  urbanConsumptionFen: 3_619_700,
  urbanConsumptionSource: 's',
  averageWageFen: 10_864_500,
  averageWageSource: 's',
  createdAt: '2026-01-01T00:00:00Z',
};

describe('compensation form', () => {
  it('reads yuan as typed (full-width digits, thousands separators) and fills the person row', () => {
    const values = { ...emptyCalculator('injury', 'f-2020'), age: '63', grade: '7', medicalYuan: '８0,000', lostDays: '90', mentalYuan: '20000' };
    values.dependants = [16, 12, 5].map((age) => ({ ...emptyDependant(), age: String(age) }));
    const calculation = calculate(values, [zj2020]);
    expect(calculation.ok && calculation.result.totalFen).toBe(84_271_838);
    const person = { ...emptyPerson(), name: '林阿福', outcome: 'death' as const, funeralYuan: '999' };
    if (calculation.ok) fillPerson(person, 'injury', calculation.result);
    expect(person).toMatchObject({
      name: '林阿福',
      outcome: 'injury',
      medicalYuan: '80000',
      lostIncomeYuan: '26789.18',
      disabilityCompensationYuan: '426353.20',
      funeralYuan: '',
      deathCompensationYuan: '',
      dependentsYuan: '289576',
      mentalDamageYuan: '20000',
    });
  });

  it('names the first field to fix', () => {
    const base = { ...emptyCalculator('death', 'f-2020'), age: '40' };
    expect(calculate({ ...base, figuresId: 'none' }, [zj2020])).toEqual({ ok: false, field: 'figures' });
    expect(calculate({ ...base, age: 'forty' }, [zj2020])).toEqual({ ok: false, field: 'victimAge' });
    expect(calculate({ ...base, medicalYuan: '12.345' }, [zj2020])).toEqual({ ok: false, field: 'medicalFen' });
    expect(calculate({ ...base, dailyIncomeYuan: 'abc' }, [zj2020])).toEqual({ ok: false, field: 'dailyIncomeFen' });
    expect(calculate({ ...base, dependants: [{ ...emptyDependant(), age: '20' }] }, [zj2020])).toEqual({ ok: false, field: 'dependants.0.age' });
    // A grade chosen while the outcome was an injury is not carried into a death.
    expect(calculate({ ...base, grade: '3' }, [zj2020]).ok).toBe(true);
  });
});
