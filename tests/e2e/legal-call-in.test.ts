/**
 * The center's legal help from the browser, real server, mediasoup worker and Chromium: the
 * center's admin records a law firm, a lawyer and the duty roster on the admin page (a shift
 * added by mistake is removed again); the mediator, in the live room, calls the lawyer on duty in
 * (介入制) from the host panel; the lawyer's desk hears of it over its socket (pushed, well before
 * the desk's 30-second fallback poll), answers into the mediation session, confirms with a code
 * from the mediator and is admitted as 咨询律师.
 */
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { organisations } from '../../server/db/schema/index.ts';
import { createStaffUser } from '../../server/modules/admin/admin.service.ts';
import { toBeijingInput } from '../../shared/beijing-time.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { type E2eServer, launchChromium, startE2eServer } from '../helpers/browser.ts';
import { admit, closeAll, createRoomFixture, newPerson, type Person, poll, reportOnFailure, residentIds, type RoomFixture, until } from './room-support.ts';

const adminAccount = { username: 'center.admin', password: 'e2e-password-2026', displayName: '中心管理员' };
const lawyerAccount = { username: 'wang.lawyer', password: 'e2e-password-2026', displayName: '王律师' };
const hour = 3_600_000;

/** Generous waits: the machine running the browsers may be loaded (page loads took over 15 s). */
function patient(person: Person) {
  person.context.setDefaultTimeout(45_000);
  person.context.setDefaultNavigationTimeout(60_000);
}

describe('the admin keeps the roster in the browser; the mediator calls the lawyer on duty into the live room', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let admin: Person;
  let lawyer: Person;
  let mediator: Person;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
    const [center] = await server.database.db.select().from(organisations).where(eq(organisations.name, server.centerName));
    await createStaffUser(server.database.db, null, { organisationId: center!.id as OrganisationId, ...adminAccount, role: 'admin' });
  }, 240_000);
  afterAll(async () => {
    await closeAll([admin, lawyer, mediator]);
    await browser?.close();
    await server?.close();
  });

  it('admin page: firm, lawyer, shift (one removed) → host panel call-in → pushed to the desk → lawyer admitted as 咨询律师', async () => {
    reportOnFailure(onTestFailed, 'legal-call-in', () => [admin, lawyer, mediator]);

    // The center's admin on the admin page.
    admin = await newPerson(browser, adminAccount.displayName, 'desktop');
    patient(admin);
    const a = admin.page;
    await a.goto(`${server.baseUrl}/login`);
    await a.getByTestId('login-username').fill(adminAccount.username);
    await a.getByTestId('login-password').fill(adminAccount.password);
    await a.getByTestId('login-submit').click();
    await a.getByTestId('legal-admin').waitFor();
    await a.getByTestId('legal-firm-name').fill('浙江海泰律师事务所');
    await a.getByTestId('legal-firm-add').click();
    await a.getByTestId('legal-firms').getByText('浙江海泰律师事务所').waitFor();
    await a.getByTestId('legal-lawyer-firm').selectOption({ label: '浙江海泰律师事务所' });
    await a.getByTestId('legal-lawyer-name').fill(lawyerAccount.displayName);
    await a.getByTestId('legal-lawyer-username').fill(lawyerAccount.username);
    await a.getByTestId('legal-lawyer-password').fill(lawyerAccount.password);
    await a.getByTestId('legal-lawyer-phone').fill('13900001111');
    // A wrong licence number first: the error names the field, nothing is created.
    await a.getByTestId('legal-lawyer-licence').fill('123');
    await a.getByTestId('legal-lawyer-add').click();
    await a.getByTestId('legal-admin-error').waitFor();
    await a.getByTestId('legal-lawyer-licence').fill('13303201910123456');
    await a.getByTestId('legal-lawyer-add').click();
    await a.getByTestId('legal-lawyers').getByText(lawyerAccount.displayName).waitFor();

    const shift = async (from: number, to: number) => {
      await a.getByTestId('legal-shift-lawyer').selectOption({ label: lawyerAccount.displayName });
      await a.getByTestId('legal-shift-start').fill(toBeijingInput(new Date(from).toISOString()));
      await a.getByTestId('legal-shift-end').fill(toBeijingInput(new Date(to).toISOString()));
      await a.getByTestId('legal-shift-add').click();
    };
    const now = Date.now();
    await shift(now + 48 * hour, now + 50 * hour); // by mistake: removed below
    await expect.poll(() => a.getByTestId('legal-shift').count(), poll).toBe(1);
    await a.getByTestId('legal-shift-remove').click();
    await expect.poll(() => a.getByTestId('legal-shift').count(), poll).toBe(0);
    await shift(now - hour, now + 8 * hour);
    await expect.poll(() => a.getByTestId('legal-shift').count(), poll).toBe(1);
    await expect.poll(() => a.getByTestId('legal-lawyers').textContent(), poll).toContain('正在值班');

    // The mediator in the live room, the call-in form open in the host panel.
    mediator = await newPerson(browser, server.mediator.displayName, 'desktop', ['camera', 'microphone']);
    patient(mediator);
    const m = mediator.page;
    await m.goto(`${server.baseUrl}/login`);
    await m.getByTestId('login-username').fill(server.mediator.username);
    await m.getByTestId('login-password').fill(server.mediator.password);
    await m.getByTestId('login-submit').click();
    await m.getByTestId('current-user').waitFor();
    await m.goto(`${server.baseUrl}/cases/${fixture.caseId}`);
    // The case page offers the call-in too; here it is made from the room's host panel.
    await m.getByTestId('call-in-open').waitFor();
    await m.locator(`[data-testid="session-card"][data-session-id="${fixture.sessionId}"]`).getByTestId('session-enter-room').click();
    await m.getByTestId('host-panel').waitFor();
    await m.getByTestId('call-in-open').click();
    await m.getByTestId('call-in-question').fill('船东责任限额如何适用？');

    // The lawyer's desk, connected to its socket.
    lawyer = await newPerson(browser, lawyerAccount.displayName, 'desktop', ['camera', 'microphone']);
    patient(lawyer);
    const l = lawyer.page;
    await l.goto(`${server.baseUrl}/login`);
    await l.getByTestId('login-username').fill(lawyerAccount.username);
    await l.getByTestId('login-password').fill(lawyerAccount.password);
    await l.getByTestId('login-submit').click();
    await until('the desk socket', () => l.getByTestId('legal-desk-live').getAttribute('data-live'), (v) => v === 'true');

    // Call in → on the desk within seconds. Pushed: with the socket up the desk does not poll, so only the push can bring it.
    await m.getByTestId('call-in-send').click();
    await until('the request', () => m.getByTestId('call-in-state').first().getAttribute('data-status'), (s) => s === 'requested');
    await l.getByTestId('legal-new-request').waitFor({ timeout: 15_000 });
    await l.getByTestId('consultation-accept-live').click();
    // The mediator's page shows the answer without a reload.
    await until('the mediator sees it accepted', () => m.getByTestId('call-in-state').first().getAttribute('data-status'), (s) => s !== 'requested', 20_000);
    const roomPath = await until('the room link', () => l.getByTestId('consultation-enter').getAttribute('href').catch(() => null), (h) => h !== null);

    // The lawyer enters the mediation session as 咨询律师: device check, a code from the mediator, the lobby.
    await l.goto(`${server.baseUrl}${roomPath}`);
    await expect.poll(() => l.getByTestId('join-participant-role').textContent(), poll).toBe('咨询律师');
    await l.getByTestId('join-enter').click();
    await l.getByTestId('device-check').waitFor();
    await until('the network test', () => l.getByTestId('network-test-result').getAttribute('data-step'), (s) => s === 'done');
    await l.getByTestId('device-check-continue').click();
    await l.locator('[data-testid="identity"][data-method="one_time_code"]').waitFor();
    const preparing = m.getByTestId('host-preparing-list').locator('li[data-testid^="host-peer-"]').filter({ hasText: lawyerAccount.displayName });
    const peerId = (await preparing.getAttribute('data-testid', { timeout: poll.timeout }))!.slice('host-peer-'.length);
    await m.getByTestId(`host-issue-code-${peerId}`).click({ timeout: 45_000 });
    await l.getByTestId('identity-code').fill((await m.getByTestId('host-code-value').innerText()).trim());
    await l.getByTestId('identity-submit').click();
    await l.getByTestId('lobby-waiting').waitFor();
    expect(await admit(m, lawyer)).toBe(peerId);
    await expect.poll(() => m.getByTestId('host-room-list').textContent(), poll).toContain('咨询律师');
    expect([...admin.errors, ...mediator.errors, ...lawyer.errors]).toEqual([]);
  }, 300_000);
});
