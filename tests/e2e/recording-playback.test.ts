/**
 * Playing a recording on the staff desk, in Debian's Chromium against the real server: a session
 * is recorded from a real mediasoup worker (three synthetic speakers taking turns, written by
 * ffmpeg); the mediator opens the case page, sees a speaker bar per stretch of speech, presses
 * play and the browser plays the mixed file; clicking one speaker's bar seeks to that moment.
 * Also the case page's custody history of an evidence item (issue 9 point 6).
 */
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { connectSocket, type TestSocket } from '../helpers/socket-client.ts';
import { login } from '../helpers/test-app.ts';
import { admittedWithCode, hostIn, sleep, syntheticParticipant, testCapture } from '../server/recording/recording-helpers.ts';
import { createRoomFixture, fishermanAndOwner, type RoomFixture } from './room-support.ts';
import { signInThroughForm } from './steps/common.ts';

describe('recording playback on the staff desk', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  const sockets: TestSocket[] = [];
  const open = (auth: Parameters<typeof connectSocket>[1]) => {
    const socket = connectSocket(server.baseUrl, auth);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true, recording: { segmentSeconds: 2, minFreeBytes: 1 } }), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
  }, 240_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await browser?.close();
    await server?.close();
  });

  it('shows who spoke when, plays the recording, and a click on a bar seeks there', async ({ onTestFailed }) => {
    // Record: the host and both parties speak in turns (see recording-desk.test.ts).
    const cookie = await login(server.app, server.mediator.username, server.mediator.password);
    const host = await hostIn(cookie, open, fixture.sessionId);
    const parties = [];
    for (const invitation of fixture.invitations) parties.push(await admittedWithCode(open, invitation.link.split('/j/')[1]!, host.socket));
    expect((await host.socket.call('host:recording', { action: 'start' })).ok).toBe(true);
    const media = await server.app.rooms.media.mediaOf(server.app.rooms.roomOf(fixture.sessionId)!);
    const capture = await testCapture();
    const senders = await Promise.all([parties[0]!.peerId, host.peerId, parties[1]!.peerId].map((peerId, index) => syntheticParticipant(media, capture, peerId, 'joint', index)));
    await sleep(11_000);
    for (const s of senders) s.stop();
    expect((await host.socket.call('host:recording', { action: 'stop' })).ok).toBe(true);

    const page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } })).newPage();
    onTestFailed(() => screenshot(page, 'recording-playback-failure').then(() => undefined));
    await signInThroughForm(page, server.baseUrl, server.mediator, `/cases/${fixture.caseId}`, `/cases/${fixture.caseId}`);
    const section = page.getByTestId('recordings');
    const bars = section.getByTestId('speech-bar');
    await expect.poll(() => bars.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(3);

    // Play: the browser fetches the mix and plays it (time moves on).
    // The recording just made is the one with speech bars (the session may list another, empty one).
    const recorded = section.locator('article.recording').filter({ has: page.getByTestId('speech-bar') }).first();
    await recorded.getByRole('button', { name: '回放（全部声音）' }).click();
    const player = section.getByTestId('recording-player');
    await player.waitFor();
    await expect.poll(() => player.evaluate((a: HTMLAudioElement) => (a.duration > 5 && a.currentTime > 0.5 ? 'playing' : `${a.duration}/${a.currentTime}/${a.error?.message ?? ''}`)), { timeout: 15_000 }).toBe('playing');

    // A later bar of one speaker: the player jumps to its start and plays on from there.
    const target = recorded.getByTestId('speech-bar').last();
    const barFrom = Number(await target.getAttribute('data-from'));
    const playbackFrom = Number(await player.getAttribute('data-playback-from'));
    await target.click();
    const expected = (barFrom - playbackFrom) / 1000;
    await expect.poll(() => player.evaluate((a: HTMLAudioElement) => a.currentTime), { timeout: 5_000 }).toBeGreaterThanOrEqual(expected - 0.3);
    expect(await player.evaluate((a: HTMLAudioElement) => a.currentTime)).toBeLessThan(expected + 2.5);
    await expect.poll(() => player.evaluate((a: HTMLAudioElement) => !a.paused && a.currentTime > 0), { timeout: 5_000 }).toBe(true);
    await screenshot(page, 'recording-playback');
  }, 180_000);

  // Issue 9 point 6: the case page shows each evidence item's custody history (who, what, which hash).
  it('the case page shows an evidence item’s custody history with its hash', async () => {
    const cookie = await login(server.app, server.mediator.username, server.mediator.password);
    const image = new PNG({ width: 40, height: 30 });
    image.data.fill(120);
    const png = PNG.sync.write(image);
    const body = new FormData();
    body.append('description', '渔网照片');
    body.append('sharedWith', 'all');
    body.append('file', new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), '渔网.png');
    const uploaded = await server.app.inject({ method: 'POST', url: `/api/cases/${fixture.caseId}/evidence`, payload: body, headers: { cookie } });
    expect(uploaded.statusCode).toBe(201);
    const sha256 = createHash('sha256').update(png).digest('hex');

    const page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } })).newPage();
    await signInThroughForm(page, server.baseUrl, server.mediator, `/cases/${fixture.caseId}`, `/cases/${fixture.caseId}`);
    await page.getByTestId('evidence-custody-toggle').first().click();
    const entries = page.getByTestId('evidence-custody').locator('li');
    await expect.poll(() => entries.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const first = entries.first();
    expect(await first.getAttribute('data-type')).toBe('evidence.uploaded');
    expect(await first.locator('.hash').getAttribute('title')).toBe(sha256);
    expect(await first.locator('.who').textContent()).toContain(server.mediator.displayName);
  }, 60_000);
});
