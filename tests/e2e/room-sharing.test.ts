/**
 * Screen and evidence sharing in the browser. A party the mediator has allowed to share shares
 * a screen (Chromium's fake screen: --use-fake-ui-for-media-stream picks it without a picker)
 * and the others receive that video; a party not allowed is refused, by the page and by the
 * server, and is told why; taking the permission back stops the share. The mediator shows an
 * uploaded photo and a page of an uploaded PDF from the host panel: those in the joint room
 * see the image load, a party in a caucus does not, and hiding it takes it away.
 */
import { PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import {
  closeAll,
  createRoomFixture,
  expectFlowing,
  fishermanAndOwner,
  inbound,
  mediatorAndPartiesIn,
  openCaucus,
  type Person,
  poll,
  reportOnFailure,
  type RoomFixture,
  spaceOf,
} from './room-support.ts';

type Who = 'mediator' | 'fisherman' | 'owner';

/** A photo-like PNG: a sea-blue gradient with a yellow block. */
function photoPng(width = 480, height = 320): Buffer {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const block = x > width / 3 && x < (2 * width) / 3 && y > height / 3 && y < (2 * height) / 3;
      png.data[i] = block ? 240 : 20;
      png.data[i + 1] = block ? 200 : 60 + Math.round((120 * y) / height);
      png.data[i + 2] = block ? 30 : 140 + Math.round((100 * x) / width);
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** A two-page survey report. */
async function reportPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const n of [1, 2]) {
    const page = doc.addPage([595.28, 841.89]);
    page.drawRectangle({ x: 60, y: 400, width: 300, height: 200, color: rgb(0.1 * n, 0.3, 0.6) });
    page.drawText(`Hull survey - page ${n}`, { x: 60, y: 700, size: 24, font });
  }
  return Buffer.from(await doc.save());
}

describe('screen and evidence sharing in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  const people = {} as Record<Who, Person>;
  const ids = {} as Record<Who, string>;
  const evidence = { photo: '', report: '' };
  const everyone = () => Object.values(people);
  const room = () => server.app.rooms.roomOf(fixture.sessionId)!;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
    const joined = await mediatorAndPartiesIn(browser, server, fixture);
    Object.assign(people, joined.people);
    Object.assign(ids, joined.ids);
    // The mediator uploaded the evidence to the case beforehand (as the case page does).
    const upload = async (name: string, mimeType: string, buffer: Buffer) => {
      const res = await people.mediator.page.request.post(`${server.baseUrl}/api/cases/${fixture.caseId}/evidence`, { multipart: { description: name, file: { name, mimeType, buffer } } });
      expect(res.status(), await res.text()).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    evidence.photo = await upload('船体受损照片.png', 'image/png', photoPng());
    evidence.report = await upload('船体检验报告.pdf', 'application/pdf', await reportPdf());
  }, 240_000);

  afterAll(async () => {
    await closeAll(everyone());
    await browser?.close();
    await server?.close();
  });

  const notice = (page: Page, key: string) => page.locator(`[data-testid="room-notice"][data-key="${key}"]`);
  const screenProducers = (peerId: string) => room().media!.producersOf(peerId).filter((p) => p.source === 'screen');
  /** Frames of `fromPeerId`'s shared screen decoded in `page` over one second (0 when there is no such consumer). */
  async function screenFrames(page: Page, fromPeerId: string): Promise<number> {
    const pick = (all: Awaited<ReturnType<typeof inbound>>) => all.find((c) => c.peerId === fromPeerId && c.source === 'screen');
    const before = pick(await inbound(page));
    await page.waitForTimeout(1_000);
    const after = pick(await inbound(page));
    return before && after && before.consumerId === after.consumerId ? after.framesDecoded - before.framesDecoded : 0;
  }

  it('a party allowed by the mediator shares a screen and the others receive it; a party not allowed is refused and told why', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-sharing-screen', everyone);
    await Promise.all([expectFlowing(people.owner.page, ids.fisherman), expectFlowing(people.mediator.page, ids.fisherman)]);
    const fisherman = people.fisherman.page;
    const owner = people.owner.page;

    // Not allowed: the button says so when pressed, and nothing is shared.
    const ownerShare = owner.getByTestId('screen-share-toggle');
    expect(await ownerShare.getAttribute('data-allowed')).toBe('false');
    await ownerShare.click();
    await notice(owner, 'room.notice.screenNotAllowed').waitFor();
    expect(await notice(owner, 'room.notice.screenNotAllowed').innerText()).toContain('需要调解员允许');
    expect(screenProducers(ids.owner)).toEqual([]);
    // Nor does going round the button: the server refuses a screen producer without the permission.
    const sendTransportId = await owner.evaluate(() => (window as any).__haiqiaoRoom.sendTransport.id as string);
    const refused = await owner.evaluate(
      (transportId) => (window as any).__haiqiaoRoom.emitRaw('media:produce', { transportId, kind: 'video', rtpParameters: { codecs: [], encodings: [{ ssrc: 1234 }] }, source: 'screen' }),
      sendTransportId,
    );
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', message: expect.stringContaining('permission') } });
    expect(screenProducers(ids.owner)).toEqual([]);

    // The mediator allows the fisherman, who shares; the mediator and the owner receive the screen.
    await people.mediator.page.getByTestId(`host-allow-screen-${ids.fisherman}`).click();
    const fishermanShare = fisherman.getByTestId('screen-share-toggle');
    await expect.poll(() => fishermanShare.getAttribute('data-allowed'), poll).toBe('true');
    await fishermanShare.click();
    await expect.poll(() => fishermanShare.getAttribute('aria-pressed'), poll).toBe('true');
    await expect.poll(() => screenProducers(ids.fisherman).length, poll).toBe(1);
    for (const page of [people.mediator.page, owner]) {
      await expect.poll(() => screenFrames(page, ids.fisherman), poll).toBeGreaterThan(0);
      const tile = page.getByTestId(`tile-${ids.fisherman}-screen`);
      await tile.waitFor();
      expect(await tile.locator('video').getAttribute('data-source')).toBe('screen');
      // The picture really plays: the fake screen's 1280×720 (or a layer of it).
      await expect.poll(() => tile.locator('video').evaluate((v: HTMLVideoElement) => v.videoWidth), poll).toBeGreaterThan(0);
    }
    // The camera goes on alongside the screen.
    await expectFlowing(owner, ids.fisherman);
    await screenshot(owner, 'room-sharing-owner-sees-screen');

    // The mediator takes the permission back: the share stops for everyone, and the fisherman is told.
    await people.mediator.page.getByTestId(`host-allow-screen-${ids.fisherman}`).click();
    await notice(fisherman, 'room.notice.screenStopped').waitFor();
    await expect.poll(() => screenProducers(ids.fisherman).length, poll).toBe(0);
    await expect.poll(() => fishermanShare.getAttribute('aria-pressed'), poll).toBe('false');
    for (const page of [people.mediator.page, owner]) {
      await expect.poll(() => page.getByTestId(`tile-${ids.fisherman}-screen`).count(), poll).toBe(0);
      await expect.poll(async () => (await inbound(page)).filter((c) => c.source === 'screen').length, poll).toBe(0);
    }
    expect(everyone().flatMap((p) => p.errors)).toEqual([]);
  }, 120_000);

  /** The evidence image a page shows: which item, its address, and whether it loaded. */
  function shownImage(page: Page) {
    return page.evaluate(() => {
      const panel = document.querySelector<HTMLElement>('[data-testid="evidence-panel"]');
      const img = panel?.querySelector<HTMLImageElement>('img[data-testid="evidence-image"]');
      return panel ? { evidenceId: panel.dataset.evidenceId ?? null, src: img?.getAttribute('src') ?? null, loaded: Boolean(img?.complete), naturalWidth: img?.naturalWidth ?? 0 } : null;
    });
  }

  it('the mediator shows a photo and a PDF page to the joint room; a party in a caucus does not see them; hiding removes them', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-sharing-evidence', everyone);
    const host = people.mediator.page;
    const joint = [host, people.fisherman.page];
    // The owner is in a caucus with nobody: evidence is for the joint room only.
    const caucus = await openCaucus(host, '船东方');
    await host.getByTestId(`host-move-${ids.owner}`).selectOption(caucus);
    await expect.poll(() => spaceOf(people.owner.page), poll).toBe(caucus);

    // Uploaded after the host panel listed the case's evidence: the mediator refreshes the list.
    await host.getByTestId('host-evidence-reload').click();
    await host.getByTestId(`host-show-evidence-${evidence.photo}`).click();
    for (const page of joint) {
      await expect.poll(() => shownImage(page), poll).toMatchObject({ evidenceId: evidence.photo, loaded: true, naturalWidth: 480 });
      expect(await page.getByTestId('evidence-panel').innerText()).toContain('船体受损照片.png');
    }
    await screenshot(people.fisherman.page, 'room-sharing-fisherman-sees-photo');

    // Page 2 of the report, rendered to an image on the server.
    await host.getByTestId(`host-evidence-page-${evidence.report}`).fill('2');
    await host.getByTestId(`host-show-evidence-${evidence.report}`).click();
    for (const page of joint) {
      await expect.poll(() => shownImage(page), poll).toMatchObject({ evidenceId: evidence.report, loaded: true });
      const shown = (await shownImage(page))!;
      expect(shown.src).toContain(`/api/evidence/${evidence.report}/pages/2`);
      expect(shown.naturalWidth).toBeGreaterThan(100);
      expect(await page.getByTestId('evidence-panel').innerText()).toContain('第 2 页');
    }
    // Meanwhile nothing of it reached the caucus: no panel, and the server sent no evidence there.
    expect(await shownImage(people.owner.page)).toBeNull();
    expect(room().viewFor(room().peers.get(ids.owner)!).evidence).toBeNull();

    // Back in the joint room the owner sees what is being shown.
    await host.getByTestId(`host-move-${ids.owner}`).selectOption('joint');
    await expect.poll(() => shownImage(people.owner.page), poll).toMatchObject({ evidenceId: evidence.report, loaded: true });

    // Hiding it takes it away from everyone.
    await host.getByTestId('host-hide-evidence').click();
    for (const p of everyone()) await expect.poll(() => shownImage(p.page), poll).toBeNull();
    expect(everyone().flatMap((p) => p.errors)).toEqual([]);
  }, 90_000);
});
