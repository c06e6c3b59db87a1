import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { preparedFor } from '../../db/prepared.ts';
import { invitations, participants, parties, sessions } from '../../db/schema/index.ts';

export type SessionRow = typeof sessions.$inferSelect;
export type ParticipantRow = typeof participants.$inferSelect;

export async function insertSession(db: Db, values: typeof sessions.$inferInsert) {
  const [row] = await db.insert(sessions).values(values).returning();
  return row!;
}

export async function findSession(db: Db, id: string) {
  const [row] = await db.select().from(sessions).where(eq(sessions.id, id));
  return row;
}

export function listSessions(db: Db, caseId: string) {
  return db.select().from(sessions).where(eq(sessions.caseId, caseId)).orderBy(asc(sessions.scheduledAt), asc(sessions.id));
}

export async function updateSessionStatus(db: Db, id: string, from: SessionRow['status'], to: SessionRow['status']) {
  const [row] = await db
    .update(sessions)
    .set({ status: to, updatedAt: sql`now()` })
    .where(and(eq(sessions.id, id), eq(sessions.status, from)))
    .returning();
  return row;
}

export async function insertParticipant(db: Db, values: typeof participants.$inferInsert) {
  const [row] = await db.insert(participants).values(values).returning();
  return row!;
}

export function listActiveParticipants(db: Db, caseId: string) {
  return db
    .select()
    .from(participants)
    .where(and(eq(participants.caseId, caseId), isNull(participants.removedAt)))
    .orderBy(asc(participants.createdAt), asc(participants.id));
}

export async function findActiveParticipant(db: Db, caseId: string, id: string) {
  const [row] = await db
    .select()
    .from(participants)
    .where(and(eq(participants.id, id), eq(participants.caseId, caseId), isNull(participants.removedAt)));
  return row;
}

/** A session and one of its case's participants still on the case, in one query (entering a room). */
export async function findSessionWithActiveParticipant(db: Db, sessionId: string, participantId: string) {
  // Prepared (db/prepared.ts): every participant's entry reads it.
  const statement = preparedFor(db, 'sessions.withActiveParticipant', () =>
    db
      .select({ session: sessions, participant: participants })
      .from(sessions)
      .innerJoin(participants, and(eq(participants.caseId, sessions.caseId), eq(participants.id, sql.placeholder('participantId')), isNull(participants.removedAt)))
      .where(eq(sessions.id, sql.placeholder('sessionId')))
      .prepare('session_with_active_participant'),
  );
  const [row] = await statement.execute({ sessionId, participantId });
  return row;
}

/** The party a participant still on the case belongs to (none: not on the case, or no party), in one query. */
export async function findPartyOfActiveParticipant(db: Db, caseId: string, participantId: string) {
  const [row] = await db
    .select({ party: parties })
    .from(participants)
    .innerJoin(parties, and(eq(parties.id, participants.partyId), eq(parties.caseId, participants.caseId)))
    .where(and(eq(participants.id, participantId), eq(participants.caseId, caseId), isNull(participants.removedAt)));
  return row?.party;
}

/** Removes a participant and revokes their open invitations in the same statement batch. */
export async function removeParticipant(db: Db, caseId: string, id: string, at: Date) {
  const [row] = await db
    .update(participants)
    .set({ removedAt: at })
    .where(and(eq(participants.id, id), eq(participants.caseId, caseId), isNull(participants.removedAt)))
    .returning({ id: participants.id });
  if (!row) return false;
  await db.update(invitations).set({ revokedAt: at }).where(and(eq(invitations.participantId, id), isNull(invitations.revokedAt)));
  return true;
}
