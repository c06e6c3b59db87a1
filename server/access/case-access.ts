import { eq, exists, inArray, or, sql, type SQL } from 'drizzle-orm';
import { type CourtCode, courtJurisdiction } from '../../shared/domain/courts.ts';
import { caseMediators, cases, caseTransfers, confirmations, invitations, participants } from '../db/schema/index.ts';
import type { Db } from '../db/client.ts';
import { forbidden } from '../errors.ts';
import type { Principal } from './principal.ts';

/**
 * What a caller may do with a case:
 * - write: the case's assigned mediators (lead and co-mediators, `case_mediators`);
 * - read: the other mediators of the case's center (the head among them), who see the whole file;
 *   and court staff once an application for confirmation has been filed with their court (a
 *   court also covers its tribunals); the file then lies before the court;
 * - invited: court staff invited to a session of the case before anything is filed (a court
 *   attending a mediation): the case, its sessions and the evidence shared with everyone, but not
 *   one side's evidence, the agreement drafts, the documents or the audit trail;
 * - former: a mediation center that held the case before it was escalated or handed over
 *   (an accepted transfer from it) reads the file it worked on, read-only: no hosting, drafting
 *   or change. While a transfer is pending the sender still holds (writes) the case and the
 *   receiver sees only the request (`transfers.service#incomingTransfers`).
 */
export type CaseAccess = 'write' | 'read' | 'invited' | 'former';
/** What a call needs: `read` lets an invited court in, `full` needs the whole file, `write` the center. */
export type CaseNeed = 'read' | 'full' | 'write';

const isCourtStaff = (p: Principal) => (p.role === 'clerk' || p.role === 'judge') && p.courtCode !== null;

/** An application filed with the caller's court (or one of its tribunals), in any state. */
function filedWithCourtOf(p: Principal): SQL {
  return exists(
    sql`(select 1 from ${confirmations} where ${confirmations.caseId} = ${cases.id} and ${inArray(confirmations.courtCode, courtJurisdiction(p.courtCode!))})`,
  );
}

/** The caller is a live participant of the case (as a clerk or judge) holding a link that was not withdrawn. */
function invitedToSessionOf(p: Principal): SQL {
  return exists(
    sql`(select 1 from ${participants} join ${invitations} on ${invitations.participantId} = ${participants.id}
         where ${participants.caseId} = ${cases.id} and ${participants.staffUserId} = ${p.staffUserId}
           and ${participants.role} in ('clerk', 'judge') and ${participants.removedAt} is null and ${invitations.revokedAt} is null)`,
  );
}

/** The caller's center held the case before and handed it on (an accepted transfer from it). */
function heldBefore(p: Principal): SQL {
  return exists(
    sql`(select 1 from ${caseTransfers} where ${caseTransfers.caseId} = ${cases.id} and ${caseTransfers.fromOrganisationId} = ${p.organisationId} and ${caseTransfers.status} = 'accepted')`,
  );
}

/** The caller is the case's lead or a co-mediator. */
export function assignedTo(p: Principal): SQL {
  return exists(sql`(select 1 from ${caseMediators} where ${caseMediators.caseId} = ${cases.id} and ${caseMediators.staffUserId} = ${p.staffUserId})`);
}

/**
 * Who sees which cases: a mediator the cases their center holds or held before; clerks and judges the cases
 * filed with their court and those they are invited to; admins manage accounts, not cases.
 */
export function visibleCasesFilter(p: Principal): SQL {
  if (p.role === 'mediator') return or(sql`${cases.centerId} = ${p.organisationId}`, heldBefore(p))!;
  if (isCourtStaff(p)) return or(filedWithCourtOf(p), invitedToSessionOf(p))!;
  return sql`false`;
}

/**
 * Admins manage organisations and accounts, and lawyers see a case only through a consultation
 * (its summary, `modules/legal`): every case route refuses both by role (403), before any lookup.
 */
export function assertWorksOnCases(p: Principal) {
  if (p.role === 'admin') throw forbidden('admins manage accounts, not cases');
  if (p.role === 'lawyer') throw forbidden('a lawyer sees a case through a consultation only');
}

export async function accessTo(db: Db, p: Principal, row: { id: string; centerId: string }): Promise<CaseAccess | null> {
  if (p.role === 'mediator') {
    if (row.centerId !== p.organisationId) {
      const [earlier] = await db.select({ former: heldBefore(p) }).from(cases).where(eq(cases.id, row.id));
      return earlier?.former ? 'former' : null;
    }
    const [found] = await db.select({ assigned: assignedTo(p) }).from(cases).where(eq(cases.id, row.id));
    return found?.assigned ? 'write' : 'read';
  }
  if (!isCourtStaff(p)) return null;
  const [found] = await db
    .select({ filed: filedWithCourtOf(p), invited: invitedToSessionOf(p) })
    .from(cases)
    .where(eq(cases.id, row.id));
  if (found?.filed) return 'read';
  return found?.invited ? 'invited' : null;
}

export function satisfies(access: CaseAccess, need: CaseNeed): boolean {
  if (need === 'write') return access === 'write';
  if (need === 'full') return access !== 'invited';
  return true;
}

/**
 * A confirmation hearing is the court's, where the application is filed (`read`): court staff
 * only invited to a session of the case (`invited`, possibly of another court) neither host it nor
 * hand out its links.
 */
export const runsHearings = (access: CaseAccess) => access === 'read';

/** Court staff act on applications filed with their court (a court also covers its tribunals); anyone else is refused. */
export function courtsServedBy(p: Principal): CourtCode[] {
  if (!isCourtStaff(p)) throw forbidden('for court staff');
  return courtJurisdiction(p.courtCode!);
}

/** An application for confirmation is seen by court staff of that court and by the case's mediation center. */
export function seesApplication(p: Principal, application: { courtCode: CourtCode }, kase: { centerId: string } | undefined): boolean {
  if (isCourtStaff(p) && courtJurisdiction(p.courtCode!).includes(application.courtCode)) return true;
  return p.role === 'mediator' && kase?.centerId === p.organisationId;
}
