import type { Db } from '../../db/client.ts';
import { appraisalStatements } from '../../db/schema/index.ts';

/** The appraiser's signed statement of truthfulness for a report (evidence row). */
export async function insertAppraisalStatement(db: Db, values: typeof appraisalStatements.$inferInsert) {
  const [row] = await db.insert(appraisalStatements).values(values).returning();
  return row!;
}
