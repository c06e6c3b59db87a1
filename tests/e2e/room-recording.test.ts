/**
 * Recording in the browser: the mediator starts recording from the host panel; the party already
 * in the room sees the notice; a party who joins afterwards must confirm a plain-language step
 * before the server takes any of their media, and once they do their tracks are recorded as
 * segments (files on disk with their hash in the database).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import { rowsOf } from '../helpers/test-app.ts';
import { admit, closeAll, createRoomFixture, fishermanAndOwner, mediatorEnters, partyToLobby, type Person, poll, reportOnFailure, type RoomFixture, selfPeerId } from './room-support.ts';

describe('recording notice and consent in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  const people: Person[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true, recording: { segmentSeconds: 2, minFreeBytes: 1 } }), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
  }, 240_000);

  afterAll(async () => {
    await closeAll(people);
    await browser?.close();
    await server?.close();
  });

  const producersOf = (peerId: string) => server.app.rooms.roomOf(fixture.sessionId)?.media?.producersOf(peerId) ?? [];

  it('everyone sees the notice; the late joiner confirms before producing; their segments are stored', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-recording', () => people);
    const mediator = await mediatorEnters(browser, server, fixture);
    people.push(mediator);
    const fisherman = await partyToLobby(browser, fixture.invitations[0]!);
    people.push(fisherman);
    const fishermanId = await admit(mediator.page, fisherman);
    await expect.poll(() => producersOf(fishermanId).length, poll).toBe(2);

    // The mediator starts recording: both see the notice; the fisherman, already sending, is asked to confirm too.
    await mediator.page.getByTestId('host-recording-start').click();
    await expect.poll(() => mediator.page.getByTestId('host-recording').getAttribute('data-state'), poll).toBe('running');
    await fisherman.page.getByTestId('recording-notice').waitFor();
    await mediator.page.getByTestId('recording-notice').waitFor();
    await fisherman.page.getByTestId('recording-consent-confirm').click();
    await fisherman.page.getByTestId('recording-consent').waitFor({ state: 'detached' });

    // The owner joins now: the step is shown in the lobby and still in the room until confirmed.
    const owner = await partyToLobby(browser, fixture.invitations[1]!);
    people.push(owner);
    await owner.page.getByTestId('recording-consent').waitFor();
    const ownerId = await admit(mediator.page, owner);
    await owner.page.getByTestId('recording-consent').waitFor();
    await screenshot(owner.page, 'room-recording-consent');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(producersOf(ownerId)).toEqual([]);
    expect(await selfPeerId(owner.page)).toBe(ownerId);

    await owner.page.getByTestId('recording-consent-confirm').click();
    await expect.poll(() => producersOf(ownerId).length, poll).toBe(2);
    await owner.page.getByTestId('recording-notice').waitFor();

    // Segments of the owner's microphone and camera arrive on disk and in the database.
    const segmentsOf = async (peerId: string) =>
      rowsOf<{ kind: string; file_key: string; sha256: string }>(await server.database.db.execute(sql`select kind, file_key, sha256 from recording_segments where attendance_id = ${peerId}`));
    await expect.poll(async () => new Set((await segmentsOf(ownerId)).map((s) => s.kind)).size, { timeout: 30_000, interval: 500 }).toBe(2);
    mediator.page.once('dialog', (dialog) => void dialog.accept());
    await mediator.page.getByTestId('host-recording-stop').click();
    await expect.poll(() => mediator.page.getByTestId('host-recording').getAttribute('data-state'), poll).toBe('off');
    await mediator.page.getByTestId('recording-notice').waitFor({ state: 'detached' });
    for (const segment of [...(await segmentsOf(ownerId)), ...(await segmentsOf(fishermanId))]) {
      const bytes = fs.readFileSync(path.join(server.filesDir, segment.file_key));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(segment.sha256);
    }
    // The staff desk: the case page lists the recording with one time line per track, and its package.
    const recordingId = rowsOf<{ id: string }>(await server.database.db.execute(sql`select id from recordings where session_id = ${fixture.sessionId}`))[0]!.id;
    await mediator.page.goto(`${server.baseUrl}/cases/${fixture.caseId}`);
    const listed = mediator.page.getByTestId(`recording-${recordingId}`);
    await listed.waitFor();
    // Mediator, fisherman and owner: each one's microphone and camera.
    expect(await listed.locator('.tracks li').count()).toBe(6);
    const href = await mediator.page.getByTestId(`recording-download-${recordingId}`).getAttribute('href');
    const download = await mediator.page.request.get(`${server.baseUrl}${href}`);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-type']).toBe('application/x-tar');
    await screenshot(mediator.page, 'room-recording-staff-desk');
    expect([...mediator.errors, ...fisherman.errors, ...owner.errors]).toEqual([]);
  }, 180_000);
});
