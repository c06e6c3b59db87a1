import type { Db } from '../db/client.ts';
import { AppError, forbidden, notFound } from '../errors.ts';
import { findCase } from '../modules/cases/cases.repository.ts';
import { findConfirmation } from '../modules/confirmations/confirmations.repository.ts';
import { findSession } from '../modules/sessions/sessions.repository.ts';
import type { Caller } from './caller.ts';
import { accessTo, assertWorksOnCases, type CaseNeed, courtsServedBy, runsHearings, satisfies } from './case-access.ts';
import type { Principal } from './principal.ts';

/**
 * Turns "case not found" into "<entity> not found", so a record in a case the caller may not see
 * looks like one that does not exist; other failures (403, 401) pass unchanged.
 */
export const asNotFound =
  (entity: string) =>
  (error: unknown): never => {
    throw error instanceof AppError && error.code === 'NOT_FOUND' ? notFound(entity) : error;
  };

/**
 * Loads a case the caller may see, with their access; 404 when it is not theirs to see (and, for
 * a court only invited to a session, when the call needs the whole file), 403 when read-only.
 */
export async function loadCase(db: Db, p: Principal, caseId: string, need: CaseNeed) {
  assertWorksOnCases(p);
  const found = await findCase(db, caseId);
  const access = found ? await accessTo(db, p, found.case) : null;
  if (!found || !access) throw notFound('case');
  if (need === 'write' && access !== 'write') {
    throw forbidden(p.role === 'mediator' ? 'only the case’s assigned mediators may change it; ask the center’s head to assign you' : 'only the case’s mediation center may change it');
  }
  if (!satisfies(access, need)) throw notFound('case');
  return { ...found, access };
}

/**
 * The case for staff or a participant, and whether the caller sees only what is shared with
 * everyone (a court invited to a session). A participant sees their own case only: any other
 * looks nonexistent.
 */
export async function loadCaseForCaller(db: Db, caller: Caller, caseId: string, need: CaseNeed) {
  if (caller.kind === 'staff') {
    const found = await loadCase(db, caller.principal, caseId, need);
    return { case: found.case, sharedOnly: found.access === 'invited' };
  }
  if (caller.participant.caseId !== caseId) throw notFound('case');
  return { case: (await findCase(db, caseId))!.case, sharedOnly: false };
}

/** A session and its case, when the caller may see (or change) that case. */
export async function loadSession(db: Db, p: Principal, sessionId: string, need: CaseNeed) {
  assertWorksOnCases(p);
  const session = await findSession(db, sessionId);
  if (!session) throw notFound('session');
  const found = await loadCase(db, p, session.caseId, need).catch(asNotFound('session'));
  return { session, case: found.case, access: found.access };
}

/**
 * A session the caller may hand out links for. The case's mediation center invites to any of
 * its sessions (a mediator helps bring the parties to the court's hearing too); the clerks and
 * judges who may read the case (its competent court, or that court's parent) invite to the
 * court's own hearings only (a court merely invited to a session of the case does not run
 * another court's hearing). Outside the caller's reach the session does not exist (404); court
 * staff who can read a mediation session are refused by its kind (403).
 */
export async function loadSessionToInvite(db: Db, p: Principal, sessionId: string) {
  if (p.role === 'clerk' || p.role === 'judge') {
    const found = await loadSession(db, p, sessionId, 'read');
    if (found.session.kind !== 'hearing') throw forbidden('the court invites to its own hearings; the mediator invites to mediation sessions');
    if (!runsHearings(found.access)) throw forbidden('only the court the application is filed with invites to its hearing');
    return found;
  }
  return loadSession(db, p, sessionId, 'write');
}

/** An application filed with the caller's court (or one of its tribunals); any other does not exist. */
export async function loadApplicationForCourt(db: Db, p: Principal, confirmationId: string) {
  const courts = courtsServedBy(p);
  const row = await findConfirmation(db, confirmationId);
  if (!row || !courts.includes(row.courtCode)) throw notFound('confirmation application');
  return row;
}
