import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { organisations, organisationSeals } from '../../db/schema/index.ts';

export type SealRow = typeof organisationSeals.$inferSelect;
type SealValues = typeof organisationSeals.$inferInsert;

export async function findActiveSeal(db: Db, organisationId: string) {
  const [row] = await db.select().from(organisationSeals).where(and(eq(organisationSeals.organisationId, organisationId), eq(organisationSeals.active, true)));
  return row;
}

/** The organisation's seals, oldest first. */
export function listForOrganisation(db: Db, organisationId: string) {
  return db.select().from(organisationSeals).where(eq(organisationSeals.organisationId, organisationId)).orderBy(organisationSeals.createdAt);
}

/** Inserts the first active seal; undefined when one appeared meanwhile (the partial unique index on active seals). */
export async function insertFirstSeal(db: Db, values: SealValues) {
  const [row] = await db.insert(organisationSeals).values(values).onConflictDoNothing().returning();
  return row;
}

/** Makes `values` the organisation's active seal; the previous one stays on record, inactive. */
export async function replaceActiveSeal(db: Db, values: Omit<SealValues, 'active'>) {
  await db.update(organisationSeals).set({ active: false }).where(and(eq(organisationSeals.organisationId, values.organisationId), eq(organisationSeals.active, true)));
  const [row] = await db.insert(organisationSeals).values({ ...values, active: true }).returning();
  return row!;
}

export async function fingerprintInstalled(db: Db, fingerprintSha256: string) {
  const [row] = await db.select({ id: organisationSeals.id }).from(organisationSeals).where(eq(organisationSeals.fingerprintSha256, fingerprintSha256));
  return Boolean(row);
}

/** The organisation that installed a certificate (any seal ever installed, active or not). */
export async function findSealOwnerRow(db: Db, fingerprintSha256: string) {
  const [row] = await db
    .select({ organisationName: organisations.name, organisationKind: organisations.kind, source: organisationSeals.source })
    .from(organisationSeals)
    .innerJoin(organisations, eq(organisations.id, organisationSeals.organisationId))
    .where(eq(organisationSeals.fingerprintSha256, fingerprintSha256));
  return row;
}

export const listOrganisationIds = (db: Db) => db.select({ id: organisations.id }).from(organisations);

export async function findOrganisationName(db: Db, id: string) {
  const [row] = await db.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, id));
  return row?.name;
}

/** Locks the organisation row: one seal installation per organisation at a time. */
export async function lockOrganisation(db: Db, id: string) {
  const [row] = await db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, id)).for('update');
  return row;
}

/** Organisations holding any of these court codes (a court and the tribunals it consists of). */
export function organisationsOfCourts(db: Db, courtCodes: string[]) {
  return db.select({ id: organisations.id, courtCode: organisations.courtCode }).from(organisations).where(inArray(organisations.courtCode, courtCodes));
}
