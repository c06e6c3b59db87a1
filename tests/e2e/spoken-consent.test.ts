/**
 * Spoken consent at signing (issue 9 point 2), end to end in Debian's Chromium: the fisherman's
 * phone records his consent from Chromium's fake microphone (a real MediaStream through a real
 * MediaRecorder), the link drops the first two uploads (route interception fails them at the
 * network level) and the page retries until the recording arrives; he signs; the lawyer signs;
 * the sealed PDF's certificate page (pdftotext) carries the recording's SHA-256; the mediator
 * plays it back from the case page and that playback is in the audit trail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, collisionDraft, signAs } from '../helpers/agreement-fixture.ts';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { api, json, type TestWorld } from '../helpers/test-app.ts';
import { desktopOptions, newActor, pdftext, phoneOptions, poll, mediatorWorld, signInThroughForm } from './steps/common.ts';
import { fillSignForm, readToTheEnd, recordConsent } from './steps/phone-signing.ts';

/** Whether the page's <audio> (by test id) has decoded enough of its recording to play. */
const playable = (page: Page, testId: string) =>
  page.evaluate((id) => {
    const audio = document.querySelector<HTMLAudioElement>(`[data-testid="${id}"]`);
    return audio !== null && audio.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && audio.error === null;
  }, testId);

describe('spoken consent at signing', () => {
  let server: E2eServer;
  let browser: Browser;
  let world: TestWorld;
  let dir: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-consent-e2e-'));
    world = await mediatorWorld(server, '198.51.100.61');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('recorded on the phone, sent through a flaky link, bound to the signature, printed on the sealed PDF and played back by the mediator', async ({ onTestFailed }) => {
    const mediator = api(server.app, world.cookies.mediator);
    const f = await agreementFixture(world);
    const agreementId = json(await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f))).id as string;
    expect((await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' })).statusCode).toBe(200);

    const fisher = await newActor(browser, phoneOptions);
    const desk = await newActor(browser, desktopOptions);
    onTestFailed(async () => {
      console.error('page errors', fisher.errors, desk.errors);
      await screenshot(fisher.page, 'consent-failure-phone').catch(() => {});
      await screenshot(desk.page, 'consent-failure-desk').catch(() => {});
    });
    // A weak link: the first two uploads never arrive; later ones go through.
    const uploads: ('dropped' | 'sent')[] = [];
    await fisher.page.route('**/consent-recordings/*', async (route) => {
      if (uploads.length < 2) {
        uploads.push('dropped');
        await route.abort('connectionreset');
      } else {
        uploads.push('sent');
        await route.continue();
      }
    });

    const page = fisher.page;
    await page.goto(`${server.baseUrl}/j/${f.fishermanToken}/sign/${agreementId}`);
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-standing'), poll).toBe('to_sign');
    await readToTheEnd(page);
    await page.getByTestId('to-sign').click();
    expect(await page.getByTestId('spoken-phrase').textContent()).toContain('我同意以上协议内容');

    // Without a recording the page will not sign (and sends nothing).
    await page.getByTestId('sign-submit').click();
    await expect.poll(() => page.getByTestId('sign-form').textContent(), poll).toContain('请先录下您的口头同意');

    // Record, listen, use: the upload is retried with backoff until it arrives.
    await recordConsent(page, { waitUploaded: false });
    const box = page.getByTestId('spoken-consent');
    await expect.poll(() => page.getByTestId('consent-uploading').getAttribute('data-attempt'), poll).toBe('2');
    expect(await page.getByTestId('consent-uploading').textContent()).toContain('正在重新发送');
    await expect.poll(() => box.getAttribute('data-state'), { timeout: 30_000, interval: 100 }).toBe('uploaded');
    expect(uploads).toEqual(['dropped', 'dropped', 'sent']);
    const sha256 = (await page.getByTestId('consent-uploaded').getAttribute('data-sha256'))!;
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    await page.getByTestId('consent-listen').click();
    await expect.poll(() => playable(page, 'consent-audio'), poll).toBe(true);
    await screenshot(page, 'consent-phone-uploaded');

    await fillSignForm(page, { method: 'id_last4', name: '陈阿海', last4: '002X' }, 'finger');
    await page.getByTestId('sign-submit').click();
    await expect.poll(() => page.getByTestId('signing-view').getAttribute('data-step'), poll).toBe('done');
    const signed = json(await mediator.get(`/api/agreements/${agreementId}`));
    const signature = signed.requiredSigners.find((r: { partyId: string }) => r.partyId === f.fishermanPartyId).signature;
    expect(signature.consentRecording.sha256).toBe(sha256);
    // What the phone recorded was decoded by the server's ffprobe: Opus audio of about the time held.
    expect(signature.consentRecording.durationMs).toBeGreaterThan(1_000);
    expect(signature.consentRecording.durationMs).toBeLessThan(10_000);

    // The lawyer signs too; the sealed PDF's certificate page carries the recording's hash.
    expect((await signAs(world, f, agreementId, 'agent')).statusCode).toBe(200);
    await server.app.sealer.idle();
    const sealed = json(await mediator.get(`/api/agreements/${agreementId}`));
    expect(sealed.status).toBe('sealed');
    const pdf = await server.app.inject({ method: 'GET', url: sealed.sealedDocument.url });
    const file = path.join(dir, 'sealed.pdf');
    fs.writeFileSync(file, pdf.rawPayload);
    const text = await pdftext(file);
    const certificate = text.slice(text.indexOf('签署证明页'));
    expect(certificate).toContain('口头同意录音SHA-256');
    expect(certificate).toContain(sha256);

    // The mediator plays it back from the case page; the playback is a custody event.
    await signInThroughForm(desk.page, server.baseUrl, server.mediator, `/cases/${f.caseId}`);
    // (The case's only agreement is shown open.)
    const row = desk.page.locator(`[data-testid="agreement-signer"][data-party-id="${f.fishermanPartyId}"]`);
    await expect.poll(() => row.getByTestId('consent-playback').getAttribute('data-sha256'), poll).toBe(sha256);
    await row.getByTestId('consent-play').click();
    await expect.poll(() => playable(desk.page, 'consent-player'), poll).toBe(true);
    await screenshot(desk.page, 'consent-desk-playback');
    const played = json(await mediator.get(`/api/cases/${f.caseId}/audit`)).items.filter((e: { type: string }) => e.type === 'signature.consent_played');
    expect(played).toHaveLength(1);
    expect(played[0].data).toEqual({ agreementId, signatureId: signature.id, sha256 });
    expect([...fisher.errors, ...desk.errors]).toEqual([]);
  }, 240_000);
});
