import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { preparedFor } from '../../db/prepared.ts';
import { cases, invitations, participants, sessions } from '../../db/schema/index.ts';

export type InvitationRow = typeof invitations.$inferSelect;

export async function insertInvitation(db: Db, values: typeof invitations.$inferInsert) {
  const [row] = await db.insert(invitations).values(values).returning();
  return row!;
}

export function listForSession(db: Db, sessionId: string) {
  return db
    .select({ invitation: invitations, participant: participants })
    .from(invitations)
    .innerJoin(participants, eq(participants.id, invitations.participantId))
    .where(eq(invitations.sessionId, sessionId))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
}

export async function findWithParticipant(db: Db, id: string) {
  const [row] = await db
    .select({ invitation: invitations, participant: participants })
    .from(invitations)
    .innerJoin(participants, eq(participants.id, invitations.participantId))
    .where(eq(invitations.id, id));
  return row;
}

export async function revoke(db: Db, id: string, at: Date) {
  const [row] = await db
    .update(invitations)
    .set({ revokedAt: at })
    .where(and(eq(invitations.id, id), isNull(invitations.revokedAt)))
    .returning();
  return row;
}

export async function findByTokenHash(db: Db, tokenHash: string) {
  const [row] = await db
    .select({ invitation: invitations, participant: participants, session: sessions, case: cases })
    .from(invitations)
    .innerJoin(participants, eq(participants.id, invitations.participantId))
    .innerJoin(sessions, eq(sessions.id, invitations.sessionId))
    .innerJoin(cases, eq(cases.id, sessions.caseId))
    .where(eq(invitations.tokenHash, tokenHash));
  return row;
}

/**
 * What a request or socket carrying an invitation token needs to know of it, and nothing more:
 * it runs on every such request and handshake (four whole rows cost more to map than to fetch),
 * so it is prepared (db/prepared.ts).
 */
export async function findPrincipalByTokenHash(db: Db, tokenHash: string) {
  const statement = preparedFor(db, 'invitations.principalByTokenHash', () =>
    db
      .select({
        invitation: { id: invitations.id, revokedAt: invitations.revokedAt, expiresAt: invitations.expiresAt },
        participant: {
          id: participants.id,
          removedAt: participants.removedAt,
          role: participants.role,
          displayName: participants.displayName,
          partyId: participants.partyId,
          representsPartyId: participants.representsPartyId,
        },
        sessionId: sessions.id,
        caseId: sessions.caseId,
      })
      .from(invitations)
      .innerJoin(participants, eq(participants.id, invitations.participantId))
      .innerJoin(sessions, eq(sessions.id, invitations.sessionId))
      .where(eq(invitations.tokenHash, sql.placeholder('tokenHash')))
      .prepare('principal_by_token_hash'),
  );
  const [row] = await statement.execute({ tokenHash });
  return row;
}

export async function markOpened(db: Db, id: string, at: Date) {
  await db.update(invitations).set({ lastOpenedAt: at }).where(eq(invitations.id, id));
}
