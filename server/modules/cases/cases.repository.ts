import { and, asc, count, desc, eq, exists, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { caseNumberCounters, cases, confirmations, organisations, parties, vessels } from '../../db/schema/index.ts';

export type CaseRow = typeof cases.$inferSelect;
export type PartyRow = typeof parties.$inferSelect;
export type VesselRow = typeof vessels.$inferSelect;

export async function findCase(db: Db, id: string) {
  const [row] = await db
    .select({ case: cases, centerName: organisations.name })
    .from(cases)
    .innerJoin(organisations, eq(organisations.id, cases.centerId))
    .where(eq(cases.id, id));
  return row;
}

/** Takes the case row's lock until the transaction ends (filing and changing the court take it). */
export async function lockCase(db: Db, id: string) {
  const [row] = await db.select().from(cases).where(eq(cases.id, id)).for('update');
  return row;
}

/** Whether an application for judicial confirmation was ever filed for the case. */
export async function hasApplication(db: Db, caseId: string) {
  const [row] = await db.select({ one: sql<number>`1` }).from(confirmations).where(eq(confirmations.caseId, caseId)).limit(1);
  return row !== undefined;
}

export async function nextCaseSequence(db: Db, organisationId: string, year: number): Promise<number> {
  const [row] = await db
    .insert(caseNumberCounters)
    .values({ organisationId, year, last: 1 })
    .onConflictDoUpdate({ target: [caseNumberCounters.organisationId, caseNumberCounters.year], set: { last: sql`${caseNumberCounters.last} + 1` } })
    .returning({ last: caseNumberCounters.last });
  return row!.last;
}

export async function insertCase(db: Db, values: typeof cases.$inferInsert) {
  const [row] = await db.insert(cases).values(values).returning();
  return row!;
}

/** Updates only while the case is in `expectedStatus`; undefined means someone else moved it. */
export async function updateCaseWhereStatus(db: Db, id: string, expectedStatus: CaseRow['status'], values: Partial<typeof cases.$inferInsert>) {
  const [row] = await db
    .update(cases)
    .set({ ...values, updatedAt: sql`now()` })
    .where(and(eq(cases.id, id), eq(cases.status, expectedStatus)))
    .returning();
  return row;
}

export async function touchCase(db: Db, id: string) {
  await db.update(cases).set({ updatedAt: sql`now()` }).where(eq(cases.id, id));
}

export function listParties(db: Db, caseId: string) {
  return db.select().from(parties).where(eq(parties.caseId, caseId)).orderBy(asc(parties.createdAt), asc(parties.id));
}

export function listVessels(db: Db, caseId: string) {
  return db.select().from(vessels).where(eq(vessels.caseId, caseId)).orderBy(asc(vessels.createdAt), asc(vessels.id));
}

// Parties and vessels are listed in the order they were added. now() is the same for every row
// of one transaction (a new case inserts several), so created_at takes the statement's clock.
const insertedNow = sql`clock_timestamp()`;

export async function insertParty(db: Db, values: typeof parties.$inferInsert) {
  const [row] = await db.insert(parties).values({ createdAt: insertedNow, ...values }).returning();
  return row!;
}

export async function updateParty(db: Db, caseId: string, id: string, values: Partial<typeof parties.$inferInsert>) {
  const [row] = await db.update(parties).set(values).where(and(eq(parties.id, id), eq(parties.caseId, caseId))).returning();
  return row;
}

export async function deleteParty(db: Db, caseId: string, id: string) {
  const rows = await db.delete(parties).where(and(eq(parties.id, id), eq(parties.caseId, caseId))).returning({ id: parties.id });
  return rows.length > 0;
}

export async function findParty(db: Db, caseId: string, id: string) {
  const [row] = await db.select().from(parties).where(and(eq(parties.id, id), eq(parties.caseId, caseId)));
  return row;
}

export async function insertVessel(db: Db, values: typeof vessels.$inferInsert) {
  const [row] = await db.insert(vessels).values({ createdAt: insertedNow, ...values }).returning();
  return row!;
}

export async function updateVessel(db: Db, caseId: string, id: string, values: Partial<typeof vessels.$inferInsert>) {
  const [row] = await db.update(vessels).set(values).where(and(eq(vessels.id, id), eq(vessels.caseId, caseId))).returning();
  return row;
}

export async function deleteVessel(db: Db, caseId: string, id: string) {
  const rows = await db.delete(vessels).where(and(eq(vessels.id, id), eq(vessels.caseId, caseId))).returning({ id: vessels.id });
  return rows.length > 0;
}

function escapeLike(text: string) {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface CaseSearch {
  visibility: SQL;
  /** The caller's own cases, listed first. */
  mine?: SQL;
  q?: string | undefined;
  status?: CaseRow['status'] | undefined;
  disputeType?: CaseRow['disputeType'] | undefined;
  page: number;
  pageSize: number;
}

export async function searchCases(db: Db, search: CaseSearch) {
  const conditions: SQL[] = [search.visibility];
  if (search.status) conditions.push(eq(cases.status, search.status));
  if (search.disputeType) conditions.push(eq(cases.disputeType, search.disputeType));
  if (search.q) {
    const pattern = `%${escapeLike(search.q)}%`;
    conditions.push(
      or(
        ilike(cases.number, pattern),
        ilike(cases.title, pattern),
        exists(db.select({ one: sql`1` }).from(parties).where(and(eq(parties.caseId, cases.id), ilike(parties.name, pattern)))),
      )!,
    );
  }
  const where = and(...conditions);
  // A constant in ORDER BY is an error in PostgreSQL: "mine first" only when there is a "mine".
  const order = [...(search.mine ? [desc(search.mine)] : []), desc(cases.updatedAt), desc(cases.id)];
  const [rows, [total]] = await Promise.all([
    db
      .select({ case: cases, centerName: organisations.name, mine: sql<boolean>`${search.mine ?? sql`false`}` })
      .from(cases)
      .innerJoin(organisations, eq(organisations.id, cases.centerId))
      .where(where)
      .orderBy(...order)
      .limit(search.pageSize)
      .offset((search.page - 1) * search.pageSize),
    db.select({ n: count() }).from(cases).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export async function partyNamesByCase(db: Db, caseIds: string[]) {
  if (caseIds.length === 0) return new Map<string, string[]>();
  const rows = await db
    .select({ caseId: parties.caseId, name: parties.name })
    .from(parties)
    .where(inArray(parties.caseId, caseIds))
    .orderBy(asc(parties.createdAt), asc(parties.id));
  const byCase = new Map<string, string[]>();
  for (const row of rows) byCase.set(row.caseId, [...(byCase.get(row.caseId) ?? []), row.name]);
  return byCase;
}
