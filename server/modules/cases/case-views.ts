import type { CaseSummary, CaseView, PartyView, VesselView } from '../../../shared/api/cases.ts';
import { caseMachine } from '../../../shared/domain/cases.ts';
import type { CaseRow, PartyRow, VesselRow } from './cases.repository.ts';

export function partyView(row: PartyRow): PartyView {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    idType: row.idType ?? null,
    idNumberMasked: row.idNumberMasked ?? null,
    phone: row.phone,
    address: row.address,
  };
}

export function vesselView(row: VesselRow): VesselView {
  return {
    id: row.id,
    name: row.name,
    registrationNumber: row.registrationNumber,
    mmsi: row.mmsi,
    portOfRegistry: row.portOfRegistry,
    ownerPartyId: row.ownerPartyId,
  };
}

export function caseSummary(row: CaseRow, centerName: string, partyNames: string[], mine = false): CaseSummary {
  return {
    id: row.id,
    number: row.number,
    title: row.title,
    status: row.status,
    disputeType: row.disputeType,
    incidentAt: row.incidentAt.toISOString(),
    seaArea: row.seaArea,
    claimedAmountFen: row.claimedAmountFen,
    competentCourt: row.competentCourt,
    centerId: row.centerId,
    centerName,
    partyNames,
    updatedAt: row.updatedAt.toISOString(),
    mine,
  };
}

export function caseView(row: CaseRow, centerName: string, parties: PartyRow[], vessels: VesselRow[], mine = false): Omit<CaseView, 'applicationFiled'> {
  return {
    ...caseSummary(row, centerName, parties.map((p) => p.name), mine),
    incidentPosition: row.incidentLat === null || row.incidentLon === null ? null : { lat: row.incidentLat, lon: row.incidentLon },
    incidentDescription: row.incidentDescription,
    provinces: row.provinces,
    allowedTransitions: [...caseMachine.allowed(row.status)],
    parties: parties.map(partyView),
    vessels: vessels.map(vesselView),
    createdAt: row.createdAt.toISOString(),
    enforceableAt: row.enforceableAt?.toISOString() ?? null,
  };
}
