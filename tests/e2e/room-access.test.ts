/**
 * Who cannot get in, in the browser: a party the mediator refuses from the lobby sees a clear
 * page and cannot come back through the same link; a revoked link shows the revoked page,
 * whether it was revoked before it was opened or while the join page stood open.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { closeAll, createRoomFixture, mediatorEnters, newPerson, partyToLobby, peerIdIn, type Person, poll, reportOnFailure, residentIds, type RoomFixture } from './room-support.ts';

describe('refused and revoked invitations in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let mediator: Person;
  const others: Person[] = [];
  /** What the join page says for a revoked link (the room's page must say the same). */
  let revokedBody = '';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] },
      { name: '林船东', idNumber: residentIds[1] },
      { name: '王渔民', idNumber: residentIds[2] },
    ]);
    mediator = await mediatorEnters(browser, server, fixture);
    mediator.page.on('dialog', (dialog) => void dialog.accept());
  }, 240_000);

  afterAll(async () => {
    await closeAll([mediator, ...others]);
    await browser?.close();
    await server?.close();
  });

  /** Revokes a link through the API as the mediator's desk would. */
  async function revoke(invitationId: string): Promise<void> {
    const res = await mediator.page.request.post(`${server.baseUrl}/api/invitations/${invitationId}/revoke`);
    expect(res.status()).toBe(200);
  }

  const lobbyNames = () => mediator.page.getByTestId('host-lobby-list').innerText();
  const roomNames = () => mediator.page.getByTestId('host-room-list').innerText();

  async function bodyHasNoLeaks(page: Page): Promise<void> {
    const text = await page.locator('body').innerText();
    for (const leak of ['INVITATION_REVOKED', 'FORBIDDEN', '"error"', 'withdrawn', 'may no longer']) expect(text).not.toContain(leak);
  }

  it('a party refused from the lobby sees a clear page and cannot come back in with the same link', async ({ onTestFailed }) => {
    const fisherman = await partyToLobby(browser, fixture.invitations[0]!);
    others.push(fisherman);
    reportOnFailure(onTestFailed, 'room-access-refused', () => [fisherman, mediator]);
    const peerId = await peerIdIn(mediator.page, 'host-lobby-list', fisherman.name);
    await mediator.page.getByTestId(`host-refuse-${peerId}`).click();

    const ended = fisherman.page.getByTestId('room-ended');
    await ended.waitFor();
    expect(await ended.getAttribute('data-reason')).toBe('refused');
    expect(await ended.locator('h1').innerText()).toContain('调解员没有准许您进入本次会议');
    await expect.poll(lobbyNames, poll).not.toContain(fisherman.name);
    await screenshot(fisherman.page, 'room-access-refused');

    // Opening the link again (a reload, or the SMS once more) does not get them back in.
    const again = await fisherman.context.newPage();
    await again.goto(fixture.invitations[0]!.link);
    await again.getByTestId('join-enter').click();
    const refusedAgain = again.getByTestId('room-ended');
    await refusedAgain.waitFor();
    expect(await refusedAgain.getAttribute('data-reason')).toBe('refused');
    await bodyHasNoLeaks(again);
    expect(await again.getByTestId('device-check').count()).toBe(0);
    expect(await lobbyNames()).not.toContain(fisherman.name);
    expect(await roomNames()).not.toContain(fisherman.name);
    expect(fisherman.errors).toEqual([]);
  }, 90_000);

  it('a link revoked before it is opened shows the revoked page (its code sent compressed)', async () => {
    await revoke(fixture.invitations[1]!.invitationId);
    const owner = await newPerson(browser, fixture.invitations[1]!.name, 'phone');
    others.push(owner);
    const scripts: Promise<{ url: string; encoding: string | undefined; bytes: number }>[] = [];
    owner.page.on('response', (r) => {
      if (new URL(r.url()).pathname.endsWith('.js')) scripts.push(r.body().then((body) => ({ url: r.url(), encoding: r.headers()['content-encoding'], bytes: body.length })));
    });
    await owner.page.goto(fixture.invitations[1]!.link);
    const failure = owner.page.getByTestId('join-error');
    await failure.waitFor();
    expect(await failure.getAttribute('data-reason')).toBe('revoked');
    expect(await failure.locator('h1').innerText()).toBe('邀请已撤销');
    revokedBody = (await failure.locator('.failure-body').innerText()).trim();
    expect(revokedBody).toContain('请联系');
    expect(await owner.page.getByTestId('join-enter').count()).toBe(0);
    await bodyHasNoLeaks(owner.page);
    // A phone on a weak link downloads the brotli copies the build made, not the plain files
    // (the build leaves files under 1 KB as they are: compressing them saves next to nothing).
    const downloaded = await Promise.all(scripts);
    expect(downloaded.filter((s) => s.bytes >= 1024).length).toBeGreaterThan(0);
    for (const script of downloaded) expect(script, script.url).toMatchObject(script.bytes >= 1024 ? { encoding: 'br' } : {});
    expect(owner.errors).toEqual([]);
  }, 60_000);

  it('a link revoked while its page stands open cannot enter: the revoked page again', async ({ onTestFailed }) => {
    const third = await newPerson(browser, fixture.invitations[2]!.name, 'phone');
    others.push(third);
    reportOnFailure(onTestFailed, 'room-access-revoked-open', () => [third, mediator]);
    await third.page.goto(fixture.invitations[2]!.link);
    await third.page.getByTestId('join-context').waitFor();
    await revoke(fixture.invitations[2]!.invitationId);
    await third.page.getByTestId('join-enter').click();
    const ended = third.page.getByTestId('room-ended');
    await ended.waitFor();
    expect(await ended.getAttribute('data-reason')).toBe('revoked');
    expect(await ended.locator('h1').innerText()).toBe('邀请已撤销');
    // The same words as the join page's own revoked page.
    expect(await ended.innerText()).toContain(revokedBody);
    await bodyHasNoLeaks(third.page);
    expect(await third.page.getByTestId('device-check').count()).toBe(0);
    expect(await mediator.page.getByTestId('host-panel').innerText()).not.toContain(third.name);
    await screenshot(third.page, 'room-access-revoked-open');
    expect(third.errors).toEqual([]);
  }, 60_000);
});
