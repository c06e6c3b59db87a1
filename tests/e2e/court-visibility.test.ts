/**
 * Issue 11, point 7 in Chromium: the court sees a case only once an application is filed with it,
 * and the competent court is then fixed. Set up through the API: a case in mediation (nothing
 * filed) and a sealed agreement filed with the Wenzhou tribunal. In the browser the Ningbo clerk's
 * case list shows the filed case and not the other, whose page answers "not found"; the mediator's
 * edit form offers the court on the unfiled case and shows it fixed, with the reason, on the filed one.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, sealedAgreement } from '../helpers/agreement-fixture.ts';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json } from '../helpers/test-app.ts';
import { desktopOptions, poll, signInThroughForm, mediatorWorld } from './steps/common.ts';
import { type CourtAccount, createNingboCourt } from './steps/court.ts';

describe('court visibility in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let context: BrowserContext;
  let clerk: CourtAccount;
  let unfiled: { id: string; number: string };
  let filed: { id: string; number: string };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    ({ clerk } = await createNingboCourt(server));
    const world = await mediatorWorld(server, '198.51.100.41');
    const mediator = api(server.app, world.mediatorCookie);
    const open = await agreementFixture(world);
    unfiled = { id: open.caseId, number: json(await mediator.get(`/api/cases/${open.caseId}`)).number };
    const { agreement } = await sealedAgreement(world);
    const application = await mediator.post(`/api/agreements/${agreement.id}/confirmation`, {});
    if (application.statusCode !== 201) throw new Error(`filing: ${application.body}`);
    filed = { id: agreement.caseId, number: agreement.caseNumber };
    context = await browser.newContext(desktopOptions);
    context.setDefaultTimeout(15_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the clerk’s case list shows the filed case only; the other case’s page is not found', async ({ onTestFailed }) => {
    const page = await context.newPage();
    const errors = collectPageErrors(page);
    onTestFailed(async () => void (await screenshot(page, 'court-visibility-clerk-failure').catch(() => {})));
    await signInThroughForm(page, server.baseUrl, clerk, '/', '/court');
    await page.goto(`${server.baseUrl}/`);
    const rows = page.getByTestId('case-row');
    await expect.poll(() => rows.count(), poll).toBe(1);
    expect(await rows.first().getAttribute('data-case-id')).toBe(filed.id);
    expect(await page.locator('main').innerText()).not.toContain(unfiled.number);
    await screenshot(page, 'court-visibility-clerk-list');

    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/cases/${unfiled.id}`);
    await page.goto(`${server.baseUrl}/cases/${unfiled.id}`);
    expect((await answer).status()).toBe(404);
    await expect.poll(() => page.locator('main').innerText(), poll).not.toContain('陈阿海');
    expect(await page.locator('main').innerText()).not.toContain(unfiled.number);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the mediator may change the court until an application is filed, and sees why not after', async ({ onTestFailed }) => {
    const page = await context.newPage();
    onTestFailed(async () => void (await screenshot(page, 'court-visibility-mediator-failure').catch(() => {})));
    await context.clearCookies();
    await signInThroughForm(page, server.baseUrl, server.mediator, `/cases/${unfiled.id}/edit`);
    const court = page.getByTestId('case-form-court');
    await court.waitFor();
    expect(await court.isDisabled()).toBe(false);

    await page.goto(`${server.baseUrl}/cases/${filed.id}/edit`);
    await page.getByTestId('case-form').waitFor();
    await expect.poll(() => court.isDisabled(), poll).toBe(true);
    expect(await court.inputValue()).toBe('ningbo.wenzhou');
    expect(await page.locator('#case-court-hint').innerText()).toContain('已向该法院申请司法确认，管辖法院不能再更改');
    await screenshot(page, 'court-visibility-court-fixed');
    await page.close();
  });
});
