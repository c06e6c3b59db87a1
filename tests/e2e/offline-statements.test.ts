/**
 * Store-and-forward statements (issue 12 point 6) in the browser: a party opens the invitation
 * link (the service worker caches the join page), loses the link, reloads the page (served by
 * the worker), records a voice statement (Chromium's fake microphone) and takes a photo (the
 * camera input, given a file), each hashed on the phone at capture; nothing reaches the server
 * until the link returns; then both go up by themselves and arrive as evidence with the capture
 * hash intact, the position, and a capture time earlier than the upload time; the mediator's
 * case page shows both times. A reload afterwards sends nothing again; bytes the server refuses
 * are marked refused in plain words and not retried.
 */
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { login } from '../helpers/test-app.ts';
import { createRoomFixture, poll, residentIds, type RoomFixture } from './room-support.ts';
import { type Actor, desktopOptions, newActor, phoneOptions, signInThroughForm } from './steps/common.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const position = { latitude: 27.4512, longitude: 121.0833 };

/** A small photo of "the hull": a real PNG the server's sniffer accepts. */
function hullPhoto(): Buffer {
  const png = new PNG({ width: 64, height: 48 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set([20 + (i % 200), 60, 120, 255], i);
  return PNG.sync.write(png);
}

interface EvidenceItem {
  id: string;
  contentType: string;
  sha256: string;
  uploadedAt: string;
  capture: { capturedAt: string; latitude: number | null; longitude: number | null } | null;
}

describe('statements and photos with no link', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let party: Actor;
  let desk: Actor | undefined;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer(), launchChromium()]);
    fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
  }, 240_000);

  afterAll(async () => {
    await party?.context.close();
    await desk?.context.close();
    await browser?.close();
    await server?.close();
  });

  async function evidenceOfCase(): Promise<EvidenceItem[]> {
    const cookie = await login(server.app, server.mediator.username, server.mediator.password);
    const res = await server.app.inject({ method: 'GET', url: `/api/cases/${fixture.caseId}/evidence`, headers: { cookie } });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { items: EvidenceItem[] }).items;
  }

  it('recorded and photographed offline, uploaded by themselves when the link returns, hashes intact', async () => {
    party = await newActor(browser, { ...phoneOptions, permissions: ['geolocation'], geolocation: position });
    const { page, context } = party;
    await page.goto(fixture.invitations[0]!.link);
    await page.getByTestId('join-context').waitFor();
    await page.getByTestId('statements').waitFor();
    // The worker is installed and controls the page (it claims it on activation).
    await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null), { timeout: 60_000, interval: 200 }).toMatch(/\/sw\.js$/);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope)).toBe(`${server.baseUrl}/j/`);

    // --- at sea: no link. The reloaded page comes from the worker's cache.
    await context.setOffline(true);
    expect(await page.evaluate(() => fetch('/api/health').then(() => 'reached', () => 'unreachable'))).toBe('unreachable');
    const reloaded = await page.reload();
    expect(reloaded?.fromServiceWorker()).toBe(true);
    await page.getByTestId('join-error').waitFor();
    expect(await page.getByTestId('join-error').getAttribute('data-reason')).toBe('network');
    await page.getByTestId('statements').waitFor();

    // A voice statement, about 2.5 s, from the fake microphone.
    const beforeCapture = Date.now();
    await page.getByTestId('statement-record').click();
    await page.getByTestId('statement-recording').waitFor();
    await page.waitForTimeout(2_500);
    await page.getByTestId('statement-stop').click();
    // A photo from the camera input.
    const photo = hullPhoto();
    await page.getByTestId('statement-photo').setInputFiles({ name: 'hull.png', mimeType: 'image/png', buffer: photo });

    const items = page.getByTestId('statement-item');
    await expect.poll(() => items.count(), poll).toBe(2);
    const waiting = async () => page.locator('[data-testid="statement-item"][data-state="waiting"]').count();
    await expect.poll(waiting, poll).toBe(2);
    expect(await items.first().innerText()).toContain('等待信号');
    const hashes = await items.evaluateAll((elements) => elements.map((e) => e.getAttribute('data-sha256')));
    expect(hashes[1]).toBe(sha256(photo)); // hashed on the phone: the bytes given to the camera input
    await screenshot(page, 'offline-statements-waiting');
    // Still nothing on the server after a while offline (the retries find no link).
    await page.waitForTimeout(3_000);
    expect(await waiting()).toBe(2);
    expect(await evidenceOfCase()).toEqual([]);

    // --- back in coverage: both go up by themselves.
    const backAt = Date.now();
    await context.setOffline(false);
    await expect.poll(() => page.locator('[data-testid="statement-item"][data-state="sent"]').count(), { timeout: 60_000, interval: 250 }).toBe(2);
    expect(await items.first().innerText()).toContain('调解员已收到');
    await screenshot(page, 'offline-statements-sent');

    const evidence = await evidenceOfCase();
    expect(evidence).toHaveLength(2);
    const voice = evidence.find((e) => e.contentType.startsWith('audio/'))!;
    const image = evidence.find((e) => e.contentType === 'image/png')!;
    expect(voice.contentType).toBe('audio/webm');
    expect(voice.sha256).toBe(hashes[0]);
    expect(image.sha256).toBe(sha256(photo));
    for (const item of [voice, image]) {
      expect(item.capture).toEqual({ capturedAt: expect.any(String), ...position });
      const capturedAt = new Date(item.capture!.capturedAt).getTime();
      expect(capturedAt).toBeGreaterThanOrEqual(beforeCapture - 1_000);
      expect(capturedAt).toBeLessThan(backAt);
      expect(capturedAt).toBeLessThan(new Date(item.uploadedAt).getTime());
    }
    // The stored bytes are the ones hashed at capture.
    const cookie = await login(server.app, server.mediator.username, server.mediator.password);
    const content = await server.app.inject({ method: 'GET', url: `/api/evidence/${image.id}/content`, headers: { cookie } });
    expect(sha256(content.rawPayload)).toBe(sha256(photo));

    // A reload keeps the list (IndexedDB) and sends nothing again.
    await page.reload();
    await page.getByTestId('join-context').waitFor();
    await expect.poll(() => page.locator('[data-testid="statement-item"][data-state="sent"]').count(), poll).toBe(2);
    await page.waitForTimeout(1_000);
    expect(await evidenceOfCase()).toHaveLength(2);

    // Bytes the server does not take (no photo at all): refused, said in plain words, not retried.
    await page.getByTestId('statement-photo').setInputFiles({ name: 'note.png', mimeType: 'image/png', buffer: Buffer.from('not a photo at all') });
    const refused = page.locator('[data-testid="statement-item"][data-state="refused"]');
    await refused.waitFor({ timeout: 30_000 });
    expect(await refused.innerText()).toContain('没有被接收：不支持的文件类型');
    await page.waitForTimeout(2_000);
    expect(await refused.getAttribute('data-state')).toBe('refused');
    expect(await evidenceOfCase()).toHaveLength(2);
    expect(party.errors).toEqual([]);
  }, 240_000);

  it("the mediator's case page shows each item's capture time against its upload time", async () => {
    desk = await newActor(browser, desktopOptions);
    await signInThroughForm(desk.page, server.baseUrl, server.mediator, `/cases/${fixture.caseId}`);
    const captures = desk.page.getByTestId('evidence-capture');
    await expect.poll(() => captures.count(), poll).toBe(2);
    for (const text of await captures.allInnerTexts()) expect(text).toMatch(/手机拍摄\/录制：.+（上传：.+）/);
    await desk.page.getByTestId('evidence-audio').waitFor();
    expect(desk.errors).toEqual([]);
  }, 120_000);
});
