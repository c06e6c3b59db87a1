/**
 * A mediasoup worker that dies during a live session (SIGKILL to the process hosting the room's
 * router): the pool starts a replacement, the server rebuilds the room's router on it and tells
 * the clients, and every browser makes new transports and produces again by itself, with no
 * click. What the mediator set up survives the rebuild: a party in a caucus still receives
 * nothing from the joint room, and a party muted by the mediator stays muted on the server.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, launchChromium, screenshot, startE2eServer } from '../helpers/browser.ts';
import {
  bytesFrom,
  closeAll,
  connectionOf,
  createRoomFixture,
  expectFlowing,
  fishermanAndOwner,
  flowFrom,
  mediatorAndPartiesIn,
  openCaucus,
  type Person,
  poll,
  reportOnFailure,
  type RoomFixture,
  spaceOf,
  until,
} from './room-support.ts';

type Who = 'mediator' | 'fisherman' | 'owner';

describe('a media worker dying during a session', () => {
  let server: E2eServer;
  let browser: Browser;
  let fixture: RoomFixture;
  const people = {} as Record<Who, Person>;
  const ids = {} as Record<Who, string>;
  const everyone = () => Object.values(people);
  const pairs = (): [Who, Who][] => (Object.keys(ids) as Who[]).flatMap((to) => (Object.keys(ids) as Who[]).filter((from) => from !== to).map((from): [Who, Who] => [to, from]));

  const room = () => server.app.rooms.roomOf(fixture.sessionId)!;
  /** What the server forwards to a peer: the peers whose producers it consumes. */
  const serverFeeds = (peerId: string) => room().media?.consumedProducerPeers(peerId) ?? [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startE2eServer({ media: true }), launchChromium()]);
    fixture = await createRoomFixture(server, fishermanAndOwner);
    const joined = await mediatorAndPartiesIn(browser, server, fixture);
    Object.assign(people, joined.people);
    Object.assign(ids, joined.ids);
  }, 240_000);

  afterAll(async () => {
    await closeAll(everyone());
    await browser?.close();
    await server?.close();
  });

  /**
   * Kills the worker process hosting the room and waits until the room has a router on a
   * different, live worker of the pool; returns the dead and the new pid.
   */
  async function killRoomWorker(): Promise<{ dead: number; now: number; killedAt: number }> {
    const dead = room().media!.workerPid;
    expect(server.pool!.workers.map((w) => w.pid)).toContain(dead);
    const killedAt = Date.now();
    process.kill(dead, 'SIGKILL');
    const now = await until(
      'the room rebuilt on a new worker',
      async () => {
        const media = room().media;
        return media && !media.closed && media.workerPid !== dead ? media.workerPid : null;
      },
      (pid) => pid !== null,
    );
    expect(server.pool!.workers.map((w) => w.pid)).toEqual([now]); // the replacement, alone in the pool of one
    console.log(`room rebuilt on worker ${now} ${Date.now() - killedAt} ms after worker ${dead} was killed`);
    return { dead, now: now!, killedAt };
  }

  const transportIds = (page: Page) => page.evaluate(() => [(window as any).__haiqiaoRoom.sendTransport?.id, (window as any).__haiqiaoRoom.recvTransport?.id] as string[]);

  it('the room is rebuilt on the replacement worker and every browser gets media back without a click', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-worker-death', everyone);
    await Promise.all(pairs().map(([to, from]) => expectFlowing(people[to].page, ids[from])));
    const before = await Promise.all(everyone().map((p) => transportIds(p.page)));
    const consoleBefore = everyone().map((p) => p.console.length);

    const { killedAt } = await killRoomWorker();
    // Everyone receives everyone's voice and picture again, on new transports.
    await Promise.all(pairs().map(([to, from]) => expectFlowing(people[to].page, ids[from], { audio: true, video: true }, 30_000)));
    console.log(`media flowing between all three again ${Date.now() - killedAt} ms after the kill`);
    const after = await Promise.all(everyone().map((p) => transportIds(p.page)));
    for (const [i, fresh] of after.entries()) for (const id of fresh) expect(before[i]).not.toContain(id);
    // Nobody was sent back through the lobby or saw the session end; the sockets never dropped.
    for (const p of everyone()) {
      expect(await connectionOf(p.page)).toBe('connected');
      expect(await p.page.getByTestId('room-view').count()).toBe(1);
    }
    // The new router was ready when they were told: no failed media start (the 'media failed'
    // banner and a retry a few seconds later) on the way back.
    const failures = everyone().flatMap((p, i) => p.console.slice(consoleBefore[i]).filter((line) => /media start failed|could not consume/.test(line)));
    expect(failures).toEqual([]);
    for (const p of everyone()) await screenshot(p.page, `room-worker-after-${p.name}`);
    expect(everyone().flatMap((p) => p.errors)).toEqual([]);
  }, 120_000);

  it('a caucus and a host mute survive the rebuild: the caucus still receives nothing, the muted party stays silent', async ({ onTestFailed }) => {
    reportOnFailure(onTestFailed, 'room-worker-caucus-mute', everyone);
    const host = people.mediator.page;
    const caucus = await openCaucus(host, '船东方');
    await host.getByTestId(`host-move-${ids.owner}`).selectOption(caucus);
    await expect.poll(() => spaceOf(people.owner.page), poll).toBe(caucus);
    await host.getByTestId(`host-mute-audio-${ids.fisherman}`).click();
    const fishermanAudioPaused = () => room().media?.producersOf(ids.fisherman).find((p) => p.kind === 'audio')?.paused;
    await expect.poll(fishermanAudioPaused, poll).toBe(true);
    await expectFlowing(host, ids.fisherman, { audio: false, video: true });

    await killRoomWorker();

    // The joint room works again: the mediator sees the fisherman, the fisherman hears and sees the mediator.
    await expectFlowing(people.fisherman.page, ids.mediator, { audio: true, video: true }, 30_000);
    await expectFlowing(host, ids.fisherman, { video: true }, 30_000);
    // The mute held through the rebuild: the new microphone producer is paused on the server, and not a byte arrives.
    await expect.poll(fishermanAudioPaused, poll).toBe(true);
    expect((await flowFrom(host, ids.fisherman, 1_500)).audioBytes).toBe(0);
    expect(await people.fisherman.page.getByTestId('mic-toggle').getAttribute('aria-pressed')).toBe('true');
    // The caucus held too: the owner is still in it, produces again, and nothing crosses between rooms.
    expect(room().peers.get(ids.owner)!.space).toBe(caucus);
    expect(await spaceOf(people.owner.page)).toBe(caucus);
    await expect.poll(() => room().media?.producersOf(ids.owner).map((p) => p.kind).sort() ?? [], { timeout: 30_000, interval: 250 }).toEqual(['audio', 'video']);
    expect(serverFeeds(ids.owner)).toEqual([]);
    expect(serverFeeds(ids.mediator)).not.toContain(ids.owner);
    expect(serverFeeds(ids.fisherman)).not.toContain(ids.owner);
    const nothing = { consumers: 0, bytes: 0 };
    expect(await bytesFrom(people.owner.page, ids.mediator, 1_500)).toEqual(nothing);
    expect(await bytesFrom(people.owner.page, ids.fisherman, 1_500)).toEqual(nothing);
    expect(await bytesFrom(host, ids.owner, 1_500)).toEqual(nothing);

    // And once back in the joint room with the mute lifted, everyone receives everyone.
    await host.getByTestId(`host-move-${ids.owner}`).selectOption('joint');
    await host.getByTestId(`host-mute-audio-${ids.fisherman}`).click();
    await people.fisherman.page.locator('[data-testid="room-notice"][data-key="room.notice.hostUnmutedAudio"]').waitFor();
    await people.fisherman.page.getByTestId('mic-toggle').click();
    await Promise.all(pairs().map(([to, from]) => expectFlowing(people[to].page, ids[from], { audio: true, video: true }, 30_000)));
    expect(everyone().flatMap((p) => p.errors)).toEqual([]);
  }, 150_000);
});
