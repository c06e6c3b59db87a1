import { forbidden } from '../errors.ts';
import type { Caller } from './caller.ts';
import { assertWorksOnCases, type CaseAccess, runsHearings } from './case-access.ts';
import type { Principal } from './principal.ts';

/**
 * Refusals by role. Each runs before any lookup, so the answer does not depend on whether the
 * case, agreement or document exists (no existence oracle).
 */

/** Staff who do not work on cases (admins) are refused; participants are checked against their case later. */
export function assertCaseWorker(caller: Caller) {
  if (caller.kind === 'staff') assertWorksOnCases(caller.principal);
}

/** Participant roles that may read an agreement (and its sealed PDF) and comment on it. */
const agreementReaderRoles: ReadonlySet<string> = new Set(['mediator', 'party', 'agent', 'interpreter', 'clerk', 'judge']);

/** Whether a participant of this role takes part in the agreement (reads it, comments, may sign). */
const participantReadsAgreements = (role: string) => agreementReaderRoles.has(role);

/**
 * What an agreement call needs: `read` the agreement; `comment` on it (participants who read it,
 * and the case's mediation center, not court staff, who only read the case); `write` (the mediator).
 */
export type AgreementNeed = 'read' | 'comment' | 'write';

/**
 * Admins work on accounts, only the mediator writes, and a participant whose role takes no part
 * in the agreement (appraiser, observer) is refused outright.
 */
export function assertAgreementRoleMay(caller: Caller, need: AgreementNeed) {
  if (caller.kind === 'staff') {
    assertWorksOnCases(caller.principal);
    if (need === 'write' && caller.principal.role !== 'mediator') throw forbidden('only the mediator drafts agreements');
    if (need === 'comment' && caller.principal.role !== 'mediator') throw forbidden('court staff read the agreement; the parties and the mediator discuss it');
    return;
  }
  if (!participantReadsAgreements(caller.participant.role)) throw forbidden('your role does not take part in the agreement');
  if (need === 'write') throw forbidden('only the mediator drafts agreements');
}

/**
 * Sealed agreements and rulings are for those who take part in the agreement: staff who work on
 * cases (the case is checked next) and participants whose role reads the agreement.
 */
export function assertMayReadDocuments(caller: Caller) {
  if (caller.kind === 'staff') assertWorksOnCases(caller.principal);
  else if (!participantReadsAgreements(caller.participant.role)) throw forbidden('your role does not take part in the agreement');
}

/** Custody histories are for staff who work on cases. */
export function assertMayReadCustody(caller: Caller) {
  if (caller.kind !== 'staff') throw forbidden('the custody history is for staff');
  assertWorksOnCases(caller.principal);
}

/** Staff who may enter a live room: the mediator and court staff (the session's case is checked before). */
export function assertMayEnterRooms(p: Principal): asserts p is Principal & { role: 'mediator' | 'clerk' | 'judge' } {
  if (p.role !== 'mediator' && p.role !== 'clerk' && p.role !== 'judge') throw forbidden();
}

/**
 * An assigned mediator of the case (lead or co-mediator, i.e. `write` access) hosts a mediation; the judge or clerk of the court the
 * application is filed with hosts its confirmation hearing (not a court only invited to a session).
 */
export function hostsSession(p: Principal, found: { session: { kind: string }; case: { centerId: string }; access: CaseAccess }) {
  if (found.session.kind === 'hearing') return (p.role === 'judge' || p.role === 'clerk') && runsHearings(found.access);
  return p.role === 'mediator' && found.case.centerId === p.organisationId && found.access === 'write';
}
