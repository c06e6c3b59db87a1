/**
 * Reconnection in the browser: a participant whose network is cut for 20 s (the socket by
 * DevTools offline emulation, the media path by dropping their packets in a UDP relay in front
 * of mediasoup) comes back into the room with media flowing, without a click, while the others
 * see 'reconnecting'; on a lossy downlink a participant drops to audio only by themselves; and a
 * server restart during the session brings everyone back by themselves.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser';
import {
  admit,
  bytesFrom,
  closeAll,
  connectionOf,
  createRoomFixture,
  expectFlowing,
  inbound,
  localMediaPorts,
  mediatorEnters,
  partyToLobby,
  type Person,
  poll,
  reportOnFailure,
  residentIds,
  type RoomFixture,
  selfPeerId,
} from './room-support';

describe('weak and broken links in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let mediator: Person;
  let fisherman: Person;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: 'relayed' }), launchChromium()]);
    fixture = await createRoomFixture(server, [{ name: '陈阿海', idNumber: residentIds[0] }]);
    mediator = await mediatorEnters(browser, server, fixture);
    fisherman = await partyToLobby(browser, fixture.invitations[0]!);
    ids.fisherman = await admit(mediator.page, fisherman);
    ids.mediator = await selfPeerId(mediator.page);
  }, 240_000);

  afterAll(async () => {
    await closeAll([mediator, fisherman]);
    await browser?.close();
    await server?.close();
  });

  it('a participant cut off for 20 s returns with media flowing, and the mediator sees reconnecting meanwhile', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-reconnect', () => [mediator, fisherman]);
    await expectFlowing(mediator.page, ids.fisherman!);
    await expectFlowing(fisherman.page, ids.mediator!);
    const badge = mediator.page.getByTestId(`tile-${ids.fisherman}`).getByTestId('badge-reconnecting');
    expect(await badge.count()).toBe(0);

    // --- the fisherman's boat loses its link: socket and media both.
    const ports = await localMediaPorts(fisherman.page);
    expect(ports.length).toBeGreaterThan(0);
    const cutAt = Date.now();
    server.relay!.cut(ports);
    await fisherman.context.setOffline(true);

    await badge.waitFor({ timeout: 15_000 });
    await expect.poll(() => connectionOf(fisherman.page), poll).toBe('reconnecting');
    expect(await fisherman.page.getByTestId('connection-state').getAttribute('data-state')).toBe('reconnecting');
    // The cut is real: nothing of the fisherman's reaches the mediator.
    expect((await bytesFrom(mediator.page, ids.fisherman!, 2_000)).bytes).toBe(0);
    expect(server.relay!.dropped).toBeGreaterThan(0);

    await mediator.page.waitForTimeout(Math.max(0, 20_000 - (Date.now() - cutAt)));
    expect(await badge.count()).toBe(1); // still held open for them, still shown as reconnecting
    await screenshot(mediator.page, 'room-reconnect-mediator-waiting');

    // --- the link comes back; nobody clicks anything.
    server.relay!.restore();
    await fisherman.context.setOffline(false);
    const restoredAt = Date.now();
    await expect.poll(() => connectionOf(fisherman.page), poll).toBe('connected');
    console.log(`socket back ${Date.now() - restoredAt} ms after the link came back`);
    await expectFlowing(mediator.page, ids.fisherman!, { audio: true, video: true }, 30_000);
    await expectFlowing(fisherman.page, ids.mediator!, { audio: true, video: true }, 30_000);
    console.log(`media flowing again ${Date.now() - restoredAt} ms after the link came back`);
    await expect.poll(() => badge.count(), poll).toBe(0);
    expect(await fisherman.page.getByTestId('room-view').count()).toBe(1); // never sent back through the lobby
    expect([...mediator.errors, ...fisherman.errors]).toEqual([]);
  }, 120_000);

  it('on a lossy downlink the participant drops to audio only by themselves, the mediator sees it, and video comes back on request', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-weak-link', () => [mediator, fisherman]);
    await expectFlowing(fisherman.page, ids.mediator!);
    const hostLink = mediator.page.getByTestId(`host-link-${ids.fisherman}`);
    // A third of the packets towards the fisherman's boat are lost.
    server.relay!.lossy(await localMediaPorts(fisherman.page), 0.35);
    const lossSeen = expect.poll(() => hostLink.getAttribute('class'), { timeout: 30_000, interval: 250 }).toContain('poor');
    await expect.poll(() => fisherman.page.getByTestId('audio-only-toggle').getAttribute('data-audio-only'), { timeout: 30_000, interval: 250 }).toBe('true');
    await fisherman.page.locator('[data-testid="room-notice"][data-key="room.notice.autoAudioOnly"]').waitFor();
    await lossSeen; // the mediator saw the loss in the host panel
    // The server stops sending video to them, and they stop sending theirs; the voice goes on.
    await expect.poll(async () => (await inbound(fisherman.page)).filter((c) => c.kind === 'video').length, poll).toBe(0);
    await expect.poll(() => server.app.rooms.roomOf(fixture.sessionId)!.media!.producersOf(ids.fisherman!).map((p) => p.kind), poll).toEqual(['audio']);
    await expect.poll(() => hostLink.innerText(), poll).toContain('仅语音');
    await expectFlowing(mediator.page, ids.fisherman!, { audio: true, video: false });

    // The link recovers; the fisherman asks for video back with the notice's button.
    server.relay!.restore();
    await fisherman.page.getByTestId('notice-video-back').click();
    await Promise.all([expectFlowing(fisherman.page, ids.mediator!), expectFlowing(mediator.page, ids.fisherman!)]);
    expect([...mediator.errors, ...fisherman.errors]).toEqual([]);
  }, 90_000);

  it('a server restart during the session brings both browsers back into the room with media', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-restart', () => [mediator, fisherman]);
    await expectFlowing(mediator.page, ids.fisherman!);
    const restartedAt = Date.now();
    await server.restart(); // sockets closed, media workers gone, a new process on the same port
    await expect.poll(() => connectionOf(fisherman.page), { timeout: 30_000, interval: 200 }).toBe('connected');
    await expect.poll(() => connectionOf(mediator.page), { timeout: 30_000, interval: 200 }).toBe('connected');
    await Promise.all([expectFlowing(mediator.page, ids.fisherman!, { audio: true, video: true }, 30_000), expectFlowing(fisherman.page, ids.mediator!, { audio: true, video: true }, 30_000)]);
    console.log(`media flowing again ${Date.now() - restartedAt} ms after the restart began`);
    // Same people, same places: no device check or lobby again, and the same peer ids.
    expect(await fisherman.page.getByTestId('room-view').count()).toBe(1);
    expect(await selfPeerId(fisherman.page)).toBe(ids.fisherman);
    expect(await mediator.page.getByTestId(`tile-${ids.fisherman}`).getByTestId('badge-reconnecting').count()).toBe(0);
    expect([...mediator.errors, ...fisherman.errors]).toEqual([]);
  }, 90_000);
});
