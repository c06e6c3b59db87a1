/**
 * Legal time limits in Beijing calendar days: the period starts the day after the event, ends at
 * 23:59:59.999 Beijing time (15:59:59.999Z) on its last day, and a last day on a weekend moves
 * to Monday. Expected dates below were worked out by hand from a calendar.
 */
import { describe, expect, it } from 'vitest';
import { beijingDate, beijingDayNumber, beijingParts, beijingYear, daysLeft, deadlineAfter, fromBeijingInput, isOverdue, limits, toBeijingInput } from '../../shared/beijing-time.ts';
import { beijingDateTime, chineseDate } from '../../server/documents/format.ts';

/** The end of a Beijing calendar day, as an instant. */
const endOfBeijingDay = (date: string) => new Date(`${date}T15:59:59.999Z`);
/** 10:00 Beijing time on a date. */
const morning = (date: string) => new Date(`${date}T02:00:00Z`);

describe('deadlineAfter across month ends', () => {
  it.each([
    // [event date (Beijing), days, last day]
    ['2027-01-31', 30, '2027-03-02'], // non-leap February has 28 days: Jan 31 + 30 = Mar 2 (Tue)
    ['2028-01-31', 30, '2028-03-01'], // leap 2028: Feb 29 exists, so Mar 1 (Wed)
    ['2027-02-01', 30, '2027-03-03'], // a 30-day period starting in February 2027 (Wed)
    ['2028-02-01', 30, '2028-03-02'], // … and in leap February 2028 (Thu)
    ['2028-01-30', 30, '2028-02-29'], // ends on the leap day itself (Tue)
    ['2027-01-30', 30, '2027-03-01'], // the same period in 2027 runs into March (Mon)
    ['2026-12-15', 30, '2027-01-14'], // December → January, year change (Thu)
    ['2026-12-02', 30, '2027-01-01'], // lands on New Year's Day, a Friday (holidays are not modelled)
    ['2026-11-22', 30, '2026-12-22'], // the test world's clock date (a Sunday event) → Tue
    ['2026-12-01', 3, '2026-12-04'], // accept within 3 days (Fri)
  ] as const)('%s + %i days ends on %s', (event, days, last) => {
    expect(deadlineAfter(morning(event), days).toISOString()).toBe(endOfBeijingDay(last).toISOString());
  });

  it('a last day on Saturday moves to Monday', () => {
    // Dec 2 2026 (Wed) + 3 = Sat Dec 5 → Mon Dec 7.
    expect(deadlineAfter(morning('2026-12-02'), 3).toISOString()).toBe('2026-12-07T15:59:59.999Z');
  });

  it('a last day on Sunday moves to Monday', () => {
    // Dec 3 2026 (Thu) + 3 = Sun Dec 6 → Mon Dec 7.
    expect(deadlineAfter(morning('2026-12-03'), 3).toISOString()).toBe('2026-12-07T15:59:59.999Z');
    // Jan 1 2027 (Fri) + 30 = Sun Jan 31 → Mon Feb 1.
    expect(deadlineAfter(morning('2027-01-01'), 30).toISOString()).toBe('2027-02-01T15:59:59.999Z');
  });

  it('a weekend move across the year end', () => {
    // Dec 31 2026 (Thu) + 3 = Sun Jan 3 2027 → Mon Jan 4.
    expect(deadlineAfter(morning('2026-12-31'), 3).toISOString()).toBe('2027-01-04T15:59:59.999Z');
  });

  it('a weekday last day does not move', () => {
    // Dec 1 2026 (Tue) + 15 = Wed Dec 16.
    expect(deadlineAfter(morning('2026-12-01'), limits.ruleDays).toISOString()).toBe('2026-12-16T15:59:59.999Z');
  });

  it('an event at 23:30 Beijing time (15:30Z) belongs to that Beijing day; at 00:30 (16:30Z, same UTC date) to the next', () => {
    // 2027-01-14 is a Thursday. 15:30Z = 23:30 Beijing on the 14th: day one is the 15th (Fri).
    expect(deadlineAfter(new Date('2027-01-14T15:30:00Z'), 1).toISOString()).toBe('2027-01-15T15:59:59.999Z');
    // 16:30Z on the same UTC date = 00:30 Beijing on the 15th: day one is the 16th (Sat) → Mon 18th.
    expect(deadlineAfter(new Date('2027-01-14T16:30:00Z'), 1).toISOString()).toBe('2027-01-18T15:59:59.999Z');
  });

  it('only the Beijing date of the event matters, not the time of day', () => {
    const first = deadlineAfter(new Date('2026-12-01T16:00:00.000Z'), 30); // 00:00 Beijing, Dec 2
    const last = deadlineAfter(new Date('2026-12-02T15:59:59.999Z'), 30); // 23:59:59.999 Beijing, Dec 2
    expect(first.toISOString()).toBe('2027-01-01T15:59:59.999Z');
    expect(last.toISOString()).toBe(first.toISOString());
    // One millisecond earlier is still Dec 1 in Beijing: a day earlier.
    expect(deadlineAfter(new Date('2026-12-01T15:59:59.999Z'), 30).toISOString()).toBe('2026-12-31T15:59:59.999Z');
  });

  it('the extension makes the ruling period 25 days from acceptance, not 10 days after a weekend-moved 15th day', () => {
    // Accepted Fri Dec 4 2026: day 15 is Sat Dec 19 → Mon Dec 21; day 25 is Tue Dec 29 (not Dec 31).
    expect(deadlineAfter(morning('2026-12-04'), limits.ruleDays).toISOString()).toBe('2026-12-21T15:59:59.999Z');
    expect(deadlineAfter(morning('2026-12-04'), limits.ruleDays + limits.ruleExtensionDays).toISOString()).toBe('2026-12-29T15:59:59.999Z');
  });

  it('the statutory limits', () => {
    expect(limits).toEqual({ applyForConfirmationDays: 30, acceptDays: 3, ruleDays: 15, ruleExtensionDays: 10 });
  });
});

describe('beijingDate', () => {
  it('turns at 16:00Z', () => {
    expect(beijingDate(new Date('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31');
    expect(beijingDate(new Date('2026-12-31T16:00:00.000Z'))).toBe('2027-01-01');
  });
});

describe('daysLeft around midnight Beijing', () => {
  // Due at the end of Fri Dec 4 2026, Beijing time.
  const deadline = deadlineAfter(morning('2026-12-01'), 3);

  it.each([
    ['2026-12-01T02:00:00.000Z', 3], // the day of the event
    ['2026-12-03T15:59:59.999Z', 1], // 23:59:59.999 on Dec 3 in Beijing
    ['2026-12-03T16:00:00.000Z', 0], // midnight: it is Dec 4, the last day
    ['2026-12-04T15:59:59.999Z', 0], // the last millisecond of the last day
    ['2026-12-04T16:00:00.000Z', -1], // one millisecond later it has passed
    ['2026-12-05T20:00:00.000Z', -2], // the UTC date is still Dec 5, Beijing already Dec 6
  ] as const)('at %s: %i', (now, expected) => {
    expect(daysLeft(deadline, new Date(now))).toBe(expected);
  });

  it('a passed deadline is after `now` by the clock exactly when daysLeft < 0', () => {
    for (const now of ['2026-12-04T15:59:59.999Z', '2026-12-04T16:00:00.000Z']) {
      const at = new Date(now);
      expect(at > deadline).toBe(daysLeft(deadline, at) < 0);
    }
  });
});

describe('isOverdue around midnight Beijing', () => {
  it.each([
    ['2026-12-31T00:00:00.000Z', false], // 08:00 Beijing on the due date
    ['2026-12-31T15:59:59.999Z', false], // 23:59:59.999 Beijing on the due date
    ['2026-12-31T16:00:00.000Z', true], // midnight Beijing: Jan 1
    ['2026-12-31T20:00:00.000Z', true], // still Dec 31 in UTC, already Jan 1 in Beijing
    ['2026-12-30T16:00:00.000Z', false], // Beijing Dec 31 00:00
    ['2026-12-30T15:59:59.999Z', false], // the day before
  ] as const)('due 2026-12-31, now %s → %s', (now, expected) => {
    expect(isOverdue('2026-12-31', new Date(now))).toBe(expected);
  });

  it('compares dates, not strings of different lengths or months', () => {
    expect(isOverdue('2027-02-28', new Date('2027-03-01T02:00:00Z'))).toBe(true);
    expect(isOverdue('2028-02-29', new Date('2028-02-29T15:00:00Z'))).toBe(false);
    expect(isOverdue('2026-09-30', new Date('2026-10-01T02:00:00Z'))).toBe(true);
  });
});

describe('Beijing-time inputs', () => {
  it('reads a datetime-local value as UTC+8', () => {
    expect(fromBeijingInput('2026-05-01T09:30')).toBe('2026-05-01T09:30:00+08:00');
    expect(new Date(fromBeijingInput('2026-05-01T09:30')!).toISOString()).toBe('2026-05-01T01:30:00.000Z');
  });

  it('shows an instant in Beijing time whatever the device zone', () => {
    expect(toBeijingInput('2026-05-01T01:30:00.000Z')).toBe('2026-05-01T09:30');
    expect(toBeijingInput('2026-04-30T20:00:00Z')).toBe('2026-05-01T04:00');
  });

  it('refuses incomplete values', () => {
    expect(fromBeijingInput('')).toBeNull();
    expect(fromBeijingInput('2026-05-01')).toBeNull();
    expect(fromBeijingInput('2026-13-45T99:99')).toBeNull();
  });

  it('counts days in Beijing time', () => {
    // 23:30 and 00:30 the next day in Beijing are one day apart although both are the same UTC date.
    expect(beijingDayNumber(new Date('2026-05-01T00:30:00+08:00')) - beijingDayNumber(new Date('2026-04-30T23:30:00+08:00'))).toBe(1);
  });
});

describe('the Beijing wall clock around midnight and month ends (worked out by hand: Beijing = UTC + 8 h)', () => {
  it.each([
    // [instant (UTC), Beijing reading]
    ['2026-11-30T15:59:59Z', [2026, 11, 30, 23, 59, 59]], // last second of November in Beijing
    ['2026-11-30T16:00:00Z', [2026, 12, 1, 0, 0, 0]], // already 1 December in Beijing, still 30 November in UTC
    ['2026-12-31T16:00:00Z', [2027, 1, 1, 0, 0, 0]], // New Year in Beijing, New Year's Eve in UTC
    ['2028-02-28T16:30:00Z', [2028, 2, 29, 0, 30, 0]], // leap day
    ['2027-02-28T16:30:00Z', [2027, 3, 1, 0, 30, 0]], // no leap day in 2027
    ['2026-05-01T00:00:00Z', [2026, 5, 1, 8, 0, 0]], // midnight UTC is 08:00 Beijing, same date
  ] as const)('%s reads %j', (iso, [year, month, day, hour, minute, second]) => {
    expect(beijingParts(new Date(iso))).toEqual({ year, month, day, hour, minute, second });
  });

  it('the year of case and ruling numbers turns at 16:00Z on 31 December', () => {
    expect(beijingYear(new Date('2026-12-31T15:59:59.999Z'))).toBe(2026);
    expect(beijingYear(new Date('2026-12-31T16:00:00Z'))).toBe(2027);
  });

  it('day numbers turn at 16:00Z, not at UTC midnight', () => {
    const day = (iso: string) => beijingDayNumber(new Date(iso));
    expect(day('2026-11-30T16:00:00Z') - day('2026-11-30T15:59:59.999Z')).toBe(1);
    expect(day('2026-12-01T00:00:00Z') - day('2026-11-30T16:00:00Z')).toBe(0);
    expect(day('1970-01-01T00:00:00Z')).toBe(0); // 08:00 on 1 January 1970 in Beijing
    expect(day('1969-12-31T16:00:00Z')).toBe(0); // 00:00 on 1 January 1970 in Beijing
  });

  it('datetime-local values cross month and year ends in Beijing time', () => {
    expect(fromBeijingInput('2027-01-01T00:15')).toBe('2027-01-01T00:15:00+08:00');
    expect(new Date(fromBeijingInput('2027-01-01T00:15')!).toISOString()).toBe('2026-12-31T16:15:00.000Z');
    expect(toBeijingInput('2026-11-30T16:00:00Z')).toBe('2026-12-01T00:00');
    expect(toBeijingInput('not a time')).toBe('');
  });

  it('documents print the Beijing date and time of an instant', () => {
    expect(beijingDateTime('2026-12-31T16:00:05Z')).toBe('2027年1月1日 00:00:05（北京时间）');
    expect(beijingDateTime('2026-11-30T15:59:59Z')).toBe('2026年11月30日 23:59:59（北京时间）');
    expect(chineseDate('2026-11-30T16:00:00Z')).toBe('二〇二六年十二月一日');
  });
});
