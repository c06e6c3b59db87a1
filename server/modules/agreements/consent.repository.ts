import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { consentRecordings } from '../../db/schema/index.ts';

export type ConsentRecordingRow = typeof consentRecordings.$inferSelect;

export async function findRecording(db: Db, versionId: string, participantId: string, sha256: string) {
  const [row] = await db
    .select()
    .from(consentRecordings)
    .where(and(eq(consentRecordings.versionId, versionId), eq(consentRecordings.participantId, participantId), eq(consentRecordings.sha256, sha256)));
  return row;
}

/** Inserts the recording unless the same one (version, participant, hash) is already stored; undefined then. */
export async function insertRecording(db: Db, values: typeof consentRecordings.$inferInsert) {
  const [row] = await db.insert(consentRecordings).values(values).onConflictDoNothing({ target: [consentRecordings.versionId, consentRecordings.participantId, consentRecordings.sha256] }).returning();
  return row;
}

/** Binds an unbound recording to the signature; false if it was bound meanwhile. */
export async function bindRecording(db: Db, id: string, signatureId: string) {
  const rows = await db
    .update(consentRecordings)
    .set({ signatureId })
    .where(and(eq(consentRecordings.id, id), isNull(consentRecordings.signatureId)))
    .returning({ id: consentRecordings.id });
  return rows.length > 0;
}

export async function recordingOfSignature(db: Db, agreementId: string, signatureId: string) {
  const [row] = await db.select().from(consentRecordings).where(and(eq(consentRecordings.agreementId, agreementId), eq(consentRecordings.signatureId, signatureId)));
  return row;
}

export function boundRecordingsOf(db: Db, agreementId: string) {
  return db
    .select({ signatureId: consentRecordings.signatureId, sha256: consentRecordings.sha256, durationMs: consentRecordings.durationMs })
    .from(consentRecordings)
    .where(eq(consentRecordings.agreementId, agreementId));
}
