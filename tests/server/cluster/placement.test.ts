/**
 * Several nodes on one PostgreSQL (cluster mode): registration and heartbeats, a dead node's
 * expiry, the atomic placement of a room on the least-loaded live node even when two nodes claim
 * it at once, the redirect of a socket that reached the wrong node, and failover: a room whose
 * node stopped beating is taken over by a live node and rebuilt (caucus and lock kept).
 * Nodes beat every 150 ms and are dead after 600 ms here (1 s and 6 s in production).
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../server/app.ts';
import { liveRooms } from '../../../server/db/schema/index.ts';
import * as nodesRepo from '../../../server/modules/cluster/nodes.repository.ts';
import { roomFixture } from '../../helpers/room-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { api, createTestWorld, json, type TestWorld } from '../../helpers/test-app.ts';

const timing = { heartbeatMs: 150, staleMs: 600 };
const nodeSettings = (id: string) => ({ id, httpUrl: `http://127.0.0.1/${id}`, rtcAddress: '127.0.0.1', ...timing });
let world: TestWorld;
let nodeB: App & { baseUrl: string };
const sockets: TestSocket[] = [];
const db = () => world.database.db;

beforeAll(async () => {
  world = await createTestWorld({ listen: true, node: nodeSettings('a') });
  nodeB = await world.addNode({ node: nodeSettings('b'), listen: true });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const liveIds = async () => (await nodesRepo.listLiveNodes(db(), timing.staleMs)).map((n) => n.id).sort();
const placedOn = async (sessionId: string) => (await db().select().from(liveRooms).where(eq(liveRooms.sessionId, sessionId)))[0]?.nodeId;

async function hostOn(baseUrl: string, sessionId: string) {
  const host = connectSocket(baseUrl, { cookie: world.cookies.mediator });
  sockets.push(host);
  await connected(host);
  return { host, entered: await host.call('session:enter', { sessionId: sessionId as never }) };
}

async function newSessions(count: number) {
  const f = await roomFixture(world);
  const mediator = api(world.app, world.cookies.mediator);
  const ids: string[] = [f.sessionId];
  while (ids.length < count) ids.push(json(await mediator.post(`/api/cases/${f.caseId}/sessions`, { title: `调解 ${ids.length}`, scheduledAt: '2026-11-25T06:00:00Z' })).id);
  return ids;
}

describe('node registry', () => {
  it('both nodes registered and beat; a node that stops beating is dead after staleMs', async () => {
    expect(await liveIds()).toEqual(['a', 'b']);
    const before = (await nodesRepo.listLiveNodes(db(), timing.staleMs)).find((n) => n.id === 'b')!.heartbeatAt;
    await sleep(400);
    const after = (await nodesRepo.listLiveNodes(db(), timing.staleMs)).find((n) => n.id === 'b')!.heartbeatAt;
    expect(after.getTime()).toBeGreaterThan(before.getTime());

    await nodesRepo.registerNode(db(), { id: 'ghost-1', httpUrl: 'http://127.0.0.1:1', rtcAddress: '127.0.0.1' });
    expect(await liveIds()).toEqual(['a', 'b', 'ghost-1']);
    await sleep(timing.staleMs + 100);
    expect(await liveIds()).toEqual(['a', 'b']);
  });
});

describe('placement', () => {
  it('two nodes claiming the same rooms at once always agree on one node', async () => {
    const sessionIds = await newSessions(12);
    for (const sessionId of sessionIds) {
      const [onA, onB] = await Promise.all([world.app.node!.claim(sessionId), nodeB.node!.claim(sessionId)]);
      expect(onA).toBe(onB);
      expect(['a', 'b']).toContain(onA);
      expect(await placedOn(sessionId)).toBe(onA);
    }
  });

  it('a new room goes to the least-loaded live node', async () => {
    const [first, second] = await newSessions(2);
    // A node alive with the lowest load (a row that beats only when we say so).
    await nodesRepo.registerNode(db(), { id: 'light', httpUrl: 'http://127.0.0.1:1', rtcAddress: '127.0.0.1' });
    await nodesRepo.heartbeat(db(), 'light', -1);
    expect(await world.app.node!.claim(first!)).toBe('light');
    // Now the heaviest: the lighter of the two real nodes, as their heartbeats last said.
    await nodesRepo.heartbeat(db(), 'light', 1_000_000);
    await sleep(2 * timing.heartbeatMs);
    const lightest = (await nodesRepo.listLiveNodes(db(), timing.staleMs))[0]!;
    expect(['a', 'b']).toContain(lightest.id);
    expect(await nodeB.node!.claim(second!)).toBe(lightest.id);
    // Placed rooms stay where they are while their node lives.
    expect(await nodeB.node!.claim(first!)).toBe('light');
    await db().execute(sql`delete from nodes where id = 'light'`);
  });

  it('a socket that reached the other node is told which node holds the room; there it enters', async () => {
    const [sessionId] = await newSessions(1);
    await db().insert(liveRooms).values({ sessionId: sessionId!, nodeId: 'b' });
    const onA = await hostOn(world.baseUrl, sessionId!);
    expect(onA.entered).toMatchObject({ ok: false, error: { code: 'WRONG_NODE', node: 'b' } });
    expect(world.app.rooms.roomOf(sessionId!)).toBeUndefined();
    const onB = await hostOn(nodeB.baseUrl, sessionId!);
    expect(onB.entered.ok).toBe(true);
    expect(nodeB.rooms.roomOf(sessionId!)).toBeDefined();
  });
});

describe('failover', () => {
  it('a room whose node stopped beating is taken over by a live node and rebuilt with its caucus and lock', async () => {
    const [sessionId] = await newSessions(1);
    await db().insert(liveRooms).values({ sessionId: sessionId!, nodeId: 'a' });
    const { host, entered } = await hostOn(world.baseUrl, sessionId!);
    if (!entered.ok) throw new Error(entered.error.message);
    const caucus = await host.call('host:caucus-open', { name: '渔民一方' });
    expect(caucus.ok).toBe(true);
    expect((await host.call('host:lock', { locked: true })).ok).toBe(true);

    // A node that died holding the room (registered, then silent).
    await nodesRepo.registerNode(db(), { id: 'ghost-2', httpUrl: 'http://127.0.0.1:1', rtcAddress: '127.0.0.1' });
    const dropped = new Promise<string>((resolve) => host.once('disconnect', resolve));
    await db().update(liveRooms).set({ nodeId: 'ghost-2' }).where(eq(liveRooms.sessionId, sessionId!));
    // Node A no longer holds it: the room is let go and the host's connection ends.
    expect(await dropped).toBe('io server disconnect');
    expect(world.app.rooms.roomOf(sessionId!)).toBeUndefined();

    const deadline = Date.now() + timing.staleMs + 2_000;
    let owner: string | null | undefined;
    while (Date.now() < deadline) {
      owner = await placedOn(sessionId!);
      if (['a', 'b'].includes(owner ?? '')) break;
      await sleep(50);
    }
    expect(['a', 'b']).toContain(owner);
    const survivor = owner === 'a' ? world.app : nodeB;
    await sleep(timing.heartbeatMs * 2); // the survivor rebuilds it on its next pass
    const room = survivor.rooms.roomOf(sessionId!)!;
    expect(room).toBeDefined();
    expect(room.locked).toBe(true);
    expect([...room.caucuses.values()]).toEqual(['渔民一方']);

    // The host comes back (resume token) through the survivor.
    const back = connectSocket(owner === 'a' ? world.baseUrl : nodeB.baseUrl, { cookie: world.cookies.mediator, resumeToken: entered.data.resumeToken });
    sockets.push(back);
    await connected(back);
    const again = await back.call('session:enter', { resumeToken: entered.data.resumeToken });
    expect(again).toMatchObject({ ok: true, data: { state: 'admitted' } });
  });
});
