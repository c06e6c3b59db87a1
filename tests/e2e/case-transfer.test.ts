/**
 * Issue 11 point 2 in Chromium: a town's mediator escalates a case to the county center; the
 * county mediator finds it among the transfers to accept, accepts it and works it (moves it to
 * screening); the town's mediator then sees the case read-only, with its holder history.
 */
import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganisation, createStaffUser } from '../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json, login, sampleCase } from '../helpers/test-app.ts';
import { clickFor, desktopOptions, poll, signInThroughForm } from './steps/common.ts';

describe('escalating a case in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let caseId: string;
  const county = { username: 'wu.county', password: 'e2e-password-2026' };
  const countyName = '苍南县海上联调中心';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    const db = server.database.db;
    const countyOrg = await createOrganisation(db, null, { kind: 'mediation_center', name: countyName, caseNumberPrefix: '苍调', level: 'county' });
    // The e2e server's center becomes a town under the county center.
    await db.execute(sql`update organisations set parent_id = ${countyOrg.id}, level = 'town' where name = ${server.centerName}`);
    await createStaffUser(db, null, { organisationId: countyOrg.id as OrganisationId, username: county.username, displayName: '吴调解员', role: 'mediator', password: county.password });
    const cookie = await login(server.app, server.mediator.username, server.mediator.password, '198.51.100.61');
    const created = await api(server.app, cookie).post('/api/cases', sampleCase);
    if (created.statusCode !== 201) throw new Error(created.body);
    caseId = json(created).id;
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function pageOf(account: { username: string; password: string }, next: string): Promise<Page> {
    const context = await browser.newContext(desktopOptions);
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await signInThroughForm(page, server.baseUrl, account, next);
    return page;
  }

  it('escalate → accept → the county works the case, the town reads it only', async ({ onTestFailed }) => {
    const town = await pageOf(server.mediator, `/cases/${caseId}`);
    const townErrors = collectPageErrors(town);
    onTestFailed(async () => void (await screenshot(town, 'case-transfer-town-failure').catch(() => {})));
    const form = town.getByTestId('transfer-form');
    await form.waitFor();
    await town.getByTestId('transfer-target').selectOption({ label: `上报上级：${countyName}` });
    await town.getByTestId('transfer-note').fill('两省渔船碰撞，需县级联调中心协调');
    const sent = await clickFor(town, town.getByTestId('transfer-submit'), 'POST', /\/api\/cases\/[^/]+\/transfers$/, 201);
    expect(sent.status).toBe('requested');
    await town.getByTestId('pending-transfer-notice').waitFor();
    await expect.poll(() => town.getByTestId('edit-case').count(), poll).toBe(1); // still the town's until accepted
    await screenshot(town, 'case-transfer-requested');

    const countyPage = await pageOf(county, '/transfers');
    const countyErrors = collectPageErrors(countyPage);
    onTestFailed(async () => void (await screenshot(countyPage, 'case-transfer-county-failure').catch(() => {})));
    const item = countyPage.getByTestId('incoming-transfer');
    await expect.poll(() => item.count(), poll).toBe(1);
    expect(await item.innerText()).toContain('两省渔船碰撞');
    await screenshot(countyPage, 'case-transfer-incoming');
    await clickFor(countyPage, countyPage.getByTestId('accept-transfer'), 'POST', /\/api\/transfers\/[^/]+\/accept$/, 200);
    await countyPage.getByTestId('open-accepted-case').click();
    await countyPage.waitForURL((url) => url.pathname === `/cases/${caseId}`);
    await expect.poll(() => countyPage.getByTestId('holder').count(), poll).toBe(2);
    expect(await countyPage.getByTestId('holder-history').innerText()).toContain(countyName);
    const moved = await clickFor(countyPage, countyPage.getByTestId('case-transition-screening'), 'POST', /\/api\/cases\/[^/]+\/transitions$/, 200);
    expect(moved.status).toBe('screening');
    await screenshot(countyPage, 'case-transfer-county-works');

    await town.reload();
    await town.getByTestId('former-holder-notice').waitFor();
    expect(await town.getByTestId('former-holder-notice').innerText()).toContain(countyName);
    await expect.poll(() => town.getByTestId('case-title').count(), poll).toBe(1);
    expect(await town.getByTestId('edit-case').count()).toBe(0);
    expect(await town.getByTestId('case-transition-mediating').count()).toBe(0);
    expect(await town.getByTestId('transfer-form').count()).toBe(0);
    await screenshot(town, 'case-transfer-town-read-only');
    expect(townErrors).toEqual([]);
    expect(countyErrors).toEqual([]);
  }, 180_000);
});
