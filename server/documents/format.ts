// Small formatting helpers for the documents: Beijing time, Chinese dates, digests.
import { createHash } from 'node:crypto';
import { beijingParts as partsAt } from '../../shared/beijing-time.ts';

/** Invalid document input (a caller bug, not a user error). */
export class DocumentInputError extends Error {
  override name = 'DocumentInputError';
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function parseInstant(iso: string, field: string): Date {
  const date = new Date(iso);
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso) || Number.isNaN(date.getTime())) {
    throw new DocumentInputError(`${field} is not an ISO date-time: ${JSON.stringify(iso)}`);
  }
  return date;
}

const pad = (n: number) => String(n).padStart(2, '0');

function beijingParts(iso: string, field: string) {
  const p = partsAt(parseInstant(iso, field));
  return { ...p, time: `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` };
}

/** "2026年11月22日 20:34:05（北京时间）" — China has one time zone, UTC+8, no DST. */
export function beijingDateTime(iso: string, field = 'time'): string {
  const p = beijingParts(iso, field);
  return `${p.year}年${p.month}月${p.day}日 ${p.time}（北京时间）`;
}

/** "2026年11月22日" in Beijing time. */
export function beijingDate(iso: string, field = 'date'): string {
  const p = beijingParts(iso, field);
  return `${p.year}年${p.month}月${p.day}日`;
}

const DIGITS = '〇一二三四五六七八九';

function chineseSmallNumber(n: number): string {
  if (n < 10) return DIGITS[n]!;
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? '' : DIGITS[tens]}十${ones ? DIGITS[ones] : ''}`;
}

/**
 * Court-document date, "二〇二六年十一月二十二日". Accepts "YYYY-MM-DD" (taken as is) or a full
 * ISO date-time (converted to Beijing time).
 */
export function chineseDate(isoDate: string, field = 'date'): string {
  let year: number;
  let month: number;
  let day: number;
  const plain = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (plain) {
    [year, month, day] = [Number(plain[1]), Number(plain[2]), Number(plain[3])];
    const check = new Date(Date.UTC(year, month - 1, day));
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) throw new DocumentInputError(`${field} is not a valid date: ${isoDate}`);
  } else {
    ({ year, month, day } = beijingParts(isoDate, field));
  }
  const y = String(year)
    .split('')
    .map((c) => DIGITS[Number(c)])
    .join('');
  return `${y}年${chineseSmallNumber(month)}月${chineseSmallNumber(day)}日`;
}
