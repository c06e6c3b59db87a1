/**
 * The embedded path: with no DATABASE_URL the same migrations run on PGlite in the data
 * directory, the demo seed makes the service usable at once, and data survives a restart.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, buildApp } from '../../../server/app.ts';
import { type Database, openDatabase } from '../../../server/db/client.ts';
import { createIdNumberCipher } from '../../../server/security/id-number-cipher.ts';
import { demoLogins, seedDemo } from '../../../server/seed/demo.ts';
import { api, json, sampleCase, sampleResidentId } from '../../helpers/test-app.ts';

let dataDir: string;
const key = randomBytes(32);
let open: { database: Database; app: App } | null = null;

async function start() {
  const database = await openDatabase({ dataDir });
  const app = await buildApp({ database, cipher: createIdNumberCipher(key), media: null, clientDir: null, publicUrl: 'https://haiqiao.test' });
  await app.ready();
  open = { database, app };
  return open;
}

async function stop() {
  if (!open) return;
  await open.app.close();
  await open.database.close();
  open = null;
}

async function loginCookie(app: App, who: { username: string; password: string }) {
  const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: who });
  expect(res.statusCode, res.body).toBe(200);
  return `hq_session=${res.cookies.find((c) => c.name === 'hq_session')!.value}`;
}

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-pglite-'));
});
afterAll(async () => {
  await stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('PGlite', () => {
  let caseId: string;
  let caseNumber: string;

  it('migrates, seeds the demo accounts and serves the API', async () => {
    const { database, app } = await start();
    expect(database.driver).toBe('pglite');
    expect(fs.existsSync(path.join(dataDir, 'pglite'))).toBe(true);

    const health = await app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(json(health)).toMatchObject({ status: 'ok', database: { ok: true, driver: 'pglite' } });

    expect(await seedDemo(database.db)).toEqual(demoLogins);

    const cookie = await loginCookie(app, demoLogins.mediator);
    const me = json(await api(app, cookie).get('/api/auth/me'));
    expect(me).toMatchObject({ username: 'mediator', role: 'mediator', organisation: { kind: 'mediation_center', caseNumberPrefix: '浙闽联调' } });

    const created = await api(app, cookie).post('/api/cases', sampleCase);
    expect(created.statusCode, created.body).toBe(201);
    const view = json(created);
    expect(view.number).toMatch(/^（\d{4}）浙闽联调字第0001号$/);
    expect(view.parties[0].idNumberMasked).toBe('11***************X');
    expect(created.body).not.toContain(sampleResidentId);
    caseId = view.id;
    caseNumber = view.number;

    // The demo clerk sits at the Ningbo court, which sees its Wenzhou tribunal's cases once an
    // application is filed with it: not this one yet.
    const clerk = await loginCookie(app, demoLogins.clerk);
    expect((await api(app, clerk).get(`/api/cases/${caseId}`)).statusCode).toBe(404);
    // …nor does the demo judge, who rules on confirmation applications (the same query runs on PGlite).
    const judge = await loginCookie(app, demoLogins.judge);
    expect(json(await api(app, judge).get('/api/auth/me'))).toMatchObject({ role: 'judge', organisation: { kind: 'maritime_court' } });
    expect((await api(app, judge).get(`/api/cases/${caseId}`)).statusCode).toBe(404);
    expect(json(await api(app, judge).get('/api/cases')).total).toBe(0);

    // The audit chain works on PGlite too.
    const admin = await loginCookie(app, demoLogins.admin);
    const verified = json(await api(app, admin).get('/api/admin/audit/verify'));
    expect(verified).toMatchObject({ ok: true, firstBroken: null });
    expect(verified.checked).toBeGreaterThanOrEqual(8); // 3 organisations, 4 accounts, 1 case
  }, 60_000); // every migration, pg-boss's schema and queues, the seed: on PGlite that takes 20–30 s on a busy machine

  it('keeps the data across a restart, and does not seed twice', async () => {
    await stop();
    const { database, app } = await start();
    expect(await seedDemo(database.db)).toBeNull();

    const cookie = await loginCookie(app, demoLogins.mediator);
    const list = json(await api(app, cookie).get('/api/cases'));
    expect(list.total).toBe(1);
    expect(list.items[0]).toMatchObject({ id: caseId, number: caseNumber });
    // Same data after the restart: parties in registration order, the masked ID kept.
    const reread = json(await api(app, cookie).get(`/api/cases/${caseId}`));
    expect(reread.parties.map((p: { name: string }) => p.name)).toEqual(sampleCase.parties.map((p) => p.name));
    expect(reread.parties[0].idNumberMasked).toBe('11***************X');
    expect(reread.vessels[0].ownerPartyId).toBe(reread.parties[0].id);

    const next = json(await api(app, cookie).post('/api/cases', { ...sampleCase, parties: [], vessels: [] }));
    expect(next.number).toMatch(/浙闽联调字第0002号$/);
    expect(json(await api(app, cookie).get('/api/health')).database.driver).toBe('pglite');
  });
});
