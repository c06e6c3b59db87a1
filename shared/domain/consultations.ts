import { defineMachine } from '../state-machine.ts';

/**
 * Legal help on demand (issue 11 point 4). A consultation is one party (or a mediator) asking a
 * lawyer of the center's linked law firm for advice. Four ways in, one flow:
 * - on_duty (坐班制): whoever is on the duty roster now answers;
 * - chosen (自选制): the party picks a lawyer from the firm's list;
 * - called_in (介入制): the mediator calls a named lawyer in;
 * - booked (预约制): a published slot later on; it becomes a request at its time.
 */
export const consultationKinds = ['on_duty', 'chosen', 'called_in', 'booked'] as const;
export type ConsultationKind = (typeof consultationKinds)[number];

export const consultationStatuses = ['booked', 'requested', 'accepted', 'in_progress', 'closed', 'declined', 'expired', 'cancelled'] as const;
export type ConsultationStatus = (typeof consultationStatuses)[number];

/**
 * booked → requested (at its time) → accepted → in_progress → closed; a request may be declined
 * by the lawyer, cancelled by whoever asked, or expire when nobody answers in time; an accepted
 * one the lawyer never starts expires too.
 */
export const consultationMachine = defineMachine(consultationStatuses, {
  booked: ['requested', 'cancelled'],
  requested: ['accepted', 'declined', 'expired', 'cancelled'],
  accepted: ['in_progress', 'cancelled', 'expired'],
  in_progress: ['closed'],
  closed: [],
  declined: [],
  expired: [],
  cancelled: [],
});

/** Moves a person asks for by HTTP; `requested` (from booked) and `expired` are the sweep's. */
export const requestedMoves = ['accepted', 'declined', 'in_progress', 'closed', 'cancelled'] as const;
export type RequestedMove = (typeof requestedMoves)[number];

/** How long a request waits for an answer before it expires (on duty, chosen, called in, a booking at its time). */
export const answerWindowMinutes = 10;
/** An accepted consultation nobody starts within this is over. */
export const startWindowMinutes = 60;

/** Reminders of a booked consultation, to the party and the lawyer: an hour and ten minutes before. */
export const bookingReminderMinutes = [60, 10] as const;

/**
 * What the person who asked is told when a request ends without a lawyer. Plain words, with what
 * to do next: the party is never left waiting in silence.
 */
export const unansweredAdvice = {
  expired: '值班律师暂时没有接听。您可以预约一个时间，律师会按时联系您；也可以稍后再试，或请调解员帮您联系律师。',
  declined: '这位律师暂时无法为您解答。您可以改选其他律师，或预约一个时间。',
} as const;

export interface DutyShift {
  lawyerId: string;
  startsAt: Date;
  endsAt: Date;
}

/** Lawyers on duty at `at` (a shift covers [startsAt, endsAt)). */
export function onDutyAt(shifts: readonly DutyShift[], at: Date): string[] {
  const t = at.getTime();
  return [...new Set(shifts.filter((s) => s.startsAt.getTime() <= t && t < s.endsAt.getTime()).map((s) => s.lawyerId))];
}
