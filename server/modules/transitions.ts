import type { StateMachine } from '../../shared/state-machine.ts';
import type { Db } from '../db/client.ts';
import { conflict } from '../errors.ts';
import type { ColumnsSelection } from 'drizzle-orm';
import type { TypedQueryBuilder } from 'drizzle-orm/query-builders/query-builder';
import { appendAuditEvent, changeAudited, type NewAuditEvent } from './audit/audit.repository.ts';

/** What moves, as the refusal names it ("an application cannot go from …"). */
const subjects = {
  case: 'a case',
  session: 'a session',
  agreement: 'an agreement',
  application: 'an application',
  attendance: 'an attendance',
  signature: 'a signature',
  recording: 'a recording',
  transfer: 'a transfer',
  consultation: 'a consultation',
} as const;
export type TransitionSubject = keyof typeof subjects;

export interface Transition<S extends string, R> {
  subject: TransitionSubject;
  machine: StateMachine<S>;
  from: S;
  to: S;
  /** The conditional update (`WHERE status = from`): the row, or nothing when it was no longer in `from`. */
  update: () => Promise<R | null | undefined>;
  /** The audit event of the move, written after the update in the same transaction. */
  event: NewAuditEvent | ((row: R) => NewAuditEvent);
}

/** Refused by the transition table: 409 CONFLICT "a case cannot go from closed to mediating". */
export function refusedTransition(subject: TransitionSubject, from: string, to: string) {
  return conflict(`${subjects[subject]} cannot go from ${from} to ${to}`);
}

const staleErrors = new WeakSet<Error>();

/** The row left `from` between read and update: 409 CONFLICT, the caller reloads. */
export function staleTransition(subject: TransitionSubject) {
  const error = conflict(`the ${subject} changed meanwhile; reload and try again`);
  staleErrors.add(error);
  return error;
}

/** Whether a move failed only because the row was no longer in `from` (a caller may reload and decide again). */
export function isStaleTransition(error: unknown): boolean {
  return error instanceof Error && staleErrors.has(error);
}

/**
 * The one way a state changes: check against the table, conditional update, audit event.
 * Runs inside the caller's transaction `tx`, so the row and its event commit together.
 */
export async function applyTransition<S extends string, R>(tx: Db, t: Transition<S, R>): Promise<R> {
  if (!t.machine.canTransition(t.from, t.to)) throw refusedTransition(t.subject, t.from, t.to);
  const row = await t.update();
  if (!row) throw staleTransition(t.subject);
  await appendAuditEvent(tx, typeof t.event === 'function' ? t.event(row) : t.event);
  return row;
}

/**
 * As applyTransition, in one statement (one round trip, and its own transaction unless `db` is
 * one): for a move whose conditional update is the whole change and whose event is known before
 * it. The update and its event commit together or not at all (audit.repository.ts changeAudited).
 * `change`: the conditional update, or a prepared audited change of it (prepareChangeAudited)
 * that appends the event it is given when it matched.
 */
export async function applyTransitionAudited<S extends string, R>(
  db: Db,
  t: Pick<Transition<S, R>, 'subject' | 'machine' | 'from' | 'to'> & {
    change: TypedQueryBuilder<ColumnsSelection, R[]> | ((event: NewAuditEvent) => Promise<R | undefined>);
    event: NewAuditEvent;
  },
): Promise<R> {
  if (!t.machine.canTransition(t.from, t.to)) throw refusedTransition(t.subject, t.from, t.to);
  const row = typeof t.change === 'function' ? await t.change(t.event) : await changeAudited(db, t.change, t.event);
  if (!row) throw staleTransition(t.subject);
  return row;
}

/** A move that follows from another (the last signature settles the case): skipped, not refused, when the table does not allow it. */
export async function applyTransitionIfAllowed<S extends string, R>(tx: Db, t: Transition<S, R>): Promise<R | null> {
  return t.machine.canTransition(t.from, t.to) ? applyTransition(tx, t) : null;
}
