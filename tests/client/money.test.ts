import { describe, expect, it } from 'vitest';
import { fenToYuanInput, formatFen, parseYuanToFen } from '../../client/src/lib/money.ts';
import { maxAmountFen } from '../../shared/domain/cases.ts';

describe('formatFen', () => {
  it('formats with thousands separators and two decimals', () => {
    expect(formatFen(1234567)).toBe('¥12,345.67');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(100_000_000)).toBe('¥1,000,000.00');
    expect(formatFen(maxAmountFen)).toBe('¥100,000,000,000.00');
  });
});

describe('parseYuanToFen', () => {
  it('converts without float rounding errors', () => {
    // 0.29 * 100 === 28.999999999999996 and 1.005 * 100 === 100.49999999999999 in floating point
    expect(parseYuanToFen('0.29')).toBe(29);
    expect(parseYuanToFen('1.1')).toBe(110);
    expect(parseYuanToFen('19.99')).toBe(1999);
    expect(parseYuanToFen('12345.67')).toBe(1234567);
  });

  it('accepts how people type amounts', () => {
    expect(parseYuanToFen('12,345.6')).toBe(1234560);
    expect(parseYuanToFen(' ¥800 ')).toBe(80000);
    expect(parseYuanToFen('￥800元')).toBe(80000);
    expect(parseYuanToFen('１２３．４')).toBe(12340); // full-width digits from a Chinese IME
    expect(parseYuanToFen('007')).toBe(700);
    expect(parseYuanToFen('5.')).toBe(500);
  });

  it('refuses what is not an amount', () => {
    for (const input of ['', 'abc', '-5', '1.234', '1e5', '1.2.3', '.5', 'NaN']) {
      expect(parseYuanToFen(input), input).toBeNull();
    }
    expect(parseYuanToFen('100000000001')).toBeNull(); // above the largest claim
  });

  it('round-trips through the input form', () => {
    for (const fen of [0, 1, 10, 99, 100, 12345, 1234567, maxAmountFen]) {
      expect(parseYuanToFen(fenToYuanInput(fen))).toBe(fen);
    }
  });
});
