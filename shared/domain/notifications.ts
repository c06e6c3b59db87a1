import { beijingDate } from '../beijing-time.ts';

/** Messages to participants (SMS), kept in an outbox with their delivery status (issue 11 point 6). */
export const notificationKinds = [
  'invitation',
  'reminder_day_before',
  'reminder_hour_before',
  'court_decision',
  'instalment_due',
  'instalment_overdue',
  'mediator_assigned',
  'transfer_requested',
  'transfer_returned',
  // Legal help: the lawyer is asked, both sides are reminded of a booking, the party hears when nobody answered.
  'consultation_request',
  'consultation_reminder',
  'consultation_unanswered',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** pending → sent | failed (retries exhausted) | cancelled (its session moved or ended before it was due). */
export const notificationStatuses = ['pending', 'sent', 'failed', 'cancelled'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

const hourMs = 3_600_000;

/**
 * When a session's reminders go out: 09:00 Beijing time the day before (a decent hour for an
 * SMS), and one hour before it starts. A reminder whose time has already passed is not sent.
 */
export function reminderTimes(scheduledAt: Date): { kind: NotificationKind; sendAfter: Date }[] {
  const dayBefore = beijingDate(new Date(scheduledAt.getTime() - 24 * hourMs));
  return [
    { kind: 'reminder_day_before', sendAfter: new Date(`${dayBefore}T09:00:00+08:00`) },
    { kind: 'reminder_hour_before', sendAfter: new Date(scheduledAt.getTime() - hourMs) },
  ];
}

/** An instalment's notices: 09:00 Beijing the day before it is due, and the day after if still unpaid. */
export function instalmentNoticeTimes(dueDate: string): { kind: NotificationKind; sendAfter: Date }[] {
  const due = new Date(`${dueDate}T09:00:00+08:00`).getTime();
  return [
    { kind: 'instalment_due', sendAfter: new Date(due - 24 * hourMs) },
    { kind: 'instalment_overdue', sendAfter: new Date(due + 24 * hourMs) },
  ];
}
