import { maxAmountFen } from '../../../shared/domain/cases.ts';

/** Formats integer fen as "¥12,345.67" with integer arithmetic only (no float rounding). */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (abs % 100).toString().padStart(2, '0');
  return `${sign}¥${yuan}.${cents}`;
}

/** Renders fen as a plain yuan string for an input field: 1234567 → "12345.67". */
export function fenToYuanInput(fen: number): string {
  const cents = fen % 100;
  return cents === 0 ? String(fen / 100) : `${Math.floor(fen / 100)}.${String(cents).padStart(2, '0')}`;
}

/**
 * Parses what a person types in yuan ("12,345.6", "¥ 800", "１２３") into integer fen.
 * Works on the digit string, never on a float, so "0.29" is 29 fen and not 28.999….
 * Returns null for anything that is not a non-negative amount with at most two decimals.
 */
export function parseYuanToFen(input: string): number | null {
  const text = input
    .normalize('NFKC') // full-width digits and dot from Chinese IMEs
    .replace(/[¥￥,，\s]/g, '')
    .replace(/元$/, '');
  const match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(text);
  if (!match) return null;
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  if (whole.length > 14) return null;
  const fen = Number(whole) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return fen <= maxAmountFen ? fen : null;
}
