/** The yearly compensation figures: shipped with their sources, versioned, added by admins only. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestWorld, json, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
const admin = () => api(world.app, world.cookies.admin);

const fujian = (year: number, incomeYuan: number) => ({
  province: 'fujian',
  year,
  urbanDisposableIncomeFen: incomeYuan * 100,
  urbanDisposableIncomeSource: `福建省${year}年国民经济和社会发展统计公报`,
  urbanConsumptionFen: 3_800_000,
  urbanConsumptionSource: `福建省${year}年国民经济和社会发展统计公报`,
  averageWageFen: 11_000_000,
  averageWageSource: `福建省统计局 ${year}年城镇非私营单位就业人员年平均工资`,
});

beforeAll(async () => {
  world = await createTestWorld();
});
afterAll(() => world?.close());

describe('compensation figures', () => {
  it('ships Zhejiang 2020 and 2022, each figure with its source, for every staff member to read', async () => {
    for (const who of ['mediator', 'wenzhouJudge', 'admin'] as const) {
      const res = await api(world.app, world.cookies[who]).get('/api/compensation/figures');
      expect(res.statusCode).toBe(200);
      const items = json(res).items;
      expect(items.map((f: { province: string; year: number; version: number; current: boolean }) => [f.province, f.year, f.version, f.current])).toEqual([
        ['zhejiang', 2022, 1, true],
        ['zhejiang', 2020, 1, true],
      ]);
      expect(items[0]).toMatchObject({ urbanDisposableIncomeFen: 7_126_800, urbanConsumptionFen: 4_451_100, averageWageFen: 12_230_900 });
      expect(items[1]).toMatchObject({ urbanDisposableIncomeFen: 6_269_900, urbanConsumptionFen: 3_619_700, averageWageFen: 10_864_500 });
      for (const f of items) for (const s of [f.urbanDisposableIncomeSource, f.urbanConsumptionSource, f.averageWageSource]) expect(s).toMatch(/浙江省统计局.*http/);
    }
    expect((await api(world.app, undefined).get('/api/compensation/figures')).statusCode).toBe(401);
  });

  it('an admin adds a year; adding it again is a new version, the old one kept; both audited', async () => {
    const first = await admin().post('/api/admin/compensation/figures', fujian(2024, 60_000));
    expect(first.statusCode, first.body).toBe(201);
    expect(json(first)).toMatchObject({ province: 'fujian', year: 2024, version: 1, current: true });
    const second = await admin().post('/api/admin/compensation/figures', fujian(2024, 60_500));
    expect(json(second)).toMatchObject({ version: 2, current: true, urbanDisposableIncomeFen: 6_050_000 });
    const items = json(await admin().get('/api/compensation/figures')).items.filter((f: { province: string }) => f.province === 'fujian');
    expect(items.map((f: { version: number; current: boolean; urbanDisposableIncomeFen: number }) => [f.version, f.current, f.urbanDisposableIncomeFen])).toEqual([
      [2, true, 6_050_000],
      [1, false, 6_000_000],
    ]);
    const audit = await world.database.db.execute(sql`select data from audit_events where type = 'compensation.figures_added' order by seq`);
    const rows = (Array.isArray(audit) ? audit : (audit as { rows: unknown[] }).rows) as { data: { version: number; year: number } }[];
    expect(rows.map((r) => [r.data.year, r.data.version])).toEqual([[2024, 1], [2024, 2]]);
  });

  it('two admins adding the same year at once get consecutive versions', async () => {
    const answers = await Promise.all([1, 2, 3].map((i) => admin().post('/api/admin/compensation/figures', fujian(2023, 57_000 + i))));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201]);
    expect(answers.map((a) => json(a).version).sort()).toEqual([1, 2, 3]);
  });

  it('refuses bad input with the field named, other roles by role, and changes nothing', async () => {
    const before = await tableCounts(world.database);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...fujian(2024, 1), province: 'guangdong' }, 'province'],
      [{ ...fujian(2024, 60_000), urbanConsumptionFen: 12.5 }, 'urbanConsumptionFen'],
      [{ ...fujian(2024, 60_000), averageWageSource: '' }, 'averageWageSource'],
      [{ ...fujian(1999, 60_000) }, 'year'],
    ];
    for (const [body, field] of cases) {
      const res = await admin().post('/api/admin/compensation/figures', body);
      expect(res.statusCode).toBe(400);
      expect(JSON.stringify(json(res).error)).toContain(field);
    }
    for (const who of ['mediator', 'ningboClerk'] as const) expect((await api(world.app, world.cookies[who]).post('/api/admin/compensation/figures', fujian(2025, 61_000))).statusCode).toBe(403);
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('a version once written cannot be changed or deleted, even in SQL', async () => {
    const refusal = async (statement: ReturnType<typeof sql>) => {
      const error = await world.database.db.execute(statement).then(() => null, (e: Error & { cause?: Error }) => e);
      return String(error?.cause?.message ?? error?.message);
    };
    const before = await tableCounts(world.database);
    expect(await refusal(sql`update compensation_figures set urban_disposable_income_fen = 1 where province = 'zhejiang'`)).toMatch(/immutable/);
    expect(await refusal(sql`delete from compensation_figures`)).toMatch(/immutable/);
    expect(await tableCounts(world.database)).toEqual(before);
  });
});
