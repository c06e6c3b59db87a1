/**
 * How the court desk shows an application's deadlines: which one is running, how close it is,
 * and the date in Beijing time. The server computes the deadlines and the days left.
 */
import type { ConfirmationSummary } from '../../../../shared/api/agreements.ts';
import type { ConfirmationStatus } from '../../../../shared/domain/agreements.ts';
import { beijingTimeZone as timeZone } from '../../../../shared/beijing-time.ts';
import type { Locale } from '../../lib/i18n.svelte.ts';

/** Applications the court still has to act on. */
export const openStatuses: readonly ConfirmationStatus[] = ['filed', 'accepted', 'under_review'];

export function isOpen(status: ConfirmationStatus): boolean {
  return openStatuses.includes(status);
}

export type DeadlineKind = 'accept' | 'rule';
/** `running`: the court must still act by then; `near`/`overdue` are highlighted. */
export type DeadlineTone = 'running' | 'near' | 'overdue' | 'done';

/** The deadline the court is working against now, if any. */
export function runningDeadline(status: ConfirmationStatus): DeadlineKind | null {
  if (status === 'filed') return 'accept';
  if (status === 'accepted' || status === 'under_review') return 'rule';
  return null;
}

/** Near: the last day of the 3-day acceptance period, or the last three days of the ruling period. */
const nearDays: Record<DeadlineKind, number> = { accept: 1, rule: 3 };

export function deadlineTone(kind: DeadlineKind, status: ConfirmationStatus, daysLeft: number): DeadlineTone {
  if (runningDeadline(status) !== kind) return 'done';
  if (daysLeft < 0) return 'overdue';
  return daysLeft <= nearDays[kind] ? 'near' : 'running';
}

/** Sort key: open applications first, by the deadline running for them; closed ones after, newest first. */
export function queueOrder(a: ConfirmationSummary, b: ConfirmationSummary): number {
  const due = (c: ConfirmationSummary) => {
    const kind = runningDeadline(c.status);
    if (kind === 'accept') return Date.parse(c.acceptBy.at);
    if (kind === 'rule' && c.ruleBy) return Date.parse(c.ruleBy.at);
    return null;
  };
  const [da, db] = [due(a), due(b)];
  if (da !== null && db !== null) return da - db;
  if (da !== null) return -1;
  if (db !== null) return 1;
  return Date.parse(b.filedAt) - Date.parse(a.filedAt);
}

/** "2026年12月4日 星期五" / "Fri, 4 Dec 2026", the Beijing calendar date of an instant. */
export function deadlineDate(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: locale === 'en' ? 'short' : 'long', day: 'numeric', weekday: 'short' }).format(date);
}

/** Bytes as "212 KB" / "1.4 MB". */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
