import type { Db } from '../../db/client.ts';
import { invalid } from '../../errors.ts';
import { findStaffWithCourt } from '../admin/admin.repository.ts';

/**
 * A participant may stand for a staff account (their login then reaches the room as them) only if
 * that account belongs to the case's own mediation center, or is a clerk or judge taking part in
 * that very role: a court invited by account to a session sees only what an invited court may
 * (the case, its sessions, what is shared with everyone), and one whose court the application is
 * filed with sees the file. Another center's staff, or court staff in any other role, would gain a
 * case they have no business in.
 */
export async function assertLinkableStaff(db: Db, kase: { centerId: string }, staffUserId: string, role: string) {
  const staff = await findStaffWithCourt(db, staffUserId);
  if (!staff?.active) throw invalid('staffUserId', 'no such active staff account');
  if (staff.organisationId === kase.centerId) return;
  if (staff.courtCode && (role === 'clerk' || role === 'judge')) {
    if (role !== staff.role) throw invalid('staffUserId', `the account is not a ${role}`);
    return;
  }
  throw invalid('staffUserId', 'not staff of this case’s mediation center, nor court staff taking part as clerk or judge');
}
