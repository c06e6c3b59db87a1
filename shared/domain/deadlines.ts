/**
 * Legal time limits, counted in calendar days in Beijing time (UTC+8, no daylight saving):
 * a period starts the day after the event and ends at the end of its last day; a last day on
 * a Saturday or Sunday moves to the following Monday (Civil Procedure Law art. 85). Statutory
 * public holidays are not modelled.
 */
const beijingOffsetMs = 8 * 3_600_000;
const dayMs = 86_400_000;

export const limits = {
  /** Parties jointly apply for judicial confirmation within 30 days of the agreement taking effect. */
  applyForConfirmationDays: 30,
  /** The court decides whether to accept within 3 days. */
  acceptDays: 3,
  /** …and rules within 15 days of accepting, extendable once by 10. */
  ruleDays: 15,
  ruleExtensionDays: 10,
} as const;

/** The Beijing calendar date of an instant, as YYYY-MM-DD. */
export function beijingDate(at: Date): string {
  return new Date(at.getTime() + beijingOffsetMs).toISOString().slice(0, 10);
}

/** The end (23:59:59.999 Beijing time) of the Nth day after `from`, moved off a weekend. */
export function deadlineAfter(from: Date, days: number): Date {
  const startOfDay = Math.floor((from.getTime() + beijingOffsetMs) / dayMs) * dayMs;
  let lastDay = startOfDay + days * dayMs;
  const weekday = new Date(lastDay).getUTCDay();
  if (weekday === 6) lastDay += 2 * dayMs;
  else if (weekday === 0) lastDay += dayMs;
  return new Date(lastDay + dayMs - 1 - beijingOffsetMs);
}

/** Whole days left until a deadline (negative when passed), counted in Beijing dates. */
export function daysLeft(deadline: Date, now: Date): number {
  const toDay = (d: Date) => Math.floor((d.getTime() + beijingOffsetMs) / dayMs);
  return toDay(deadline) - toDay(now);
}

/** Whether a YYYY-MM-DD due date has passed as of `now` in Beijing. */
export function isOverdue(dueDate: string, now: Date): boolean {
  return beijingDate(now) > dueDate;
}
