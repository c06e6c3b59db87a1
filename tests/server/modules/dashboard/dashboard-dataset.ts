/**
 * A hand-made dataset for the dashboard with answers worked out by hand (see dashboard.test.ts).
 * The clock of the test world is 2026-11-22 10:00 Beijing (a Sunday); the period counted is
 * 2026-11-01 … 2026-11-22, whose weeks start on Mondays 10-26, 11-02, 11-09 and 11-16.
 *
 * Tree: Ningbo court ← center (county) ← town ← village room; Xiamen court ← other center.
 *
 * | case | holder  | registered (UTC → Beijing)      | status       | type               | sea area  | provinces | agreement in effect | position |
 * |------|---------|----------------------------------|--------------|--------------------|-----------|-----------|---------------------|----------|
 * | A    | center  | 11-01 16:30 → 11-02 00:30        | closed       | collision          | nanji     | zj, fj    | 11-10 (8 days)      | yes      |
 * | B    | center  | 10-31 17:00 → 11-01 01:00        | settled      | fishing_gear       | qixing    | zj        | 11-05 (4 days)      | no       |
 * | C    | center  | 10-31 15:00 → 10-31 23:00 (out)  | settled      | collision          | nanji     | zj        | 10-31               | no       |
 * | D    | center  | 11-09                            | failed       | crew_wages         | nanji     | fj        | set aside           | no       |
 * | E    | center  | 11-20                            | mediating    | collision          | wentai    | zj        | —                   | yes      |
 * | F    | town    | 11-03                            | following_up | collision          | nanji     | zj        | 11-16 (13 days)     | yes      |
 * | G    | village | 11-10                            | withdrawn    | other              | border    | fj        | —                   | no       |
 * | H    | village | 11-22 01:00 → 09:00              | registered   | catch_price_sale   | mindong   | zj        | —                   | no       |
 * | X    | other   | 11-05                            | settled      | collision          | mindong   | fj        | 11-06 (1 day)       | no       |
 *
 * Confirmations: A confirmed (filed 11-11), B filed 11-06 and not accepted by 11-09 (late),
 * F under review since 11-17 with a ruling due 11-21 (late), C accepted 10-20 with a ruling due
 * 11-10 (late, filed before the period), X filed 11-07 and not accepted by 11-10 (late).
 * Instalments: A #1 due 11-15 (100 000 fen, late), A #2 due 11-22 (today: not late), A #3 due
 * 11-01 but fulfilled; F #1 due 11-21 (50 000 fen, late); D's set-aside agreement: due 11-01, not
 * tracked.
 *
 * Transfers (issue 11 point 2): A was registered by the town and escalated to the county center
 * (accepted 11-03), F by the village room and escalated to the town (accepted 11-04); the county
 * center handed B to the town, which sent it back. So settled cases by the level that settled
 * them (A, B, F; C is out of the period) are county 2, town 1, village 0, whereas the levels that
 * registered them would be county 1, town 1, village 1.
 *
 * Legal consultations (created_at decides the period; wait = requested → answered, minutes):
 *
 * | # | center (case) | kind      | created (UTC)         | status    | wait | counted as |
 * |---|---------------|-----------|-----------------------|-----------|------|------------|
 * | 1 | center (A)    | on_duty   | 11-02 02:00           | closed    | 4    | answered   |
 * | 2 | center (A)    | on_duty   | 11-03 02:00           | expired   | —    | unanswered |
 * | 3 | town (F)      | chosen    | 11-04 02:00           | accepted  | 10   | answered   |
 * | 4 | village (G)   | booked    | 11-05 02:00 (slot 11-12 01:00) | closed | 2 | answered |
 * | 5 | center (E)    | called_in | 11-20 02:00           | declined  | —    | unanswered |
 * | 6 | center (E)    | booked    | 11-21 02:00           | booked    | —    | neither    |
 * | 7 | center (A)    | on_duty   | 11-15 02:00           | cancelled | —    | neither    |
 * | 8 | center (C)    | on_duty   | 10-31 15:00 (out)     | closed    | 1    | —          |
 * | 9 | other (X)     | on_duty   | 11-06 02:00           | closed    | 3    | Xiamen's   |
 *
 * County head: 7 asked, 3 answered, 2 unanswered, median wait 4 min (of 2, 4, 10); on duty 3
 * (1 answered, 1 unanswered), chosen 1 (1, 0), called in 1 (0, 1), booked 2 (1, 0). Village
 * head: #4 alone (median 2). Xiamen court: #9 alone (median 3).
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createOrganisation, createStaffUser } from '../../../../server/modules/admin/admin.service.ts';
import type { Db } from '../../../../server/db/client.ts';
import { agreements, cases, caseTransfers, confirmations, consultations, lawFirms, lawyers, obligations, organisations, parties } from '../../../../server/db/schema/index.ts';
import type { ConsultationKind, ConsultationStatus } from '../../../../shared/domain/consultations.ts';
import type { CaseStatus, DisputeType, Province, SeaArea } from '../../../../shared/domain/cases.ts';
import type { ConfirmationStatus } from '../../../../shared/domain/agreements.ts';
import type { OrganisationId } from '../../../../shared/ids.ts';
import { login, testPassword, type TestWorld } from '../../../helpers/test-app.ts';

interface CaseSpec {
  holder: string;
  createdAt: string;
  status: CaseStatus;
  disputeType: DisputeType;
  seaArea: SeaArea;
  provinces: Province[];
  position?: [number, number];
}

export const villageName = '霞关船老大调解室, "渔港"';

/** The organisations the dataset hangs under (those of the test world, or of an e2e server). */
export interface DatasetOrgs {
  center: string;
  otherCenter: string;
  ningbo: string;
  xiamen: string;
}

/** In a test world, plus the village room's head logged in. */
export async function seedDashboardDataset(world: TestWorld) {
  const seeded = await seedDashboardCases(world.database.db, world.orgs);
  await createStaffUser(world.database.db, null, { organisationId: seeded.villageId as OrganisationId, username: 'villagehead', displayName: '村调解室主任', role: 'admin', password: testPassword });
  return { ...seeded, villageHead: await login(world.app, 'villagehead', testPassword, '198.51.100.50') };
}

export async function seedDashboardCases(db: Db, orgs: DatasetOrgs) {
  await db.update(organisations).set({ parentId: orgs.ningbo, level: 'county' }).where(eq(organisations.id, orgs.center));
  await db.update(organisations).set({ parentId: orgs.xiamen }).where(eq(organisations.id, orgs.otherCenter));
  const town = await createOrganisation(db, null, { kind: 'mediation_center', name: '霞关镇调解委员会', caseNumberPrefix: '霞关调', parentId: orgs.center, level: 'town' });
  const village = await createOrganisation(db, null, { kind: 'mediation_center', name: villageName, caseNumberPrefix: '船老大调', parentId: town.id, level: 'village' });

  const holders: Record<string, string> = { center: orgs.center, town: town.id, village: village.id, other: orgs.otherCenter };
  const specs: Record<string, CaseSpec> = {
    A: { holder: 'center', createdAt: '2026-11-01T16:30:00Z', status: 'closed', disputeType: 'collision', seaArea: 'nanji_islands', provinces: ['zhejiang', 'fujian'], position: [27.45, 121.08] },
    B: { holder: 'center', createdAt: '2026-10-31T17:00:00Z', status: 'settled', disputeType: 'fishing_gear_damage', seaArea: 'qixing_islands', provinces: ['zhejiang'] },
    C: { holder: 'center', createdAt: '2026-10-31T15:00:00Z', status: 'settled', disputeType: 'collision', seaArea: 'nanji_islands', provinces: ['zhejiang'] },
    D: { holder: 'center', createdAt: '2026-11-09T02:00:00Z', status: 'failed', disputeType: 'crew_wages', seaArea: 'nanji_islands', provinces: ['fujian'] },
    E: { holder: 'center', createdAt: '2026-11-20T02:00:00Z', status: 'mediating', disputeType: 'collision', seaArea: 'wentai_fishing_ground', provinces: ['zhejiang'], position: [27.9, 121.5] },
    F: { holder: 'town', createdAt: '2026-11-03T02:00:00Z', status: 'following_up', disputeType: 'collision', seaArea: 'nanji_islands', provinces: ['zhejiang'], position: [27.3, 120.9] },
    G: { holder: 'village', createdAt: '2026-11-10T02:00:00Z', status: 'withdrawn', disputeType: 'other', seaArea: 'border_other', provinces: ['fujian'] },
    H: { holder: 'village', createdAt: '2026-11-22T01:00:00Z', status: 'registered', disputeType: 'catch_price_sale', seaArea: 'mindong_fishing_ground', provinces: ['zhejiang'] },
    X: { holder: 'other', createdAt: '2026-11-05T02:00:00Z', status: 'settled', disputeType: 'collision', seaArea: 'mindong_fishing_ground', provinces: ['fujian'] },
  };
  const ids: Record<string, { caseId: string; partyId: string }> = {};
  for (const [key, s] of Object.entries(specs)) {
    const [row] = await db
      .insert(cases)
      .values({
        number: `（2026）测字第${key}号`,
        centerId: holders[s.holder]!,
        title: `案件 ${key}`,
        status: s.status,
        disputeType: s.disputeType,
        incidentAt: new Date('2026-10-01T00:00:00Z'),
        incidentLat: s.position?.[0] ?? null,
        incidentLon: s.position?.[1] ?? null,
        seaArea: s.seaArea,
        provinces: s.provinces,
        claimedAmountFen: 1_000_000,
        competentCourt: s.holder === 'other' ? 'xiamen.ningde' : 'ningbo.wenzhou',
        createdBy: randomUUID(),
        createdAt: new Date(s.createdAt),
      })
      .returning();
    const [party] = await db.insert(parties).values({ caseId: row!.id, kind: 'person', name: `当事人${key}` }).returning();
    ids[key] = { caseId: row!.id, partyId: party!.id };
  }

  const agreement = async (key: string, status: 'sealed' | 'set_aside', effectiveAt: string) => {
    const [row] = await db
      .insert(agreements)
      .values({ caseId: ids[key]!.caseId, templateId: 'collision_injury', status, effectiveAt: new Date(effectiveAt), createdBy: randomUUID() })
      .returning();
    return row!.id;
  };
  const agreementOf = {
    A: await agreement('A', 'sealed', '2026-11-10T01:00:00Z'),
    B: await agreement('B', 'sealed', '2026-11-05T02:00:00Z'),
    C: await agreement('C', 'sealed', '2026-10-31T15:30:00Z'),
    D: await agreement('D', 'set_aside', '2026-11-12T02:00:00Z'),
    F: await agreement('F', 'sealed', '2026-11-16T02:00:00Z'),
    X: await agreement('X', 'sealed', '2026-11-06T02:00:00Z'),
  };

  const confirmation = (key: keyof typeof agreementOf, status: ConfirmationStatus, filedAt: string, acceptBy: string, ruleBy: string | null) =>
    db.insert(confirmations).values({
      agreementId: agreementOf[key],
      caseId: ids[key]!.caseId,
      courtCode: key === 'X' ? 'xiamen.ningde' : 'ningbo.wenzhou',
      status,
      filedAt: new Date(filedAt),
      filedBy: randomUUID(),
      acceptBy: new Date(acceptBy),
      ruleBy: ruleBy ? new Date(ruleBy) : null,
    });
  await confirmation('A', 'confirmed', '2026-11-11T02:00:00Z', '2026-11-16T15:59:59Z', '2026-12-01T15:59:59Z');
  await confirmation('B', 'filed', '2026-11-06T02:00:00Z', '2026-11-09T15:59:59Z', null);
  await confirmation('F', 'under_review', '2026-11-17T02:00:00Z', '2026-11-20T15:59:59Z', '2026-11-21T15:59:59Z');
  await confirmation('C', 'accepted', '2026-10-20T02:00:00Z', '2026-10-23T15:59:59Z', '2026-11-10T15:59:59Z');
  await confirmation('X', 'filed', '2026-11-07T02:00:00Z', '2026-11-10T15:59:59Z', null);

  const instalment = (key: keyof typeof agreementOf, ordinal: number, dueDate: string, amountFen: number, fulfilled = false) =>
    db.insert(obligations).values({
      agreementId: agreementOf[key],
      caseId: ids[key]!.caseId,
      ordinal,
      obligorPartyId: ids[key]!.partyId,
      description: `第${ordinal}期`,
      amountFen,
      dueDate,
      fulfilledAt: fulfilled ? new Date('2026-10-30T02:00:00Z') : null,
    });
  await instalment('A', 1, '2026-11-15', 100_000);
  await instalment('A', 2, '2026-11-22', 70_000);
  await instalment('A', 3, '2026-11-01', 30_000, true);
  await instalment('F', 1, '2026-11-21', 50_000);
  await instalment('D', 1, '2026-11-01', 900_000);

  const clerk = await createStaffUser(db, null, { organisationId: town.id as OrganisationId, username: `dataset-town-${randomUUID().slice(0, 8)}`, displayName: '镇调委会调解员', role: 'mediator', password: testPassword });
  const transfer = (key: string, from: string, to: string, at: string, status: 'accepted' | 'returned') =>
    db.insert(caseTransfers).values({
      caseId: ids[key]!.caseId,
      kind: from === 'center' ? 'hand_over' : 'escalate',
      fromOrganisationId: holders[from]!,
      toOrganisationId: holders[to]!,
      status,
      note: '数据集',
      returnReason: status === 'returned' ? '不属本级' : null,
      requestedBy: clerk.id,
      requestedAt: new Date(at),
      decidedBy: clerk.id,
      decidedAt: new Date(at),
    });
  await transfer('A', 'town', 'center', '2026-11-03T02:00:00Z', 'accepted');
  await transfer('F', 'village', 'town', '2026-11-04T02:00:00Z', 'accepted');
  await transfer('B', 'center', 'town', '2026-11-02T02:00:00Z', 'returned');

  await seedConsultations(db, orgs, holders, ids);
  return { townId: town.id, villageId: village.id };
}

async function seedConsultations(db: Db, orgs: DatasetOrgs, holders: Record<string, string>, ids: Record<string, { caseId: string }>) {
  const lawyer = await createStaffUser(db, null, { organisationId: orgs.center as OrganisationId, username: 'datasetlawyer', displayName: '数据集律师', role: 'lawyer', password: testPassword });
  const mediator = await createStaffUser(db, null, { organisationId: orgs.center as OrganisationId, username: 'datasetmediator', displayName: '数据集调解员', role: 'mediator', password: testPassword });
  const [firm] = await db.insert(lawFirms).values({ centerId: orgs.center, name: '数据集律师事务所' }).returning();
  await db.insert(lawyers).values({ staffUserId: lawyer.id, lawFirmId: firm!.id, phone: '13900000000', licenceNumber: '13303201910123456' });
  const holderOf: Record<string, string> = { A: 'center', C: 'center', E: 'center', F: 'town', G: 'village', X: 'other' };
  const row = (key: string, kind: ConsultationKind, created: string, status: ConsultationStatus, requested: string | null, waitMinutes: number | null) => {
    const requestedAt = requested ? new Date(requested) : null;
    return {
      centerId: holders[holderOf[key]!]!,
      caseId: ids[key]!.caseId,
      kind,
      status,
      lawyerId: waitMinutes === null && kind === 'on_duty' ? null : lawyer.id,
      requestedByStaffId: mediator.id,
      scheduledAt: requestedAt ?? new Date(created),
      requestedAt,
      answeredAt: requestedAt && waitMinutes !== null ? new Date(requestedAt.getTime() + waitMinutes * 60_000) : null,
      createdAt: new Date(created),
    };
  };
  await db.insert(consultations).values([
    row('A', 'on_duty', '2026-11-02T02:00:00Z', 'closed', '2026-11-02T02:00:00Z', 4),
    row('A', 'on_duty', '2026-11-03T02:00:00Z', 'expired', '2026-11-03T02:00:00Z', null),
    row('F', 'chosen', '2026-11-04T02:00:00Z', 'accepted', '2026-11-04T02:00:00Z', 10),
    row('G', 'booked', '2026-11-05T02:00:00Z', 'closed', '2026-11-12T01:00:00Z', 2),
    row('E', 'called_in', '2026-11-20T02:00:00Z', 'declined', '2026-11-20T02:00:00Z', null),
    row('E', 'booked', '2026-11-21T02:00:00Z', 'booked', null, null),
    row('A', 'on_duty', '2026-11-15T02:00:00Z', 'cancelled', '2026-11-15T02:00:00Z', null),
    row('C', 'on_duty', '2026-10-31T15:00:00Z', 'closed', '2026-10-31T15:00:00Z', 1),
    row('X', 'on_duty', '2026-11-06T02:00:00Z', 'closed', '2026-11-06T02:00:00Z', 3),
  ]);
}
