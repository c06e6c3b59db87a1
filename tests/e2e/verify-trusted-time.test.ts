/**
 * The public /verify page in Chromium, for a seal with trusted time: it names the organisation
 * that sealed (marked as a test certificate on a first start) and shows the TSA's time and name,
 * and that the TSA is in the trust list. The TSA is real (openssl ts behind HTTP); the PDF is
 * the one the app sealed.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTsaTrustList } from '../../server/documents/tsa-trust.ts';
import { createTimestamper } from '../../server/security/timestamp-authority.ts';
import { sealedAgreement } from '../helpers/agreement-fixture.ts';
import { collectPageErrors, type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { mediatorWorld } from './steps/common.ts';
import { startTestTsa, type TestTsa } from '../helpers/tsa.ts';

describe('/verify shows who sealed and when (trusted time)', () => {
  let server: E2eServer;
  let browser: Browser;
  let tsa: TestTsa;
  let pdf: Buffer;

  beforeAll(async () => {
    tsa = await startTestTsa();
    [server, browser] = await Promise.all([startE2eServer({ timestamper: createTimestamper({ url: tsa.url }), tsaTrust: parseTsaTrustList(tsa.caPem) }), launchChromium()]);
    const { agreement } = await sealedAgreement(await mediatorWorld(server, '198.51.100.41'));
    pdf = (await server.app.inject({ method: 'GET', url: agreement.sealedDocument.url })).rawPayload;
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await tsa?.close();
  });

  it('authentic, sealed by the center (test certificate), with the TSA time', async () => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 } });
    const page: Page = await context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.baseUrl}/verify`);
    await page.getByTestId('verify-file').setInputFiles({ name: '调解协议书.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByTestId('verify-submit').click();
    const result = page.getByTestId('verify-result');
    await result.waitFor();
    expect(await result.getAttribute('data-authentic')).toBe('true');
    expect((await result.getByTestId('verify-sealed-by').textContent())!).toContain(server.centerName);
    expect((await result.getByTestId('verify-test-certificate').textContent())!.trim()).toBe('测试证书');
    const stamp = (await result.getByTestId('verify-timestamp').textContent())!;
    expect(stamp).toContain('Haiqiao test time-stamping authority');
    expect(stamp).toMatch(/\d{4}/);
    expect(await result.locator('[data-check="result.check.timestamp"]').getAttribute('data-ok')).toBe('true');
    const trust = result.getByTestId('verify-timestamp-trust');
    expect(await trust.getAttribute('data-trusted')).toBe('true');
    expect((await trust.textContent())!.trim()).toBe('时间戳来自本平台信任的时间戳服务机构。');
    await screenshot(page, 'verify-trusted-time-phone');
    expect(errors).toEqual([]);
    await context.close();
  });
});
