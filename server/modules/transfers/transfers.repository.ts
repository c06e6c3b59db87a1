import { and, asc, desc, eq } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { TransferStatus } from '../../../shared/domain/transfers.ts';
import type { Db } from '../../db/client.ts';
import { cases, caseTransfers, organisations } from '../../db/schema/index.ts';

export type TransferRow = typeof caseTransfers.$inferSelect;

const fromOrg = alias(organisations, 'from_org');
const toOrg = alias(organisations, 'to_org');
const withOrganisations = {
  transfer: caseTransfers,
  from: { id: fromOrg.id, name: fromOrg.name, level: fromOrg.level },
  to: { id: toOrg.id, name: toOrg.name, level: toOrg.level },
};
export type TransferWithOrganisations = { transfer: TransferRow; from: OrganisationRef; to: OrganisationRef };
export type OrganisationRef = Pick<typeof organisations.$inferSelect, 'id' | 'name' | 'level'>;

export async function insertTransfer(db: Db, values: typeof caseTransfers.$inferInsert) {
  const [row] = await db.insert(caseTransfers).values(values).returning();
  return row!;
}

export async function findTransfer(db: Db, id: string) {
  const [row] = await db.select().from(caseTransfers).where(eq(caseTransfers.id, id));
  return row;
}

/** Every transfer of a case, oldest first, with both organisations' names. */
export function transfersOfCase(db: Db, caseId: string): Promise<TransferWithOrganisations[]> {
  return db
    .select(withOrganisations)
    .from(caseTransfers)
    .innerJoin(fromOrg, eq(fromOrg.id, caseTransfers.fromOrganisationId))
    .innerJoin(toOrg, eq(toOrg.id, caseTransfers.toOrganisationId))
    .where(eq(caseTransfers.caseId, caseId))
    .orderBy(asc(caseTransfers.seq));
}

/** Requests waiting for an organisation, newest first, with the case facts the receiver decides on. */
export function pendingFor(db: Db, organisationId: string) {
  return db
    .select({
      ...withOrganisations,
      case: { number: cases.number, title: cases.title, status: cases.status, disputeType: cases.disputeType, seaArea: cases.seaArea, claimedAmountFen: cases.claimedAmountFen },
    })
    .from(caseTransfers)
    .innerJoin(fromOrg, eq(fromOrg.id, caseTransfers.fromOrganisationId))
    .innerJoin(toOrg, eq(toOrg.id, caseTransfers.toOrganisationId))
    .innerJoin(cases, eq(cases.id, caseTransfers.caseId))
    .where(and(eq(caseTransfers.toOrganisationId, organisationId), eq(caseTransfers.status, 'requested')))
    .orderBy(desc(caseTransfers.requestedAt));
}

/** The conditional step of the machine: the row if it was still `from`, else nothing. */
export async function decideTransfer(db: Db, id: string, from: TransferStatus, values: { status: TransferStatus; decidedBy: string; decidedAt: Date; returnReason?: string }) {
  const [row] = await db
    .update(caseTransfers)
    .set(values)
    .where(and(eq(caseTransfers.id, id), eq(caseTransfers.status, from)))
    .returning();
  return row;
}

/** The case changes holder, only if `from` still holds it. */
export async function moveHolder(db: Db, caseId: string, from: string, to: string, at: Date) {
  const [row] = await db
    .update(cases)
    .set({ centerId: to, updatedAt: at })
    .where(and(eq(cases.id, caseId), eq(cases.centerId, from)))
    .returning({ id: cases.id });
  return row;
}

/** The whole tree, for working out where a holder may send a case. */
export const treeNodes = (db: Db) =>
  db.select({ id: organisations.id, kind: organisations.kind, level: organisations.level, parentId: organisations.parentId, name: organisations.name, dutyPhone: organisations.dutyPhone }).from(organisations);
