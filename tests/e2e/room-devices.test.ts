/**
 * Joining without a camera or a microphone, in Debian's Chromium against the real server and a
 * real mediasoup worker. The refusals are the browser's own: the parties' Chromium is launched
 * without --use-fake-ui-for-media-stream, so headless Chromium refuses every camera and
 * microphone prompt, and each context is granted only what that person "allowed"
 * (getUserMedia then fails with NotAllowedError and the Permissions API says 'denied'). A third
 * phone runs in a Chromium with no fake devices at all: the machine has no camera or microphone
 * (NotFoundError). The mediator has both, in a context granted camera and microphone.
 *
 * In order, on one room: a party who refused the camera takes part by voice; two parties with
 * neither device listen; then devices allowed later start sending without rejoining.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import {
  admit,
  bytesFrom,
  closeAll,
  createRoomFixture,
  expectFlowing,
  inbound,
  mediatorEnters,
  partyToLobby,
  type Person,
  poll,
  reportOnFailure,
  residentIds,
  type RoomFixture,
  selfPeerId,
} from './room-support.ts';

type Who = 'mediator' | 'fisherman' | 'owner' | 'wife';

describe('joining with a camera or microphone missing or refused', () => {
  let server: E2eServer;
  /** Refuses every camera and microphone prompt; contexts grant what their person allowed. */
  let refusing: Browser;
  /** Has no camera and no microphone at all. */
  let bare: Browser;
  let fixture: RoomFixture;
  const people = {} as Record<Who, Person>;
  const ids = {} as Record<Who, string>;
  const everyone = () => Object.values(people);

  beforeAll(async () => {
    [server, refusing, bare] = await Promise.all([startE2eServer({ media: true }), launchChromium({ prompts: 'deny' }), launchChromium({ devices: 'none' })]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] }, // refused the camera
      { name: '林船东', idNumber: residentIds[1] }, // refused both
      { name: '郑渔嫂', idNumber: residentIds[2] }, // a phone with neither
    ]);
  }, 240_000);

  afterAll(async () => {
    await closeAll(everyone());
    await Promise.all([refusing?.close(), bare?.close()]);
    await server?.close();
  });

  const shootOnFailure = (onTestFailed: (fn: () => Promise<void>) => void, name: string) => reportOnFailure(onTestFailed, `room-devices-${name}`, everyone);
  const media = () => server.app.rooms.roomOf(fixture.sessionId)!.media!;
  const producedBy = (who: Who) => media().producersOf(ids[who]).map((p) => p.kind).sort();
  /** What the browser itself says about a permission (not what the app thinks). */
  const permission = (page: Page, name: 'camera' | 'microphone') => page.evaluate(async (n) => (await navigator.permissions.query({ name: n as PermissionName })).state, name);
  /**
   * Counts the page's camera requests (each may be a prompt on a phone); the real getUserMedia
   * still answers every one of them.
   */
  const countCameraRequests = () => {
    const md = navigator.mediaDevices;
    const real = md.getUserMedia.bind(md);
    const w = window as unknown as { __cameraRequests: number };
    w.__cameraRequests = 0;
    md.getUserMedia = (constraints?: MediaStreamConstraints) => {
      if (constraints?.video) w.__cameraRequests += 1;
      return real(constraints);
    };
  };
  const cameraRequests = (page: Page) => page.evaluate(() => (window as unknown as { __cameraRequests: number }).__cameraRequests);
  /** The mediator's host panel line about what a person sends. */
  const hostMedia = (peerId: string) => people.mediator.page.getByTestId(`host-media-${peerId}`);

  it('a party who refused the camera is told so, joins by voice, is heard, and sees and hears the mediator', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'voice-only');
    people.mediator = await mediatorEnters(refusing, server, fixture, ['camera', 'microphone']);
    ids.mediator = await selfPeerId(people.mediator.page);
    await expect.poll(() => producedBy('mediator'), poll).toEqual(['audio', 'video']);

    people.fisherman = await partyToLobby(refusing, fixture.invitations[0]!, {
      grant: ['microphone'],
      devices: { camera: 'denied', microphone: 'ok' },
      initScript: countCameraRequests,
      atDeviceCheck: async (page) => {
        expect(await permission(page, 'camera')).toBe('denied');
        expect(await permission(page, 'microphone')).toBe('granted');
        const mode = page.getByTestId('device-check-mode');
        expect(await mode.getAttribute('data-mode')).toBe('voice-only');
        expect(await mode.innerText()).toMatch(/摄像头.*只用声音/);
        expect(await page.getByTestId('camera-status').innerText()).toBe('未获允许');
        expect(await page.getByTestId('device-check').locator('video').count()).toBe(0);
        // Allowing it is explained, and going on without it is offered in so many words.
        expect(await page.getByTestId('device-check').innerText()).toContain('允许本网站使用摄像头');
        expect(await page.getByTestId('device-check-continue').innerText()).toBe('只用声音参加');
        await screenshot(page, 'room-devices-check-voice-only');
      },
    });

    // Waiting, the mediator already sees that this person has no camera.
    const waiting = people.mediator.page.getByTestId('host-lobby-list').locator('li').filter({ hasText: people.fisherman.name });
    await expect.poll(() => waiting.innerText(), poll).toMatch(/无摄像头.*有麦克风/s);
    ids.fisherman = await admit(people.mediator.page, people.fisherman);

    // The mediator hears them (audio energy rising) and receives no picture; they get both.
    await Promise.all([expectFlowing(people.mediator.page, ids.fisherman, { audio: true, video: false }), expectFlowing(people.fisherman.page, ids.mediator)]);
    expect((await inbound(people.mediator.page)).filter((c) => c.peerId === ids.fisherman).map((c) => c.kind)).toEqual(['audio']);
    expect(producedBy('fisherman')).toEqual(['audio']);
    // The mediator's tile of them plays the picture of nobody; theirs of the mediator does.
    expect(await people.mediator.page.getByTestId(`tile-${ids.fisherman}`).getByTestId('remote-video').count()).toBe(0);
    await people.fisherman.page.getByTestId(`tile-${ids.mediator}`).getByTestId('remote-video').waitFor();

    // The host panel says it: voice only, no camera.
    await expect.poll(() => hostMedia(ids.fisherman).getAttribute('data-media'), poll).toBe('voice-only');
    expect(await hostMedia(ids.fisherman).innerText()).toMatch(/仅语音.*无摄像头/);

    // Their own controls: the microphone is on, the camera button offers to turn it on.
    const fisherman = people.fisherman.page;
    expect(await fisherman.getByTestId('mic-toggle').getAttribute('aria-pressed')).toBe('false');
    expect(await fisherman.getByTestId('camera-toggle').innerText()).toContain('开摄像头');
    expect(await fisherman.getByTestId('listen-only-note').count()).toBe(0);
    // The refused camera was asked for once, at the device check: entering the room did not ask again.
    await expect.poll(() => fisherman.evaluate(() => (window as any).__haiqiaoRoom.mediaState), poll).toBe('ready');
    expect(await cameraRequests(fisherman)).toBe(1);
    await screenshot(people.mediator.page, 'room-devices-host-voice-only');
  }, 120_000);

  it('parties with neither camera nor microphone (refused, or none on the phone) join to listen and are told so', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'listen-only');
    const atDeviceCheck = (label: string) => async (page: Page) => {
      const mode = page.getByTestId('device-check-mode');
      expect(await mode.getAttribute('data-mode')).toBe('listen-only');
      expect(await mode.innerText()).toContain('只能收听');
      expect(await page.getByTestId('device-check-continue').innerText()).toBe('只收听参加');
      await screenshot(page, `room-devices-check-listen-only-${label}`);
    };
    [people.owner, people.wife] = await Promise.all([
      partyToLobby(refusing, fixture.invitations[1]!, { grant: [], devices: { camera: 'denied', microphone: 'denied' }, atDeviceCheck: atDeviceCheck('refused') }),
      partyToLobby(bare, fixture.invitations[2]!, { devices: { camera: 'missing', microphone: 'missing' }, atDeviceCheck: atDeviceCheck('none') }),
    ]);
    expect(await permission(people.owner.page, 'microphone')).toBe('denied');
    expect(await people.wife.page.evaluate(async () => (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind !== 'audiooutput').length)).toBe(0);

    const lobby = people.mediator.page.getByTestId('host-lobby-list');
    for (const who of ['owner', 'wife'] as const) {
      await expect.poll(() => lobby.locator('li').filter({ hasText: people[who].name }).innerText(), poll).toMatch(/无摄像头.*无麦克风/s);
    }
    ids.owner = await admit(people.mediator.page, people.owner);
    ids.wife = await admit(people.mediator.page, people.wife);

    for (const who of ['owner', 'wife'] as const) {
      const page = people[who].page;
      // They receive the mediator's voice and picture, and the voice of the party who has one.
      await Promise.all([expectFlowing(page, ids.mediator), expectFlowing(page, ids.fisherman, { audio: true, video: false })]);
      await page.getByTestId(`tile-${ids.mediator}`).getByTestId('remote-video').waitFor();
      // They are told they can listen only.
      const note = page.getByTestId('listen-only-note');
      await note.waitFor();
      expect(await note.innerText()).toContain('只能收听');
    }
    // They send nothing: no producer on the server, nothing arrives from them anywhere.
    expect(producedBy('owner')).toEqual([]);
    expect(producedBy('wife')).toEqual([]);
    for (const receiver of ['mediator', 'fisherman'] as const) {
      for (const sender of ['owner', 'wife'] as const) expect(await bytesFrom(people[receiver].page, ids[sender], 1_000)).toEqual({ consumers: 0, bytes: 0 });
    }
    for (const who of ['owner', 'wife'] as const) {
      await expect.poll(() => hostMedia(ids[who]).getAttribute('data-media'), poll).toBe('listen-only');
      expect(await hostMedia(ids[who]).innerText()).toContain('只收听');
    }
    // Everyone sees that they have no microphone (not that they muted it); their own button offers to turn it on.
    for (const who of ['owner', 'wife'] as const) {
      const tile = people.mediator.page.getByTestId(`tile-${ids[who]}`);
      await tile.getByTestId('badge-no-mic').waitFor();
      expect(await tile.getByTestId('badge-muted').count()).toBe(0);
      const mic = people[who].page.getByTestId('mic-toggle');
      expect(await mic.getAttribute('aria-pressed')).toBe('true');
      expect(await mic.innerText()).toContain('开麦克风');
    }
    // The microphone button says why it cannot help: the phone has none.
    await people.wife.page.getByTestId('mic-toggle').click();
    await people.wife.page.locator('[data-testid="room-notice"][data-key="room.notice.micMissing"]').waitFor();
    expect(producedBy('wife')).toEqual([]);
    await screenshot(people.owner.page, 'room-devices-listen-only');
    await screenshot(people.mediator.page, 'room-devices-host-listen-only');
  }, 120_000);

  it('a microphone or camera allowed later starts sending at once, without rejoining', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'later');
    // A mark in each page: a reload or a new join would lose it.
    const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __stillHere: boolean }).__stillHere = true));
    const stillHere = (page: Page) => page.evaluate(() => (window as unknown as { __stillHere?: boolean }).__stillHere === true);
    const owner = people.owner.page;
    const fisherman = people.fisherman.page;
    await Promise.all([mark(owner), mark(fisherman)]);

    // The owner allows the microphone in the browser, then presses the microphone button.
    await people.owner.context.grantPermissions(['microphone']);
    await owner.getByTestId('mic-toggle').click();
    await Promise.all([expectFlowing(people.mediator.page, ids.owner, { audio: true, video: false }), expectFlowing(fisherman, ids.owner, { audio: true, video: false })]);
    expect(producedBy('owner')).toEqual(['audio']);
    await expect.poll(() => owner.getByTestId('listen-only-note').count(), poll).toBe(0);
    expect(await owner.getByTestId('mic-toggle').getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => hostMedia(ids.owner).getAttribute('data-media'), poll).toBe('voice-only');
    expect(await people.mediator.page.getByTestId(`tile-${ids.owner}`).getByTestId('badge-no-mic').count()).toBe(0);

    // The fisherman allows the camera and turns it on (tapping twice, as people do when nothing
    // seems to happen): everyone gets the picture.
    await people.fisherman.context.grantPermissions(['camera']);
    await fisherman.getByTestId('camera-toggle').dblclick();
    await Promise.all([
      expectFlowing(people.mediator.page, ids.fisherman),
      expectFlowing(owner, ids.fisherman),
      expectFlowing(people.wife.page, ids.fisherman),
    ]);
    expect(producedBy('fisherman')).toEqual(['audio', 'video']);
    expect(await cameraRequests(fisherman)).toBe(2); // both taps shared one request: one camera, one track
    await people.mediator.page.getByTestId(`tile-${ids.fisherman}`).getByTestId('remote-video').waitFor();
    await expect.poll(() => hostMedia(ids.fisherman).getAttribute('data-media'), poll).toBe('audio-video');
    // Still flowing a while later (no drop to audio only on the freshly started video).
    await people.mediator.page.waitForTimeout(12_000);
    await expectFlowing(people.mediator.page, ids.fisherman, { audio: true, video: true }, 5_000);

    // Same pages, same places: nobody went through the device check or lobby again.
    for (const page of [owner, fisherman]) expect(await stillHere(page)).toBe(true);
    expect(await selfPeerId(owner)).toBe(ids.owner);
    expect(await selfPeerId(fisherman)).toBe(ids.fisherman);
    for (const p of everyone()) expect(await p.page.getByTestId('connection-state').getAttribute('data-state')).toBe('connected');
    await screenshot(people.mediator.page, 'room-devices-later');
    for (const p of everyone()) expect(p.errors).toEqual([]);
  }, 120_000);
});
