import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { agreements, cases, obligations, parties } from '../../db/schema/index.ts';

/** Only a sealed agreement binds: instalments of one the court set aside are no longer tracked. */
const inForce = and(eq(agreements.id, obligations.agreementId), eq(agreements.status, 'sealed'));

/** The case's obligations in force, with the obligor's name, by due date. */
export function listInForce(db: Db, caseId: string) {
  return db
    .select({ o: obligations, name: parties.name })
    .from(obligations)
    .innerJoin(agreements, inForce)
    .innerJoin(parties, eq(parties.id, obligations.obligorPartyId))
    .where(eq(obligations.caseId, caseId))
    .orderBy(obligations.dueDate, obligations.ordinal);
}

/** Unfulfilled obligations in force in the center's cases, by due date (overdue is decided by the caller). */
export function listUnfulfilledForCenter(db: Db, centerId: string) {
  return db
    .select({ o: obligations, name: parties.name, caseNumber: cases.number, caseTitle: cases.title })
    .from(obligations)
    .innerJoin(cases, eq(cases.id, obligations.caseId))
    .innerJoin(agreements, inForce)
    .innerJoin(parties, eq(parties.id, obligations.obligorPartyId))
    .where(and(eq(cases.centerId, centerId), isNull(obligations.fulfilledAt)))
    .orderBy(obligations.dueDate);
}

export async function findObligation(db: Db, id: string) {
  const [row] = await db.select().from(obligations).where(eq(obligations.id, id));
  return row;
}

/** Records fulfilment unless it already is; undefined when it was. */
export async function markFulfilled(db: Db, id: string, values: { fulfilledAt: Date; fulfilmentNote: string | null; recordedBy: string }) {
  const [row] = await db
    .update(obligations)
    .set(values)
    .where(and(eq(obligations.id, id), isNull(obligations.fulfilledAt)))
    .returning();
  return row;
}

/** Whether any obligation in force in the case is still unfulfilled. */
export async function hasOpenObligations(db: Db, caseId: string) {
  const open = await db
    .select({ id: obligations.id })
    .from(obligations)
    .innerJoin(agreements, inForce)
    .where(and(eq(obligations.caseId, caseId), isNull(obligations.fulfilledAt)))
    .limit(1);
  return open.length > 0;
}
