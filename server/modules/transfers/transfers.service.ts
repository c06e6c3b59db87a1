import type { CaseTransfers, IncomingTransfer, TransferRequest, TransferView } from '../../../shared/api/transfers.ts';
import { transferableCaseStatuses, transferMachine, transferTargets } from '../../../shared/domain/transfers.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { loadCase } from '../../access/case-loading.ts';
import { assertWorksOnCases } from '../../access/case-access.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import * as mediatorsRepo from '../mediators/mediators.repository.ts';
import { addToOutbox, type NotificationEffects } from '../notifications/notifications.service.ts';
import { applyTransition, staleTransition } from '../transitions.ts';
import * as repo from './transfers.repository.ts';

/**
 * Escalating and handing over cases (issue 11 point 2). Who may act:
 * - the mediators of the center holding the case request a transfer; while it is pending they
 *   still hold and work the case (hosting, drafting), and no second request can be made;
 * - the mediators of the receiving center accept it (the case is theirs from that commit) or
 *   send it back with a reason; until then they see the request, not the file;
 * - the sending center keeps read-only access afterwards (`access/case-access.ts`, `former`).
 */

const ref = (o: repo.OrganisationRef) => ({ id: o.id, name: o.name, level: o.level });

function transferView(t: repo.TransferWithOrganisations): TransferView {
  const row = t.transfer;
  return {
    id: row.id,
    caseId: row.caseId,
    kind: row.kind,
    status: row.status,
    from: ref(t.from),
    to: ref(t.to),
    note: row.note,
    returnReason: row.returnReason,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt.toISOString(),
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
  };
}

function assertMediator(p: Principal) {
  assertWorksOnCases(p);
  if (p.role !== 'mediator') throw forbidden('mediators of a mediation center move cases');
}

async function targetsOf(db: Db, holderId: string) {
  const nodes = await repo.treeNodes(db);
  const holder = nodes.find((n) => n.id === holderId);
  return { nodes, targets: holder ? transferTargets(holder, nodes) : { escalate: null, handOver: [] } };
}

/** The case's holders (the registering center first), its transfers, and where the caller may send it now. */
export async function caseTransfers(ctx: ServiceContext, p: Principal, caseId: string): Promise<CaseTransfers> {
  const found = await loadCase(ctx.db, p, caseId, 'full');
  const rows = await repo.transfersOfCase(ctx.db, caseId);
  const accepted = rows.filter((r) => r.transfer.status === 'accepted');
  const first = accepted[0]?.from ?? { id: found.case.centerId, name: found.centerName, level: null };
  const nodes = await repo.treeNodes(ctx.db);
  const levelOf = (id: string) => nodes.find((n) => n.id === id)?.level ?? null;
  const holders = [
    { ...ref(first), level: levelOf(first.id), since: found.case.createdAt.toISOString() },
    ...accepted.map((r) => ({ ...ref(r.to), since: r.transfer.decidedAt!.toISOString() })),
  ];
  const mayAct = found.access === 'write';
  const open = mayAct && transferableCaseStatuses.includes(found.case.status) && !rows.some((r) => r.transfer.status === 'requested');
  const { targets } = open ? await targetsOf(ctx.db, found.case.centerId) : { targets: { escalate: null, handOver: [] } };
  return {
    holders,
    transfers: rows.map(transferView),
    mayAct,
    targets: { escalate: targets.escalate ? ref(targets.escalate) : null, handOver: targets.handOver.map(ref) },
  };
}

/** The holder's mediator sends the case to the parent (escalate) or to a center it may hand over to. */
export async function requestTransfer(ctx: ServiceContext, effects: NotificationEffects, p: Principal, caseId: string, input: TransferRequest) {
  assertMediator(p);
  const done = await ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'write');
    const kase = (await casesRepo.lockCase(tx, caseId))!;
    if (kase.centerId !== p.organisationId) throw staleTransition('case');
    if (!transferableCaseStatuses.includes(kase.status)) throw conflict(`a ${kase.status} case stays where it is`);
    const { nodes, targets } = await targetsOf(tx, kase.centerId);
    const target =
      input.kind === 'escalate'
        ? (targets.escalate ?? failTarget('kind', 'this center has no mediation center above it'))
        : (targets.handOver.find((o) => o.id === input.toOrganisationId) ?? failTarget('toOrganisationId', 'not a center this case may be handed over to'));
    const now = ctx.now();
    const row = await repo.insertTransfer(tx, {
      caseId,
      kind: input.kind,
      fromOrganisationId: kase.centerId,
      toOrganisationId: target.id,
      note: input.note,
      requestedBy: p.staffUserId,
      requestedAt: now,
    });
    await appendAuditEvent(tx, {
      type: 'case.transfer_requested',
      caseId,
      actor: staffActor(p),
      data: { transferId: row.id, kind: row.kind, fromOrganisationId: row.fromOrganisationId, toOrganisationId: row.toOrganisationId },
    });
    const phone = nodes.find((n) => n.id === target.id)?.dutyPhone;
    const body = `【海桥云调解】${found.centerName}向贵单位${input.kind === 'escalate' ? '上报' : '移交'}纠纷${kase.number}，请登录海桥在“待接收移送”中接收或退回。`;
    const queued = phone ? await addToOutbox(tx, ctx, { caseId, organisationId: target.id, kind: 'transfer_requested', to: phone, body, dedupeKey: `transfer_requested:${row.id}`, sendAfter: now }) : null;
    return { id: row.id, queued };
  });
  if (done.queued) effects.queued([done.queued]);
  return viewOf(ctx.db, caseId, done.id);
}

function failTarget(field: string, message: string): never {
  throw invalid(field, message);
}

async function viewOf(db: Db, caseId: string, transferId: string) {
  const row = (await repo.transfersOfCase(db, caseId)).find((r) => r.transfer.id === transferId)!;
  return transferView(row);
}

/** Requests waiting for the caller's center. */
export async function incomingTransfers(ctx: ServiceContext, p: Principal): Promise<{ items: IncomingTransfer[] }> {
  assertMediator(p);
  const rows = await repo.pendingFor(ctx.db, p.organisationId);
  return { items: rows.map((r) => ({ ...transferView(r), case: r.case })) };
}

/** A request addressed to the caller's center; any other looks nonexistent. */
async function loadIncoming(tx: Db, p: Principal, transferId: string) {
  assertMediator(p);
  const row = await repo.findTransfer(tx, transferId);
  if (!row || row.toOrganisationId !== p.organisationId) throw notFound('transfer');
  return row;
}

/**
 * The receiver takes the case: the transfer moves requested → accepted and the case's holder
 * from the sender to the receiver, in one transaction under the case's row lock; of two accepts
 * at once exactly one wins (the other finds the transfer no longer requested: 409).
 */
export async function acceptTransfer(ctx: ServiceContext, p: Principal, transferId: string) {
  const caseId = await ctx.db.transaction(async (tx) => {
    const row = await loadIncoming(tx, p, transferId);
    const kase = (await casesRepo.lockCase(tx, row.caseId))!;
    if (row.status === 'requested' && !transferableCaseStatuses.includes(kase.status)) throw conflict(`the case is ${kase.status} now; send the request back`);
    const now = ctx.now();
    await applyTransition(tx, {
      subject: 'transfer',
      machine: transferMachine,
      from: row.status,
      to: 'accepted',
      update: () => repo.decideTransfer(tx, row.id, 'requested', { status: 'accepted', decidedBy: p.staffUserId, decidedAt: now }),
      event: { type: 'case.transfer_accepted', caseId: row.caseId, actor: staffActor(p), data: { transferId: row.id, fromOrganisationId: row.fromOrganisationId, toOrganisationId: row.toOrganisationId } },
    });
    if (!(await repo.moveHolder(tx, row.caseId, row.fromOrganisationId, row.toOrganisationId, now))) throw staleTransition('case');
    // The sending center's mediators keep read access only; whoever accepts leads the case until
    // the receiving center's head assigns others.
    const before = await mediatorsRepo.assignedTo(tx, row.caseId);
    await mediatorsRepo.replaceAssignment(tx, row.caseId, [{ staffUserId: p.staffUserId, role: 'lead' }], now, p.staffUserId);
    await appendAuditEvent(tx, {
      type: 'case.mediators_assigned',
      caseId: row.caseId,
      actor: staffActor(p),
      data: {
        lead: p.staffUserId,
        coMediators: [],
        previousLead: before.find((a) => a.role === 'lead')?.staffUserId ?? null,
        previousCoMediators: before.filter((a) => a.role === 'co').map((a) => a.staffUserId),
      },
    });
    return row.caseId;
  });
  return viewOf(ctx.db, caseId, transferId);
}

/** The receiver sends the request back with a reason; the sender still holds the case and sees why. */
export async function returnTransfer(ctx: ServiceContext, effects: NotificationEffects, p: Principal, transferId: string, reason: string) {
  const done = await ctx.db.transaction(async (tx) => {
    const row = await loadIncoming(tx, p, transferId);
    const now = ctx.now();
    await applyTransition(tx, {
      subject: 'transfer',
      machine: transferMachine,
      from: row.status,
      to: 'returned',
      update: () => repo.decideTransfer(tx, row.id, 'requested', { status: 'returned', decidedBy: p.staffUserId, decidedAt: now, returnReason: reason }),
      event: { type: 'case.transfer_returned', caseId: row.caseId, actor: staffActor(p), data: { transferId: row.id, fromOrganisationId: row.fromOrganisationId, toOrganisationId: row.toOrganisationId, reason } },
    });
    const kase = (await casesRepo.findCase(tx, row.caseId))!;
    const sender = (await repo.treeNodes(tx)).find((n) => n.id === row.fromOrganisationId);
    const body = `【海桥云调解】${p.organisationName}退回了纠纷${kase.case.number}的移送，理由：${reason}`;
    const queued = sender?.dutyPhone
      ? await addToOutbox(tx, ctx, { caseId: row.caseId, organisationId: row.fromOrganisationId, kind: 'transfer_returned', to: sender.dutyPhone, body, dedupeKey: `transfer_returned:${row.id}`, sendAfter: now })
      : null;
    return { caseId: row.caseId, queued };
  });
  if (done.queued) effects.queued([done.queued]);
  return viewOf(ctx.db, done.caseId, transferId);
}
