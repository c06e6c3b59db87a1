import { and, eq, isNull } from 'drizzle-orm';
import { isOverdue } from '../../../shared/beijing-time';
import type { ServiceContext } from '../../context';
import type { Db } from '../../db/client';
import { agreements, cases, obligations, parties } from '../../db/schema';
import { conflict, forbidden, notFound } from '../../errors';
import type { ObligationRow } from '../agreements/agreements.repository';
import { appendAuditEvent } from '../audit/audit.repository';
import type { Principal } from '../auth/principal';
import * as casesRepo from '../cases/cases.repository';
import { loadCase, moveCaseIfAllowed } from '../cases/cases.service';

/** Only a sealed agreement binds: instalments of one the court set aside are no longer tracked. */
const inForce = and(eq(agreements.id, obligations.agreementId), eq(agreements.status, 'sealed'));

function view(row: ObligationRow, obligorName: string, now: Date) {
  return {
    id: row.id,
    agreementId: row.agreementId,
    caseId: row.caseId,
    obligorPartyId: row.obligorPartyId,
    obligorName,
    description: row.description,
    amountFen: row.amountFen,
    dueDate: row.dueDate,
    fulfilledAt: row.fulfilledAt?.toISOString() ?? null,
    fulfilmentNote: row.fulfilmentNote,
    overdue: !row.fulfilledAt && isOverdue(row.dueDate, now),
  };
}

export async function listObligations(ctx: ServiceContext, p: Principal, caseId: string) {
  // A court only invited to a session does not see the agreement, nor what it obliges.
  if ((await loadCase(ctx.db, p, caseId, 'read')).access === 'invited') return { items: [] };
  const rows = await ctx.db
    .select({ o: obligations, name: parties.name })
    .from(obligations)
    .innerJoin(agreements, inForce)
    .innerJoin(parties, eq(parties.id, obligations.obligorPartyId))
    .where(eq(obligations.caseId, caseId))
    .orderBy(obligations.dueDate, obligations.ordinal);
  return { items: rows.map((r) => view(r.o, r.name, ctx.now())) };
}

/** The staff desk's list: unfulfilled items past their due date, for the mediator's center. */
export async function overdueForCenter(ctx: ServiceContext, p: Principal) {
  if (p.role !== 'mediator') throw forbidden('for mediators');
  const rows = await ctx.db
    .select({ o: obligations, name: parties.name, caseNumber: cases.number, caseTitle: cases.title })
    .from(obligations)
    .innerJoin(cases, eq(cases.id, obligations.caseId))
    .innerJoin(agreements, inForce)
    .innerJoin(parties, eq(parties.id, obligations.obligorPartyId))
    .where(and(eq(cases.centerId, p.organisationId), isNull(obligations.fulfilledAt)))
    .orderBy(obligations.dueDate);
  const now = ctx.now();
  return { items: rows.filter((r) => isOverdue(r.o.dueDate, now)).map((r) => ({ ...view(r.o, r.name, now), caseNumber: r.caseNumber, caseTitle: r.caseTitle })) };
}

/** Records fulfilment; when the last item is fulfilled, the case closes. */
export async function recordFulfilment(ctx: ServiceContext, p: Principal, obligationId: string, note: string) {
  const [found] = await ctx.db.select().from(obligations).where(eq(obligations.id, obligationId));
  if (!found) throw notFound('obligation');
  await loadCase(ctx.db, p, found.caseId, 'write').catch(() => {
    throw notFound('obligation');
  });
  await ctx.db.transaction(async (tx) => {
    const [agreement] = await tx.select({ status: agreements.status }).from(agreements).where(eq(agreements.id, found.agreementId)).for('update');
    if (agreement?.status !== 'sealed') throw conflict(`the agreement is ${agreement?.status ?? 'gone'}; its obligations are no longer tracked`);
    const [row] = await tx
      .update(obligations)
      .set({ fulfilledAt: ctx.now(), fulfilmentNote: note || null, recordedBy: p.staffUserId })
      .where(and(eq(obligations.id, obligationId), isNull(obligations.fulfilledAt)))
      .returning();
    if (!row) throw conflict('already recorded as fulfilled');
    const actor = { kind: 'staff' as const, staffUserId: p.staffUserId };
    await appendAuditEvent(tx, { type: 'obligation.fulfilled', caseId: row.caseId, actor, data: { obligationId, note } });
    const open = await tx.select({ id: obligations.id }).from(obligations).innerJoin(agreements, inForce).where(and(eq(obligations.caseId, row.caseId), isNull(obligations.fulfilledAt)));
    if (open.length === 0) await closeCase(tx, row.caseId, actor);
  });
  return listObligations(ctx, p, found.caseId);
}

async function closeCase(tx: Db, caseId: string, actor: { kind: 'staff'; staffUserId: string }) {
  let current = (await casesRepo.findCase(tx, caseId))!.case;
  for (const to of ['following_up', 'closed'] as const) {
    current = (await moveCaseIfAllowed(tx, current, to, actor, { reason: 'all obligations fulfilled' })) ?? current;
  }
}
