/**
 * A room's router that is still being made when the room is let go of (its session ended over
 * HTTP, its worker died meanwhile, the node shutting down) must not outlive the room: the soak
 * once ended with 3 routers open after cycles that timed out. Real mediasoup worker; the only
 * thing the test world adds is a gate before the pool hands out a worker, so the room is let go
 * of while its router creation is in flight, every time.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../../server/media/worker-pool.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, type TestWorld } from '../../../helpers/test-app.ts';
import { type RoomFixture, roomFixture } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
let pool: WorkerPool;
const sockets: TestSocket[] = [];

/** Every router made from now on, in order (mediasoup's own observer: nothing is replaced). */
const made: types.Router[] = [];
mediasoup.observer.on('newworker', (worker) => worker.observer.on('newrouter', (router) => made.push(router)));

/**
 * Holds pool.nextWorker() (the first step of MediaRoom.create) until opened. `reached` resolves
 * when a router creation is waiting at the gate.
 */
function gatePool() {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const waiting = new Promise<void>((resolve) => {
    reached = resolve;
  });
  pool.nextWorker = async (timeoutMs?: number) => {
    reached();
    await opened;
    return WorkerPool.prototype.nextWorker.call(pool, timeoutMs);
  };
  return { waiting, open };
}

/** Resolves true when the router closes within `ms`, false if it is still open then. */
function closesWithin(router: types.Router, ms: number): Promise<boolean> {
  if (router.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    router.observer.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** The next router made (after the gate opens). */
function nextRouter(): Promise<types.Router> {
  const before = made.length;
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = setInterval(() => {
      if (made.length > before) {
        clearInterval(poll);
        resolve(made[before]!);
      } else if (Date.now() > deadline) {
        clearInterval(poll);
        reject(new Error('no router was made'));
      }
    }, 10);
  });
}

async function openRouters(): Promise<number> {
  let count = 0;
  for (const worker of pool.workers) count += (await worker.dump()).routerIds.length;
  return count;
}

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

/** The mediator enters the room: the room's router is asked for (routerRtpCapabilities in the ack). */
async function hostEnters(f: RoomFixture) {
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  return { host, entered: host.call('session:enter', { sessionId: f.sessionId as never }) };
}

/** Ended over HTTP, as the soak's failed cycles end theirs (lobby → live → ended). */
async function endOverHttp(f: RoomFixture) {
  const mediator = api(world.app, world.cookies.mediator);
  expect((await mediator.post(`/api/sessions/${f.sessionId}/transitions`, { to: 'live' })).statusCode).toBe(200);
  expect((await mediator.post(`/api/sessions/${f.sessionId}/transitions`, { to: 'ended' })).statusCode).toBe(200);
}

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
  delete (pool as Partial<WorkerPool>).nextWorker; // back to the prototype's
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

describe('a router made for a room that is gone is closed at once', () => {
  it('the session is ended over HTTP while its first router is being made', async () => {
    const f = await roomFixture(world);
    const before = await openRouters();
    const gate = gatePool();
    const { entered } = await hostEnters(f);
    void entered.catch(() => undefined); // the host's socket ends with the room: no ack may come
    await gate.waiting;
    const room = world.app.rooms.roomOf(f.sessionId)!;
    expect(room.mediaStarting).not.toBeNull();

    await endOverHttp(f);
    expect(world.app.rooms.roomOf(f.sessionId)).toBeUndefined();
    const router = nextRouter();
    gate.open();
    expect(await closesWithin(await router, 10_000)).toBe(true);
    expect(room.media).toBeNull();
    expect(await openRouters()).toBe(before);
  });

  it('a request still under way when the room ended (an entry awaiting the database) asks for its media afterwards: no new router', async () => {
    const f = await roomFixture(world);
    const before = await openRouters();
    const { entered } = await hostEnters(f);
    expect(await entered).toMatchObject({ ok: true });
    const room = world.app.rooms.roomOf(f.sessionId)!;
    expect(room.media).not.toBeNull();
    await endOverHttp(f);
    expect(room.media).toBeNull(); // closed with the room

    const routers = made.length;
    // What room-entry's last step does for an entry that began before the end.
    expect(await world.app.rooms.media.routerCapabilities(room)).toBeNull();
    await expect(world.app.rooms.media.mediaOf(room)).rejects.toMatchObject({ code: 'MEDIA_ERROR' });
    expect(made.length).toBe(routers);
    expect(await openRouters()).toBe(before);
  });

  it('the session is ended while the room is rebuilt after its worker died', async () => {
    const f = await roomFixture(world);
    const before = await openRouters();
    const { host, entered } = await hostEnters(f);
    expect(await entered).toMatchObject({ ok: true });
    const room = world.app.rooms.roomOf(f.sessionId)!;
    expect((await host.call('media:start', {})).ok).toBe(true);
    const dead = room.media!.workerPid;

    const gate = gatePool();
    process.kill(dead, 'SIGKILL');
    await gate.waiting; // the rebuild waits for a worker
    await endOverHttp(f);
    const router = nextRouter();
    gate.open();
    const rebuilt = await router;
    expect(rebuilt).not.toBe(undefined);
    expect(await closesWithin(rebuilt, 10_000)).toBe(true);
    expect(room.media).toBeNull();
    expect(pool.workers.map((w) => w.pid)).not.toContain(dead);
    // The dead worker's routers went with it: only the ones held before remain.
    expect(await openRouters()).toBe(before);
  });

  it('the room is released to another node while its router is being made', async () => {
    const f = await roomFixture(world);
    const before = await openRouters();
    const gate = gatePool();
    const { entered } = await hostEnters(f);
    void entered.catch(() => undefined);
    await gate.waiting;
    const room = world.app.rooms.roomOf(f.sessionId)!;

    world.app.rooms.registry.release(f.sessionId); // what node membership does when the room is placed elsewhere
    const router = nextRouter();
    gate.open();
    expect(await closesWithin(await router, 10_000)).toBe(true);
    expect(room.media).toBeNull();
    expect(await openRouters()).toBe(before);
  });

  it("the node shuts down while a room's router is being made", async () => {
    const f = await roomFixture(world);
    const before = await openRouters();
    const gate = gatePool();
    const { entered } = await hostEnters(f);
    void entered.catch(() => undefined); // the host's socket ends with the room: no ack may come
    await gate.waiting;
    const room = world.app.rooms.roomOf(f.sessionId)!;

    for (const s of sockets.splice(0)) s.disconnect();
    await world.restart(); // the old node's rooms are let go of; the pool (shared here) stays
    const router = nextRouter();
    gate.open();
    expect(await closesWithin(await router, 10_000)).toBe(true);
    expect(room.media).toBeNull();
    expect(await openRouters()).toBe(before);
  });
});
