import { asc, desc, eq, and, max } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { compensationFigures } from '../../db/schema/index.ts';

export type CompensationFiguresRow = typeof compensationFigures.$inferSelect;

export function listFigures(db: Db) {
  return db.select().from(compensationFigures).orderBy(asc(compensationFigures.province), desc(compensationFigures.year), desc(compensationFigures.version));
}

export async function latestVersion(db: Db, province: CompensationFiguresRow['province'], year: number) {
  const [row] = await db
    .select({ version: max(compensationFigures.version) })
    .from(compensationFigures)
    .where(and(eq(compensationFigures.province, province), eq(compensationFigures.year, year)));
  return row?.version ?? 0;
}

export async function insertFigures(db: Db, values: typeof compensationFigures.$inferInsert) {
  const [row] = await db.insert(compensationFigures).values(values).returning();
  return row!;
}
