/**
 * The calculator's form: what the mediator types (strings, yuan) to the calculation's input
 * (integer fen), and the result into an injured person's row of the agreement form.
 */
import type { CompensationFiguresView } from '../../../../shared/api/compensation.ts';
import { calculateCompensation, compensationInputSchema, type CompensationResult, type Dependant } from '../../../../shared/domain/compensation.ts';
import { fenToYuanInput, parseYuanToFen } from '../../lib/money.ts';
import type { PersonValues } from './agreement-form.ts';

export interface DependantValues {
  key: number;
  kind: Dependant['kind'];
  age: string;
  supporters: string;
}

export interface CalculatorValues {
  figuresId: string;
  outcome: 'death' | 'injury';
  age: string;
  /** '' for no disability, else '1'…'10'. */
  grade: string;
  medicalYuan: string;
  lostDays: string;
  dailyIncomeYuan: string;
  mentalYuan: string;
  dependants: DependantValues[];
}

let nextKey = 1;
export const emptyDependant = (): DependantValues => ({ key: nextKey++, kind: 'minor', age: '', supporters: '1' });

export function emptyCalculator(outcome: 'death' | 'injury', figuresId = ''): CalculatorValues {
  return { figuresId, outcome, age: '', grade: '', medicalYuan: '', lostDays: '', dailyIncomeYuan: '', mentalYuan: '', dependants: [] };
}

const wholeNumber = (text: string): number | null => (/^\s*\d{1,4}\s*$/.test(text) ? Number(text) : null);
const yuan = (text: string): number | null => (text.trim() === '' ? 0 : parseYuanToFen(text));

export type Calculation = { ok: true; result: CompensationResult } | { ok: false; field: string };

/** The calculation, or the first field to fix (as the calculation names it). */
export function calculate(values: CalculatorValues, figures: readonly CompensationFiguresView[]): Calculation {
  const chosen = figures.find((f) => f.id === values.figuresId);
  if (!chosen) return { ok: false, field: 'figures' };
  const numbers = {
    victimAge: wholeNumber(values.age),
    medicalFen: yuan(values.medicalYuan),
    lostEarningsDays: values.lostDays.trim() === '' ? 0 : wholeNumber(values.lostDays),
    dailyIncomeFen: values.dailyIncomeYuan.trim() === '' ? null : parseYuanToFen(values.dailyIncomeYuan),
    mentalDistressFen: yuan(values.mentalYuan),
  };
  for (const [field, value] of Object.entries(numbers)) if (value === null && field !== 'dailyIncomeFen') return { ok: false, field };
  if (values.dailyIncomeYuan.trim() !== '' && numbers.dailyIncomeFen === null) return { ok: false, field: 'dailyIncomeFen' };
  const parsed = compensationInputSchema.safeParse({
    outcome: values.outcome,
    ...numbers,
    disabilityGrade: values.outcome === 'injury' && values.grade ? Number(values.grade) : null,
    dependants: values.dependants.map((d) => ({ kind: d.kind, age: wholeNumber(d.age) ?? -1, supporters: wholeNumber(d.supporters) ?? 0 })),
  });
  if (!parsed.success) return { ok: false, field: parsed.error.issues[0]!.path.join('.') };
  return { ok: true, result: calculateCompensation(chosen, parsed.data) };
}

/** Writes the amounts into the person's row (as yuan text, so each stays editable there). */
export function fillPerson(person: PersonValues, outcome: 'death' | 'injury', result: CompensationResult): void {
  const a = result.amounts;
  const text = (fen: number) => (fen > 0 ? fenToYuanInput(fen) : '');
  person.outcome = outcome;
  person.medicalYuan = text(a.medical);
  person.lostIncomeYuan = text(a.lostEarnings);
  person.disabilityCompensationYuan = text(a.disability);
  person.funeralYuan = text(a.funeral);
  person.deathCompensationYuan = text(a.death);
  person.dependentsYuan = text(a.dependants);
  person.mentalDamageYuan = text(a.mentalDistress);
}
