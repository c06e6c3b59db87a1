/**
 * The interpreter channel in Debian's Chromium (issue 12 point 4), against the real server and a
 * real mediasoup worker. The fisherman's fake microphone speaks at 150 Hz, the interpreter's at
 * 420 Hz (two browsers, one fake-audio file each). An interpreter (闽南语 ↔ 普通话) joins
 * with a one-time code and switches into their channel; the ship owner (the listener) chooses
 * for the fisherman the interpretation with the original lowered. Measured in the listener's
 * page with WebAudio AnalyserNodes after each voice's GainNode: the interpretation is heard at
 * full level, the original 12 dB lower; the mediator's panel shows the
 * choice, live; the choice is back after the listener reloads the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, resultsDir, screenshot, startE2eServer } from '../helpers/browser.ts';
import {
  admit,
  closeAll,
  createRoomFixture,
  expectFlowing,
  inviteParticipant,
  mediatorEnters,
  newPerson,
  partyToLobby,
  type Person,
  poll,
  reportOnFailure,
  residentIds,
  type RoomFixture,
  selfPeerId,
  until,
} from './room-support.ts';

/**
 * A fake microphone's voice: each second 0.4 s voiced (a fundamental and harmonics), then 0.6 s
 * of silence, as tests/helpers/browser.ts#writeSpeechLikeWav but at a fundamental of our choice
 * (the microphone's noise suppression would wear a steady tone down).
 */
function writeVoiceWav(file: string, fundamentalHz: number, seconds = 20): string {
  const rate = 48_000;
  const data = Buffer.alloc(rate * seconds * 2);
  for (let i = 0; i < rate * seconds; i += 1) {
    const t = (i % rate) / rate;
    let value = 0;
    if (t < 0.4) {
      for (const [harmonic, weight] of [[1, 0.6], [2, 0.3], [3, 0.2], [5, 0.1]] as const) value += weight * Math.sin((2 * Math.PI * fundamentalHz * harmonic * i) / rate);
      value *= 0.5 * Math.sin((Math.PI * t) / 0.4);
    }
    data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, value)) * 32_767), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8);
  header.write('fmt ', 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([header, data]));
  return file;
}

interface Level {
  peerId: string | null;
  source: string | null;
  gain: number;
  arriving: number;
  heard: number;
}

const levels = (page: Page) => page.evaluate(() => (window as any).__haiqiaoRoom.audioLevels() as Level[]);

/**
 * One voice over two seconds (twenty reads of both analysers at once): mean RMS arriving and
 * heard, and heard/arriving over the reads (the gain the person actually gets, in samples).
 */
async function levelOf(page: Page, peerId: string, source: string): Promise<{ arriving: number; heard: number; gain: number; ratio: number }> {
  const reads: Level[] = [];
  for (let i = 0; i < 20; i += 1) {
    const found = (await levels(page)).find((l) => l.peerId === peerId && l.source === source);
    if (found) reads.push(found);
    await page.waitForTimeout(100);
  }
  if (reads.length === 0) throw new Error(`no ${source} voice of ${peerId} in the page`);
  const sum = (pick: (l: Level) => number) => reads.reduce((total, l) => total + pick(l), 0);
  return { arriving: sum((l) => l.arriving) / reads.length, heard: sum((l) => l.heard) / reads.length, gain: reads.at(-1)!.gain, ratio: sum((l) => l.heard) / Math.max(sum((l) => l.arriving), 1e-9) };
}

const db = (ratio: number) => 20 * Math.log10(ratio);

describe('the interpreter channel in the browser', () => {
  let server: E2eServer;
  let floor: Browser;
  let booth: Browser;
  let fixture: RoomFixture;
  const people = {} as Record<'mediator' | 'fisherman' | 'owner' | 'interpreter', Person>;
  const ids = {} as Record<keyof typeof people, string>;

  beforeAll(async () => {
    const low = writeVoiceWav(path.join(resultsDir, 'interpretation-floor-150hz.wav'), 150);
    const high = writeVoiceWav(path.join(resultsDir, 'interpretation-booth-420hz.wav'), 420);
    // Microphones only: no camera is granted, which keeps the 2-core machine's load to audio.
    [server, floor, booth] = await Promise.all([
      startE2eServer({ media: true }),
      launchChromium({ fakeAudioFile: low, prompts: 'deny' }),
      launchChromium({ fakeAudioFile: high, prompts: 'deny' }),
    ]);
    fixture = await createRoomFixture(server, [
      { name: '陈阿海', idNumber: residentIds[0] },
      { name: '林船东', idNumber: residentIds[1] },
    ]);
  }, 240_000);

  afterAll(async () => {
    await closeAll(Object.values(people));
    await floor?.close();
    await booth?.close();
    await server?.close();
  });

  it('a listener who chose the interpretation hears the interpreter’s channel and the original 12 dB lower; the mediator sees the choice', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-interpretation', () => Object.values(people));
    const micOnly = { grant: ['microphone'] as ['microphone'], devices: { camera: 'denied', microphone: 'ok' } };
    people.mediator = await mediatorEnters(floor, server, { ...fixture }, ['microphone']);
    [people.fisherman, people.owner] = await Promise.all([partyToLobby(floor, fixture.invitations[0]!, micOnly), partyToLobby(floor, fixture.invitations[1]!, micOnly)]);
    ids.fisherman = await admit(people.mediator.page, people.fisherman);
    ids.owner = await admit(people.mediator.page, people.owner);
    ids.mediator = await selfPeerId(people.mediator.page);

    // The interpreter: no ID number on file, so a one-time code from the mediator.
    const invited = await inviteParticipant(server, fixture, { role: 'interpreter', displayName: '林翻译', languagePair: { from: 'minnan', to: 'putonghua' } });
    people.interpreter = await newPerson(booth, invited.name, 'phone', ['microphone']);
    const booth1 = people.interpreter.page;
    await booth1.goto(invited.link);
    await booth1.getByTestId('join-enter').click();
    await booth1.getByTestId('device-check').waitFor();
    await until('the microphone', () => booth1.getByTestId('microphone-status').getAttribute('data-status'), (v) => v === 'ok');
    await until('the network test', () => booth1.getByTestId('network-test-result').getAttribute('data-step'), (s) => s === 'done');
    await booth1.getByTestId('device-check-continue').click();
    await booth1.locator('[data-testid="identity"][data-method="one_time_code"]').waitFor();
    const host = people.mediator.page;
    const preparing = host.getByTestId('host-preparing-list').locator('li[data-testid^="host-peer-"]').filter({ hasText: invited.name });
    ids.interpreter = (await preparing.getAttribute('data-testid'))!.slice('host-peer-'.length);
    await host.getByTestId(`host-issue-code-${ids.interpreter}`).click();
    const code = (await host.getByTestId('host-code-value').innerText()).trim();
    await booth1.getByTestId('identity-code').fill(code);
    await booth1.getByTestId('identity-submit').click();
    await booth1.getByTestId('lobby-waiting').waitFor();
    expect(await admit(host, people.interpreter)).toBe(ids.interpreter);

    // The interpreter switches into their channel: a second audio producer, the floor microphone paused.
    await booth1.getByTestId('interpreting-toggle').click();
    await until(
      'the interpretation producer',
      () => booth1.evaluate(() => (window as any).__haiqiaoRoom.producers.map((p: any) => `${p.source}:${p.paused}`).sort().join(',')),
      (v) => v === 'interpretation:false,microphone:true',
    );
    const listener = people.owner.page;
    await expectFlowing(listener, ids.fisherman, { audio: true });
    // The listener's panel names the interpreter and their pair.
    const panel = listener.getByTestId('interpretation-panel');
    await panel.waitFor();
    expect(await panel.innerText()).toContain('闽南语 ↔ 普通话');

    // Before any choice: the fisherman heard as he arrives; the interpretation arrives but is not heard.
    const speaking = 0.005;
    const interpretationArrives = () => levelOf(listener, ids.interpreter, 'interpretation');
    await until('the interpretation arriving', interpretationArrives, (l) => l.arriving > speaking, 40_000);
    const originalBefore = await until('the fisherman arriving', () => levelOf(listener, ids.fisherman, 'microphone'), (l) => l.arriving > speaking, 40_000);
    expect(originalBefore.gain).toBeCloseTo(1, 3);
    expect(db(originalBefore.ratio)).toBeCloseTo(0, 0);
    const unchosen = await interpretationArrives();
    expect(unchosen.heard).toBeLessThan(unchosen.arriving / 100);

    // The choice: the fisherman's interpretation, with his own voice lowered under it.
    await listener.getByTestId(`listen-${ids.fisherman}-both`).click();
    await until('the choice applied', () => listener.getByTestId(`listen-${ids.fisherman}`).getAttribute('data-mode'), (m) => m === 'both');
    await listener.waitForTimeout(300); // the gain ramps in ~0.1 s
    const originalAfter = await until('the fisherman still arriving', () => levelOf(listener, ids.fisherman, 'microphone'), (l) => l.arriving > speaking, 40_000);
    const interpretation = await until('the interpretation still arriving', interpretationArrives, (l) => l.arriving > speaking, 40_000);
    expect(originalAfter.gain).toBeCloseTo(10 ** (-12 / 20), 3);
    // What the listener hears of the original, against what arrives of it: −12 dB.
    expect(db(originalAfter.ratio)).toBeGreaterThan(-13);
    expect(db(originalAfter.ratio)).toBeLessThan(-11);
    // The interpretation is heard as it arrives (0 dB).
    expect(db(interpretation.ratio)).toBeGreaterThan(-1);
    expect(db(interpretation.ratio)).toBeLessThan(1);
    // The channel is the interpreter's own producer of source interpretation, not their floor microphone.
    const consumers = await listener.evaluate(() => (window as any).__haiqiaoRoom.consumers.map((c: any) => ({ peerId: c.peerId, source: c.source, producerId: c.producerId })));
    const producerIds = await booth1.evaluate(() => (window as any).__haiqiaoRoom.producers.filter((p: any) => p.source === 'interpretation').map((p: any) => p.id));
    expect(consumers.filter((c: { source: string }) => c.source === 'interpretation').map((c: { producerId: string }) => c.producerId)).toEqual(producerIds);

    // The mediator's panel shows who listens to what, updated live.
    const badge = host.getByTestId(`host-listening-${ids.owner}`);
    await badge.waitFor({ timeout: poll.timeout });
    expect(await badge.locator(`[data-speaker="${ids.fisherman}"]`).getAttribute('data-mode')).toBe('both');
    expect(await badge.innerText()).toContain('陈阿海');
    await screenshot(listener, 'room-interpretation-listener');
    await screenshot(host, 'room-interpretation-mediator');

    // Interpretation only: the original is silent.
    await listener.getByTestId(`listen-${ids.fisherman}-interpretation`).click();
    await until('the original silenced', () => levelOf(listener, ids.fisherman, 'microphone'), (l) => l.gain < 0.001 && l.arriving > speaking && l.heard < l.arriving / 100, 40_000);
    await until('the mediator’s badge', () => badge.locator(`[data-speaker="${ids.fisherman}"]`).getAttribute('data-mode'), (m) => m === 'interpretation');

    // A reload (a reconnect with a new page): the choice comes back from the server.
    await listener.reload();
    await listener.getByTestId('room-view').waitFor({ timeout: 30_000 });
    await until('the stored choice', () => listener.getByTestId(`listen-${ids.fisherman}`).getAttribute('data-mode').catch(() => null), (m) => m === 'interpretation', 30_000);
  }, 240_000);
});
