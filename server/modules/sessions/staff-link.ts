import { eq } from 'drizzle-orm';
import type { CourtCode } from '../../../shared/domain/courts';
import { courtJurisdiction } from '../../../shared/domain/courts';
import type { Db } from '../../db/client';
import { confirmations } from '../../db/schema/agreements';
import { organisations, staffUsers } from '../../db/schema/organisations';
import { invalid } from '../../errors';

/**
 * A participant may stand for a staff account (their login then reaches the room as them) only if
 * that account belongs to the case's own mediation center, or is a clerk or judge, taking part in
 * that role, of the court the case names as competent or the court an application was filed with
 * (a court covers its tribunals): a court may attend a mediation before anything is filed. Anyone
 * else's account would gain a case it has no business in.
 */
export async function assertLinkableStaff(db: Db, kase: { id: string; centerId: string; competentCourt: string }, staffUserId: string, role: string) {
  const [staff] = await db
    .select({ active: staffUsers.active, role: staffUsers.role, organisationId: staffUsers.organisationId, courtCode: organisations.courtCode })
    .from(staffUsers)
    .innerJoin(organisations, eq(organisations.id, staffUsers.organisationId))
    .where(eq(staffUsers.id, staffUserId));
  if (!staff?.active) throw invalid('staffUserId', 'no such active staff account');
  if (staff.organisationId === kase.centerId) return;
  if (staff.courtCode) {
    if (role !== staff.role) throw invalid('staffUserId', `the account is not a ${role}`);
    const reach = courtJurisdiction(staff.courtCode as CourtCode) as string[];
    if (reach.includes(kase.competentCourt)) return;
    const filedWith = await db.select({ courtCode: confirmations.courtCode }).from(confirmations).where(eq(confirmations.caseId, kase.id));
    if (filedWith.some((c) => reach.includes(c.courtCode))) return;
  }
  throw invalid('staffUserId', 'not staff of this case’s mediation center or of its court');
}
