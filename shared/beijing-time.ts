/**
 * Beijing time, the one clock of the parties, the centres and the courts: UTC+8 all year (China
 * has no daylight saving), whatever the zone of the server or the device. Every date shown,
 * entered, numbered or counted in days goes through here: server, documents and client.
 */
export const beijingTimeZone = 'Asia/Shanghai';
const offsetMs = 8 * 3_600_000;
const dayMs = 86_400_000;

/** Days since 1970-01-01 of an instant's Beijing calendar date (for "today", "tomorrow", days left). */
export function beijingDayNumber(at: Date): number {
  return Math.floor((at.getTime() + offsetMs) / dayMs);
}

/** An instant's Beijing wall-clock reading. */
export function beijingParts(at: Date) {
  const d = new Date(at.getTime() + offsetMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The Beijing calendar date of an instant, as YYYY-MM-DD. */
export function beijingDate(at: Date): string {
  return new Date(at.getTime() + offsetMs).toISOString().slice(0, 10);
}

/** The Beijing year of an instant (case and ruling numbers are counted per year). */
export function beijingYear(at: Date): number {
  return beijingParts(at).year;
}

/** ISO instant → value for <input type="datetime-local"> in Beijing time, "2026-05-01T09:30"; '' when not an instant. */
export function toBeijingInput(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? '' : new Date(at.getTime() + offsetMs).toISOString().slice(0, 16);
}

/** A datetime-local value read as Beijing time → ISO with its offset ("…T09:30:00+08:00"), or null. */
export function fromBeijingInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const iso = `${value.length === 16 ? `${value}:00` : value}+08:00`;
  return Number.isNaN(new Date(iso).getTime()) ? null : iso;
}

/**
 * Legal time limits, counted in calendar days in Beijing time: a period starts the day after the
 * event and ends at the end of its last day; a last day on a Saturday or Sunday moves to the
 * following Monday (Civil Procedure Law art. 85). Statutory public holidays are not modelled.
 */
export const limits = {
  /** Parties jointly apply for judicial confirmation within 30 days of the agreement taking effect. */
  applyForConfirmationDays: 30,
  /** The court decides whether to accept within 3 days. */
  acceptDays: 3,
  /** …and rules within 15 days of accepting, extendable once by 10. */
  ruleDays: 15,
  ruleExtensionDays: 10,
} as const;

/** The end (23:59:59.999 Beijing time) of the Nth day after `from`, moved off a weekend. */
export function deadlineAfter(from: Date, days: number): Date {
  let lastDay = (beijingDayNumber(from) + days) * dayMs;
  const weekday = new Date(lastDay).getUTCDay();
  if (weekday === 6) lastDay += 2 * dayMs;
  else if (weekday === 0) lastDay += dayMs;
  return new Date(lastDay + dayMs - 1 - offsetMs);
}

/** Whole days left until a deadline (negative when passed), counted in Beijing dates. */
export function daysLeft(deadline: Date, now: Date): number {
  return beijingDayNumber(deadline) - beijingDayNumber(now);
}

/** Whether a YYYY-MM-DD due date has passed as of `now` in Beijing. */
export function isOverdue(dueDate: string, now: Date): boolean {
  return beijingDate(now) > dueDate;
}
