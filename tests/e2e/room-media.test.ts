/**
 * A mediated session in Debian's Chromium with fake cameras and microphones, against the real
 * server, PostgreSQL and a real mediasoup worker. The tests run in order on one room:
 * the mediator enters from the desk, two parties join through their invitation links (device
 * check, identity, lobby) and are admitted; everyone receives everyone; the weak-link settings
 * are what was sent; the mediator mutes a party on the server; a party switches to audio only;
 * and malformed socket payloads get error acks while the room keeps working.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, resultsDir, screenshot, startE2eServer, writeSpeechLikeWav } from '../helpers/browser.ts';
import {
  admit,
  closeAll,
  createRoomFixture,
  expectFlowing,
  flowFrom,
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

type Who = 'mediator' | 'fisherman' | 'owner';

describe('a mediated session in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  const people = {} as Record<Who, Person>;
  const ids = {} as Record<Who, string>;
  const everyone = () => Object.values(people);

  beforeAll(async () => {
    // Talk with pauses rather than Chromium's constant beeps, so that Opus DTX can show.
    const speech = writeSpeechLikeWav(path.join(resultsDir, 'room-media-speech.wav'));
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium({ fakeAudioFile: speech })]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] },
      { name: '林船东', idNumber: residentIds[1] },
    ]);
  }, 240_000);

  afterAll(async () => {
    await closeAll(everyone());
    await browser?.close();
    await server?.close();
  });

  const shootOnFailure = (onTestFailed: (fn: () => Promise<void>) => void, name: string) => reportOnFailure(onTestFailed, `room-media-${name}`, everyone);

  /** Every ordered pair of people: receiver, sender. */
  const pairs = (): [Who, Who][] => (Object.keys(ids) as Who[]).flatMap((to) => (Object.keys(ids) as Who[]).filter((from) => from !== to).map((from): [Who, Who] => [to, from]));

  const media = () => server.app.rooms.roomOf(fixture.sessionId)!.media!;

  it('the mediator admits two parties from the lobby and everyone receives everyone', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'join');
    people.mediator = await mediatorEnters(browser, server, fixture);
    [people.fisherman, people.owner] = await Promise.all([partyToLobby(browser, fixture.invitations[0]!), partyToLobby(browser, fixture.invitations[1]!)]);
    // The mediator sees both waiting, with their identity confirmed and network test.
    const lobby = people.mediator.page.getByTestId('host-lobby-list');
    await expect.poll(() => lobby.locator('li[data-state="lobby"]').count(), poll).toBe(2);
    expect(await lobby.innerText()).toContain('身份已核验');
    ids.fisherman = await admit(people.mediator.page, people.fisherman);
    ids.owner = await admit(people.mediator.page, people.owner);
    ids.mediator = await selfPeerId(people.mediator.page);

    await Promise.all(pairs().map(([to, from]) => expectFlowing(people[to].page, ids[from])));
    // Each sees the other two as tiles with their names.
    for (const [to, from] of pairs()) {
      expect(await people[to].page.getByTestId(`tile-${ids[from]}`).getAttribute('data-peer-name')).toBe(people[from].name);
    }
    for (const p of everyone()) await screenshot(p.page, `room-media-${p.name}`);
  }, 120_000);

  it('shows the mediator each participant’s link quality (RTT, loss, bitrate)', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'link-quality');
    for (const who of ['fisherman', 'owner'] as const) {
      const line = people.mediator.page.getByTestId(`host-link-${ids[who]}`);
      await expect.poll(() => line.innerText(), poll).toMatch(/延迟 \d+ 毫秒 · 丢包 \d+(\.\d)?% · 上行 [\d.]+ (kbps|Mbps) · 下行 [\d.]+ (kbps|Mbps)/);
    }
  }, 30_000);

  it('a party muted by the mediator is silent for everyone, cannot unmute, and can once allowed', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'mute');
    const host = people.mediator.page;
    const fisherman = people.fisherman.page;
    const audioPaused = () => media().producersOf(ids.fisherman).find((p) => p.kind === 'audio')?.paused;
    const others = [people.mediator.page, people.owner.page];

    await host.getByTestId(`host-mute-audio-${ids.fisherman}`).click();
    await expect.poll(audioPaused, poll).toBe(true);
    // Audio from the fisherman stops arriving (not a byte); their video goes on.
    await Promise.all(others.map((page) => expectFlowing(page, ids.fisherman, { audio: false, video: true })));
    for (const page of others) expect((await flowFrom(page, ids.fisherman, 1_500)).audioBytes).toBe(0);
    await fisherman.locator('[data-testid="room-notice"][data-key="room.notice.hostMutedAudio"]').waitFor();
    await expect.poll(() => host.getByTestId(`tile-${ids.fisherman}`).getByTestId('badge-host-muted').count(), poll).toBe(1);

    // The fisherman tries to unmute: refused, and nothing reaches anyone.
    await fisherman.getByTestId('mic-toggle').click();
    expect(await fisherman.getByTestId('mic-toggle').getAttribute('aria-pressed')).toBe('true');
    // Nor does going round the button: the server refuses to resume a producer the mediator muted.
    const micId = await fisherman.evaluate(() => (window as any).__haiqiaoRoom.producers.find((p: any) => p.source === 'microphone').id as string);
    const bypass = await fisherman.evaluate((id) => (window as any).__haiqiaoRoom.emitRaw('media:producer-pause', { producerId: id, paused: false }), micId);
    expect(bypass).toMatchObject({ ok: false, error: { code: 'MEDIA_ERROR' } });
    expect(audioPaused()).toBe(true);
    for (const page of others) expect((await flowFrom(page, ids.fisherman, 1_000)).audioBytes).toBe(0);

    // The mediator lifts the mute; the fisherman unmutes by themselves and is heard again.
    await host.getByTestId(`host-mute-audio-${ids.fisherman}`).click();
    await fisherman.locator('[data-testid="room-notice"][data-key="room.notice.hostUnmutedAudio"]').waitFor();
    expect(audioPaused()).toBe(true); // lifting the mute does not open their microphone for them
    await fisherman.getByTestId('mic-toggle').click();
    await expect.poll(audioPaused, poll).toBe(false);
    await Promise.all(others.map((page) => expectFlowing(page, ids.fisherman, { audio: true, video: true })));
  }, 90_000);

  it('sends video in three simulcast layers and Opus with FEC, DTX and a 24 kbps cap', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'weak-links');
    // What the server received: the parameters the browser actually negotiated.
    const producers = media().producersOf(ids.fisherman);
    const camera = producers.find((p) => p.source === 'camera')!;
    const microphone = producers.find((p) => p.source === 'microphone')!;
    expect(camera.rtpParameters.encodings).toHaveLength(3);
    expect(new Set(camera.rtpParameters.encodings!.map((e) => e.rid)).size).toBe(3);
    expect(microphone.rtpParameters.codecs[0]).toMatchObject({ mimeType: 'audio/opus', parameters: { useinbandfec: 1, usedtx: 1 } });
    // The bitrate cap travels only in the SDP answer the browser's encoder follows (read from
    // mediasoup-client's peer connection), and shows in the measured rate below.
    const answer = await people.fisherman.page.evaluate(() => ((window as any).__haiqiaoRoom.sendTransport.handler._pc as RTCPeerConnection).remoteDescription!.sdp);
    const opus = /a=rtpmap:(\d+) opus\/48000/.exec(answer)![1];
    const fmtp = new RegExp(`a=fmtp:${opus} (.*)`).exec(answer)![1]!.split(';');
    expect(fmtp).toEqual(expect.arrayContaining(['maxaveragebitrate=24000', 'usedtx=1', 'useinbandfec=1']));

    // What the browser sends: three encodings at ¼, ½ and full size, all producing frames
    // (the top one once the bandwidth estimate has ramped up).
    const outbound = (page: Page) =>
      page.evaluate(async () => {
        const room = (window as any).__haiqiaoRoom;
        const out: { kind: string; rid?: string; frameWidth?: number; framesEncoded?: number; bytesSent: number; packetsSent: number; at: number }[] = [];
        for (const p of room.producers) {
          (await p.getStats()).forEach((s: any) => {
            if (s.type === 'outbound-rtp') out.push({ kind: s.kind, rid: s.rid, frameWidth: s.frameWidth, framesEncoded: s.framesEncoded, bytesSent: s.bytesSent, packetsSent: s.packetsSent, at: s.timestamp });
          });
        }
        return out;
      });
    const layersSending = async () => {
      const before = await outbound(people.fisherman.page);
      await people.fisherman.page.waitForTimeout(1_000);
      const after = await outbound(people.fisherman.page);
      return after
        .filter((s) => s.kind === 'video' && (s.framesEncoded ?? 0) > (before.find((b) => b.rid === s.rid)?.framesEncoded ?? 0))
        .map((s) => s.frameWidth)
        .sort((a, b) => a! - b!);
    };
    await expect.poll(layersSending, { timeout: 30_000, interval: 500 }).toEqual([320, 640, 1280]);

    // Opus: at most 24 kbps of payload, and in the pauses of the talk (0.6 s each second) far
    // fewer packets than the 50 a second of continuous 20 ms frames (DTX).
    const audio = async () => (await outbound(people.fisherman.page)).find((s) => s.kind === 'audio')!;
    const a = await audio();
    await people.fisherman.page.waitForTimeout(4_000);
    const b = await audio();
    const seconds = (b.at - a.at) / 1000;
    const kbps = ((b.bytesSent - a.bytesSent) * 8) / seconds / 1000;
    const packetsPerSecond = (b.packetsSent - a.packetsSent) / seconds;
    console.log(`opus: ${kbps.toFixed(1)} kbps, ${packetsPerSecond.toFixed(1)} packets/s`);
    expect(kbps).toBeLessThanOrEqual(24);
    expect(packetsPerSecond).toBeLessThan(45);

    // Receivers get the layer their tile needs: the phone's small tiles a lower one than the full 720p.
    await expect
      .poll(async () => (await people.owner.page.evaluate(async (from) => {
        const room = (window as any).__haiqiaoRoom;
        const consumer = room.consumers.find((c: any) => c.peerId === from && c.kind === 'video');
        let width = 0;
        (await consumer.getStats()).forEach((s: any) => {
          if (s.type === 'inbound-rtp') width = s.frameWidth ?? 0;
        });
        return width;
      }, ids.fisherman)), poll)
      .toBeLessThan(1280);
  }, 90_000);

  it('audio only: no video is forwarded to that person or sent by them, and video returns when switched back', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'audio-only');
    const owner = people.owner.page;
    const videoConsumers = async (page: Page) => (await inbound(page)).filter((c) => c.kind === 'video').length;

    await owner.getByTestId('audio-only-toggle').click();
    await expect.poll(() => owner.getByTestId('audio-only-toggle').getAttribute('data-audio-only'), poll).toBe('true');
    await expect.poll(() => videoConsumers(owner), poll).toBe(0);
    await expect.poll(() => media().producersOf(ids.owner).filter((p) => p.kind === 'video').length, poll).toBe(0);
    // Still hears both; the others still hear the owner but receive no picture.
    await expectFlowing(owner, ids.mediator, { audio: true, video: false });
    await expectFlowing(owner, ids.fisherman, { audio: true, video: false });
    await expectFlowing(people.mediator.page, ids.owner, { audio: true, video: false });
    expect(await owner.locator('[data-testid="remote-video"]').count()).toBe(0);
    await screenshot(owner, 'room-media-audio-only');

    await owner.getByTestId('audio-only-toggle').click();
    await Promise.all([
      expectFlowing(owner, ids.mediator),
      expectFlowing(owner, ids.fisherman),
      expectFlowing(people.mediator.page, ids.owner),
      expectFlowing(people.fisherman.page, ids.owner),
    ]);
  }, 90_000);

  it('malformed socket payloads get error acks with codes, and the room keeps working', async ({ onTestFailed }) => {
    shootOnFailure(onTestFailed, 'malformed');
    const page = people.fisherman.page;
    const emit = (event: string, payload: unknown) => page.evaluate(([e, p]) => (window as any).__haiqiaoRoom.emitRaw(e, p), [event, payload] as const) as Promise<any>;
    const sendTransportId = await page.evaluate(() => (window as any).__haiqiaoRoom.sendTransport.id as string);
    const recvTransportId = await page.evaluate(() => (window as any).__haiqiaoRoom.recvTransport.id as string);
    const someoneElsesConsumer = (await inbound(people.owner.page))[0]!.consumerId;
    const cases: [string, unknown, string][] = [
      ['media:produce', { transportId: sendTransportId, kind: 'smell', rtpParameters: 'x', source: 'camera' }, 'VALIDATION_FAILED'],
      ['media:produce', { transportId: sendTransportId, kind: 'video', rtpParameters: { codecs: 'nope' }, source: 'camera' }, 'MEDIA_ERROR'],
      ['media:produce', { transportId: sendTransportId, kind: 'video', rtpParameters: { codecs: [] }, source: 'screen' }, 'FORBIDDEN'],
      ['media:connect', { transportId: 'not-a-transport', dtlsParameters: {} }, 'MEDIA_ERROR'],
      ['media:connect', { transportId: recvTransportId, dtlsParameters: { role: 'sideways', fingerprints: 5 } }, 'MEDIA_ERROR'],
      ['media:ready', { rtpCapabilities: { codecs: [{ mimeType: 5 }], headerExtensions: 'x' } }, 'VALIDATION_FAILED'],
      ['media:consumer-resume', { consumerId: someoneElsesConsumer }, 'MEDIA_ERROR'],
      ['media:consumer-layers', { consumerId: someoneElsesConsumer, spatialLayer: 7 }, 'VALIDATION_FAILED'],
      ['media:ready', 42, 'VALIDATION_FAILED'],
      ['media:start', 'not an object', 'VALIDATION_FAILED'],
      ['host:mute', { peerId: ids.owner, kind: 'audio', muted: true }, 'FORBIDDEN'],
      ['host:admit', { peerId: ids.owner }, 'FORBIDDEN'],
      ['room:leave', { now: true }, 'VALIDATION_FAILED'], // had it passed, the fisherman would have left
      ['chat:send', { text: 'a\u0000b' }, 'VALIDATION_FAILED'],
      ['chat:send', { text: '长'.repeat(5_000) }, 'VALIDATION_FAILED'],
      ['net:download', { bytes: 1e12 }, 'VALIDATION_FAILED'],
      ['session:enter', {}, 'CONFLICT'],
      ['evil:drop-table', { sql: 'drop table attendances' }, 'NOT_FOUND'],
    ];
    const answers: { event: string; code: string }[] = [];
    for (const [event, payload] of cases) {
      const ack = await emit(event, payload);
      answers.push({ event, code: ack?.ok === false ? ack.error.code : JSON.stringify(ack) });
      if (ack?.ok === false) expect(typeof ack.error.message).toBe('string');
    }
    expect(answers).toEqual(cases.map(([event, , code]) => ({ event, code })));

    // The worker is alive, nobody was disconnected, and media flows between everyone.
    expect(server.pool!.status().alive).toBe(1);
    for (const p of everyone()) expect(await p.page.getByTestId('connection-state').getAttribute('data-state')).toBe('connected');
    await Promise.all(pairs().map(([to, from]) => expectFlowing(people[to].page, ids[from])));
    // A producer made after the garbage reaches the sender of the garbage too.
    await people.owner.page.getByTestId('camera-toggle').click();
    await expect.poll(async () => (await flowFrom(page, ids.owner, 1_000)).video, poll).toBe(false);
    await people.owner.page.getByTestId('camera-toggle').click();
    await expectFlowing(page, ids.owner, { video: true });
    for (const p of everyone()) expect(p.errors).toEqual([]);
  }, 90_000);
});
