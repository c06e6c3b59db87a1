/**
 * The mediator's agreement desk end to end, in Debian's Chromium against the real server and
 * database. A collision case in mediation is set up through the API; in the browser the mediator
 * uploads evidence, drafts the agreement from the collision template (the schema's field errors
 * show at the fields, the live preview shows the amounts in 大写), saves version 1, edits and saves
 * version 2, compares them, sends the agreement for signing and issues a signing code for the
 * company's lawyer. Then the parties sign (through the API, with that code and with the ID digits),
 * the page follows the sealing, the mediator files for judicial confirmation, sees the overdue
 * instalment on the desk and records the fulfilment until the case closes.
 */
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signaturePngBase64 } from '../helpers/agreement-fixture.ts';
import { uploadConsent } from '../helpers/consent-audio.ts';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json, login } from '../helpers/test-app.ts';
import { signaturePng } from '../server/documents/fixtures.ts';
import { fileForConfirmation, fillCollisionDraft, issueSigningCode, saveFirstVersion, saveNextVersion, sendForSigning, startCollisionDraft, waitUntilSealed } from './steps/agreement-desk.ts';
import { beijingDate, setUpCollisionCase, type CollisionCase } from './steps/collision-case.ts';
import { acceptDialogs, answerTo, desktopOptions, expectStatus, newActor, phoneOptions, poll, signInThroughForm } from './steps/common.ts';

/** Nothing on the page is wider than the viewport (no sideways scrolling on a phone). */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

describe('agreement drafting in a browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let setup: CollisionCase;
  let desk: Page;
  let errors: string[];
  let agreementId = '';
  let agentCode = '';

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    setup = await setUpCollisionCase(server, { otherParty: true });
    ({ page: desk, errors } = await newActor(browser, desktopOptions));
    acceptDialogs(desk);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('uploads evidence, drafts from the collision template with field errors and a 大写 preview, saves two versions, diffs them, sends for signing and issues a code', async ({ onTestFailed }) => {
    onTestFailed(async () => {
      await screenshot(desk, 'agreement-drafting-failure').catch(() => {});
    });
    await signInThroughForm(desk, server.baseUrl, server.mediator, `/cases/${setup.caseId}`);
    await desk.getByTestId('case-title').waitFor();

    // --- Evidence: a text file is refused at the field; a photo is uploaded with its SHA-256.
    const evidence = desk.getByTestId('evidence-section');
    await evidence.getByTestId('evidence-upload').click();
    const upload = evidence.getByTestId('evidence-upload-form');
    await upload.getByTestId('evidence-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('不是照片') });
    await upload.getByTestId('evidence-upload-submit').click();
    await expect.poll(() => upload.getByTestId('evidence-file-error').textContent(), poll).toBe('请上传照片（JPEG、PNG、WebP）或 PDF 文件');
    expect(await upload.getByTestId('evidence-file').getAttribute('aria-invalid')).toBe('true');
    const photo = Buffer.from(signaturePng(7, 320, 200));
    const photoHash = createHash('sha256').update(photo).digest('hex');
    await upload.getByTestId('evidence-file').setInputFiles({ name: '渔船受损照片.png', mimeType: 'image/png', buffer: photo });
    await upload.getByTestId('evidence-description').fill('碰撞后船艏照片');
    await expectStatus(await answerTo(desk, 'POST', /\/evidence$/, () => upload.getByTestId('evidence-upload-submit').click()), 201);
    const evidenceRow = evidence.getByTestId('evidence-row').filter({ hasText: '渔船受损照片.png' });
    await evidenceRow.waitFor();
    expect(await evidenceRow.getByTestId('evidence-hash').getAttribute('title')).toBe(photoHash);
    expect(await evidenceRow.innerText()).toContain('林调解员');
    const evidenceId = (await evidenceRow.getAttribute('data-evidence-id'))!;
    // The mediator decides who sees it.
    expect(await evidenceRow.getByTestId('evidence-shared-with').inputValue()).toBe('all');
    const shared = await answerTo(desk, 'PATCH', /^\/api\/evidence\/[^/]+$/, () => evidenceRow.getByTestId('evidence-shared-with').selectOption(setup.fishermanPartyId));
    await expectStatus(shared, 200);
    expect(((await shared.json()) as { sharedWith: string }).sharedWith).toBe(setup.fishermanPartyId);
    expect(await evidenceRow.getByTestId('evidence-shared-with').locator('option:checked').textContent()).toBe('仅陈阿海一方');

    // --- Draft from the collision template.
    const section = desk.getByTestId('agreements-section');
    const editor = await startCollisionDraft(desk);
    // The case's parties, vessel, facts and incident time are filled in already.
    expect(await editor.locator(`[data-testid="agreement-side"][data-party-id="${setup.fishermanPartyId}"]`).inputValue()).toBe('A');
    expect(await editor.locator(`[data-testid="agreement-side"][data-party-id="${setup.companyPartyId}"]`).inputValue()).toBe('B');
    expect(await editor.getByTestId('agreement-facts').inputValue()).toBe('夜间作业时被货轮碰撞，渔船倾覆，一人受伤。');
    expect(await editor.getByTestId('agreement-collision-at').inputValue()).toBe(`${beijingDate(-20)}T03:00`);

    // --- The shared schema's errors show at the fields before anything is sent.
    await editor.getByTestId('agreement-facts').fill('');
    const obligations = editor.getByTestId('agreement-obligation');
    await obligations.nth(0).getByTestId('agreement-obligation-amount').fill('五十万');
    let previews = 0;
    desk.on('request', (r) => {
      if (r.url().includes('/agreements/preview')) previews++;
    });
    await editor.getByTestId('agreement-save').click();
    await expect.poll(() => editor.locator('#ag-facts-error').textContent(), poll).toBe('必填');
    expect(await editor.getByTestId('agreement-facts').getAttribute('aria-invalid')).toBe('true');
    const firstObligation = obligations.nth(0);
    const fieldError = (testid: string) => firstObligation.locator(`.field:has([data-testid="${testid}"]) .field-error`);
    expect(await fieldError('agreement-obligation-amount').textContent()).toBe('请输入金额，最多两位小数');
    expect(await fieldError('agreement-obligation-description').textContent()).toBe('必填');
    expect(await fieldError('agreement-obligation-due').textContent()).toBe('必填');
    expect(await editor.locator('.form-message.error').first().textContent()).toBe('请检查标红的项目');
    expect(previews).toBe(0); // nothing is sent while the form is not valid

    // --- Fill it in properly: the injured fisherman, the vessel loss, two instalments, the lawyer may sign.
    await fillCollisionDraft(editor, {
      facts: '乙方所属货轮在南麂列岛海域与甲方渔船发生碰撞，致甲方渔船倾覆、甲方受伤。',
      signingAgentParticipantId: setup.agentParticipantId,
      injured: { name: '陈阿海', medical: '120,000', lostIncome: '40000' },
      vesselLoss: '700000',
      obligations: [
        // Due yesterday: it will show as overdue once the agreement is in force.
        { description: '向甲方支付第一期赔偿款', amount: '500000', due: beijingDate(-1) },
        { description: '向甲方支付第二期赔偿款', amount: '360000', due: beijingDate(60) },
      ],
    });
    // An added instalment is owed by the other side by default.
    expect(await obligations.nth(1).getByTestId('agreement-obligation-obligor').inputValue()).toBe(setup.companyPartyId);
    await editor.getByTestId(`agreement-evidence-${evidenceId}`).check();
    expect(await editor.getByTestId('agreement-obligations-total').textContent()).toBe('合计 ¥860,000.00');
    // Once errors show, every change checks again: fixed fields lose their message.
    await expect.poll(() => editor.locator('.field-error').count(), poll).toBe(0);
    expect(await editor.locator('.form-message.error').count()).toBe(0);

    // --- Only the server knows that 张律师's party is not in the agreement: its 400 names the field,
    // and the message lands at that agent's row (in the preview too, while it is live).
    const otherAgentSelector = `[data-testid="agreement-agent-include"][data-participant-id="${setup.otherAgentParticipantId!}"]`;
    const otherAgent = editor.locator(otherAgentSelector);
    await otherAgent.check();
    const agentError = '该代理人并非所代理当事人的代理人，或该当事人未列入协议';
    await expect.poll(() => editor.getByTestId('agreement-preview').innerText(), poll).toContain(agentError);
    const refused = await answerTo(desk, 'POST', /^\/api\/cases\/[^/]+\/agreements$/, () => editor.getByTestId('agreement-save').click());
    expect(refused.status()).toBe(400);
    expect(((await refused.json()) as { error: { field: string } }).error.field).toBe('terms.agents.1.forPartyId');
    const otherAgentRow = editor.locator('.agent', { has: desk.locator(otherAgentSelector) });
    await expect.poll(() => otherAgentRow.locator('.field-error').textContent(), poll).toBe(agentError);
    expect(await editor.locator('.field-error').count()).toBe(1);
    await otherAgent.uncheck();
    await expect.poll(() => editor.locator('.field-error').count(), poll).toBe(0);

    // --- The live preview renders on the server, amounts in capital numerals.
    const preview = editor.getByTestId('agreement-preview-text');
    await expect.poll(() => preview.textContent(), poll).toContain('人民币500,000.00元（大写：人民币伍拾万元整）');
    const previewText = (await preview.textContent())!;
    expect(previewText).toContain('以上款项合计人民币860,000.00元（大写：人民币捌拾陆万元整）');
    expect(previewText).toContain('医疗费人民币120,000.00元（大写：人民币壹拾贰万元整）');
    expect(previewText).toContain('福鼎远洋运输有限公司的委托代理人：李律师（经授权代为签署本协议）');
    expect(previewText).toContain(photoHash);

    // --- Save: version 1, immutable, with its SHA-256.
    const v1 = await saveFirstVersion(desk, editor);
    agreementId = v1.id;
    const panel = section.getByTestId('agreement-panel');
    expect(await panel.getByTestId('agreement-hash').textContent()).toBe(v1.currentVersion.sha256);
    expect(v1.currentVersion.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await panel.getByTestId('agreement-status').getAttribute('data-status')).toBe('drafting');
    expect(await panel.getByTestId('agreement-text').textContent()).toBe(v1.currentVersion.text);

    // --- Edit into version 2: the instalments change, the total stays.
    await panel.getByTestId('agreement-edit').click();
    const edit = panel.getByTestId('agreement-editor');
    expect(await edit.getByTestId('agreement-facts').inputValue()).toContain('南麂列岛');
    const editObligations = edit.getByTestId('agreement-obligation');
    expect(await editObligations.nth(0).getByTestId('agreement-obligation-amount').inputValue()).toBe('500000');
    await editObligations.nth(0).getByTestId('agreement-obligation-amount').fill('550000');
    await editObligations.nth(1).getByTestId('agreement-obligation-amount').fill('310000');
    await expect.poll(() => edit.getByTestId('agreement-preview-text').textContent(), poll).toContain('人民币550,000.00元（大写：人民币伍拾伍万元整）');
    const v2 = await saveNextVersion(desk, edit);
    expect(v2.currentVersion.number).toBe(2);
    expect(await panel.getByTestId('agreement-hash').textContent()).toBe(v2.currentVersion.sha256);
    expect(v2.currentVersion.sha256).not.toBe(v1.currentVersion.sha256);
    const versions = panel.getByTestId('agreement-version');
    expect(await versions.count()).toBe(2);
    expect(await panel.locator('[data-testid="agreement-version"][data-version="1"] [data-testid="agreement-version-hash"]').getAttribute('title')).toBe(v1.currentVersion.sha256);

    // --- Diff between 1 and 2: the changed instalments, highlighted as removed and added lines.
    await panel.getByTestId('agreement-diff-from').selectOption('1');
    await panel.getByTestId('agreement-diff-to').selectOption('2');
    await expectStatus(await answerTo(desk, 'GET', /\/diff$/, () => panel.getByTestId('agreement-diff-submit').click()), 200);
    const diff = panel.getByTestId('agreement-diff');
    await diff.waitFor();
    const removed = (await diff.locator('[data-kind="removed"]').allTextContents()).join('\n');
    const added = (await diff.locator('[data-kind="added"]').allTextContents()).join('\n');
    expect(removed).toContain('人民币伍拾万元整');
    expect(removed).toContain('人民币叁拾陆万元整');
    expect(added).toContain('人民币伍拾伍万元整');
    expect(added).toContain('人民币叁拾壹万元整');
    expect(added).not.toContain('案号');
    expect(await diff.locator('[data-kind="removed"]').first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(253, 236, 234)');
    expect(await diff.locator('[data-kind="added"]').first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(227, 244, 234)');

    // --- Send for signing: both parties must sign; the lawyer signs for the company with a one-time code.
    await sendForSigning(desk);
    const signers = panel.getByTestId('agreement-signer');
    expect(await signers.count()).toBe(2);
    const companySigner = panel.locator(`[data-testid="agreement-signer"][data-party-id="${setup.companyPartyId}"]`);
    expect(await companySigner.getByTestId('agreement-signer-status').getAttribute('data-status')).toBe('pending');
    const lawyer = companySigner.locator(`[data-testid="agreement-eligible"][data-participant-id="${setup.agentParticipantId}"]`);
    expect(await lawyer.innerText()).toContain('需要一次性验证码');
    agentCode = await issueSigningCode(desk, setup.companyPartyId, setup.agentParticipantId);
    await screenshot(desk, 'agreement-drafting-desktop');

    // --- The same page on a 360×740 phone: nothing sticks out sideways, the editor included.
    const { context: phoneContext, page: phone, errors: phoneErrors } = await newActor(browser, phoneOptions);
    try {
      await signInThroughForm(phone, server.baseUrl, server.mediator, `/cases/${setup.caseId}`);
      const phonePanel = phone.getByTestId('agreement-panel');
      await expect.poll(() => phonePanel.getByTestId('agreement-status').getAttribute('data-status'), poll).toBe('signing');
      await phone.getByTestId('evidence-row').first().waitFor();
      expect(await horizontalOverflow(phone)).toBeLessThanOrEqual(0);
      await screenshot(phone, 'agreement-drafting-360');
      await phonePanel.getByTestId('agreement-edit').click();
      await phonePanel.getByTestId('agreement-editor').waitFor();
      await expect.poll(() => phonePanel.getByTestId('agreement-preview-text').textContent(), poll).toContain('大写');
      expect(await horizontalOverflow(phone)).toBeLessThanOrEqual(0);
      await screenshot(phone, 'agreement-editor-360');
      await phonePanel.getByTestId('agreement-cancel').click();
      expect(phoneErrors).toEqual([]);
    } finally {
      await phoneContext.close();
    }

    expect(errors).toEqual([]);
  }, 120_000);

  it('follows signing and sealing, files for judicial confirmation, flags the overdue instalment and closes the case when all is fulfilled', async ({ onTestFailed }) => {
    expect(agreementId, 'the drafting test ran first').not.toBe('');
    onTestFailed(async () => {
      await screenshot(desk, 'agreement-follow-up-failure').catch(() => {});
    });
    const cookie = await login(server.app, server.mediator.username, server.mediator.password);
    const current = json(await api(server.app, cookie).get(`/api/agreements/${agreementId}`)).currentVersion;
    const sign = async (token: string, identity: object, seed: number) =>
      server.app.inject({
        method: 'POST',
        url: `/api/agreements/${agreementId}/sign`,
        headers: { authorization: `Invitation ${token}`, 'user-agent': 'haiqiao-e2e' },
        payload: { versionId: current.id, versionHash: current.sha256, consent: true, identity, signaturePng: signaturePngBase64(seed), consentRecordingSha256: await uploadConsent(server.app, token, agreementId) },
      });

    // The lawyer signs with the code the page showed; the page shows it on reload.
    const byLawyer = await sign(setup.agentToken, { method: 'one_time_code', code: agentCode }, 2);
    expect(byLawyer.statusCode, byLawyer.body).toBe(200);
    const panel = desk.getByTestId('agreement-panel');
    await panel.getByTestId('agreement-reload').click();
    const companySigner = panel.locator(`[data-testid="agreement-signer"][data-party-id="${setup.companyPartyId}"]`);
    await expect.poll(() => companySigner.getByTestId('agreement-signer-status').getAttribute('data-status'), poll).toBe('signed');
    const companyText = await companySigner.innerText();
    expect(companyText).toContain('签署人：李律师');
    expect(companyText).toContain('身份核验：一次性验证码');

    // The fisherman signs with his name and ID digits: everyone has signed, the page follows the sealing.
    const byFisherman = await sign(setup.fishermanToken, { method: 'id_last4', name: '陈阿海', last4: '002X' }, 1);
    expect(byFisherman.statusCode, byFisherman.body).toBe(200);
    await waitUntilSealed(desk);
    const pdfLink = panel.getByTestId('agreement-sealed-pdf');
    const pdf = await desk.request.get(new URL((await pdfLink.getAttribute('href'))!, server.baseUrl).toString());
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    await expect.poll(() => desk.getByTestId('case-number').locator('xpath=../..').locator('[data-status]').first().getAttribute('data-status'), poll).toBe('following_up');

    // Judicial confirmation: 30 days from taking effect, shown; filed with the competent court.
    expect(await panel.getByTestId('agreement-apply-by').innerText()).toMatch(/还剩 \d+ 天/);
    await fileForConfirmation(desk);
    const confirmation = panel.getByTestId('agreement-confirmation');
    const confirmationText = await confirmation.innerText();
    expect(confirmationText).toContain('宁波海事法院');
    expect(confirmationText).toMatch(/法院决定是否受理的期限[\s\S]*（(还剩 \d+ 天|今天截止)）/);
    expect(await panel.getByTestId('agreement-file-confirmation').count()).toBe(0);

    // Follow-up: the first instalment is overdue here and on the desk's home page.
    const followUp = desk.getByTestId('follow-up-section');
    await followUp.waitFor();
    const rows = followUp.getByTestId('obligation-row');
    await expect.poll(() => rows.count(), poll).toBe(2);
    expect(await rows.nth(0).getByTestId('obligation-status').getAttribute('data-status')).toBe('overdue');
    expect(await rows.nth(1).getByTestId('obligation-status').getAttribute('data-status')).toBe('pending');
    expect(await followUp.getByTestId('follow-up-overdue-count').textContent()).toBe('1 项逾期');

    await desk.getByRole('link', { name: '返回案件列表' }).click();
    const overduePanel = desk.getByTestId('overdue-panel');
    await overduePanel.waitFor();
    expect(await overduePanel.getByTestId('overdue-count').textContent()).toBe('1');
    expect(await overduePanel.getByTestId('overdue-item').innerText()).toContain('向甲方支付第一期赔偿款');
    await expect.poll(() => desk.locator(`[data-testid="case-row"][data-case-id="${setup.caseId}"] [data-testid="case-row-overdue"]`).textContent(), poll).toBe('1 项逾期');
    await screenshot(desk, 'agreement-overdue-desk');
    await overduePanel.getByTestId('overdue-link').click();
    await desk.waitForURL((url) => url.pathname === `/cases/${setup.caseId}`);

    // Recording both fulfilments closes the case (the server does it; the page shows it).
    for (const [i, note] of [[0, '已转账 55 万元'], [1, '已转账 31 万元']] as const) {
      const row = desk.getByTestId('obligation-row').nth(i);
      await row.getByTestId('obligation-fulfil').click();
      await row.getByTestId('obligation-note').fill(note);
      await expectStatus(await answerTo(desk, 'POST', /\/fulfil$/, () => row.getByTestId('obligation-fulfil-submit').click()), 200);
      await expect.poll(() => row.getByTestId('obligation-status').getAttribute('data-status'), poll).toBe('fulfilled');
      expect(await row.innerText()).toContain(note);
    }
    await expect.poll(() => desk.getByTestId('follow-up-all-done').textContent(), poll).toBe('全部义务已履行完毕，案件已结案。');
    await expect.poll(() => desk.getByTestId('case-number').locator('xpath=../..').locator('[data-status]').first().getAttribute('data-status'), poll).toBe('closed');
    await screenshot(desk, 'agreement-follow-up-closed');

    // The same page in English, through the switch in the top bar.
    await desk.getByTestId('language-switch').click();
    await expect.poll(() => desk.locator('#agreements-heading').textContent(), poll).toBe('Mediation agreements');
    expect(await desk.getByTestId('follow-up-all-done').textContent()).toBe('Every obligation has been fulfilled; the case is closed.');
    expect(await desk.getByTestId('agreement-status').textContent()).toBe('In force');
    await desk.getByTestId('language-switch').click();
    await expect.poll(() => desk.locator('#agreements-heading').textContent(), poll).toBe('调解协议');

    expect(errors).toEqual([]);
  }, 120_000);
});
