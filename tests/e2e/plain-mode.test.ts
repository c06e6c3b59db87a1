/**
 * Plain-language, large-button mode on a 360×740 phone: on by default for a party's link,
 * switchable and remembered; the join, lobby, room and signing pages have touch targets of at
 * least 48 px, the join page's one action low in the thumb zone, each step spoken on request
 * (the real speechSynthesis, observed), and axe-core finds no serious or critical violation.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, collisionDraft } from '../helpers/agreement-fixture.ts';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json } from '../helpers/test-app.ts';
import { admit, closeAll, createRoomFixture, mediatorEnters, partyToLobby, type Person, poll, reportOnFailure, residentIds, type RoomFixture } from './room-support.ts';
import { seriousViolations, smallTargets } from './steps/accessibility.ts';
import { mediatorWorld, newActor, phoneOptions } from './steps/common.ts';

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
const spoken = (page: Page) => page.evaluate(() => (window as unknown as { __spoken: string[] }).__spoken);
const isPlain = (page: Page) => page.evaluate(() => document.documentElement.classList.contains('plain'));

async function expectAccessible(page: Page, name: string): Promise<void> {
  await screenshot(page, `plain-${name}`);
  expect(await seriousViolations(page), `${name}: axe serious/critical`).toEqual([]);
  expect(await smallTargets(page), `${name}: touch targets under 48 px`).toEqual([]);
}

describe('plain-language, large-button mode on a phone', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let mediator: Person;
  const people: Person[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
  }, 240_000);

  afterAll(async () => {
    await closeAll([mediator, ...people]);
    await browser?.close();
    await server?.close();
  });

  it('join page: on for a party, one big action in the thumb zone, spoken on request, switchable and remembered', async () => {
    const { page } = await newActor(browser, phoneOptions, observeSpeech);
    await page.goto(fixture.invitations[0]!.link);
    await page.getByTestId('join-context').waitFor();
    await expect.poll(() => isPlain(page), poll).toBe(true);
    await expectAccessible(page, 'join');

    // The one action sits in the lower part of the screen, fully visible without scrolling.
    const enter = (await page.getByTestId('join-enter').boundingBox())!;
    expect(enter.height).toBeGreaterThanOrEqual(56);
    expect(enter.y + enter.height).toBeLessThanOrEqual(740);
    expect(enter.y).toBeGreaterThan(740 * 0.5);
    expect(await page.getByTestId('join-enter').innerText()).toContain('进入调解');
    expect(await page.getByTestId('join-case-number').isVisible()).toBe(false);

    await page.getByTestId('speak-step').click();
    await expect.poll(() => spoken(page), poll).toEqual([expect.stringContaining('陈阿海，您好。您被邀请参加调解会议')]);
    expect((await spoken(page))[0]).toContain('进入调解');

    // Switched off: the details come back; the choice survives a reload.
    await page.getByTestId('plain-mode-switch').click();
    expect(await isPlain(page)).toBe(false);
    expect(await page.getByTestId('join-case-number').isVisible()).toBe(true);
    expect(await page.getByTestId('speak-step').count()).toBe(0);
    await page.reload();
    await page.getByTestId('join-context').waitFor();
    expect(await page.getByTestId('plain-mode-switch').getAttribute('aria-pressed')).toBe('false');
    expect(await isPlain(page)).toBe(false);
    await page.context().close();
  }, 90_000);

  it('device check, identity, lobby and room: large targets, the step spoken, no serious axe violation', async ({ onTestFailed }) => {
    const fisherman = await partyToLobby(browser, fixture.invitations[0]!, {
      initScript: observeSpeech,
      atDeviceCheck: async (page) => {
        await expectAccessible(page, 'device-check');
        const next = (await page.getByTestId('device-check-continue').boundingBox())!;
        expect(next.y + next.height, 'continue button visible without scrolling').toBeLessThanOrEqual(740);
        await page.getByTestId('speak-step').click();
        await expect.poll(() => spoken(page), poll).toEqual([expect.stringContaining('屏幕下方的大按钮')]);
      },
      atIdentity: async (page) => {
        await expectAccessible(page, 'identity');
        // The invitation's name is filled in: only the four ID characters are typed.
        expect(await page.getByTestId('identity-name').inputValue()).toBe('陈阿海');
        expect(await page.getByTestId('speak-step').count()).toBe(1);
      },
    });
    people.push(fisherman);
    reportOnFailure(onTestFailed, 'plain-room', () => [fisherman, mediator]);
    expect(await isPlain(fisherman.page)).toBe(true);
    await expectAccessible(fisherman.page, 'lobby');
    await fisherman.page.getByTestId('speak-step').click();
    await expect.poll(() => spoken(fisherman.page), poll).toContainEqual(expect.stringContaining('等候室'));

    mediator = await mediatorEnters(browser, server, fixture);
    await admit(mediator.page, fisherman);
    await fisherman.page.getByTestId('room-view').waitFor();
    await expectAccessible(fisherman.page, 'room');
    await fisherman.page.getByTestId('speak-step').click();
    await expect.poll(() => spoken(fisherman.page), poll).toContainEqual(expect.stringContaining('您已进入调解会议'));
    expect(fisherman.errors).toEqual([]);
  }, 150_000);

  it('signing page: large targets and no serious axe violation', async () => {
    const world = await mediatorWorld(server, '198.51.100.77');
    const mediatorApi = api(server.app, world.cookies.mediator);
    const f = await agreementFixture(world);
    const created = await mediatorApi.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f));
    expect(created.statusCode).toBe(201);
    const agreementId = json(created).id as string;
    expect((await mediatorApi.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' })).statusCode).toBe(200);

    const { page, errors } = await newActor(browser, phoneOptions, observeSpeech);
    await page.goto(`${server.baseUrl}/j/${f.fishermanToken}/sign/${agreementId}`);
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-standing'), poll).toBe('to_sign');
    expect(await isPlain(page)).toBe(true);
    await expectAccessible(page, 'signing');
    expect(errors).toEqual([]);
    await page.context().close();
  }, 120_000);
});
