/**
 * Participants sign on their phones, end to end in Debian's Chromium against the real server
 * and database. Set up through the API: a collision case in mediation with a fisherman (ID on
 * file) and the shipping company's lawyer, authorised to sign, and the agreement sent for
 * signature. In the browser (360×740, touch): the fisherman opens his invitation link, reads the
 * agreement clause by clause (read aloud), is refused with a wrong last-4 (nothing signed), signs
 * with a finger; the lawyer, in another context, signs with the mediator's one-time code and a
 * mouse; the platform seals the agreement, the sealed PDF link appears on the fisherman's page
 * and the download verifies with pdfsig. Then a version that changes while someone reads, a
 * reasoned refusal, a link revoked mid-signing, and evidence and an appraisal report uploaded
 * from the phone.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, collisionDraft, signaturePngBase64, type AgreementFixture } from '../helpers/agreement-fixture.ts';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json, type TestWorld } from '../helpers/test-app.ts';
import { downloadFrom, newActor, pdfsig, phoneOptions, poll, mediatorWorld } from './steps/common.ts';
import { drawWithFinger, fillSignForm, readToTheEnd, recordConsent, signOnPhone } from './steps/phone-signing.ts';

/** A speech engine with one Mandarin voice that records what it was asked to say. */
const fakeChineseSpeech = () => {
  const spoken: { text: string; lang: string; voice: string | null }[] = [];
  const voice = { lang: 'zh-CN', name: 'Fake Mandarin', localService: true, default: true, voiceURI: 'fake-zh' };
  class Utterance {
    text: string;
    lang = '';
    voice: unknown = null;
    rate = 1;
    onstart: (() => void) | null = null;
    onend: (() => void) | null = null;
    onerror: ((e: { error: string }) => void) | null = null;
    constructor(text: string) {
      this.text = text;
    }
  }
  const synth = {
    getVoices: () => [voice],
    speak(u: Utterance) {
      spoken.push({ text: u.text, lang: u.lang, voice: (u.voice as { name?: string } | null)?.name ?? null });
      setTimeout(() => u.onstart?.(), 20);
      setTimeout(() => u.onend?.(), 600);
    },
    cancel() {},
    addEventListener() {},
    removeEventListener() {},
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
  Object.defineProperty(window, 'SpeechSynthesisUtterance', { value: Utterance, configurable: true });
  Object.defineProperty(window, '__spoken', { value: spoken, configurable: true });
};

/** A speech engine with English voices only (what many phones sold abroad have). */
const englishOnlySpeech = () => {
  const synth = { getVoices: () => [{ lang: 'en-US', name: 'Fake English', localService: true, default: true }], speak() {}, cancel() {}, addEventListener() {}, removeEventListener() {} };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
};

/** Whether the page scrolls sideways (it must not on a phone). */
const overflowsSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);

describe('signing on a phone', () => {
  let server: E2eServer;
  let browser: Browser;
  let world: TestWorld;
  let mediator: ReturnType<typeof api>;
  let dir: string;

  const phone = (init?: () => void): Promise<{ page: Page; errors: string[] }> => newActor(browser, phoneOptions, init);

  /** A case with an agreement out for signature. */
  async function agreementInSigning(): Promise<{ f: AgreementFixture; agreementId: string }> {
    const f = await agreementFixture(world);
    const created = await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f));
    if (created.statusCode !== 201) throw new Error(`agreement: ${created.body}`);
    const agreementId = json(created).id as string;
    const toSigning = await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' });
    if (toSigning.statusCode !== 200) throw new Error(`signing: ${toSigning.body}`);
    return { f, agreementId };
  }

  const agreementNow = async (id: string) => json(await mediator.get(`/api/agreements/${id}`));

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-signing-e2e-'));
    world = await mediatorWorld(server, '198.51.100.41');
    mediator = api(server.app, world.cookies.mediator);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a party signs with a finger, the lawyer with a one-time code, and the sealed PDF downloads and verifies', async ({ onTestFailed }) => {
    const { f, agreementId } = await agreementInSigning();
    const fisher = await phone(fakeChineseSpeech);
    const lawyer = await phone(englishOnlySpeech);
    onTestFailed(async () => {
      await screenshot(fisher.page, 'signing-failure-fisherman').catch(() => {});
      await screenshot(lawyer.page, 'signing-failure-lawyer').catch(() => {});
    });
    const signCalls: number[] = [];
    fisher.page.on('response', (r) => {
      if (r.request().method() === 'POST' && /\/api\/agreements\/[^/]+\/sign$/.test(new URL(r.url()).pathname)) signCalls.push(r.status());
    });

    // --- The fisherman opens his link: the agreement waits for his signature.
    const page = fisher.page;
    await page.goto(`${server.baseUrl}/j/${f.fishermanToken}`);
    const card = page.getByTestId('join-agreement');
    await expect.poll(() => card.getAttribute('data-standing'), poll).toBe('to_sign');
    expect(await card.textContent()).toContain('等待您签署');
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'signing-phone-join');
    await page.getByTestId('join-sign').click();
    await page.waitForURL((url) => url.pathname === `/j/${f.fishermanToken}/sign/${agreementId}`);
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-standing'), poll).toBe('to_sign');
    expect(await page.getByTestId('signing-title').textContent()).toContain('船舶碰撞人身损害赔偿调解协议书');

    // --- One clause at a time, large text; the first read aloud in a Chinese voice.
    const first = page.getByTestId('clause');
    expect(await first.textContent()).toContain('陈阿海');
    const fontSize = await first.locator('p').first().evaluate((p) => parseFloat(getComputedStyle(p).fontSize));
    expect(fontSize).toBeGreaterThanOrEqual(20);
    await page.getByTestId('read-aloud').click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { __spoken: { text: string; lang: string; voice: string }[] }).__spoken), poll).toEqual([
      expect.objectContaining({ lang: 'zh-CN', voice: 'Fake Mandarin', text: expect.stringContaining('陈阿海') }),
    ]);
    await expect.poll(() => page.getByTestId('read-aloud').getAttribute('aria-pressed'), poll).toBe('false'); // finished
    const total = await readToTheEnd(page);
    expect(await page.getByTestId('clause').textContent()).toContain('生效');
    // Back and forth keeps the place.
    await page.getByTestId('clause-previous').click();
    await expect.poll(() => page.getByTestId('clause-progress').getAttribute('data-index'), poll).toBe(String(total - 1));
    await page.getByTestId('clause-next').click();
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'signing-phone-clause');

    // --- Identity, consent, signature. An empty form is refused in the page, with no request.
    await page.getByTestId('to-sign').click();
    const form = page.getByTestId('sign-form');
    expect(await form.getAttribute('data-method')).toBe('id_last4');
    expect(await page.getByTestId('consent-text').textContent()).toBe('本人已完整阅读本协议全部内容，确认系自愿签署，同意本协议对本人具有约束力，并同意各方共同申请司法确认。');
    await page.getByTestId('sign-submit').click();
    await expect.poll(() => form.textContent(), poll).toContain('请先在框内手写签名');
    expect(await form.textContent()).toContain('请勾选，确认您同意签署');
    expect(signCalls).toEqual([]);

    // A wrong last-4: the server refuses, the page says so, and nothing is signed.
    await fillSignForm(page, { method: 'id_last4', name: '陈阿海', last4: '1234' }, 'finger');
    await page.getByTestId('sign-submit').click();
    const error = page.getByTestId('sign-error');
    await expect.poll(() => error.getAttribute('data-kind'), poll).toBe('identity');
    expect(await error.textContent()).toContain('与登记信息不符（第 1 次未通过）');
    expect(signCalls).toEqual([403]);
    expect((await agreementNow(agreementId)).requiredSigners.map((s: { signature: unknown }) => s.signature)).toEqual([null, null]);
    await screenshot(page, 'signing-phone-refused');

    // The right digits: signed, with the pad kept from before.
    await page.getByTestId('sign-last4').fill('002x');
    await page.getByTestId('sign-submit').click();
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-step'), poll).toBe('done');
    expect(signCalls).toEqual([403, 200]);
    expect(await page.getByTestId('signed-confirmation').textContent()).toContain('您已签署');
    await expect.poll(() => page.getByTestId('signer').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), poll).toEqual(['signed', 'pending']);
    expect(await page.getByTestId('waiting-others').isVisible()).toBe(true);
    const afterFisher = await agreementNow(agreementId);
    expect(afterFisher.requiredSigners[0].signature).toMatchObject({ status: 'signed', signerName: '陈阿海', identityMethod: 'id_last4', versionHash: afterFisher.currentVersion.sha256 });
    await screenshot(page, 'signing-phone-signed');

    // --- The lawyer signs for the company with the code the mediator reads out, drawing with a mouse.
    const other = lawyer.page;
    await other.goto(`${server.baseUrl}/j/${f.agentToken}`);
    await expect.poll(() => other.getByTestId('join-agreement').textContent(), poll).toContain('代 福鼎远洋运输有限公司 签署');
    await other.getByTestId('join-sign').click();
    await expect.poll(() => other.getByTestId('clause').count(), poll).toBe(1);
    // This phone has no Chinese voice: a clear message instead of silence.
    await other.getByTestId('read-aloud').click();
    await expect.poll(() => other.getByTestId('read-aloud-problem').getAttribute('data-problem'), poll).toBe('no_chinese_voice');
    expect(await other.getByTestId('read-aloud-problem').textContent()).toContain('没有中文朗读语音');
    const { code } = json(await mediator.post(`/api/agreements/${agreementId}/signing-codes`, { participantId: f.agentParticipantId }));
    await signOnPhone(other, { method: 'one_time_code', code }, 'mouse');
    const afterLawyer = await agreementNow(agreementId);
    expect(afterLawyer.requiredSigners[1].signature).toMatchObject({ status: 'signed', signerName: '李律师', identityMethod: 'one_time_code' });

    // --- The platform seals it; the fisherman's page (left open) offers the sealed PDF.
    await expect.poll(() => page.getByTestId('sealed-pdf-link').count(), { timeout: 30_000, interval: 250 }).toBe(1);
    await expect.poll(() => page.getByTestId('signer').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status'))), poll).toEqual(['signed', 'signed']);
    expect(await page.getByTestId('signing-notice').getAttribute('data-key')).toBe('notice.sealedNow');
    const file = await downloadFrom(page, page.getByTestId('sealed-pdf-link'), dir, 'sealed.pdf');
    const bytes = fs.readFileSync(file);
    const sealed = await agreementNow(agreementId);
    expect(sealed.status).toBe('sealed');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sealed.sealedDocument.sha256);
    expect(await pdfsig(file)).toContain('Signature is Valid');
    await screenshot(page, 'signing-phone-sealed');

    // Back on the invitation page, the card says so too.
    await page.getByTestId('signing-back').click();
    await expect.poll(() => page.getByTestId('join-agreement').textContent(), poll).toContain('盖章生效');
    // Opening it again goes straight to where it stands: signed, nothing more to sign.
    await page.getByTestId('join-open-agreement').click();
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-step'), poll).toBe('done');
    expect(await page.getByTestId('signing-view').getAttribute('data-standing')).toBe('signed');
    expect(await page.getByTestId('sealed-pdf-link').count()).toBe(1);
    expect([...fisher.errors, ...lawyer.errors]).toEqual([]);
  }, 180_000);

  it('a version that changes while reading is re-read; a refusal is recorded with its reason; a revoked link stops signing', async ({ onTestFailed }) => {
    const { f, agreementId } = await agreementInSigning();
    const fisher = await phone();
    const lawyer = await phone();
    onTestFailed(async () => {
      console.error('page errors', fisher.errors, lawyer.errors);
      await screenshot(fisher.page, 'signing-failure-decline').catch(() => {});
      await screenshot(lawyer.page, 'signing-failure-revoked').catch(() => {});
    });
    const page = fisher.page;
    await page.goto(`${server.baseUrl}/j/${f.fishermanToken}/sign/${agreementId}`);
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-standing'), poll).toBe('to_sign');
    await readToTheEnd(page);
    await page.getByTestId('to-sign').click();
    await fillSignForm(page, { method: 'id_last4', name: '陈阿海', last4: '002X' }, 'finger');

    // Meanwhile the mediator changes the text and sends version 2 out again.
    const revised = await mediator.post(`/api/agreements/${agreementId}/versions`, collisionDraft(f, { facts: '2026年10月1日凌晨，乙方所属货轮在南麂列岛海域与甲方渔船发生碰撞，致甲方渔船倾覆、甲方受伤（经双方核对修改）。' }));
    expect(revised.statusCode).toBe(200);
    expect((await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' })).statusCode).toBe(200);

    // Signing the old version is refused (409): the page reloads it, says so, and starts over.
    // (Its periodic re-read may notice first; either way the old version is not signed.)
    await page.getByTestId('sign-submit').click({ timeout: 2_000 }).catch(() => {});
    await expect.poll(() => page.getByTestId('signing-notice').getAttribute('data-key'), poll).toBe('notice.versionChanged');
    expect(await page.getByTestId('signing-notice').textContent()).toContain('第 2 版');
    expect(await page.getByTestId('signing-view').getAttribute('data-step')).toBe('read');
    expect(await page.getByTestId('signing-version').getAttribute('data-version')).toBe('2');
    expect(await page.getByTestId('clause-progress').getAttribute('data-index')).toBe('1');
    expect((await agreementNow(agreementId)).requiredSigners[0].signature).toBeNull();

    // Read again, then decline with a reason.
    await readToTheEnd(page);
    await page.getByTestId('to-decline').click();
    await page.getByTestId('decline-submit').click();
    await expect.poll(() => page.getByTestId('decline-form').textContent(), poll).toContain('请写下理由');
    const reason = '赔偿金额不足以弥补渔船损失，希望再协商。';
    await page.getByTestId('decline-reason').fill(reason);
    await page.getByTestId('decline-submit').click();
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-step'), poll).toBe('done');
    expect(await page.getByTestId('declined-confirmation').textContent()).toContain(reason);
    const declined = (await agreementNow(agreementId)).requiredSigners[0].signature;
    expect(declined).toMatchObject({ status: 'declined', declineReason: reason, signerName: '陈阿海' });

    // --- The lawyer is reading when the mediator revokes his link: signing stops with a clear page.
    const other = lawyer.page;
    await other.goto(`${server.baseUrl}/j/${f.agentToken}/sign/${agreementId}`);
    await expect.poll(() => other.getByTestId('signing-view').getAttribute('data-standing'), poll).toBe('to_sign');
    await readToTheEnd(other);
    await other.getByTestId('to-sign').click();
    await recordConsent(other); // before the link is revoked
    const sessionId = json(await mediator.get(`/api/cases/${f.caseId}/sessions`)).items[0].id as string;
    const invitation = json(await mediator.get(`/api/sessions/${sessionId}/invitations`)).items.find((i: { participantId: string }) => i.participantId === f.agentParticipantId);
    expect((await mediator.post(`/api/invitations/${invitation.id}/revoke`, {})).statusCode).toBe(200);
    await fillSignForm(other, { method: 'one_time_code', code: '123456' }, 'mouse');
    await other.getByTestId('sign-submit').click();
    await expect.poll(() => other.getByTestId('signing-invitation-problem').getAttribute('data-reason'), poll).toBe('revoked');
    expect(await other.getByTestId('signing-invitation-problem').textContent()).toContain('邀请链接已撤销');
    expect((await agreementNow(agreementId)).requiredSigners[1].signature).toBeNull();
    // Opening the link again shows the join page's own "revoked" page.
    await other.reload();
    await expect.poll(() => other.getByTestId('join-error').getAttribute('data-reason'), poll).toBe('revoked');
    expect([...fisher.errors, ...lawyer.errors]).toEqual([]);
  }, 180_000);

  it('a party uploads a photo from the phone, and an appraiser files a signed report', async ({ onTestFailed }) => {
    const f = await agreementFixture(world);
    const sessionId = json(await mediator.get(`/api/cases/${f.caseId}/sessions`)).items[0].id as string;
    const appraiser = json(await mediator.post(`/api/cases/${f.caseId}/participants`, { role: 'appraiser', displayName: '郑鉴定师' }));
    const appraiserLink = json(await mediator.post(`/api/sessions/${sessionId}/invitations`, { participantId: appraiser.id, expiresInHours: 72 })).link as string;
    const fisher = await phone();
    const expert = await phone();
    onTestFailed(async () => {
      console.error('page errors', fisher.errors, expert.errors);
      await screenshot(fisher.page, 'signing-failure-evidence').catch(() => {});
      await screenshot(expert.page, 'signing-failure-appraisal').catch(() => {});
    });

    const page = fisher.page;
    await page.goto(`${server.baseUrl}/j/${f.fishermanToken}`);
    await page.getByTestId('join-open-evidence').click();
    await page.waitForURL((url) => url.pathname === `/j/${f.fishermanToken}/evidence`);
    await expect.poll(() => page.getByTestId('evidence-empty').count(), poll).toBe(1);
    // The camera button is a capture input for images; the other accepts photos and PDFs.
    expect(await page.getByTestId('evidence-camera').getAttribute('capture')).toBe('environment');
    expect(await page.getByTestId('evidence-file').getAttribute('accept')).toBe('image/*,application/pdf');
    const photo = Buffer.from(signaturePngBase64(5), 'base64');
    await page.getByTestId('evidence-camera').setInputFiles({ name: '船体破损.png', mimeType: 'image/png', buffer: photo });
    await expect.poll(() => page.getByTestId('evidence-chosen').textContent(), poll).toContain('船体破损.png');
    await page.getByTestId('evidence-description').fill('左舷破损处');
    await page.getByTestId('evidence-submit').click();
    const item = page.getByTestId('evidence-item');
    await expect.poll(() => item.count(), poll).toBe(1);
    expect(await item.getByTestId('evidence-sha256').textContent()).toBe(`SHA-256 ${createHash('sha256').update(photo).digest('hex')}`);
    expect(await item.textContent()).toContain('陈阿海 上传于');
    // A file of the wrong kind is refused before any upload.
    await page.getByTestId('evidence-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect.poll(() => page.getByTestId('evidence-problem').count(), poll).toBe(1);
    expect(await overflowsSideways(page)).toBe(false);
    await screenshot(page, 'signing-phone-evidence');

    // --- The appraiser: report + statement + handwritten signature.
    const other = expert.page;
    await other.goto(appraiserLink.replace(/^https?:\/\/[^/]+/, server.baseUrl));
    await other.getByTestId('join-open-evidence').click();
    await expect.poll(() => other.getByTestId('appraisal-form').count(), poll).toBe(1);
    expect(await other.getByTestId('appraisal-statement').textContent()).toBe('本人保证所出具的鉴定意见客观、公正、真实，如有虚假愿承担法律责任。');
    const report = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
    await other.getByTestId('appraisal-file').setInputFiles({ name: '鉴定报告.pdf', mimeType: 'application/pdf', buffer: report });
    // Without the statement and signature nothing is sent.
    await other.getByTestId('appraisal-submit').click();
    await expect.poll(() => other.getByTestId('appraisal-form').textContent(), poll).toContain('请勾选，确认您作出以上声明');
    await other.getByTestId('appraisal-consent').check();
    await drawWithFinger(other, 'appraisal-signature');
    await other.getByTestId('appraisal-submit').click();
    const filed = other.locator('[data-testid="evidence-item"][data-kind="appraisal_report"]');
    await expect.poll(() => filed.count(), poll).toBe(1);
    expect(await filed.getByTestId('evidence-sha256').textContent()).toBe(`SHA-256 ${createHash('sha256').update(report).digest('hex')}`);
    // The appraiser also sees the fisherman's photo? Only what is shared with them: the photo is the fisherman's side.
    const listed = json(await mediator.get(`/api/cases/${f.caseId}/evidence`)).items as { kind: string; uploadedBy: { name: string } }[];
    expect(listed.map((e) => [e.kind, e.uploadedBy.name]).sort()).toEqual([
      ['appraisal_report', '郑鉴定师'],
      ['evidence', '陈阿海'],
    ]);
    await screenshot(other, 'signing-phone-appraisal');
    expect([...fisher.errors, ...expert.errors]).toEqual([]);
  }, 120_000);
});
