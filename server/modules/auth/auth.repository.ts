import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { organisations, staffSessions, staffUsers } from '../../db/schema/index.ts';
import type { Principal } from '../../access/principal.ts';

const principalColumns = {
  staffUserId: staffUsers.id,
  username: staffUsers.username,
  displayName: staffUsers.displayName,
  role: staffUsers.role,
  centerHead: staffUsers.centerHead,
  organisationId: organisations.id,
  organisationName: organisations.name,
  organisationKind: organisations.kind,
  caseNumberPrefix: organisations.caseNumberPrefix,
  courtCode: organisations.courtCode,
};

export async function findLoginCandidate(db: Db, username: string) {
  const [row] = await db
    .select({ ...principalColumns, passwordHash: staffUsers.passwordHash, active: staffUsers.active })
    .from(staffUsers)
    .innerJoin(organisations, eq(organisations.id, staffUsers.organisationId))
    .where(eq(staffUsers.username, username));
  return row;
}

export async function insertSession(db: Db, staffUserId: string, tokenHash: string, expiresAt: Date) {
  await db.insert(staffSessions).values({ staffUserId, tokenHash, expiresAt });
}

export async function deleteSession(db: Db, tokenHash: string) {
  await db.delete(staffSessions).where(eq(staffSessions.tokenHash, tokenHash));
}

export async function deleteExpiredSessions(db: Db, now: Date) {
  await db.delete(staffSessions).where(lt(staffSessions.expiresAt, now));
}

export async function findPrincipalBySession(db: Db, tokenHash: string, now: Date): Promise<Principal | undefined> {
  const [row] = await db
    .select(principalColumns)
    .from(staffSessions)
    .innerJoin(staffUsers, eq(staffUsers.id, staffSessions.staffUserId))
    .innerJoin(organisations, eq(organisations.id, staffUsers.organisationId))
    .where(and(eq(staffSessions.tokenHash, tokenHash), gt(staffSessions.expiresAt, now), eq(staffUsers.active, true)));
  return row as Principal | undefined;
}
