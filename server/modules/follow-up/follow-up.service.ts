import { isOverdue } from '../../../shared/beijing-time.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, notFound } from '../../errors.ts';
import * as agreementsRepo from '../agreements/agreements.repository.ts';
import type { ObligationRow } from '../agreements/agreements.repository.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { Principal } from '../../access/principal.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import { moveCaseIfAllowed } from '../cases/cases.service.ts';
import * as repo from './follow-up.repository.ts';
import { asNotFound, loadCase } from '../../access/case-loading.ts';

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
  const rows = await repo.listInForce(ctx.db, caseId);
  return { items: rows.map((r) => view(r.o, r.name, ctx.now())) };
}

/** The staff desk's list: unfulfilled items past their due date, for the mediator's center. */
export async function overdueForCenter(ctx: ServiceContext, p: Principal) {
  if (p.role !== 'mediator') throw forbidden('for mediators');
  const rows = await repo.listUnfulfilledForCenter(ctx.db, p.organisationId);
  const now = ctx.now();
  return { items: rows.filter((r) => isOverdue(r.o.dueDate, now)).map((r) => ({ ...view(r.o, r.name, now), caseNumber: r.caseNumber, caseTitle: r.caseTitle })) };
}

/** Records fulfilment; when the last item is fulfilled, the case closes. */
export async function recordFulfilment(ctx: ServiceContext, p: Principal, obligationId: string, note: string) {
  const found = await repo.findObligation(ctx.db, obligationId);
  if (!found) throw notFound('obligation');
  await loadCase(ctx.db, p, found.caseId, 'write').catch(asNotFound('obligation'));
  await ctx.db.transaction(async (tx) => {
    const agreement = await agreementsRepo.lockAgreement(tx, found.agreementId);
    if (agreement?.status !== 'sealed') throw conflict(`the agreement is ${agreement?.status ?? 'gone'}; its obligations are no longer tracked`);
    const row = await repo.markFulfilled(tx, obligationId, { fulfilledAt: ctx.now(), fulfilmentNote: note || null, recordedBy: p.staffUserId });
    if (!row) throw conflict('already recorded as fulfilled');
    const actor = { kind: 'staff' as const, staffUserId: p.staffUserId };
    await appendAuditEvent(tx, { type: 'obligation.fulfilled', caseId: row.caseId, actor, data: { obligationId, note } });
    if (!(await repo.hasOpenObligations(tx, row.caseId))) await closeCase(tx, row.caseId, actor);
  });
  return listObligations(ctx, p, found.caseId);
}

async function closeCase(tx: Db, caseId: string, actor: { kind: 'staff'; staffUserId: string }) {
  let current = (await casesRepo.findCase(tx, caseId))!.case;
  for (const to of ['following_up', 'closed'] as const) {
    current = (await moveCaseIfAllowed(tx, current, to, actor, { reason: 'all obligations fulfilled' })) ?? current;
  }
}
