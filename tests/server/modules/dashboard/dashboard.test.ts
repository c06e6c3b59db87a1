/**
 * Every dashboard figure against the hand-made dataset of dashboard-dataset.ts, whose table gives
 * the answers below; each scope (center head, court, village room, other court, tribunal without
 * centers) sees its own subtree only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dashboard } from '../../../../shared/api/dashboard.ts';
import { createStaffUser } from '../../../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../../../shared/ids.ts';
import { api, createTestWorld, json, login, tableCounts, testPassword, type TestWorld } from '../../../helpers/test-app.ts';
import { seedDashboardDataset, villageName } from './dashboard-dataset.ts';

let world: TestWorld;
let villageHead: string;
const period = '?from=2026-11-01&to=2026-11-22';

beforeAll(async () => {
  world = await createTestWorld();
  ({ villageHead } = await seedDashboardDataset(world));
});
afterAll(() => world?.close());

async function figures(cookie: string, query = period): Promise<Dashboard> {
  const res = await api(world.app, cookie).get(`/api/dashboard${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return json<Dashboard>(res);
}
/** The non-zero entries of a tally, as an object. */
const nonZero = (tally: { key: string; count: number }[]) => Object.fromEntries(tally.filter((t) => t.count > 0).map((t) => [t.key, t.count]));

describe('dashboard figures (center head of the county center: center, town and village)', () => {
  let d: Dashboard;
  beforeAll(async () => {
    d = await figures(world.cookies.admin);
  });

  it('counts the cases registered in the period in Beijing time (B at 01:00 on 11-01 in, C at 23:00 on 10-31 out)', () => {
    expect(d.period).toEqual({ from: '2026-11-01', to: '2026-11-22' });
    expect(d.total).toBe(7);
    expect(nonZero(d.byStatus)).toEqual({ closed: 1, settled: 1, failed: 1, mediating: 1, following_up: 1, withdrawn: 1, registered: 1 });
    expect(d.byStatus.map((s) => s.key)).toEqual(['registered', 'screening', 'mediating', 'settled', 'following_up', 'closed', 'failed', 'declined', 'withdrawn']);
  });

  it('counts intake per Beijing week, empty weeks included', () => {
    expect(d.intakePerWeek).toEqual([
      { weekStart: '2026-10-26', count: 1 },
      { weekStart: '2026-11-02', count: 2 },
      { weekStart: '2026-11-09', count: 2 },
      { weekStart: '2026-11-16', count: 2 },
    ]);
  });

  it('computes the resolution rate and the median days to resolution', () => {
    expect(d.resolution).toEqual({ resolved: 3, concluded: 5, rate: 0.6 });
    // A 8 days, B 4, F 13.
    expect(d.medianDaysToResolution).toBe(8);
  });

  it('breaks cases down by dispute type, sea area, province and level', () => {
    expect(nonZero(d.byDisputeType)).toEqual({ collision: 3, fishing_gear_damage: 1, crew_wages: 1, other: 1, catch_price_sale: 1 });
    expect(nonZero(d.bySeaArea)).toEqual({ nanji_islands: 3, qixing_islands: 1, wentai_fishing_ground: 1, border_other: 1, mindong_fishing_ground: 1 });
    expect(d.byProvince).toEqual([
      { key: 'zhejiang', count: 5 },
      { key: 'fujian', count: 3 },
      { key: 'other', count: 0 },
    ]);
    expect(d.byLevel).toEqual([
      { key: 'village', count: 2 },
      { key: 'town', count: 1 },
      { key: 'county', count: 4 },
      { key: 'unset', count: 0 },
    ]);
  });

  it('counts settled cases at the level that settled them, not where they were registered', () => {
    // A (registered by the town, settled by the county center), B (county), F (registered by the village room, settled by the town)
    expect(d.settledByLevel).toEqual([
      { key: 'village', count: 0 },
      { key: 'town', count: 1 },
      { key: 'county', count: 2 },
      { key: 'unset', count: 0 },
    ]);
  });

  it('counts confirmation outcomes filed in the period and what is overdue now', () => {
    expect(nonZero(d.confirmations)).toEqual({ confirmed: 1, filed: 1, under_review: 1 });
    // B not accepted in time; F and C (filed before the period) not ruled in time; A #1 and F #1 unpaid.
    expect(d.overdue).toEqual({ courtAcceptance: 1, courtRuling: 2, instalments: 2, instalmentsAmountFen: 150_000 });
  });

  it('counts legal consultations by kind, answered and unanswered, with the median wait', () => {
    expect(d.consultations).toEqual({
      total: 7,
      answered: 3,
      unanswered: 2,
      byKind: [
        { key: 'on_duty', count: 3, answered: 1, unanswered: 1 },
        { key: 'chosen', count: 1, answered: 1, unanswered: 0 },
        { key: 'called_in', count: 1, answered: 0, unanswered: 1 },
        { key: 'booked', count: 2, answered: 1, unanswered: 0 },
      ],
      medianWaitMinutes: 4,
    });
  });

  it('lists incident positions in order of registration', () => {
    expect(d.positions).toEqual([
      { lat: 27.45, lon: 121.08, disputeType: 'collision' },
      { lat: 27.3, lon: 120.9, disputeType: 'collision' },
      { lat: 27.9, lon: 121.5, disputeType: 'collision' },
    ]);
  });

  it('defaults to the twelve weeks up to today', async () => {
    const all = await figures(world.cookies.admin, '');
    expect(all.period).toEqual({ from: '2026-08-31', to: '2026-11-22' });
    expect(all.intakePerWeek).toHaveLength(12);
    expect(all.total).toBe(8);
    // C (resolved in 0 days) joins A, B and F: the median of 0, 4, 8, 13.
    expect(all.medianDaysToResolution).toBe(6);
    // Consultation 8 (10-31) joins: waits 1, 2, 4, 10.
    expect(all.consultations).toMatchObject({ total: 8, answered: 4, medianWaitMinutes: 3 });
  });
});

describe('dashboard scope: each organisation and the levels below it', () => {
  it('the Ningbo court sees the county center and everything under it, not the Xiamen side', async () => {
    const d = await figures(world.cookies.ningboClerk);
    expect(d.total).toBe(7);
    expect(d.overdue.courtAcceptance).toBe(1);
  });

  it('the village room sees its own two cases', async () => {
    const d = await figures(villageHead);
    expect(d.organisation.name).toBe(villageName);
    expect(d.total).toBe(2);
    expect(nonZero(d.byLevel)).toEqual({ village: 2 });
    expect(nonZero(d.settledByLevel)).toEqual({}); // F left the village room before it settled
    expect(d.resolution).toEqual({ resolved: 0, concluded: 1, rate: 0 });
    expect(d.medianDaysToResolution).toBeNull();
    expect(d.overdue).toEqual({ courtAcceptance: 0, courtRuling: 0, instalments: 0, instalmentsAmountFen: 0 });
    expect(d.consultations).toMatchObject({ total: 1, answered: 1, unanswered: 0, medianWaitMinutes: 2 });
  });

  it('the Xiamen court sees only the other center', async () => {
    const d = await figures(world.cookies.xiamenClerk);
    expect(d.total).toBe(1);
    expect(d.resolution).toEqual({ resolved: 1, concluded: 1, rate: 1 });
    expect(d.medianDaysToResolution).toBe(1);
    expect(nonZero(d.settledByLevel)).toEqual({ unset: 1 });
    expect(d.overdue).toEqual({ courtAcceptance: 1, courtRuling: 0, instalments: 0, instalmentsAmountFen: 0 });
    expect(d.consultations).toMatchObject({ total: 1, answered: 1, unanswered: 0, medianWaitMinutes: 3 });
  });

  it('a tribunal with no centers under it sees zeros, not nulls in the counts', async () => {
    const d = await figures(world.cookies.wenzhouJudge);
    expect(d.total).toBe(0);
    expect(d.resolution.rate).toBeNull();
    expect(d.intakePerWeek.map((w) => w.count)).toEqual([0, 0, 0, 0]);
    expect(d.positions).toEqual([]);
  });

  it('mediators are refused', async () => {
    const res = await api(world.app, world.cookies.mediator).get(`/api/dashboard${period}`);
    expect(res.statusCode).toBe(403);
  });

  it('the center’s head (a mediator flagged center_head) sees what the center’s admin sees, CSV too', async () => {
    await createStaffUser(world.database.db, null, { organisationId: world.orgs.center as OrganisationId, username: 'center.head', displayName: '中心主任', role: 'mediator', password: testPassword, centerHead: true });
    const head = await login(world.app, 'center.head', testPassword, '198.51.100.91');
    expect(await figures(head)).toEqual(await figures(world.cookies.admin));
    expect((await api(world.app, head).get(`/api/dashboard/export.csv${period}`)).statusCode).toBe(200);
  });
});

describe('dashboard period and CSV', () => {
  it('refuses a bad period naming the field, writing nothing', async () => {
    const before = await tableCounts(world.database);
    const reversed = await api(world.app, world.cookies.admin).get('/api/dashboard?from=2026-11-22&to=2026-11-01');
    expect(reversed.statusCode).toBe(400);
    expect(json(reversed).error.field).toBe('to');
    const malformed = await api(world.app, world.cookies.admin).get('/api/dashboard/export.csv?from=2026-13-01');
    expect(malformed.statusCode).toBe(400);
    expect(json(malformed).error.field).toBe('from');
    const tooLong = await api(world.app, world.cookies.admin).get('/api/dashboard?from=2020-01-01&to=2026-11-22');
    expect(tooLong.statusCode).toBe(400);
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('exports the figures as CSV with a BOM, CRLF rows and quoted fields', async () => {
    const res = await api(world.app, villageHead).get(`/api/dashboard/export.csv${period}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="dashboard-2026-11-01-2026-11-22.csv"');
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('figure,key,value');
    expect(lines[1]).toBe('organisation,,"霞关船老大调解室, ""渔港"""');
    expect(lines).toContain('total,,2');
    expect(lines).toContain('level,village,2');
    expect(lines).toContain('settled_level,village,0');
    expect(lines).toContain('intake_week,2026-11-09,1');
    expect(lines).toContain('resolution,rate,0');
    expect(lines).toContain('median_days_to_resolution,,');
    expect(lines).toContain('overdue,instalments,0');
  });
});
