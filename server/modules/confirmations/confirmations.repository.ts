import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { beijingTimeZone } from '../../../shared/beijing-time.ts';
import type { ConfirmationStatus } from '../../../shared/domain/agreements.ts';
import type { CourtCode } from '../../../shared/domain/courts.ts';
import type { Db } from '../../db/client.ts';
import { cases, confirmations, documents } from '../../db/schema/index.ts';

export type ConfirmationRow = typeof confirmations.$inferSelect & { rulingDocument?: { id: string; sha256: string } | null };

/** Statuses of an application that blocks another (at most one per agreement, by a unique index). */
export const openConfirmationStatuses: ConfirmationStatus[] = ['filed', 'accepted', 'under_review', 'confirmed'];

/** The agreement's open application if there is one, else its latest (filings in the same instant are told apart by status). */
export async function latestConfirmation(db: Db, agreementId: string): Promise<ConfirmationRow | undefined> {
  const [row] = await db
    .select({ c: confirmations, d: { id: documents.id, sha256: documents.sha256 } })
    .from(confirmations)
    .leftJoin(documents, eq(documents.id, confirmations.rulingDocumentId))
    .where(eq(confirmations.agreementId, agreementId))
    .orderBy(sql`case when ${inArray(confirmations.status, openConfirmationStatuses)} then 0 else 1 end`, desc(confirmations.filedAt), desc(confirmations.decidedAt))
    .limit(1);
  return row ? { ...row.c, rulingDocument: row.d?.id ? row.d : null } : undefined;
}

export async function findConfirmation(db: Db, id: string): Promise<ConfirmationRow | undefined> {
  const [row] = await db
    .select({ c: confirmations, d: { id: documents.id, sha256: documents.sha256 } })
    .from(confirmations)
    .leftJoin(documents, eq(documents.id, confirmations.rulingDocumentId))
    .where(eq(confirmations.id, id));
  return row ? { ...row.c, rulingDocument: row.d?.id ? row.d : null } : undefined;
}

export async function insertConfirmation(db: Db, values: typeof confirmations.$inferInsert) {
  const [row] = await db.insert(confirmations).values(values).returning();
  return row!;
}

export async function updateWhereStatus(db: Db, id: string, from: ConfirmationStatus, values: Partial<typeof confirmations.$inferInsert>) {
  const [row] = await db.update(confirmations).set(values).where(and(eq(confirmations.id, id), eq(confirmations.status, from))).returning();
  return row;
}

/** A conditional update: only while the application is in one of `statuses` (and, if given, extended or not); undefined when no row matched. */
export async function updateWhere(db: Db, id: string, when: { statuses: ConfirmationStatus[]; extended?: boolean }, values: Partial<typeof confirmations.$inferInsert>) {
  const [row] = await db
    .update(confirmations)
    .set(values)
    .where(and(eq(confirmations.id, id), inArray(confirmations.status, when.statuses), when.extended === undefined ? sql`true` : eq(confirmations.extended, when.extended)))
    .returning();
  return row;
}

export function queueForCourts(db: Db, courtCodes: CourtCode[], statuses?: ConfirmationStatus[]) {
  return db
    .select({ c: confirmations, caseNumber: cases.number, caseTitle: cases.title, d: { id: documents.id, sha256: documents.sha256 } })
    .from(confirmations)
    .innerJoin(cases, eq(cases.id, confirmations.caseId))
    .leftJoin(documents, eq(documents.id, confirmations.rulingDocumentId))
    .where(and(inArray(confirmations.courtCode, courtCodes), statuses ? inArray(confirmations.status, statuses) : sql`true`))
    .orderBy(confirmations.acceptBy);
}

/** Rulings of one court this year, for the next ruling number. */
export async function countRulings(db: Db, courtCode: CourtCode, year: number) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(confirmations)
    .where(and(eq(confirmations.courtCode, courtCode), sql`${confirmations.rulingNumber} is not null`, sql`extract(year from ${confirmations.decidedAt} at time zone ${beijingTimeZone}) = ${year}`));
  return row?.n ?? 0;
}

/** Holds the court's ruling numbers until the transaction ends: two rulings never share one. */
export async function lockRulingNumbers(db: Db, courtCode: CourtCode) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`ruling:${courtCode}`}))`);
}

/** Attaches the sealed ruling unless one already is; false when it was. */
export async function attachRulingDocument(db: Db, id: string, documentId: string) {
  const attached = await db
    .update(confirmations)
    .set({ rulingDocumentId: documentId })
    .where(and(eq(confirmations.id, id), isNull(confirmations.rulingDocumentId)))
    .returning({ id: confirmations.id });
  return attached.length > 0;
}

/** Applications without a ruling document (the sweep picks those that were ruled on). */
export function listWithoutRulingDocument(db: Db) {
  return db.select({ id: confirmations.id, status: confirmations.status, rulingNumber: confirmations.rulingNumber }).from(confirmations).where(isNull(confirmations.rulingDocumentId));
}
