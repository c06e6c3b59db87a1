/**
 * The join page in WeChat's in-app browser (its user agent, on a 360×740 phone): where camera
 * and microphone cannot be used, plain words and an inline picture say how to open the link in
 * the phone's browser, nothing is fetched from elsewhere, and entering still works for listening
 * and text. Where WeChat does give camera and microphone, no guide stands in the way.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { closeAll, createRoomFixture, partyToLobby, type Person, poll, residentIds, type RoomFixture } from './room-support.ts';
import { seriousViolations } from './steps/accessibility.ts';
import { newActor, phoneOptions } from './steps/common.ts';

const wechatIphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/4G Language/zh_CN';
const wechatAndroid = 'Mozilla/5.0 (Linux; Android 13; V2203A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/111.0.5563.116 Mobile Safari/537.36 XWEB/1110017 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/4G Language/zh_CN';

describe('WeChat in-app browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  const people: Person[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] },
      { name: '林船东', idNumber: residentIds[1] },
    ]);
  }, 240_000);

  afterAll(async () => {
    await closeAll(people);
    await browser?.close();
    await server?.close();
  });

  /** Every request the page makes goes to our own server (the picture is inline). */
  function foreignRequests(page: Page): string[] {
    const foreign: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.protocol.startsWith('http') && url.origin !== new URL(server.baseUrl).origin) foreign.push(r.url());
    });
    return foreign;
  }

  it('on an iPhone: the guide with its picture, and entering still leads on to the device check', async () => {
    const { page, context, errors } = await newActor(browser, { ...phoneOptions, userAgent: wechatIphone });
    const foreign = foreignRequests(page);
    await page.goto(fixture.invitations[0]!.link);
    const guide = page.getByTestId('wechat-guide');
    await guide.waitFor();
    const text = await guide.innerText();
    expect(text).toContain('请用手机浏览器打开');
    expect(text).toContain('···');
    expect(text).toContain('在浏览器打开');
    const picture = guide.getByTestId('wechat-guide-picture');
    expect(await picture.evaluate((svg) => svg.tagName.toLowerCase())).toBe('svg');
    expect((await picture.boundingBox())!.width).toBeGreaterThan(150);
    expect(await picture.getAttribute('role')).toBe('img');
    await screenshot(page, 'wechat-iphone-guide');
    expect(await seriousViolations(page)).toEqual([]);
    expect(foreign).toEqual([]);
    // The enter button is still there, below the guide: staying in WeChat is allowed.
    await page.getByTestId('join-enter').click();
    await page.getByTestId('device-check').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('on Android without getUserMedia: the guide, and entering gives the listen-and-type path to the lobby', async () => {
    // This WeChat build's web view has no navigator.mediaDevices (as older XWeb versions).
    const person = await partyToLobby(browser, fixture.invitations[1]!, {
      devices: { camera: 'unsupported', microphone: 'unsupported' },
      initScript: () => Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined, configurable: true }),
      atDeviceCheck: async (page) => {
        expect(await page.getByTestId('device-check').innerText()).toContain('只能收听和文字交流');
      },
      userAgent: wechatAndroid,
      beforeEnter: async (page) => {
        await page.getByTestId('wechat-guide').waitFor();
      },
    });
    people.push(person);
    expect(await person.page.getByTestId('lobby-waiting').isVisible()).toBe(true);
    expect(person.errors).toEqual([]);
  }, 90_000);

  it('on Android with camera and microphone: no guide', async () => {
    const { page, context } = await newActor(browser, { ...phoneOptions, userAgent: wechatAndroid });
    await page.goto(fixture.invitations[0]!.link);
    await page.getByTestId('join-context').waitFor();
    await expect.poll(() => page.getByTestId('join-enter').count(), poll).toBe(1);
    expect(await page.getByTestId('wechat-guide').count()).toBe(0);
    await context.close();
  }, 60_000);
});
