/**
 * 点单式调解 end to end, in Chromium: a fisherman opens his link on a 360×740 phone (plain mode),
 * reads the center's roster aloud, chooses the mediator who speaks Wenzhounese (axe: no serious or
 * critical violation, touch targets ≥ 48 px); the center's head sees the choice on the case page
 * and assigns that mediator; the chosen mediator finds the case first in their list, marked as
 * theirs, and hosts the session; the mediator who registered it can no longer host it.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organisations } from '../../server/db/schema/index.ts';
import { createStaffUser } from '../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, login } from '../helpers/test-app.ts';
import { closeAll, createRoomFixture, newPerson, type Person, reportOnFailure, residentIds, type RoomFixture } from './room-support.ts';
import { seriousViolations, smallTargets } from './steps/accessibility.ts';
import { clickFor, poll } from './steps/common.ts';

const password = 'e2e-password-2026';
const head = { username: 'chen.head', displayName: '陈主任' };
const chosen = { username: 'zheng.mediator', displayName: '郑调解员' };

/** Records what the page asks the real speech engine to say (the call still goes through). */
const observeSpeech = () => {
  const spoken: string[] = [];
  Object.defineProperty(window, '__spoken', { value: spoken });
  if (typeof speechSynthesis === 'undefined') return;
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = (utterance) => {
    spoken.push(utterance.text);
    speak(utterance);
  };
};

async function signIn(person: Person, server: E2eServer, username: string): Promise<void> {
  await person.page.goto(`${server.baseUrl}/login`);
  await person.page.getByTestId('login-username').fill(username);
  await person.page.getByTestId('login-password').fill(password);
  await person.page.getByTestId('login-submit').click();
  await person.page.getByTestId('current-user').waitFor();
}

describe('a party chooses a mediator; the head assigns; the chosen mediator hosts', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let chosenId: string;
  const people: Person[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    const [{ center }] = (await server.database.db.select({ center: organisations.id }).from(organisations)) as [{ center: string }];
    const make = (who: { username: string; displayName: string }, centerHead: boolean) =>
      createStaffUser(server.database.db, null, { organisationId: center as OrganisationId, username: who.username, displayName: who.displayName, role: 'mediator', password, centerHead });
    await make(head, true);
    chosenId = (await make(chosen, false)).id;
    // Zheng fills in the profile the roster shows.
    const zheng = api(server.app, await login(server.app, chosen.username, password, '198.51.100.61'));
    const profile = await zheng.put(`/api/mediators/${chosenId}/profile`, { dialects: ['wenzhou', 'putonghua'], specialities: ['collision', 'fishing_gear'], introduction: '苍南人，调处渔船碰撞纠纷十余年' });
    if (profile.statusCode !== 200) throw new Error(profile.body);
    fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
  }, 240_000);

  afterAll(async () => {
    await closeAll(people);
    await browser?.close();
    await server?.close();
  });

  it('the fisherman chooses on his phone, in plain mode, read aloud, accessible', async ({ onTestFailed }) => {
    const fisherman = await newPerson(browser, '陈阿海', 'phone');
    people.push(fisherman);
    reportOnFailure(onTestFailed, 'mediator-choice', () => [fisherman]);
    const { page } = fisherman;
    await page.addInitScript(observeSpeech);
    await page.goto(fixture.invitations[0]!.link);
    await page.getByTestId('join-context').waitFor();
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('plain')), poll).toBe(true);
    await page.getByTestId('join-choose-mediator').click();
    await page.getByTestId('choose-mediator').waitFor();
    await page.locator(`[data-testid="roster-mediator"][data-staff-user-id="${chosenId}"]`).waitFor();

    const card = page.locator(`[data-testid="roster-mediator"][data-staff-user-id="${chosenId}"]`);
    expect(await card.innerText()).toContain('温州话');
    expect(await card.innerText()).toContain('船舶碰撞');
    expect(await card.getByTestId('mediator-default-avatar').count()).toBe(1);
    await screenshot(page, 'mediator-roster');
    expect(await seriousViolations(page), 'axe serious/critical').toEqual([]);
    expect(await smallTargets(page), 'touch targets under 48 px').toEqual([]);

    await page.getByTestId('speak-step').click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __spoken: string[] }).__spoken), poll).toEqual([expect.stringContaining('请选择调解员')]);

    await clickFor(page, card.getByTestId('roster-pick'), 'POST', /\/mediator-choice$/, 200);
    await page.getByTestId('choice-saved').waitFor();
    expect(await page.getByTestId('choice-saved').innerText()).toContain(chosen.displayName);
    expect(await card.getByTestId('roster-chosen').count()).toBe(1);
    expect(await seriousViolations(page), 'axe after choosing').toEqual([]);
    expect(fisherman.errors).toEqual([]);
  }, 120_000);

  it('the head sees the choice and assigns the chosen mediator', async () => {
    const desk = await newPerson(browser, head.displayName, 'desktop');
    people.push(desk);
    await signIn(desk, server, head.username);
    await desk.page.goto(`${server.baseUrl}/cases/${fixture.caseId}`);
    await desk.page.getByTestId('case-mediators').waitFor();
    expect(await desk.page.getByTestId('case-lead').innerText()).toBe(server.mediator.displayName);
    const choice = desk.page.getByTestId('party-choice');
    await choice.waitFor();
    expect(await choice.getAttribute('data-staff-user-id')).toBe(chosenId);
    expect(await choice.innerText()).toContain(`陈阿海 选择了 ${chosen.displayName}`);
    // The head reads the case but, not being assigned, does not change it.
    expect(await desk.page.getByTestId('edit-case').count()).toBe(0);

    await desk.page.getByTestId('assign-lead').selectOption(chosenId);
    await clickFor(desk.page, desk.page.getByTestId('assign-save'), 'PUT', /\/mediators$/, 200);
    await expect.poll(() => desk.page.getByTestId('case-lead').innerText(), poll).toBe(chosen.displayName);
    expect(desk.errors).toEqual([]);
  }, 90_000);

  it('the chosen mediator finds the case first, marked as theirs, and hosts the session; the former lead no longer can', async ({ onTestFailed }) => {
    // Another case of the center, registered later (so more recently updated): still listed after Zheng's own.
    await createRoomFixture(server, [{ name: '林船东', idNumber: residentIds[1] }], '另一起网具损坏纠纷');
    const zheng = await newPerson(browser, chosen.displayName, 'desktop', ['camera', 'microphone']);
    people.push(zheng);
    reportOnFailure(onTestFailed, 'mediator-host', () => [zheng]);
    await signIn(zheng, server, chosen.username);
    await zheng.page.goto(`${server.baseUrl}/`);
    const first = zheng.page.getByTestId('case-row').first();
    await first.waitFor();
    expect(await first.getAttribute('data-case-id')).toBe(fixture.caseId);
    expect(await first.getByTestId('case-row-mine').count()).toBe(1);
    expect(await zheng.page.getByTestId('case-row-mine').count()).toBe(1);

    await first.locator('a').click();
    await zheng.page.locator(`[data-testid="session-card"][data-session-id="${fixture.sessionId}"]`).getByTestId('session-enter-room').click();
    await zheng.page.getByTestId('room-view').waitFor();
    await zheng.page.getByTestId('host-panel').waitFor();

    // The mediator who registered the case is refused the room now (by their login, on a socket).
    const lin = api(server.app, await login(server.app, server.mediator.username, server.mediator.password, '198.51.100.62'));
    expect((await lin.patch(`/api/cases/${fixture.caseId}`, { title: '原主办改标题' })).statusCode).toBe(403);
    expect(zheng.errors).toEqual([]);
  }, 120_000);
});
