/**
 * The court desk end to end, in Debian's Chromium against the real server and database. Set up
 * through the API: a sealed collision agreement filed for confirmation with the Ningbo Maritime
 * Court (via its Wenzhou tribunal), and a second one past its acceptance deadline. In the
 * browser: the clerk (on a 360×740 phone) sees both with their deadlines, accepts the first and
 * refuses the overdue one with a reason; the judge starts the review (a stale second tab gets a
 * clear 409), extends the period once, schedules a short hearing, gives the fisherman his link
 * to it from the desk (opened on his own phone: the hearing's join page) and revokes it again (the
 * link then shows the revoked page), and confirms with a reason; the ruling appears (and the desk
 * switches to English).
 * Both PDFs are downloaded from the browser and checked with pdfsig and pdftotext. Then the
 * public verify page, reached from the login page with no login: the sealed PDF is authentic, a
 * copy with one byte flipped is not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmations } from '../../server/db/schema/index.ts';
import { sealedAgreement, signaturePngBase64 } from '../helpers/agreement-fixture.ts';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json, login } from '../helpers/test-app.ts';
import { acceptDialogs, answerTo, beijingInput, desktopOptions, downloadFrom, expectStatus, pdfsig, pdftext, phoneOptions, poll, signInThroughForm, mediatorWorld } from './steps/common.ts';
import { clerkAccepts, type CourtAccount, createNingboCourt, judgeConfirms, judgeStartsReview, openFromQueue } from './steps/court.ts';

const decisionReason = '经审查，双方当事人系自愿达成调解协议，协议内容不违反法律强制性规定。';

/** Court staff sign in through the login form and land on the court desk. */
const signIn = (page: Page, baseUrl: string, account: CourtAccount) => signInThroughForm(page, baseUrl, account, '/', '/court');

/** Whether the page scrolls sideways (it must not on a phone). */
const overflowsSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);

describe('court desk in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let phone: BrowserContext;
  let desktop: BrowserContext;
  let visitor: BrowserContext;
  let dir: string;
  let confirmationId: string;
  /** A second application whose acceptance period ended yesterday. */
  let overdueId: string;
  let caseNumber: string;
  let judgeCookie: string;
  let clerk: CourtAccount;
  let judge: CourtAccount;
  const downloads: { sealed?: string; ruling?: string } = {};

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-court-e2e-'));
    const db = server.database.db;
    // The case goes to the Wenzhou tribunal; the Ningbo court's staff cover its tribunals.
    ({ clerk, judge } = await createNingboCourt(server));
    const world = await mediatorWorld(server, '198.51.100.31');
    const { mediatorCookie } = world;
    judgeCookie = await login(server.app, judge.username, judge.password, '198.51.100.32');
    const { agreement } = await sealedAgreement(world);
    caseNumber = agreement.caseNumber;
    // One piece of evidence on the case, for the court to open.
    const evidence = new FormData();
    evidence.append('description', '渔船受损照片');
    evidence.append('file', new Blob([Buffer.from(signaturePngBase64(3), 'base64')], { type: 'image/png' }), '渔船受损照片.png');
    const uploaded = await server.app.inject({ method: 'POST', url: `/api/cases/${agreement.caseId}/evidence`, payload: evidence, headers: { cookie: mediatorCookie } });
    if (uploaded.statusCode !== 201) throw new Error(`evidence: ${uploaded.body}`);
    const filed = await api(server.app, mediatorCookie).post(`/api/agreements/${agreement.id}/confirmation`, {});
    if (filed.statusCode !== 201) throw new Error(`filing: ${filed.body}`);
    confirmationId = json(filed).id;

    // A second application, left unaccepted past its deadline (the end of yesterday, Beijing time).
    const late = await sealedAgreement(world);
    const lateFiled = await api(server.app, mediatorCookie).post(`/api/agreements/${late.agreement.id}/confirmation`, {});
    if (lateFiled.statusCode !== 201) throw new Error(`filing: ${lateFiled.body}`);
    overdueId = json(lateFiled).id;
    const day = 86_400_000;
    const startOfTodayBeijing = Math.floor((Date.now() + 8 * 3_600_000) / day) * day - 8 * 3_600_000;
    await db.update(confirmations).set({ acceptBy: new Date(startOfTodayBeijing - 1) }).where(eq(confirmations.id, overdueId));

    phone = await browser.newContext(phoneOptions);
    desktop = await browser.newContext(desktopOptions);
    visitor = await browser.newContext({ locale: 'zh-CN', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    for (const context of [phone, desktop, visitor]) context.setDefaultTimeout(15_000);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the clerk sees the applications with their deadlines on a phone, accepts one and refuses the overdue one', async ({ onTestFailed }) => {
    const page = await phone.newPage();
    const errors = collectPageErrors(page);
    onTestFailed(async () => void (await screenshot(page, 'court-desk-clerk-failure').catch(() => {})));

    await signIn(page, server.baseUrl, clerk);
    await expect.poll(() => page.getByTestId('current-user').textContent(), poll).toContain(clerk.displayName);
    const row = page.locator(`[data-testid="queue-row"][data-confirmation-id="${confirmationId}"]`);
    await row.waitFor();
    expect((await row.getByTestId('queue-case-number').textContent())!.trim()).toBe(caseNumber);
    const rowText = await row.innerText();
    expect(rowText).toContain('货轮碰撞渔船致人受伤');
    expect(rowText).toContain('陈阿海');
    expect(rowText).toContain('福鼎远洋运输有限公司');
    expect(await row.getByTestId('confirmation-status').getAttribute('data-status')).toBe('filed');
    // Accept within 3 days (a deadline on a weekend moves to Monday): running now, at least 3 days left.
    const acceptBy = row.getByTestId('deadline-accept');
    expect(['running', 'near']).toContain(await acceptBy.getAttribute('data-tone'));
    const daysLeft = Number(await acceptBy.getAttribute('data-days-left'));
    expect(daysLeft).toBeGreaterThanOrEqual(3);
    expect(daysLeft).toBeLessThanOrEqual(5);
    expect(await acceptBy.innerText()).toMatch(new RegExp(`受理期限.*\\d{4}年\\d{1,2}月\\d{1,2}日.*剩 ${daysLeft} 天`, 's'));
    expect(await row.getByTestId('deadline-rule').innerText()).toContain('受理后起算');
    // The overdue one comes first, flagged.
    const first = page.getByTestId('queue-row').first();
    expect(await first.getAttribute('data-confirmation-id')).toBe(overdueId);
    expect(await first.locator('a').getAttribute('data-urgency')).toBe('overdue');
    expect(await first.getByTestId('deadline-accept').getAttribute('data-tone')).toBe('overdue');
    expect(await first.getByTestId('deadline-accept').innerText()).toContain('已逾期 1 天');
    expect(await row.locator('a').getAttribute('data-urgency')).toBe(daysLeft <= 1 ? 'near' : 'running');
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'court-desk-queue-phone');

    await openFromQueue(page, confirmationId);
    expect((await page.getByTestId('confirmation-case-number').textContent())!.trim()).toBe(caseNumber);
    // The clerk may accept or refuse, not rule.
    expect(await page.getByTestId('decide-form').count()).toBe(0);
    expect(await page.getByTestId('start-review').count()).toBe(0);
    await expect.poll(() => page.getByTestId('signature-row').count(), poll).toBe(2);
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'court-desk-detail-phone');

    await clerkAccepts(page);
    // The ruling period now runs: 15 days from acceptance, shown as a date with the days left.
    const ruleBy = page.getByTestId('confirmation-head').getByTestId('deadline-rule');
    expect(await ruleBy.getAttribute('data-tone')).toBe('running');
    expect(Number(await ruleBy.getAttribute('data-days-left'))).toBeGreaterThanOrEqual(15);
    expect(await page.getByTestId('confirmation-head').getByTestId('deadline-accept').getAttribute('data-tone')).toBe('done');
    expect(await page.getByTestId('accept').count()).toBe(0);

    // The overdue one is refused, with a reason (after a confirmation prompt).
    const dialogs = acceptDialogs(page);
    await page.goto(`${server.baseUrl}/court/confirmations/${overdueId}`);
    await page.getByTestId('not-accept-open').click();
    await page.getByTestId('not-accept-submit').click();
    await expect.poll(() => page.getByTestId('not-accept-form').locator('.field-error').count(), poll).toBe(1);
    await page.getByTestId('not-accept-reason').fill('申请已超过受理期限，且未提交调解组织出具的材料。');
    await expectStatus(await answerTo(page, 'POST', /\/not-accept$/, () => page.getByTestId('not-accept-submit').click()), 200);
    expect(dialogs).toEqual(['确定不予受理吗？此决定无法撤回。']);
    await expect.poll(() => page.getByTestId('confirmation-status').getAttribute('data-status'), poll).toBe('not_accepted');
    expect(await page.getByTestId('confirmation-reason').textContent()).toContain('申请已超过受理期限');
    expect(await page.getByTestId('confirmation-head').getByTestId('deadline-rule').innerText()).toContain('不适用');

    await page.getByTestId('logout').click();
    await page.waitForURL((url) => url.pathname === '/login');
    expect(errors).toEqual([]);
  });

  it('the judge starts the review, schedules a hearing and confirms; both PDFs verify', async ({ onTestFailed }) => {
    const page = await desktop.newPage();
    const errors = collectPageErrors(page);
    onTestFailed(async () => void (await screenshot(page, 'court-desk-judge-failure').catch(() => {})));
    const dialogs = acceptDialogs(page);

    await signIn(page, server.baseUrl, judge);
    const row = page.locator(`[data-testid="queue-row"][data-confirmation-id="${confirmationId}"]`);
    await row.waitFor();
    expect(await row.getByTestId('confirmation-status').getAttribute('data-status')).toBe('accepted');
    await openFromQueue(page, confirmationId);

    // A second tab left open on the same application, to act on a stale state later.
    const stale = await desktop.newPage();
    const staleErrors = collectPageErrors(stale);
    await stale.goto(`${server.baseUrl}/court/confirmations/${confirmationId}`);
    await stale.getByTestId('start-review').waitFor();

    // The signed agreement, its digest, and the evidence of each signature.
    const text = await page.getByTestId('agreement-text').innerText();
    expect(text).toContain('人民币捌拾陆万元整');
    const versionHash = (await page.getByTestId('agreement-sha256').textContent())!.trim();
    expect(versionHash).toMatch(/^[0-9a-f]{64}$/);
    const signatures = page.getByTestId('signature-row');
    await expect.poll(() => signatures.count(), poll).toBe(2);
    const fisherman = signatures.filter({ hasText: '陈阿海' }).first();
    expect(await fisherman.getByTestId('signature-method').textContent()).toContain('身份证号后四位');
    expect(await fisherman.getByTestId('signature-hash-match').getAttribute('data-match')).toBe('true');
    const company = signatures.filter({ hasText: '福鼎远洋运输有限公司' }).first();
    expect(await company.getByTestId('signature-signer').textContent()).toContain('李律师');
    expect(await company.getByTestId('signature-method').textContent()).toContain('一次性验证码');
    // The handwritten signature images load (same-origin, with the judge's session).
    await expect
      .poll(() => page.getByTestId('signature-image').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)), poll)
      .toEqual([true, true]);
    expect(await page.getByTestId('case-section').innerText()).toContain('浙苍渔01234');
    const evidenceRow = page.getByTestId('evidence-section').getByTestId('evidence-row');
    await evidenceRow.waitFor();
    expect(await evidenceRow.innerText()).toContain('渔船受损照片.png');
    const evidenceUrl = (await evidenceRow.getByTestId('evidence-open').getAttribute('href'))!;
    const opened = await page.request.get(new URL(evidenceUrl, server.baseUrl).toString());
    expect(opened.status()).toBe(200);
    expect(opened.headers()['content-type']).toBe('image/png');

    // In-page verification of the sealed PDF.
    await page.getByTestId('sealed-pdf-verify').click();
    const inPage = page.getByTestId('agreement-section').getByTestId('verify-result');
    await inPage.waitFor();
    expect(await inPage.getAttribute('data-authentic')).toBe('true');
    expect((await inPage.getByTestId('verify-case-number').textContent())!.trim()).toBe(caseNumber);

    await judgeStartsReview(page);

    // The stale tab still offers "start review": the server answers 409 and the page says why, then catches up.
    await expectStatus(await answerTo(stale, 'POST', /\/review$/, () => stale.getByTestId('start-review').click()), 409);
    const refusal = stale.getByTestId('court-actions').locator('.form-message.error');
    await expect.poll(() => refusal.textContent(), poll).toContain('无法执行：申请当前为“审查中”');
    await expect.poll(() => stale.getByTestId('confirmation-status').getAttribute('data-status'), poll).toBe('under_review');
    await stale.close();
    expect(staleErrors).toEqual([]);

    // The review period is extended once, for cause: ten more days.
    const ruleBy = page.getByTestId('confirmation-head').getByTestId('deadline-rule');
    const before = Number(await ruleBy.getAttribute('data-days-left'));
    await page.getByTestId('extend-open').click();
    await page.getByTestId('extend-reason').fill('需通知当事人补充船舶损失鉴定材料。');
    await expectStatus(await answerTo(page, 'POST', /\/extend$/, () => page.getByTestId('extend-submit').click()), 200);
    await expect.poll(async () => Number(await ruleBy.getAttribute('data-days-left')), poll).toBeGreaterThanOrEqual(before + 10);
    expect(await ruleBy.innerText()).toContain('已延长');
    expect(await page.getByTestId('extend-open').count()).toBe(0);

    // A short video hearing in the room system, entered from here.
    await page.getByTestId('hearing-open').click();
    await page.getByTestId('hearing-at').fill(beijingInput(1, '10:00'));
    await page.getByTestId('hearing-minutes').fill('20');
    await expectStatus(await answerTo(page, 'POST', /\/hearing$/, () => page.getByTestId('hearing-submit').click()), 200);
    const enter = page.getByTestId('hearing-enter');
    await enter.waitFor();
    expect(await enter.getAttribute('href')).toMatch(/^\/sessions\/[0-9a-f-]{36}\/room$/);
    expect(await page.getByTestId('hearing-when').textContent()).toContain('10:00');
    const hearingId = /^\/sessions\/([0-9a-f-]{36})\/room$/.exec((await enter.getAttribute('href'))!)![1]!;

    // The judge brings the parties in: the case's party and the other side's lawyer, each with a button.
    const invitations = page.getByTestId('hearing-invitations');
    const inviteButtons = invitations.getByTestId('issue-invitation');
    await expect.poll(() => inviteButtons.count(), poll).toBe(2);
    const invitees = await invitations.locator('li').filter({ has: page.getByTestId('issue-invitation') }).allInnerTexts();
    expect(invitees).toEqual([expect.stringMatching(/陈阿海\s*·\s*当事人/), expect.stringMatching(/李律师\s*·\s*代理人/)]);
    const issuedResponse = await answerTo(page, 'POST', new RegExp(`^/api/sessions/${hearingId}/invitations$`), () =>
      invitations.locator('li', { hasText: '陈阿海' }).getByTestId('issue-invitation').click(),
    );
    await expectStatus(issuedResponse, 201);
    const issued = (await issuedResponse.json()) as { invitation: { id: string }; link: string; smsText: string };
    // Shown this once: the link, its QR code and the SMS text, each ready to copy.
    const panel = invitations.getByTestId('issued-invitation');
    await expect.poll(() => panel.getByTestId('invitation-link').textContent(), poll).toBe(issued.link);
    expect(issued.link).toMatch(new RegExp(`^${server.baseUrl}/j/[A-Za-z0-9_-]{43}$`));
    expect(await panel.getByTestId('invitation-qr').locator('svg').count()).toBe(1);
    const sms = (await panel.getByTestId('invitation-sms').textContent())!;
    expect(sms).toContain('陈阿海');
    expect(sms).toContain(caseNumber);
    expect(sms).toContain('在线询问');
    expect(sms).toContain(issued.link);
    await desktop.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await panel.getByTestId('copy-invitation-link').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), poll).toBe(issued.link);
    const invitationRow = invitations.locator(`[data-testid="invitation-row"][data-invitation-id="${issued.invitation.id}"]`);
    await invitationRow.waitFor();
    expect(await invitationRow.getAttribute('data-state')).toBe('active');
    await screenshot(page, 'court-desk-hearing-invitation-desktop');
    await panel.getByTestId('issued-done').click();
    await expect.poll(() => panel.count(), poll).toBe(0);

    // On the fisherman's own phone (no login), the link opens his page for this hearing.
    const fishermanPhone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    try {
      const phonePage = await fishermanPhone.newPage();
      const phoneErrors = collectPageErrors(phonePage);
      await phonePage.goto(issued.link);
      const joinContext = phonePage.getByTestId('join-context');
      await joinContext.waitFor();
      expect((await joinContext.getByTestId('join-participant-name').textContent())!.trim()).toBe('陈阿海');
      expect((await joinContext.getByTestId('join-participant-role').textContent())!.trim()).toBe('当事人');
      expect((await joinContext.getByTestId('join-session-title').textContent())!.trim()).toBe('司法确认询问');
      expect(await joinContext.getByTestId('join-session-time').textContent()).toContain('10:00');
      expect((await joinContext.getByTestId('join-case-number').textContent())!.trim()).toBe(caseNumber);

      // Revoked from the desk (after a confirmation prompt), the same link shows the revoked page.
      await expectStatus(
        await answerTo(page, 'POST', new RegExp(`^/api/invitations/${issued.invitation.id}/revoke$`), () => invitationRow.getByTestId('revoke-invitation').click()),
        200,
      );
      await expect.poll(() => invitationRow.getAttribute('data-state'), poll).toBe('revoked');
      expect(await invitationRow.getByTestId('revoke-invitation').count()).toBe(0);
      expect(dialogs).toHaveLength(1);
      expect(dialogs[0]).toContain('陈阿海');
      dialogs.length = 0;
      const resolved = await answerTo(phonePage, 'POST', /^\/api\/join\/resolve$/, () => phonePage.goto(issued.link));
      expect(resolved.status()).toBe(410);
      const failure = phonePage.getByTestId('join-error');
      await failure.waitFor();
      expect(await failure.getAttribute('data-reason')).toBe('revoked');
      expect((await failure.locator('h1').textContent())!.trim()).toBe('邀请已撤销');
      expect(await phonePage.getByTestId('join-context').count()).toBe(0);
      await screenshot(phonePage, 'court-desk-hearing-revoked-phone');
      expect(phoneErrors).toEqual([]);
    } finally {
      await fishermanPhone.close();
    }

    // A ruling needs a decision and reasons: refused on the form before any request.
    await page.getByTestId('decide-submit').click();
    const decideForm = page.getByTestId('decide-form');
    await expect.poll(() => decideForm.locator('.field-error').count(), poll).toBe(2);
    expect(dialogs).toEqual([]);

    await screenshot(page, 'court-desk-review-desktop');
    const rulingNumber = await judgeConfirms(page, decisionReason);
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toContain('确认调解协议有效');
    expect(await page.getByTestId('court-actions').innerText()).toContain('本申请已办结');
    await screenshot(page, 'court-desk-confirmed-desktop');

    // Both PDFs, downloaded through the browser, verify with poppler.
    // (downloadFrom refuses a file that is not a PDF.)
    downloads.sealed = await downloadFrom(page, page.getByTestId('sealed-pdf-download'), dir, 'agreement.pdf');
    downloads.ruling = await downloadFrom(page, page.getByTestId('ruling-pdf-download'), dir, 'ruling.pdf');
    for (const file of [downloads.sealed, downloads.ruling]) expect(await pdfsig(file)).toContain('Signature is Valid');
    const sealedText = await pdftext(downloads.sealed);
    expect(sealedText).toContain(caseNumber);
    expect(sealedText).toContain(versionHash);
    const rulingText = await pdftext(downloads.ruling);
    expect(rulingText).toContain('民事裁定书');
    expect(rulingText).toContain(rulingNumber);
    expect(rulingText).toContain(caseNumber);
    expect(rulingText).toContain(decisionReason.replace(/\s+/g, ''));
    expect(rulingText).toContain('调解协议有效');

    // The queue's "confirmed" filter lists it with its ruling number.
    await page.goto(`${server.baseUrl}/court?status=confirmed`);
    const done = page.locator(`[data-testid="queue-row"][data-confirmation-id="${confirmationId}"]`);
    await done.waitFor();
    expect(await done.innerText()).toContain(rulingNumber);
    expect(await page.getByTestId('queue-status-filter').inputValue()).toBe('confirmed');
    await page.getByTestId('queue-status-filter').selectOption('open');
    await expect.poll(() => new URL(page.url()).search, poll).toBe('');
    const open = page.getByTestId('queue-row');
    await page.getByTestId('queue-empty').waitFor();
    expect(await open.count()).toBe(0);

    // English through the language switch.
    await page.getByTestId('language-switch').click();
    await expect.poll(() => page.locator('h1').textContent(), poll).toBe('Confirmation applications');
    await page.getByTestId('queue-status-filter').selectOption('confirmed');
    await done.waitFor();
    expect(await done.getByTestId('confirmation-status').textContent()).toBe('Confirmed');
    expect(await done.getByTestId('deadline-rule').innerText()).toContain('done');
    await page.getByTestId('language-switch').click();

    // The same through the API, as a cross-check of what the page showed.
    const after = json(await api(server.app, judgeCookie).get(`/api/confirmations/${confirmationId}`));
    expect(after).toMatchObject({ status: 'confirmed', rulingNumber, reason: decisionReason });
    expect(errors).toEqual([]);
  });

  it('anyone can verify a PDF without logging in: the sealed one is authentic, a flipped byte is not', async ({ onTestFailed }) => {
    const page = await visitor.newPage();
    const errors = collectPageErrors(page);
    onTestFailed(async () => void (await screenshot(page, 'court-desk-verify-failure').catch(() => {})));
    expect(downloads.sealed && downloads.ruling, 'the PDFs downloaded by the previous test').toBeTruthy();
    expect(await visitor.cookies()).toEqual([]);

    // From the login page: no account needed.
    await page.goto(`${server.baseUrl}/`);
    await page.waitForURL((url) => url.pathname === '/login');
    const verifyLink = page.getByTestId('login-verify');
    expect((await verifyLink.textContent())!).toContain('核验文书');
    await verifyLink.click();
    await page.getByTestId('verify-form').waitFor();
    expect(new URL(page.url()).pathname).toBe('/verify'); // not sent back to the login page
    expect(await page.getByTestId('current-user').count()).toBe(0);

    const check = async (file: { name: string; buffer: Buffer }) => {
      await page.getByTestId('verify-file').setInputFiles({ name: file.name, mimeType: 'application/pdf', buffer: file.buffer });
      await expectStatus(await answerTo(page, 'POST', /^\/api\/documents\/verify$/, () => page.getByTestId('verify-submit').click()), 200);
      const result = page.getByTestId('verify-result');
      await result.waitFor();
      return result;
    };

    const original = fs.readFileSync(downloads.sealed!);
    const authentic = await check({ name: '调解协议书.pdf', buffer: original });
    expect(await authentic.getAttribute('data-authentic')).toBe('true');
    expect(await authentic.getByTestId('verify-verdict').textContent()).toContain('真实有效');
    expect((await authentic.getByTestId('verify-case-number').textContent())!.trim()).toBe(caseNumber);
    expect((await authentic.getByTestId('verify-kind').textContent())!.trim()).toBe('调解协议书');
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'court-desk-verify-authentic-phone');

    const ruling = await check({ name: '民事裁定书.pdf', buffer: fs.readFileSync(downloads.ruling!) });
    expect(await ruling.getAttribute('data-authentic')).toBe('true');
    expect((await ruling.getByTestId('verify-kind').textContent())!.trim()).toBe('民事裁定书');

    const tampered = Buffer.from(original);
    const flipAt = Math.floor(tampered.length / 3);
    tampered[flipAt] = tampered[flipAt]! ^ 0x01;
    const tamperedFile = path.join(dir, 'tampered.pdf');
    fs.writeFileSync(tamperedFile, tampered);
    expect(await pdfsig(tamperedFile)).not.toContain('Signature is Valid');
    const refused = await check({ name: '调解协议书-改.pdf', buffer: tampered });
    expect(await refused.getAttribute('data-authentic')).toBe('false');
    expect(await refused.getByTestId('verify-verdict').textContent()).toContain('未通过核验');
    expect(await refused.locator('[data-check="result.check.intact"]').getAttribute('data-ok')).toBe('false');
    await screenshot(page, 'court-desk-verify-tampered-phone');

    // The page follows the language switch.
    await page.getByTestId('language-switch').click();
    await expect.poll(() => page.getByTestId('verify-verdict').textContent(), poll).toContain('Not verified');
    expect(errors).toEqual([]);
  });
});
