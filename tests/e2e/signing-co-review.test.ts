/**
 * Co-review during the live session, in Debian's Chromium with a real media worker: a fisherman
 * on a phone and the mediator on the desk are in the room. The agreement panel shows the case's
 * agreement as soon as the mediator drafts it, the fisherman asks for a change from the panel and
 * the mediator's panel shows who asked; a new version reaches the fisherman's open panel live,
 * with the version number and the changed lines; with the panel closed, the control says the
 * agreement changed.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { admit, closeAll, createRoomFixture, mediatorEnters, partyToLobby, type Person, poll, residentIds, type RoomFixture } from './room-support.ts';
import { askForChange, openAgreementPanel } from './steps/room-agreement.ts';

describe('co-review in the live room', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let mediator: Person & { console: string[] };
  let fisherman: Person & { console: string[] };
  let cookie: string;

  async function call(method: 'GET' | 'POST', url: string, payload?: unknown) {
    const res = await server.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }), headers: { cookie } });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json();
  }

  const draft = (parties: { id: string }[], facts: string) => ({
    templateId: 'collision_injury',
    terms: {
      partiesA: [parties[0]!.id],
      partiesB: [parties[1]!.id],
      facts,
      collisionAt: '2026-10-01T03:00:00+08:00',
      persons: [{ name: '陈阿海', outcome: 'injury', medicalFen: 12_000_000 }],
      vesselLossFen: 70_000_000,
      obligations: [{ obligorPartyId: parties[1]!.id, description: '向甲方支付赔偿款', amountFen: 82_000_000, dueDate: '2026-12-31' }],
    },
  });

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] },
      { name: '林船东', idNumber: residentIds[1] },
    ]);
    const login = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: server.mediator.username, password: server.mediator.password } });
    cookie = `hq_session=${login.cookies.find((c) => c.name === 'hq_session')!.value}`;
    for (const to of ['screening', 'mediating']) await call('POST', `/api/cases/${fixture.caseId}/transitions`, { to });
    mediator = await mediatorEnters(browser, server, fixture);
    fisherman = await partyToLobby(browser, fixture.invitations[0]!);
    await admit(mediator.page, fisherman);
  }, 240_000);

  afterAll(async () => {
    await closeAll([mediator, fisherman]);
    await browser?.close();
    await server?.close();
  });

  it('shows the agreement live, takes a change request, and brings a new version to open panels', async ({ onTestFailed }) => {
    onTestFailed(async () => {
      console.error('console', fisherman.console, mediator.console, fisherman.errors, mediator.errors);
      await screenshot(fisherman.page, 'co-review-failure-fisherman').catch(() => {});
      await screenshot(mediator.page, 'co-review-failure-mediator').catch(() => {});
    });
    const phone = fisherman.page;
    const desk = mediator.page;

    // No agreement yet: the panel says so, and shows it the moment the mediator drafts one.
    await phone.getByTestId('agreement-toggle').click();
    await expect.poll(() => phone.getByTestId('agreement-none').count(), poll).toBe(1);
    const parties = (await call('GET', `/api/cases/${fixture.caseId}`)).parties as { id: string }[];
    const created = await call('POST', `/api/cases/${fixture.caseId}/agreements`, draft(parties, '2026年10月1日凌晨，乙方货轮与甲方渔船在南麂列岛海域碰撞。'));
    const panel = phone.getByTestId('agreement-panel');
    await expect.poll(() => panel.getAttribute('data-version'), poll).toBe('1');
    expect(await phone.getByTestId('agreement-text').textContent()).toContain('乙方货轮与甲方渔船在南麂列岛海域碰撞');
    expect(await phone.getByTestId('agreement-panel-status').getAttribute('data-status')).toBe('drafting');

    // The mediator's panel (staff session) shows the same agreement.
    await openAgreementPanel(desk, 1);

    // The fisherman asks for a change; the mediator's open panel shows who asked.
    await askForChange(phone, '请写明碰撞时间是凌晨三点');
    await expect.poll(() => desk.getByTestId('agreement-comment').count(), poll).toBe(1);
    await expect.poll(() => desk.getByTestId('agreement-updated').textContent(), poll).toContain('陈阿海 请求修改（第 1 版）');

    // A new version reaches the fisherman's open panel: number, who changed it, and the changed lines.
    await call('POST', `/api/agreements/${created.id}/versions`, draft(parties, '2026年10月1日凌晨3时，乙方货轮与甲方渔船在南麂列岛海域碰撞。'));
    await expect.poll(() => panel.getAttribute('data-version'), poll).toBe('2');
    await expect.poll(() => phone.getByTestId('agreement-updated').textContent(), poll).toContain('调解员更新为第 2 版（原第 1 版）');
    await expect.poll(() => phone.getByTestId('agreement-diff').textContent(), poll).toContain('凌晨3时');
    expect(await phone.getByTestId('agreement-text').textContent()).toContain('凌晨3时');
    expect(await phone.getByTestId('agreement-panel-version').textContent()).toContain('第 2 版');
    await screenshot(phone, 'co-review-phone-updated');

    // Closed panel: the control shows that something changed.
    await phone.locator('[data-testid="agreement-panel"] button.close').click();
    await call('POST', `/api/agreements/${created.id}/comments`, { kind: 'comment', text: '已按要求修改，请各方再看一遍。' });
    await expect.poll(() => phone.getByTestId('agreement-toggle').getAttribute('data-unseen'), poll).toBe('true');
    await phone.getByTestId('agreement-toggle').click();
    await expect.poll(() => phone.getByTestId('agreement-comment').count(), poll).toBe(2);
    expect(await phone.getByTestId('agreement-toggle').getAttribute('data-unseen')).toBe('false');
    expect([...fisherman.errors, ...mediator.errors]).toEqual([]);
  }, 120_000);
});
