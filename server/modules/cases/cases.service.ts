import type { CaseCreateData, CaseListQuery, CaseUpdate } from '../../../shared/api/cases.ts';
import { caseMachine, type CaseStatus } from '../../../shared/domain/cases.ts';
import { maskIdNumber } from '../../../shared/domain/id-numbers.ts';
import type { PartyInput } from '../../../shared/domain/parties.ts';
import type { VesselInput } from '../../../shared/domain/vessels.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../../errors.ts';
import type { AuditActor } from '../../../shared/audit-events.ts';
import { beijingYear } from '../../../shared/beijing-time.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { applyTransition, applyTransitionIfAllowed, staleTransition } from '../transitions.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import { assertWorksOnCases, assignedTo, visibleCasesFilter } from '../../access/case-access.ts';
import { loadCase } from '../../access/case-loading.ts';
import { caseSummary, caseView, partyView, vesselView } from './case-views.ts';
import * as repo from './cases.repository.ts';
import { assignCreator } from '../mediators/mediators.service.ts';

/** Edits are refused once a case has ended. */
function assertEditable(row: repo.CaseRow) {
  if (caseMachine.isTerminal(row.status)) throw conflict(`case is ${row.status} and can no longer be changed`);
}

export async function listCases(ctx: ServiceContext, p: Principal, query: CaseListQuery) {
  assertWorksOnCases(p);
  // A mediator's own cases (lead or co-mediator) come first, then the rest of the center's.
  const mine = p.role === 'mediator' ? assignedTo(p) : undefined;
  const { rows, total } = await repo.searchCases(ctx.db, { visibility: visibleCasesFilter(p), ...query, ...(mine ? { mine } : {}) });
  const names = await repo.partyNamesByCase(ctx.db, rows.map((r) => r.case.id));
  return { items: rows.map((r) => caseSummary(r.case, r.centerName, names.get(r.case.id) ?? [], r.mine)), total };
}

export async function getCase(ctx: ServiceContext, p: Principal, caseId: string) {
  const found = await loadCase(ctx.db, p, caseId, 'read');
  return assembleView(ctx.db, found.case, found.centerName, found.access === 'write' && p.role === 'mediator');
}

async function assembleView(db: Db, row: repo.CaseRow, centerName: string, mine: boolean) {
  const [parties, vessels, filed] = await Promise.all([repo.listParties(db, row.id), repo.listVessels(db, row.id), repo.hasApplication(db, row.id)]);
  return { ...caseView(row, centerName, parties, vessels, mine), applicationFiled: filed };
}

function partyColumns(ctx: ServiceContext, input: PartyInput) {
  return {
    kind: input.kind,
    name: input.name,
    phone: input.phone ?? null,
    address: input.address ?? null,
    ...(input.idNumber
      ? { idType: input.idType ?? null, idNumberCiphertext: ctx.cipher.encrypt(input.idNumber), idNumberMasked: maskIdNumber(input.idNumber) }
      : {}),
  };
}

function caseNumber(prefix: string, year: number, seq: number) {
  return `（${year}）${prefix}字第${String(seq).padStart(4, '0')}号`;
}

export async function createCase(ctx: ServiceContext, p: Principal, input: CaseCreateData) {
  if (p.role !== 'mediator' || p.organisationKind !== 'mediation_center') throw forbidden('only mediators register cases');
  return ctx.db.transaction(async (tx) => {
    const year = beijingYear(ctx.now()); // in Beijing, whatever the server's own time zone
    const seq = await repo.nextCaseSequence(tx, p.organisationId, year);
    const row = await repo.insertCase(tx, {
      number: caseNumber(p.caseNumberPrefix ?? '海桥', year, seq),
      centerId: p.organisationId,
      title: input.title,
      disputeType: input.disputeType,
      incidentAt: new Date(input.incidentAt),
      incidentLat: input.incidentPosition?.lat ?? null,
      incidentLon: input.incidentPosition?.lon ?? null,
      seaArea: input.seaArea,
      incidentDescription: input.incidentDescription,
      provinces: input.provinces,
      claimedAmountFen: input.claimedAmountFen,
      competentCourt: input.competentCourt,
      createdBy: p.staffUserId,
    });
    const parties = [];
    for (const party of input.parties) parties.push(await repo.insertParty(tx, { caseId: row.id, ...partyColumns(ctx, party) }));
    const vessels = [];
    for (const { ownerPartyIndex, ...vessel } of input.vessels) {
      const ownerPartyId = ownerPartyIndex === undefined ? null : parties[ownerPartyIndex]!.id;
      vessels.push(await repo.insertVessel(tx, { caseId: row.id, ...vesselColumns(vessel), ownerPartyId }));
    }
    await appendAuditEvent(tx, {
      type: 'case.created',
      caseId: row.id,
      actor: staffActor(p),
      data: { number: row.number, disputeType: row.disputeType, parties: parties.map((x) => x.id), vessels: vessels.map((x) => x.id) },
    });
    await assignCreator(tx, ctx, p, row.id);
    return { ...caseView(row, p.organisationName, parties, vessels, true), applicationFiled: false };
  });
}

function vesselColumns(v: Omit<VesselInput, 'ownerPartyId'>) {
  return {
    name: v.name,
    registrationNumber: v.registrationNumber ?? null,
    mmsi: v.mmsi ?? null,
    portOfRegistry: v.portOfRegistry ?? null,
  };
}

export async function updateCase(ctx: ServiceContext, p: Principal, caseId: string, patch: CaseUpdate) {
  return ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'write');
    assertEditable(found.case);
    if (patch.competentCourt !== undefined && patch.competentCourt !== found.case.competentCourt) {
      // The row lock orders this against a filing, which takes the same lock before it reads the court.
      await repo.lockCase(tx, caseId);
      if (await repo.hasApplication(tx, caseId)) throw new AppError('CONFLICT', 'competentCourt: an application for confirmation has been filed with this court; the court can no longer be changed', 'competentCourt');
    }
    const { incidentPosition, incidentAt, ...rest } = patch;
    const values = {
      ...rest,
      ...(incidentAt !== undefined ? { incidentAt: new Date(incidentAt) } : {}),
      ...(incidentPosition !== undefined ? { incidentLat: incidentPosition?.lat ?? null, incidentLon: incidentPosition?.lon ?? null } : {}),
    };
    const row = await repo.updateCaseWhereStatus(tx, caseId, found.case.status, values);
    if (!row) throw staleTransition('case');
    await appendAuditEvent(tx, { type: 'case.updated', caseId, actor: staffActor(p), data: { fields: Object.keys(patch).sort() } });
    return assembleView(tx, row, found.centerName, true);
  });
}

export async function transitionCase(ctx: ServiceContext, p: Principal, caseId: string, to: CaseStatus) {
  return ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'write');
    const row = await moveCase(tx, found.case, to, staffActor(p));
    return assembleView(tx, row, found.centerName, true);
  });
}

/** What moved a case, recorded with its status change. */
type CaseMoveCause = { agreementId?: string; confirmationId?: string; reason?: string };

/** The one place a case changes status: table check, conditional update, audit event (`why` says what moved it). */
export function moveCase(tx: Db, current: { id: string; status: CaseStatus }, to: CaseStatus, actor: AuditActor, why: CaseMoveCause = {}) {
  return applyTransition(tx, caseMoveOf(tx, current, to, actor, why));
}

/** A case move that follows from another change: skipped when the table does not allow it from where the case is. */
export function moveCaseIfAllowed(tx: Db, current: { id: string; status: CaseStatus }, to: CaseStatus, actor: AuditActor, why: CaseMoveCause = {}) {
  return applyTransitionIfAllowed(tx, caseMoveOf(tx, current, to, actor, why));
}

function caseMoveOf(tx: Db, current: { id: string; status: CaseStatus }, to: CaseStatus, actor: AuditActor, why: CaseMoveCause) {
  const from = current.status;
  return {
    subject: 'case' as const,
    machine: caseMachine,
    from,
    to,
    update: () => repo.updateCaseWhereStatus(tx, current.id, from, { status: to }),
    event: { type: 'case.status_changed' as const, caseId: current.id, actor, data: { from, to, ...why } },
  };
}

/** Runs a change to a case's parts (parties, vessels) with its access check and audit event. */
async function changeCasePart<T>(ctx: ServiceContext, p: Principal, caseId: string, change: (tx: Db) => Promise<{ result: T; audit: Parameters<typeof appendAuditEvent>[1] }>) {
  return ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'write');
    assertEditable(found.case);
    const { result, audit } = await change(tx);
    await repo.touchCase(tx, caseId);
    await appendAuditEvent(tx, audit);
    return result;
  });
}

async function assertPartyOfCase(tx: Db, caseId: string, partyId: string | undefined, field: string) {
  if (partyId && !(await repo.findParty(tx, caseId, partyId))) throw invalid(field, 'not a party of this case');
}

export const addParty = (ctx: ServiceContext, p: Principal, caseId: string, input: PartyInput) =>
  changeCasePart(ctx, p, caseId, async (tx) => {
    const row = await repo.insertParty(tx, { caseId, ...partyColumns(ctx, input) });
    return { result: partyView(row), audit: { type: 'party.added', caseId, actor: staffActor(p), data: { partyId: row.id } } };
  });

export const updateParty = (ctx: ServiceContext, p: Principal, caseId: string, partyId: string, input: PartyInput) =>
  changeCasePart(ctx, p, caseId, async (tx) => {
    const existing = await repo.findParty(tx, caseId, partyId);
    if (!existing) throw notFound('party');
    if (!input.idNumber && input.idType && input.idType !== existing.idType) throw invalid('idNumber', 'give the number when changing the ID type');
    const row = await repo.updateParty(tx, caseId, partyId, partyColumns(ctx, input));
    return { result: partyView(row!), audit: { type: 'party.updated', caseId, actor: staffActor(p), data: { partyId, idNumberChanged: Boolean(input.idNumber) } } };
  });

export const removeParty = (ctx: ServiceContext, p: Principal, caseId: string, partyId: string) =>
  changeCasePart(ctx, p, caseId, async (tx) => {
    if (!(await repo.deleteParty(tx, caseId, partyId))) throw notFound('party');
    return { result: undefined, audit: { type: 'party.removed', caseId, actor: staffActor(p), data: { partyId } } };
  });

export const addVessel = (ctx: ServiceContext, p: Principal, caseId: string, input: VesselInput) =>
  changeCasePart(ctx, p, caseId, async (tx) => {
    await assertPartyOfCase(tx, caseId, input.ownerPartyId, 'ownerPartyId');
    const row = await repo.insertVessel(tx, { caseId, ...vesselColumns(input), ownerPartyId: input.ownerPartyId ?? null });
    return { result: vesselView(row), audit: { type: 'vessel.added', caseId, actor: staffActor(p), data: { vesselId: row.id } } };
  });

export const updateVessel = (ctx: ServiceContext, p: Principal, caseId: string, vesselId: string, input: VesselInput) =>
  changeCasePart(ctx, p, caseId, async (tx) => {
    await assertPartyOfCase(tx, caseId, input.ownerPartyId, 'ownerPartyId');
    const row = await repo.updateVessel(tx, caseId, vesselId, { ...vesselColumns(input), ownerPartyId: input.ownerPartyId ?? null });
    if (!row) throw notFound('vessel');
    return { result: vesselView(row), audit: { type: 'vessel.updated', caseId, actor: staffActor(p), data: { vesselId } } };
  });

export const removeVessel = (ctx: ServiceContext, p: Principal, caseId: string, vesselId: string) =>
  changeCasePart(ctx, p, caseId, async (tx) => {
    if (!(await repo.deleteVessel(tx, caseId, vesselId))) throw notFound('vessel');
    return { result: undefined, audit: { type: 'vessel.removed', caseId, actor: staffActor(p), data: { vesselId } } };
  });
