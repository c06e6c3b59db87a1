/**
 * Caucus (背对背调解) in the browser: the mediator opens two private rooms from the host panel
 * and moves one party into each; media is isolated on the server, so nobody receives audio or
 * video from a room they are not in, and everyone hears and sees everyone again once back in
 * the joint room.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import {
  bytesFrom,
  closeAll,
  createRoomFixture,
  expectFlowing,
  fishermanAndOwner,
  mediatorAndPartiesIn,
  openCaucus,
  type Person,
  poll,
  reportOnFailure,
  type RoomFixture,
  spaceOf,
} from './room-support.ts';

describe('caucus isolation in the browser', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  let mediator: Person;
  let fisherman: Person;
  let owner: Person;
  const ids: Record<'mediator' | 'fisherman' | 'owner', string> = { mediator: '', fisherman: '', owner: '' };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
    const joined = await mediatorAndPartiesIn(browser, server, fixture);
    ({ mediator, fisherman, owner } = joined.people);
    Object.assign(ids, joined.ids);
  }, 240_000);

  afterAll(async () => {
    await closeAll([mediator, fisherman, owner]);
    await browser?.close();
    await server?.close();
  });

  /** What the server forwards to a peer: the peers whose producers it consumes. */
  const serverFeeds = (peerId: string) => new Set(server.app.rooms.roomOf(fixture.sessionId)?.media?.consumedProducerPeers(peerId) ?? []);

  async function expectNothingFrom(page: Page, fromPeerId: string): Promise<void> {
    expect(await bytesFrom(page, fromPeerId, 1_500)).toEqual({ consumers: 0, bytes: 0 });
  }

  it('parties in separate caucuses receive nothing from each other or the joint room, and all again when back', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-caucus', () => [mediator, fisherman, owner]);
    // Everyone together first.
    await Promise.all([expectFlowing(fisherman.page, ids.owner), expectFlowing(owner.page, ids.fisherman)]);

    const host = mediator.page;
    const caucusA = await openCaucus(host, '渔民方');
    const caucusB = await openCaucus(host, '船东方');
    await host.getByTestId(`host-move-${ids.fisherman}`).selectOption(caucusA);
    await expect.poll(() => spaceOf(fisherman.page), poll).toBe(caucusA);
    await host.getByTestId(`host-move-${ids.owner}`).selectOption(caucusB);
    await expect.poll(() => spaceOf(owner.page), poll).toBe(caucusB);

    // The server forwards nothing across rooms...
    await expect.poll(() => [...serverFeeds(ids.fisherman)], poll).toEqual([]);
    expect([...serverFeeds(ids.owner)]).toEqual([]);
    expect([...serverFeeds(ids.mediator)]).toEqual([]);
    // ...and the browsers receive nothing: no consumers, no bytes.
    await Promise.all([
      expectNothingFrom(fisherman.page, ids.owner),
      expectNothingFrom(fisherman.page, ids.mediator),
      expectNothingFrom(owner.page, ids.fisherman),
      expectNothingFrom(owner.page, ids.mediator),
      expectNothingFrom(host, ids.fisherman),
      expectNothingFrom(host, ids.owner),
    ]);
    // Each caucus page shows only its own people.
    expect(await fisherman.page.getByTestId(`tile-${ids.owner}`).count()).toBe(0);
    expect(await fisherman.page.getByTestId(`tile-${ids.mediator}`).count()).toBe(0);

    // The mediator visits caucus A: mediator and fisherman talk; the owner still gets nothing.
    await host.getByTestId(`host-visit-${caucusA}`).click();
    await expect.poll(() => spaceOf(host), poll).toBe(caucusA);
    await Promise.all([expectFlowing(fisherman.page, ids.mediator), expectFlowing(host, ids.fisherman), expectNothingFrom(owner.page, ids.mediator)]);
    expect([...serverFeeds(ids.owner)]).toEqual([]);
    await screenshot(fisherman.page, 'room-caucus-fisherman-in-caucus');

    // Everyone back in the joint room: media flows between all three again.
    await host.getByTestId('host-back-joint').click();
    await expect.poll(() => spaceOf(host), poll).toBe('joint');
    await host.getByTestId(`host-move-${ids.fisherman}`).selectOption('joint');
    await host.getByTestId(`host-move-${ids.owner}`).selectOption('joint');
    await expect.poll(() => spaceOf(fisherman.page), poll).toBe('joint');
    await expect.poll(() => spaceOf(owner.page), poll).toBe('joint');
    await Promise.all([
      expectFlowing(fisherman.page, ids.owner),
      expectFlowing(fisherman.page, ids.mediator),
      expectFlowing(owner.page, ids.fisherman),
      expectFlowing(owner.page, ids.mediator),
      expectFlowing(host, ids.fisherman),
      expectFlowing(host, ids.owner),
    ]);
    expect([...mediator.errors, ...fisherman.errors, ...owner.errors]).toEqual([]);
  }, 150_000);
});
