import nzhcn from 'nzh/cn';

/** ¥860,000.00 — the figure as written in agreements. */
export function amountFigures(fen: number): string {
  const yuan = Math.floor(fen / 100).toLocaleString('en-US');
  return `${yuan}.${String(fen % 100).padStart(2, '0')}`;
}

/** 人民币捌拾陆万元整 — the amount in capital numerals (大写), as banks and courts require. */
export function amountInCapitals(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError('amount must be a non-negative whole number of fen');
  if (fen === 0) return '人民币零元整';
  return nzhcn.toMoney(`${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`, { forceZheng: true });
}

/** 人民币860,000.00元（大写：人民币捌拾陆万元整） */
export function amountClause(fen: number): string {
  return `人民币${amountFigures(fen)}元（大写：${amountInCapitals(fen)}）`;
}
