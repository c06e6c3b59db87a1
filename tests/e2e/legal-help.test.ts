/**
 * Legal help on demand end to end (issue 11 point 4), real server, mediasoup worker and Chromium:
 * a party on a 360×740 phone opens their link, asks for the lawyer on duty (the page checked with
 * axe), the lawyer on duty sees the request arrive on their desk, answers, and both meet in a
 * private consultation room the lawyer hosts, media flowing both ways, the lawyer labelled
 * 咨询律师 (not anyone's agent).
 */
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { organisations } from '../../server/db/schema/index.ts';
import { createStaffUser } from '../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { type E2eServer, launchChromium, startE2eServer } from '../helpers/browser.ts';
import { admit, closeAll, createRoomFixture, inbound, newPerson, type Person, poll, reportOnFailure, residentIds, type RoomFixture, selfPeerId, until } from './room-support.ts';
import { seriousViolations, smallTargets } from './steps/accessibility.ts';

const lawyerAccount = { username: 'wang.lawyer', password: 'e2e-password-2026', displayName: '王律师' };

async function as(server: E2eServer, cookie: string, method: 'POST', url: string, payload: unknown) {
  const res = await server.app.inject({ method, url, payload: payload as object, headers: { cookie } });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}
async function cookieOf(server: E2eServer, username: string, password: string) {
  const res = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  return `hq_session=${res.cookies.find((c) => c.name === 'hq_session')!.value}`;
}

/** The center's admin records a firm and a lawyer, on duty from an hour ago for eight hours. */
async function lawyerOnDuty(server: E2eServer) {
  const [center] = await server.database.db.select().from(organisations).where(eq(organisations.name, server.centerName));
  await createStaffUser(server.database.db, null, { organisationId: center!.id as OrganisationId, username: 'center.admin', displayName: '中心主任', role: 'admin', password: lawyerAccount.password });
  const admin = await cookieOf(server, 'center.admin', lawyerAccount.password);
  const firm = await as(server, admin, 'POST', '/api/legal/firms', { name: '浙江海泰律师事务所' });
  const lawyer = await as(server, admin, 'POST', '/api/legal/lawyers', { lawFirmId: firm.id, ...lawyerAccount, phone: '13900001111', licenceNumber: '13303201910123456', specialities: '海上人身损害' });
  const now = Date.now();
  await as(server, admin, 'POST', '/api/legal/duty', { lawyerId: lawyer.id, startsAt: new Date(now - 3_600_000).toISOString(), endsAt: new Date(now + 8 * 3_600_000).toISOString() });
}

/** The party through the room's own steps on this page: enter, device check, identity. */
async function enterRoomFromJoinPage(page: Page, identity?: { name: string; last4: string }) {
  await page.getByTestId('join-enter').click();
  await page.getByTestId('device-check').waitFor();
  await until('the network test', () => page.getByTestId('network-test-result').getAttribute('data-step'), (s) => s === 'done');
  await page.getByTestId('device-check-continue').click();
  if (identity) {
    await page.getByTestId('identity').waitFor();
    await page.getByTestId('identity-name').fill(identity.name);
    await page.getByTestId('identity-last4').fill(identity.last4);
    await page.getByTestId('identity-submit').click();
  }
}

/** Bytes and decoded frames from `peerId` in this page: audio and video both arriving. */
async function receivesFrom(page: Page, peerId: string) {
  const from = (await inbound(page)).filter((c) => c.peerId === peerId);
  return from.some((c) => c.kind === 'audio' && c.bytesReceived > 0) && from.some((c) => c.kind === 'video' && c.framesDecoded > 0);
}

describe('a party asks for legal help on their phone and meets the lawyer on duty in a private room', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let party: Person;
  let lawyer: Person;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
    await lawyerOnDuty(server);
  }, 240_000);
  afterAll(async () => {
    await closeAll([party, lawyer]);
    await browser?.close();
    await server?.close();
  });

  it('phone → desk notice → private consultation room with media both ways, labelled 咨询律师', async () => {
    reportOnFailure(onTestFailed, 'legal-help', () => [party, lawyer]);
    lawyer = await newPerson(browser, lawyerAccount.displayName, 'desktop', ['camera', 'microphone']);
    await lawyer.page.goto(`${server.baseUrl}/login`);
    await lawyer.page.getByTestId('login-username').fill(lawyerAccount.username);
    await lawyer.page.getByTestId('login-password').fill(lawyerAccount.password);
    await lawyer.page.getByTestId('login-submit').click();
    await lawyer.page.getByRole('heading', { name: '法律咨询' }).waitFor();

    // The party on their phone: from the invitation page to the legal help page (checked with axe), then "ask the lawyer on duty".
    party = await newPerson(browser, '陈阿海', 'phone', ['camera', 'microphone']);
    await party.page.goto(fixture.invitations[0]!.link);
    await party.page.getByTestId('join-ask-lawyer').click();
    await party.page.getByTestId('legal-ask-on-duty').waitFor();
    expect(await seriousViolations(party.page), 'legal help page: axe serious/critical').toEqual([]);
    expect(await smallTargets(party.page), 'legal help page: touch targets').toEqual([]);
    await party.page.getByTestId('legal-ask-on-duty').click();
    await until('the request', () => party.page.getByTestId('legal-state').getAttribute('data-status'), (s) => s === 'requested');
    expect(await seriousViolations(party.page), 'waiting page: axe serious/critical').toEqual([]);

    // On the lawyer's desk: the notice and the request; they answer into a private room.
    await lawyer.page.getByTestId('legal-new-request').waitFor({ timeout: poll.timeout });
    await lawyer.page.getByTestId('consultation-accept').click();
    const roomPath = await until('the room link', () => lawyer.page.getByTestId('consultation-enter').getAttribute('href').catch(() => null), (h) => h !== null);
    await lawyer.page.goto(`${server.baseUrl}${roomPath}`);
    await expect.poll(() => lawyer.page.getByTestId('join-participant-role').textContent(), poll).toBe('咨询律师');
    // The host of the private room goes straight in (no lobby for the host).
    await lawyer.page.getByTestId('join-enter').click();
    await lawyer.page.getByTestId('room-view').waitFor({ timeout: poll.timeout });

    // The party's page turns into one button into the room; they confirm who they are and wait to be let in.
    await party.page.getByTestId('legal-enter-room').click({ timeout: poll.timeout });
    await party.page.getByTestId('join-context').waitFor();
    await enterRoomFromJoinPage(party.page, { name: '陈阿海', last4: residentIds[0].slice(-4) });
    await party.page.getByTestId('lobby-waiting').waitFor();
    const partyId = await admit(lawyer.page, party);
    const lawyerId = await selfPeerId(lawyer.page);

    // Only the two of them, media both ways; the party sees the lawyer as 咨询律师.
    await expect.poll(() => receivesFrom(party.page, lawyerId), { ...poll, timeout: 40_000 }).toBe(true);
    await expect.poll(() => receivesFrom(lawyer.page, partyId), { ...poll, timeout: 40_000 }).toBe(true);
    await expect.poll(() => party.page.getByTestId('room-view').textContent(), poll).toContain('咨询律师');
    expect((await party.page.getByTestId('room-view').textContent()) ?? '').not.toContain('代理人');
    const mediatorIn = await server.app.inject({ method: 'GET', url: `/api/cases/${fixture.caseId}/sessions`, headers: { cookie: await cookieOf(server, server.mediator.username, server.mediator.password) } });
    const sessions = mediatorIn.json().items as { id: string; kind: string }[];
    expect(sessions.filter((s) => s.kind === 'consultation')).toHaveLength(1);
    expect([...party.errors, ...lawyer.errors]).toEqual([]);
  }, 240_000);
});
