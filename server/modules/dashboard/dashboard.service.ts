import { stringify } from 'csv-stringify/sync';
import type { Dashboard, DashboardQuery } from '../../../shared/api/dashboard.ts';
import { confirmationStatuses } from '../../../shared/domain/agreements.ts';
import { type CaseStatus, caseStatuses, disputeTypes, provinces, seaAreas } from '../../../shared/domain/cases.ts';
import { beijingDate } from '../../../shared/beijing-time.ts';
import { organisationLevels, seesDashboard } from '../../../shared/domain/organisations.ts';
import { consultationKinds } from '../../../shared/domain/consultations.ts';
import type { ServiceContext } from '../../context.ts';
import { forbidden } from '../../errors.ts';
import type { Principal } from '../../access/principal.ts';
import * as repo from './dashboard.repository.ts';


const resolvedStatuses: readonly CaseStatus[] = ['settled', 'following_up', 'closed'];
const unresolvedEnds: readonly CaseStatus[] = ['failed', 'declined', 'withdrawn'];
const dayMs = 86_400_000;
const defaultWeeks = 12;

/** Midnight at the start of a Beijing date, as an instant. */
const beijingMidnight = (date: string) => new Date(`${date}T00:00:00+08:00`);
const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
/** The Monday on or before a date. */
const mondayOf = (date: string) => addDays(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));

/** Every key of the domain, in its order, with the counted ones filled in. */
function complete<K extends string>(keys: readonly K[], counted: { key: string; count: number }[]) {
  const byKey = new Map(counted.map((c) => [c.key, c.count]));
  return keys.map((key) => ({ key, count: byKey.get(key) ?? 0 }));
}

function weeksOf(from: string, to: string, counted: { weekStart: string; count: number }[]) {
  const byWeek = new Map(counted.map((c) => [c.weekStart, c.count]));
  const weeks: { weekStart: string; count: number }[] = [];
  for (let week = mondayOf(from); week <= to; week = addDays(week, 7)) weeks.push({ weekStart: week, count: byWeek.get(week) ?? 0 });
  return weeks;
}

export async function dashboard(ctx: ServiceContext, p: Principal, query: DashboardQuery): Promise<Dashboard> {
  if (!seesDashboard(p)) throw forbidden('for center heads and court staff');
  const now = ctx.now();
  const today = beijingDate(now);
  const to = query.to ?? today;
  const from = query.from ?? addDays(to, -(defaultWeeks * 7 - 1));
  const scope: repo.DashboardScope = { organisationId: p.organisationId, from: beijingMidnight(from), to: beijingMidnight(addDays(to, 1)) };
  const db = ctx.db;
  const [byStatus, weeks, byDisputeType, bySeaArea, byProvince, byLevel, settledByLevel, confirmations, median, court, instalments, positions, name, legal] = await Promise.all([
    repo.casesByStatus(db, scope),
    repo.intakePerWeek(db, scope),
    repo.casesByDisputeType(db, scope),
    repo.casesBySeaArea(db, scope),
    repo.casesByProvince(db, scope, provinces),
    repo.casesByLevel(db, scope),
    repo.casesByLevel(db, scope, resolvedStatuses),
    repo.confirmationsByStatus(db, scope),
    repo.medianDaysToResolution(db, scope, resolvedStatuses),
    repo.overdueCourtDecisions(db, p.organisationId, now),
    repo.overdueInstalments(db, p.organisationId, today),
    repo.incidentPositions(db, scope),
    repo.organisationName(db, p.organisationId),
    repo.consultationFigures(db, scope),
  ]);
  const statusCounts = complete(caseStatuses, byStatus);
  const sum = (among: readonly CaseStatus[]) => statusCounts.filter((s) => among.includes(s.key)).reduce((n, s) => n + s.count, 0);
  const resolved = sum(resolvedStatuses);
  const concluded = resolved + sum(unresolvedEnds);
  return {
    organisation: { id: p.organisationId, name },
    period: { from, to },
    total: sum(caseStatuses),
    byStatus: statusCounts,
    intakePerWeek: weeksOf(from, to, weeks),
    resolution: { resolved, concluded, rate: concluded === 0 ? null : resolved / concluded },
    medianDaysToResolution: median,
    byDisputeType: complete(disputeTypes, byDisputeType),
    bySeaArea: complete(seaAreas, bySeaArea),
    byProvince,
    byLevel: complete([...organisationLevels, 'unset'] as const, byLevel),
    settledByLevel: complete([...organisationLevels, 'unset'] as const, settledByLevel),
    confirmations: complete(confirmationStatuses, confirmations),
    overdue: { courtAcceptance: court.acceptance, courtRuling: court.ruling, instalments: instalments.count, instalmentsAmountFen: instalments.amountFen },
    consultations: consultationTally(legal),
    positions,
  };
}

/** Every kind, zeros included, and the totals. */
function consultationTally(legal: Awaited<ReturnType<typeof repo.consultationFigures>>): Dashboard['consultations'] {
  const byKey = new Map(legal.byKind.map((k) => [k.key, k]));
  const byKind = consultationKinds.map((key) => ({ key, count: byKey.get(key)?.count ?? 0, answered: byKey.get(key)?.answered ?? 0, unanswered: byKey.get(key)?.unanswered ?? 0 }));
  const total = (field: 'count' | 'answered' | 'unanswered') => byKind.reduce((n, k) => n + k[field], 0);
  return { total: total('count'), answered: total('answered'), unanswered: total('unanswered'), byKind, medianWaitMinutes: legal.medianWaitMinutes };
}

/**
 * The same figures as CSV for Excel: one row per figure and key, RFC 4180 quoting, a UTF-8 byte
 * order mark so Excel reads the Chinese organisation name correctly.
 */
export async function dashboardCsv(ctx: ServiceContext, p: Principal, query: DashboardQuery) {
  const d = await dashboard(ctx, p, query);
  const rows: (string | number)[][] = [
    ['organisation', '', d.organisation.name],
    ['period', 'from', d.period.from],
    ['period', 'to', d.period.to],
    ['total', '', d.total],
    ...d.byStatus.map((s) => ['status', s.key, s.count]),
    ...d.intakePerWeek.map((w) => ['intake_week', w.weekStart, w.count]),
    ['resolution', 'resolved', d.resolution.resolved],
    ['resolution', 'concluded', d.resolution.concluded],
    ['resolution', 'rate', d.resolution.rate ?? ''],
    ['median_days_to_resolution', '', d.medianDaysToResolution ?? ''],
    ...d.byDisputeType.map((s) => ['dispute_type', s.key, s.count]),
    ...d.bySeaArea.map((s) => ['sea_area', s.key, s.count]),
    ...d.byProvince.map((s) => ['province', s.key, s.count]),
    ...d.byLevel.map((s) => ['level', s.key, s.count]),
    ...d.settledByLevel.map((s) => ['settled_level', s.key, s.count]),
    ...d.confirmations.map((s) => ['confirmation', s.key, s.count]),
    ...Object.entries(d.overdue).map(([key, n]) => ['overdue', key, n]),
    ...d.consultations.byKind.flatMap((k) => [
      ['consultations', k.key, k.count],
      ['consultations_answered', k.key, k.answered],
      ['consultations_unanswered', k.key, k.unanswered],
    ]),
    ['consultations_median_wait_minutes', '', d.consultations.medianWaitMinutes ?? ''],
  ];
  const csv = stringify(rows, { bom: true, header: true, columns: ['figure', 'key', 'value'], record_delimiter: 'windows' });
  return { csv, filename: `dashboard-${d.period.from}-${d.period.to}.csv` };
}
