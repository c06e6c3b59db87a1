/**
 * The dashboard (驾驶舱) in Debian's Chromium against the real server: the center's head signs
 * in, opens the dashboard (its own chunk, ECharts drawn on canvas, the coastline bundled), picks a
 * period, sees the figures of the hand-made dataset and downloads them as CSV. Then the center's
 * mediator reads the SMS outbox (短信发件箱), delivered there by the job.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases, organisations } from '../../server/db/schema/index.ts';
import { addToOutbox } from '../../server/modules/notifications/notifications.service.ts';
import { createOrganisation, createStaffUser } from '../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { seedDashboardCases } from '../server/modules/dashboard/dashboard-dataset.ts';
import { signInThroughForm } from './steps/common.ts';

const head = { username: 'center.head', password: 'e2e-password-2026' };
const chartIds = ['chart-status', 'chart-intake', 'chart-dispute-type', 'chart-sea-area', 'chart-province', 'chart-level', 'chart-confirmations', 'chart-map'];
const poll = { timeout: 10_000, interval: 100 };
const outboxText = '【海桥云调解】陈阿海您好：发件箱测试短信。';

/** How many pixels of the chart's canvas are painted (not fully transparent). */
function paintedPixels(page: Page, testid: string): Promise<number> {
  return page.getByTestId(testid).evaluate((box) => {
    const canvas = box.querySelector('canvas');
    if (!canvas || canvas.width === 0) return 0;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
    return painted;
  });
}

describe('dashboard in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-dashboard-'));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    const db = server.database.db;
    const [center] = await db.select({ id: organisations.id }).from(organisations).where(eq(organisations.name, server.centerName));
    const otherCenter = await createOrganisation(db, null, { kind: 'mediation_center', name: '福鼎调解中心', caseNumberPrefix: '福调' });
    const ningbo = await createOrganisation(db, null, { kind: 'maritime_court', name: '宁波海事法院', courtCode: 'ningbo' });
    const xiamen = await createOrganisation(db, null, { kind: 'maritime_court', name: '厦门海事法院', courtCode: 'xiamen' });
    await seedDashboardCases(db, { center: center!.id, otherCenter: otherCenter.id, ningbo: ningbo.id, xiamen: xiamen.id });
    await createStaffUser(db, null, { organisationId: center!.id as OrganisationId, username: head.username, displayName: '中心主任', role: 'admin', password: head.password });
    const [caseA] = await db.select({ id: cases.id }).from(cases).where(eq(cases.title, '案件 A'));
    const id = await db.transaction((tx) =>
      addToOutbox(tx, server.app.ctx, { caseId: caseA!.id, kind: 'invitation', to: '13800138000', body: outboxText, dedupeKey: 'e2e-outbox', sendAfter: new Date() }),
    );
    server.app.notifier.queued([id!]);
    await server.app.notifier.idle();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(downloads, { recursive: true, force: true });
  });

  it('draws every chart for the chosen period and downloads the same figures as CSV', async ({ onTestFailed }) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1600 }, acceptDownloads: true });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    onTestFailed(async () => void (await screenshot(page, 'dashboard-failure').catch(() => {})));

    await signInThroughForm(page, server.baseUrl, head, '/', '/admin');
    await page.getByTestId('nav-dashboard').click();
    await page.waitForURL((url) => url.pathname === '/dashboard');
    // The default period (12 weeks up to today) first, then the dataset's.
    await expect.poll(() => page.getByTestId('dashboard-to').inputValue(), poll).not.toBe('');
    await page.getByTestId('dashboard-from').fill('2026-11-01');
    await page.getByTestId('dashboard-to').fill('2026-11-22');
    await page.getByTestId('dashboard-apply').click();

    await expect.poll(() => page.getByTestId('kpi-total').textContent(), poll).toContain('7');
    await expect.poll(() => page.getByTestId('kpi-rate').textContent(), poll).toContain('60%');
    await expect.poll(() => page.getByTestId('kpi-median').textContent(), poll).toContain('8 天');
    for (const id of chartIds) await expect.poll(() => paintedPixels(page, id), poll).toBeGreaterThan(500);
    await screenshot(page, 'dashboard');

    const link = page.getByTestId('dashboard-csv');
    expect(await link.getAttribute('href')).toBe('/api/dashboard/export.csv?from=2026-11-01&to=2026-11-22');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('dashboard-2026-11-01-2026-11-22.csv');
    const file = path.join(downloads, 'figures.csv');
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('figure,key,value');
    expect(lines).toContain('total,,7');
    expect(lines).toContain('level,county,4');
    expect(lines).toContain('median_days_to_resolution,,8');
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it("shows the center's SMS outbox to its mediator", async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    await signInThroughForm(page, server.baseUrl, server.mediator);
    await page.getByTestId('nav-outbox').click();
    await page.waitForURL((url) => url.pathname === '/outbox');
    const row = page.getByTestId('outbox-row');
    await expect.poll(() => row.count(), poll).toBe(1);
    expect(await row.getAttribute('data-status')).toBe('sent');
    expect(await row.textContent()).toContain(outboxText);
    expect(await row.textContent()).toContain('13800138000');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
