import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { organisations, staffUsers } from '../../db/schema/index.ts';

export type OrganisationRow = typeof organisations.$inferSelect;
export type StaffUserRow = typeof staffUsers.$inferSelect;

export const listOrganisations = (db: Db) => db.select().from(organisations).orderBy(asc(organisations.kind), asc(organisations.name));

export async function findOrganisation(db: Db, id: string) {
  const [row] = await db.select().from(organisations).where(eq(organisations.id, id));
  return row;
}

/** Serialises changes to the tree, so two concurrent moves cannot together make a cycle. */
export async function lockTree(db: Db) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('organisation_tree'))`);
}

/** The organisation and every one below it. */
export async function subtreeIds(db: Db, id: string): Promise<string[]> {
  const tree = sql`(with recursive tree(id) as (select ${id}::uuid union select o.id from ${organisations} o join tree on o.parent_id = tree.id) select id from tree)`;
  const rows = await db.select({ id: organisations.id }).from(organisations).where(sql`${organisations.id} in ${tree}`);
  return rows.map((r) => r.id);
}

export const childrenOf = (db: Db, id: string) => db.select().from(organisations).where(eq(organisations.parentId, id));

export async function updateOrganisation(db: Db, id: string, values: Partial<Pick<OrganisationRow, 'parentId' | 'level' | 'dutyPhone'>>) {
  const [row] = await db.update(organisations).set(values).where(eq(organisations.id, id)).returning();
  return row!;
}

export async function insertOrganisation(db: Db, values: typeof organisations.$inferInsert) {
  const [row] = await db.insert(organisations).values(values).returning();
  return row!;
}

export const listStaffUsers = (db: Db) => db.select().from(staffUsers).orderBy(asc(staffUsers.username));

export async function findStaffUser(db: Db, id: string) {
  const [row] = await db.select().from(staffUsers).where(eq(staffUsers.id, id));
  return row;
}

/** A staff account with its organisation's court code (null for a mediation center). */
export async function findStaffWithCourt(db: Db, id: string) {
  const [row] = await db
    .select({ active: staffUsers.active, role: staffUsers.role, organisationId: staffUsers.organisationId, courtCode: organisations.courtCode })
    .from(staffUsers)
    .innerJoin(organisations, eq(organisations.id, staffUsers.organisationId))
    .where(eq(staffUsers.id, id));
  return row;
}

export async function insertStaffUser(db: Db, values: typeof staffUsers.$inferInsert) {
  const [row] = await db.insert(staffUsers).values(values).returning();
  return row!;
}

export async function updateStaffUser(db: Db, id: string, values: Partial<typeof staffUsers.$inferInsert>) {
  const [row] = await db.update(staffUsers).set(values).where(eq(staffUsers.id, id)).returning();
  return row;
}
