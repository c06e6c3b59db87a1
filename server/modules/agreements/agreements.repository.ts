import { and, asc, desc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { AgreementStatus } from '../../../shared/domain/agreements.ts';
import type { Db } from '../../db/client.ts';
import { agreementComments, agreements, agreementVersions, documents, obligations, signatures, signingCodes } from '../../db/schema/index.ts';

export type AgreementRow = typeof agreements.$inferSelect;
export type SignatureRow = typeof signatures.$inferSelect;
export type ObligationRow = typeof obligations.$inferSelect;

export async function insertAgreement(db: Db, values: typeof agreements.$inferInsert) {
  const [row] = await db.insert(agreements).values(values).returning();
  return row!;
}

export async function findAgreement(db: Db, id: string) {
  const [row] = await db.select().from(agreements).where(eq(agreements.id, id));
  return row;
}

/** Locks the agreement row for the rest of the transaction: signers and editors take turns. */
export async function lockAgreement(db: Db, id: string) {
  const [row] = await db.select().from(agreements).where(eq(agreements.id, id)).for('update');
  return row;
}

export function listForCase(db: Db, caseId: string) {
  return db.select().from(agreements).where(eq(agreements.caseId, caseId)).orderBy(asc(agreements.createdAt), asc(agreements.id));
}

/** Agreements signed by everyone and not yet sealed. */
export const listSignedIds = (db: Db) => db.select({ id: agreements.id }).from(agreements).where(eq(agreements.status, 'signed'));

export async function updateAgreementWhereStatus(db: Db, id: string, from: AgreementStatus, values: Partial<typeof agreements.$inferInsert>) {
  const [row] = await db
    .update(agreements)
    .set({ ...values, updatedAt: sql`now()` })
    .where(and(eq(agreements.id, id), eq(agreements.status, from)))
    .returning();
  return row;
}

export async function insertVersion(db: Db, values: typeof agreementVersions.$inferInsert) {
  const [row] = await db.insert(agreementVersions).values(values).returning();
  return row!;
}

export async function findVersion(db: Db, agreementId: string, number: number) {
  const [row] = await db.select().from(agreementVersions).where(and(eq(agreementVersions.agreementId, agreementId), eq(agreementVersions.number, number)));
  return row;
}

export async function findVersionById(db: Db, id: string) {
  const [row] = await db.select().from(agreementVersions).where(eq(agreementVersions.id, id));
  return row;
}

export async function latestVersion(db: Db, agreementId: string) {
  const [row] = await db.select().from(agreementVersions).where(eq(agreementVersions.agreementId, agreementId)).orderBy(desc(agreementVersions.number)).limit(1);
  return row;
}

export function listVersions(db: Db, agreementId: string) {
  return db
    .select({ id: agreementVersions.id, number: agreementVersions.number, sha256: agreementVersions.sha256, createdAt: agreementVersions.createdAt })
    .from(agreementVersions)
    .where(eq(agreementVersions.agreementId, agreementId))
    .orderBy(asc(agreementVersions.number));
}

export async function insertComment(db: Db, values: typeof agreementComments.$inferInsert) {
  const [row] = await db.insert(agreementComments).values(values).returning();
  return row!;
}

export function listComments(db: Db, agreementId: string) {
  return db.select().from(agreementComments).where(eq(agreementComments.agreementId, agreementId)).orderBy(asc(agreementComments.createdAt), asc(agreementComments.id));
}

export async function insertSignature(db: Db, values: typeof signatures.$inferInsert) {
  const [row] = await db.insert(signatures).values(values).returning();
  return row!;
}

export function liveSignatures(db: Db, versionId: string) {
  return db.select().from(signatures).where(and(eq(signatures.versionId, versionId), ne(signatures.status, 'voided'))).orderBy(asc(signatures.at));
}

export function allSignatures(db: Db, agreementId: string) {
  return db.select().from(signatures).where(eq(signatures.agreementId, agreementId)).orderBy(asc(signatures.at), asc(signatures.id));
}

/** The agreement's live (signed or declined) signatures, locked for the transaction. */
export function lockLiveSignatures(db: Db, agreementId: string) {
  return db
    .select({ id: signatures.id, partyId: signatures.partyId, status: signatures.status })
    .from(signatures)
    .where(and(eq(signatures.agreementId, agreementId), inArray(signatures.status, ['signed', 'declined'])))
    .for('update');
}

/** Conditional update (`WHERE status = from`): the signature is void, or null when it was no longer `from`. */
export async function voidSignature(db: Db, id: string, from: (typeof signatures.$inferSelect)['status'], at: Date) {
  const [row] = await db
    .update(signatures)
    .set({ status: 'voided', voidedAt: at })
    .where(and(eq(signatures.id, id), eq(signatures.status, from)))
    .returning({ id: signatures.id });
  return row ?? null;
}

export async function insertSigningCode(db: Db, values: typeof signingCodes.$inferInsert) {
  await db.insert(signingCodes).values(values);
}

/** Marks one unused, unexpired code as used; false if none matched. */
export async function useSigningCode(db: Db, agreementId: string, participantId: string, codeHash: string, now: Date) {
  const rows = await db
    .update(signingCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(signingCodes.agreementId, agreementId),
        eq(signingCodes.participantId, participantId),
        eq(signingCodes.codeHash, codeHash),
        isNull(signingCodes.usedAt),
        sql`${signingCodes.expiresAt} > ${now.toISOString()}`,
      ),
    )
    .returning({ id: signingCodes.id });
  return rows.length > 0;
}

export async function insertObligations(db: Db, values: (typeof obligations.$inferInsert)[]) {
  return values.length ? db.insert(obligations).values(values).returning() : [];
}

export async function insertDocument(db: Db, values: typeof documents.$inferInsert) {
  const [row] = await db.insert(documents).values(values).returning();
  return row!;
}

export async function findDocument(db: Db, id: string) {
  const [row] = await db.select().from(documents).where(eq(documents.id, id));
  return row;
}

export async function findDocumentBySha(db: Db, sha256: string) {
  const [row] = await db.select().from(documents).where(eq(documents.sha256, sha256));
  return row;
}

export function documentsOfCase(db: Db, caseId: string) {
  return db.select().from(documents).where(eq(documents.caseId, caseId)).orderBy(asc(documents.createdAt));
}
