import { and, count, eq, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { CaseStatus, Province } from '../../../shared/domain/cases.ts';
import type { Db } from '../../db/client.ts';
import { agreements, cases, confirmations, consultations, obligations, organisations } from '../../db/schema/index.ts';

/** Whose cases and which registrations are counted: an organisation's subtree, a half-open period. */
export interface DashboardScope {
  organisationId: string;
  from: Date;
  /** Exclusive. */
  to: Date;
}

/** The organisation and every one below it (parent_id chain), as a subquery of ids. */
const subtreeOf = (organisationId: string) =>
  sql`(with recursive tree(id) as (select ${organisationId}::uuid union select o.id from ${organisations} o join tree on o.parent_id = tree.id) select id from tree)`;

const inSubtree = (organisationId: string): SQL => sql`${cases.centerId} in ${subtreeOf(organisationId)}`;
const registeredIn = (scope: DashboardScope) => and(inSubtree(scope.organisationId), gte(cases.createdAt, scope.from), lt(cases.createdAt, scope.to))!;

/** Beijing calendar date of a timestamp column (UTC+8, no daylight saving). */
const beijingDay = (column: SQL | typeof cases.createdAt) => sql`((${column} at time zone 'UTC') + interval '8 hours')::date`;

const asNumber = (n: unknown) => Number(n ?? 0);

async function tallyCases(db: Db, scope: DashboardScope, column: typeof cases.status | typeof cases.disputeType | typeof cases.seaArea) {
  const rows = await db.select({ key: column, n: count() }).from(cases).where(registeredIn(scope)).groupBy(column);
  return rows.map((r) => ({ key: r.key as string, count: r.n }));
}

export const casesByStatus = (db: Db, scope: DashboardScope) => tallyCases(db, scope, cases.status);
export const casesByDisputeType = (db: Db, scope: DashboardScope) => tallyCases(db, scope, cases.disputeType);
export const casesBySeaArea = (db: Db, scope: DashboardScope) => tallyCases(db, scope, cases.seaArea);

/** A case naming several provinces is counted under each. */
export async function casesByProvince(db: Db, scope: DashboardScope, keys: readonly Province[]) {
  const fields = Object.fromEntries(keys.map((p) => [p, sql<number>`count(*) filter (where ${cases.provinces} @> ${JSON.stringify([p])}::jsonb)`.mapWith(Number)]));
  const [row] = await db.select(fields).from(cases).where(registeredIn(scope));
  return keys.map((key) => ({ key, count: asNumber(row?.[key]) }));
}

/**
 * By the level of the center holding the case; given statuses, only cases in them. A case is
 * transferred only while open and a pending transfer cannot be accepted once it settled, so for a
 * settled case the holder is the center that settled it.
 */
export async function casesByLevel(db: Db, scope: DashboardScope, statuses?: readonly CaseStatus[]) {
  const rows = await db
    .select({ key: organisations.level, n: count() })
    .from(cases)
    .innerJoin(organisations, eq(organisations.id, cases.centerId))
    .where(and(registeredIn(scope), statuses ? inArray(cases.status, [...statuses]) : undefined))
    .groupBy(organisations.level);
  return rows.map((r) => ({ key: r.key ?? 'unset', count: r.n }));
}

/** Registrations per week; weeks start on Monday, Beijing time. */
export async function intakePerWeek(db: Db, scope: DashboardScope) {
  const week = sql<string>`to_char(date_trunc('week', ${beijingDay(cases.createdAt)}), 'YYYY-MM-DD')`;
  const rows = await db.select({ weekStart: week, n: count() }).from(cases).where(registeredIn(scope)).groupBy(week);
  return rows.map((r) => ({ weekStart: r.weekStart, count: r.n }));
}

/**
 * Whole Beijing days from registration to the latest agreement taking effect, median over the
 * given (resolved) statuses; null when none.
 */
export async function medianDaysToResolution(db: Db, scope: DashboardScope, resolved: readonly string[]) {
  const effective = db
    .select({ caseId: agreements.caseId, at: sql`max(${agreements.effectiveAt})`.as('at') })
    .from(agreements)
    .where(isNotNull(agreements.effectiveAt))
    .groupBy(agreements.caseId)
    .as('effective');
  const days = sql`${beijingDay(sql`${effective.at}`)} - ${beijingDay(cases.createdAt)}`;
  const [row] = await db
    .select({ median: sql<number | null>`percentile_cont(0.5) within group (order by ${days})` })
    .from(cases)
    .innerJoin(effective, eq(effective.caseId, cases.id))
    .where(and(registeredIn(scope), inArray(cases.status, [...resolved] as never[])));
  return row?.median == null ? null : Number(row.median);
}

/** Applications for judicial confirmation filed in the period for the scope's cases. */
export async function confirmationsByStatus(db: Db, scope: DashboardScope) {
  const rows = await db
    .select({ key: confirmations.status, n: count() })
    .from(confirmations)
    .innerJoin(cases, eq(cases.id, confirmations.caseId))
    .where(and(inSubtree(scope.organisationId), gte(confirmations.filedAt, scope.from), lt(confirmations.filedAt, scope.to)))
    .groupBy(confirmations.status);
  return rows.map((r) => ({ key: r.key as string, count: r.n }));
}

/** Court decisions past their deadline as of `now`: not yet accepted or refused, not yet ruled. */
export async function overdueCourtDecisions(db: Db, organisationId: string, now: Date) {
  const acceptLate = and(eq(confirmations.status, 'filed'), lt(confirmations.acceptBy, now));
  const ruleLate = and(inArray(confirmations.status, ['accepted', 'under_review']), lt(confirmations.ruleBy, now));
  const [row] = await db
    .select({
      acceptance: sql<number>`count(*) filter (where ${acceptLate})`.mapWith(Number),
      ruling: sql<number>`count(*) filter (where ${ruleLate})`.mapWith(Number),
    })
    .from(confirmations)
    .innerJoin(cases, eq(cases.id, confirmations.caseId))
    .where(and(inSubtree(organisationId), or(acceptLate, ruleLate)));
  return { acceptance: asNumber(row?.acceptance), ruling: asNumber(row?.ruling) };
}

/** Unfulfilled instalments of agreements in force due before `today` (a Beijing date). */
export async function overdueInstalments(db: Db, organisationId: string, today: string) {
  const [row] = await db
    .select({ n: count(), amount: sql<number>`coalesce(sum(${obligations.amountFen}), 0)`.mapWith(Number) })
    .from(obligations)
    .innerJoin(agreements, and(eq(agreements.id, obligations.agreementId), eq(agreements.status, 'sealed')))
    .innerJoin(cases, eq(cases.id, obligations.caseId))
    .where(and(inSubtree(organisationId), isNull(obligations.fulfilledAt), lt(obligations.dueDate, today)));
  return { count: asNumber(row?.n), amountFen: asNumber(row?.amount) };
}

export async function incidentPositions(db: Db, scope: DashboardScope) {
  const rows = await db
    .select({ lat: cases.incidentLat, lon: cases.incidentLon, disputeType: cases.disputeType })
    .from(cases)
    .where(and(registeredIn(scope), isNotNull(cases.incidentLat)))
    .orderBy(cases.createdAt);
  return rows.map((r) => ({ lat: r.lat!, lon: r.lon!, disputeType: r.disputeType }));
}

export async function organisationName(db: Db, id: string) {
  const [row] = await db.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, id));
  return row?.name ?? '';
}

/**
 * Legal consultations asked for in the period at the scope's centers, per kind: how many, how
 * many a lawyer took (answered_at set), how many ended without one (expired, declined); and the
 * median minutes from the request (a booking: its time) to the lawyer taking it.
 */
export async function consultationFigures(db: Db, scope: DashboardScope) {
  const where = and(sql`${consultations.centerId} in ${subtreeOf(scope.organisationId)}`, gte(consultations.createdAt, scope.from), lt(consultations.createdAt, scope.to));
  const rows = await db
    .select({
      key: consultations.kind,
      n: count(),
      answered: sql<number>`count(*) filter (where ${consultations.answeredAt} is not null)`.mapWith(Number),
      unanswered: sql<number>`count(*) filter (where ${consultations.status} in ('expired', 'declined'))`.mapWith(Number),
    })
    .from(consultations)
    .where(where)
    .groupBy(consultations.kind);
  const wait = sql`extract(epoch from (${consultations.answeredAt} - ${consultations.requestedAt})) / 60`;
  const [median] = await db
    .select({ minutes: sql<number | null>`percentile_cont(0.5) within group (order by ${wait})` })
    .from(consultations)
    .where(and(where, isNotNull(consultations.answeredAt), isNotNull(consultations.requestedAt)));
  return { byKind: rows.map((r) => ({ key: r.key as string, count: r.n, answered: r.answered, unanswered: r.unanswered })), medianWaitMinutes: median?.minutes == null ? null : Number(median.minutes) };
}
