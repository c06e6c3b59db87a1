/**
 * The staff desk end to end, in Debian's Chromium against the real server and database: a
 * mediator signs in, registers a case with two parties and a vessel, adds a participant,
 * schedules a session and invites them; the link works in a browser with no staff cookies,
 * and a revoked link shows the friendly "revoked" page.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { acceptDialogs, answerTo, beijingInput, expectStatus, signInThroughForm } from './steps/common.ts';

const residentId = '11010519491231002X';
const person = { name: '陈阿海', phone: '13800138000' };
const organisation = '福鼎远洋运输有限公司';
const vessel = { name: '浙苍渔01234', registrationNumber: '330327000123', mmsi: '412345678', port: '苍南' };
const caseTitle = '浙苍渔01234与闽福鼎货轮碰撞';
const sessionTitle = '第一次调解会议';
const poll = { timeout: 10_000, interval: 100 };

describe('staff desk in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let staff: BrowserContext;
  let participant: BrowserContext;

  beforeAll(async () => {
    // Starting includes a client build when dist/client is stale (normally done by setup.sh).
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    staff = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    // The participant's phone: a separate context, so no staff session cookie.
    participant = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    for (const context of [staff, participant]) context.setDefaultTimeout(10_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('registers a case, invites a party, and the link works (and a revoked one fails kindly) elsewhere', async ({ onTestFailed }) => {
    const desk = await staff.newPage();
    const phone = await participant.newPage();
    const errors = [desk, phone].map(collectPageErrors);
    onTestFailed(async () => {
      await screenshot(desk, 'staff-desk-failure-A').catch(() => {});
      await screenshot(phone, 'staff-desk-failure-B').catch(() => {});
    });
    const confirmations = acceptDialogs(desk);

    // --- A: sign in through the login form (an anonymous visit is sent there first).
    await signInThroughForm(desk, server.baseUrl, server.mediator);
    await expect.poll(() => desk.getByTestId('current-user').textContent(), poll).toContain(server.mediator.displayName);
    expect(new URL(desk.url()).pathname).toBe('/');

    // --- A: register the case with two parties and one vessel.
    await desk.getByTestId('new-case').click();
    await desk.waitForURL((url) => url.pathname === '/cases/new');
    const form = desk.getByTestId('case-form');
    await form.getByTestId('case-form-title').fill(caseTitle);
    await form.getByTestId('case-form-dispute-type').selectOption('collision');
    await form.getByTestId('case-form-incident-at').fill(beijingInput(-30, '03:00'));
    await form.getByTestId('case-form-sea-area').selectOption('nanji_islands');
    await form.getByTestId('case-form-lat').fill('27.05');
    await form.getByTestId('case-form-lon').fill('120.95');
    await form.getByTestId('case-form-province-zhejiang').check();
    await form.getByTestId('case-form-province-fujian').check();
    await form.getByTestId('case-form-amount').fill('860,000');
    await form.getByTestId('case-form-court').selectOption('ningbo.wenzhou');
    await form.getByTestId('case-form-description').fill('夜间作业时被货轮碰撞，渔船倾覆，一人受伤。');

    await form.getByTestId('add-party').click();
    await form.getByTestId('add-party').click();
    const drafts = form.getByTestId('party-draft');
    await expect.poll(() => drafts.count(), poll).toBe(2);
    const first = drafts.nth(0);
    await first.getByTestId('party-kind').selectOption('person');
    await first.getByTestId('party-name').fill(person.name);
    await first.getByTestId('party-id-type').selectOption('resident_id');
    await first.getByTestId('party-id-number').fill(residentId);
    await first.getByTestId('party-phone').fill(person.phone);
    const second = drafts.nth(1);
    await second.getByTestId('party-kind').selectOption('organisation');
    await second.getByTestId('party-name').fill(organisation);

    await form.getByTestId('add-vessel').click();
    const vesselDraft = form.getByTestId('vessel-draft').first();
    await vesselDraft.getByTestId('vessel-name').fill(vessel.name);
    await vesselDraft.getByTestId('vessel-registration-number').fill(vessel.registrationNumber);
    await vesselDraft.getByTestId('vessel-mmsi').fill(vessel.mmsi);
    await vesselDraft.getByTestId('vessel-port').fill(vessel.port);
    await vesselDraft.getByTestId('vessel-owner').selectOption({ label: person.name });

    await expectStatus(await answerTo(desk, 'POST', /^\/api\/cases$/, () => form.getByTestId('case-form-submit').click()), 201);
    await desk.waitForURL((url) => /^\/cases\/[^/]+$/.test(url.pathname) && url.pathname !== '/cases/new');

    // --- A: the case page shows both parties (ID masked) and the vessel.
    const caseNumber = (await desk.getByTestId('case-number').textContent())!.trim();
    expect(caseNumber).toMatch(/浙闽联调/);
    expect((await desk.getByTestId('case-title').textContent())!.trim()).toBe(caseTitle);
    const parties = desk.getByTestId('party-row');
    await expect.poll(() => parties.count(), poll).toBe(2);
    const personRow = parties.filter({ hasText: person.name });
    await expect.poll(() => personRow.getByTestId('party-id-masked').textContent(), poll).toMatch(/^11\*{15}X$/);
    expect(await parties.filter({ hasText: organisation }).count()).toBe(1);
    expect(await desk.locator('body').innerText()).not.toContain(residentId);
    const vesselRows = desk.getByTestId('vessel-row');
    await expect.poll(() => vesselRows.count(), poll).toBe(1);
    const vesselText = await vesselRows.first().innerText();
    expect(vesselText).toContain(vessel.name);
    expect(vesselText).toContain(`MMSI ${vessel.mmsi}`);
    expect(vesselText).toContain(`船舶所有人：${person.name}`);

    // --- A: the editable list (shared by parties and vessels): edit a row in place, add one, remove it after confirming.
    await vesselRows.first().getByTestId('edit-vessel').click();
    const vesselEditor = desk.getByTestId('vessel-form');
    await vesselEditor.getByTestId('vessel-port').fill('霞关');
    await expectStatus(await answerTo(desk, 'PUT', /\/vessels\/[^/]+$/, () => vesselEditor.getByTestId('vessel-form-submit').click()), 200);
    await expect.poll(() => vesselRows.first().innerText(), poll).toContain('霞关');
    await desk.getByTestId('add-vessel').click();
    await desk.getByTestId('vessel-form').getByTestId('vessel-name').fill('闽福鼎货0088');
    await expectStatus(await answerTo(desk, 'POST', /\/vessels$/, () => desk.getByTestId('vessel-form').getByTestId('vessel-form-submit').click()), 201);
    await expect.poll(() => vesselRows.count(), poll).toBe(2);
    const extraVessel = vesselRows.filter({ hasText: '闽福鼎货0088' });
    await expectStatus(await answerTo(desk, 'DELETE', /\/vessels\/[^/]+$/, () => extraVessel.getByTestId('remove-vessel').click()), 204);
    await expect.poll(() => vesselRows.count(), poll).toBe(1);
    expect(confirmations.splice(0)).toEqual([expect.stringContaining('闽福鼎货0088')]);

    // --- A: add the first party as a participant (choosing the party fills in the name).
    await desk.getByTestId('add-participant').click();
    const participantForm = desk.getByTestId('participant-form');
    await participantForm.getByTestId('participant-role').selectOption('party');
    await participantForm.getByTestId('participant-party').selectOption({ label: person.name });
    await expect.poll(() => participantForm.getByTestId('participant-name').inputValue(), poll).toBe(person.name);
    await expectStatus(await answerTo(desk, 'POST', /\/participants$/, () => participantForm.getByTestId('participant-form-submit').click()), 201);
    const participantRow = desk.getByTestId('participant-row').filter({ hasText: person.name });
    await participantRow.waitFor();
    const participantId = (await participantRow.getAttribute('data-participant-id'))!;
    expect(participantId).toBeTruthy();

    // --- A: schedule a session for tomorrow morning.
    await desk.getByTestId('schedule-session').click();
    const sessionForm = desk.getByTestId('session-form');
    await sessionForm.getByTestId('session-form-title').fill(sessionTitle);
    await sessionForm.getByTestId('session-form-scheduled-at').fill(beijingInput(1, '09:30'));
    await sessionForm.getByTestId('session-form-duration').fill('90');
    await expectStatus(await answerTo(desk, 'POST', /\/sessions$/, () => sessionForm.getByTestId('session-form-submit').click()), 201);
    const sessionCard = desk.getByTestId('session-card').filter({ hasText: sessionTitle });
    await sessionCard.waitFor();

    // --- A: issue an invitation and read the link from the page.
    const issueButton = sessionCard.locator(`[data-testid="issue-invitation"][data-participant-id="${participantId}"]`);
    const issue = async () => {
      const response = await answerTo(desk, 'POST', /^\/api\/sessions\/[^/]+\/invitations$/, () => issueButton.click());
      await expectStatus(response, 201);
      const issued = (await response.json()) as { invitation: { id: string }; link: string };
      const panel = sessionCard.getByTestId('issued-invitation');
      await expect.poll(() => panel.getByTestId('invitation-link').textContent(), poll).toBe(issued.link);
      const link = (await panel.getByTestId('invitation-link').textContent())!.trim();
      expect(link.startsWith(`${server.baseUrl}/j/`)).toBe(true);
      await sessionCard.locator(`[data-testid="invitation-row"][data-invitation-id="${issued.invitation.id}"]`).waitFor();
      return { id: issued.invitation.id, link };
    };
    const invitation = await issue();

    // --- B (no cookies): the link lands on the participant's page.
    expect(await participant.cookies()).toEqual([]);
    await phone.goto(invitation.link);
    const context = phone.getByTestId('join-context');
    await context.waitFor();
    expect((await context.getByTestId('join-participant-name').textContent())!.trim()).toBe(person.name);
    expect((await context.getByTestId('join-case-number').textContent())!.trim()).toBe(caseNumber);
    expect((await context.getByTestId('join-case-title').textContent())!.trim()).toBe(caseTitle);
    expect((await context.getByTestId('join-participant-role').textContent())!.trim()).toBe('当事人');
    expect((await context.getByTestId('join-session-title').textContent())!.trim()).toBe(sessionTitle);
    expect(await phone.getByTestId('current-user').count()).toBe(0); // no staff desk here
    await screenshot(phone, 'staff-desk-participant-page');

    // --- A: a second invitation, revoked through the UI.
    await sessionCard.getByTestId('issued-done').click();
    const revokedInvitation = await issue();
    expect(revokedInvitation.link).not.toBe(invitation.link);
    const revokedRow = sessionCard.locator(`[data-testid="invitation-row"][data-invitation-id="${revokedInvitation.id}"]`);
    await expectStatus(
      await answerTo(desk, 'POST', new RegExp(`^/api/invitations/${revokedInvitation.id}/revoke$`), () => revokedRow.getByTestId('revoke-invitation').click()),
      200,
    );
    await expect.poll(() => revokedRow.getAttribute('data-state'), poll).toBe('revoked');
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]).toContain(person.name);
    const firstRow = sessionCard.locator(`[data-testid="invitation-row"][data-invitation-id="${invitation.id}"]`);
    expect(await firstRow.getAttribute('data-state')).toBe('active');

    // --- B: the revoked link shows the friendly page, not an error dump.
    const resolved = await answerTo(phone, 'POST', /^\/api\/join\/resolve$/, () => phone.goto(revokedInvitation.link));
    expect(resolved.ok()).toBe(false);
    const failure = phone.getByTestId('join-error');
    await failure.waitFor();
    expect(await failure.getAttribute('data-reason')).toBe('revoked');
    expect((await failure.locator('h1').textContent())!.trim()).toBe('邀请已撤销');
    const failureText = await phone.locator('body').innerText();
    expect(failureText).toContain('请联系发送链接的调解员');
    for (const leak of ['INVITATION_REVOKED', '"error"', '{', 'withdrawn']) expect(failureText).not.toContain(leak);
    expect(await phone.getByTestId('join-context').count()).toBe(0);
    await screenshot(phone, 'staff-desk-revoked-page');
    await screenshot(desk, 'staff-desk-case-page');

    expect(errors.flat()).toEqual([]);
  }, 60_000);
});
