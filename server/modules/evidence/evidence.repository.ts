import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { appraisalStatements, auditEvents, evidence, participants, staffUsers } from '../../db/schema/index.ts';

export type EvidenceRow = typeof evidence.$inferSelect;

const withUploader = {
  evidence,
  staffName: staffUsers.displayName,
  participantName: participants.displayName,
  /** An appraisal report's signed statement (云鉴定), if any. */
  statement: { text: appraisalStatements.statement, signedAt: appraisalStatements.signedAt, signatureSha256: appraisalStatements.signatureSha256 },
};

/** Inserts the item unless the same capture (case, hash, capture time) is already recorded: then nothing, and undefined. */
export async function insertEvidenceOnce(db: Db, values: typeof evidence.$inferInsert) {
  const [row] = await db.insert(evidence).values(values).onConflictDoNothing({ target: [evidence.caseId, evidence.sha256, evidence.capturedAt], where: isNotNull(evidence.capturedAt) }).returning();
  return row;
}

/** The item recorded from this capture, if any. */
export async function findCaptured(db: Db, caseId: string, sha256: string, capturedAt: Date) {
  const [row] = await db.select({ id: evidence.id }).from(evidence).where(and(eq(evidence.caseId, caseId), eq(evidence.sha256, sha256), eq(evidence.capturedAt, capturedAt)));
  return row;
}

export function listForCase(db: Db, caseId: string) {
  return db
    .select(withUploader)
    .from(evidence)
    .leftJoin(staffUsers, eq(staffUsers.id, evidence.uploadedByStaffId))
    .leftJoin(participants, eq(participants.id, evidence.uploadedByParticipantId))
    .leftJoin(appraisalStatements, eq(appraisalStatements.evidenceId, evidence.id))
    .where(eq(evidence.caseId, caseId))
    .orderBy(asc(evidence.uploadedAt), asc(evidence.id));
}

export async function findEvidence(db: Db, id: string) {
  const [row] = await db
    .select(withUploader)
    .from(evidence)
    .leftJoin(staffUsers, eq(staffUsers.id, evidence.uploadedByStaffId))
    .leftJoin(participants, eq(participants.id, evidence.uploadedByParticipantId))
    .leftJoin(appraisalStatements, eq(appraisalStatements.evidenceId, evidence.id))
    .where(eq(evidence.id, id));
  return row;
}

export async function setSharedWith(db: Db, caseId: string, id: string, sharedWith: string) {
  const [row] = await db.update(evidence).set({ sharedWith }).where(and(eq(evidence.id, id), eq(evidence.caseId, caseId))).returning();
  return row;
}

const custodyTypes = ['evidence.uploaded', 'evidence.shared', 'evidence.viewed', 'evidence.downloaded', 'evidence.shown'] as const;

/** The item's audit events, oldest first, with the actor's name. */
export function custodyEvents(db: Db, caseId: string, evidenceId: string) {
  return db
    .select({
      seq: auditEvents.seq,
      type: auditEvents.type,
      actor: auditEvents.actor,
      data: auditEvents.data,
      occurredAt: auditEvents.occurredAt,
      actorName: sql<string | null>`coalesce(${staffUsers.displayName}, ${participants.displayName})`,
    })
    .from(auditEvents)
    .leftJoin(staffUsers, sql`${staffUsers.id}::text = ${auditEvents.actor}->>'staffUserId'`)
    .leftJoin(participants, sql`${participants.id}::text = ${auditEvents.actor}->>'participantId'`)
    .where(and(eq(auditEvents.caseId, caseId), inArray(auditEvents.type, [...custodyTypes]), sql`${auditEvents.data}->>'evidenceId' = ${evidenceId}`))
    .orderBy(asc(auditEvents.seq));
}
