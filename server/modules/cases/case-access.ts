import { inArray, sql, type SQL } from 'drizzle-orm';
import { courtJurisdiction } from '../../../shared/domain/courts';
import { cases } from '../../db/schema';
import { forbidden } from '../../errors';
import type { Principal } from '../auth/principal';

/**
 * Who sees which cases: a mediator the cases of their own center; clerks and judges the cases
 * filed with their court (a court also sees its tribunals'); admins manage accounts, not cases.
 */
export function visibleCasesFilter(p: Principal): SQL {
  if (p.role === 'mediator') return sql`${cases.centerId} = ${p.organisationId}`;
  if ((p.role === 'clerk' || p.role === 'judge') && p.courtCode) return inArray(cases.competentCourt, courtJurisdiction(p.courtCode));
  return sql`false`;
}

/** Admins manage organisations and accounts: every case route refuses them by role (403), before any lookup. */
export function assertWorksOnCases(p: Principal) {
  if (p.role === 'admin') throw forbidden('admins manage accounts, not cases');
}

export type CaseAccess = 'read' | 'write';

export function accessTo(p: Principal, row: { centerId: string; competentCourt: string }): CaseAccess | null {
  if (p.role === 'mediator' && row.centerId === p.organisationId) return 'write';
  if ((p.role === 'clerk' || p.role === 'judge') && p.courtCode && (courtJurisdiction(p.courtCode) as string[]).includes(row.competentCourt)) return 'read';
  return null;
}
