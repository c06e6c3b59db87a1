/**
 * Two nodes of one service sharing Redis (real, 127.0.0.1:6379, a namespace of this test's own):
 * socket.io's Redis adapter carries room events from the node that decided a change to the node
 * holding the room, and @fastify/rate-limit's route limits hold across both nodes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../server/app.ts';
import { roomFixture } from '../../helpers/room-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { api, createTestWorld, type TestWorld, testPassword } from '../../helpers/test-app.ts';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const namespace = `hq-test-${randomBytes(6).toString('hex')}`;
let redis: Redis;
let world: TestWorld;
let nodeB: App;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  redis = new Redis(redisUrl, { enableOfflineQueue: false, lazyConnect: true });
  await redis.connect();
  world = await createTestWorld({ listen: true, loginRatePerMinute: 12, redis: { client: redis, namespace } });
  nodeB = await world.addNode();
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await world?.close();
  if (redis) {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
});

/** A participant entered (not yet admitted) on node A's port. */
async function participantOnA(token: string) {
  const socket = connectSocket(world.baseUrl, { invitationToken: token });
  sockets.push(socket);
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  return socket;
}

describe('room events across nodes (socket.io Redis adapter)', () => {
  it('a link revoked through node B ends the connection held by node A', async () => {
    const f = await roomFixture(world);
    const socket = await participantOnA(f.ownerToken);
    const told = socket.next('attendance:changed', (p) => p.cause === 'invitation_revoked');
    const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const revoked = await api(nodeB, world.cookies.mediator).post(`/api/invitations/${f.ownerInvitationId}/revoke`);
    expect(revoked.statusCode).toBe(200);
    // Node B held no room: only the adapter can have told node A's socket.
    expect(nodeB.rooms.roomOf(f.sessionId)).toBeUndefined();
    expect(await told).toMatchObject({ cause: 'invitation_revoked' });
    expect(await gone).toBe('io server disconnect');
  });

  it('a case notice sent on node B reaches the admitted peers of the room on node A', async () => {
    const f = await roomFixture(world);
    const host = connectSocket(world.baseUrl, { cookie: world.cookies.mediator });
    sockets.push(host);
    await connected(host);
    expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
    const agreementId = randomUUID();
    const notice = host.next('agreement:updated', (p) => p.agreementId === agreementId, 5_000);
    nodeB.roomEvents.notifyCase(f.caseId, 'agreement:updated', { agreementId });
    expect(await notice).toEqual({ agreementId });
  });
});

describe('a node shutting down', () => {
  it('lets go of its own sockets only, not those of the other nodes', async () => {
    const f = await roomFixture(world);
    const socket = await participantOnA(f.fishermanToken);
    let dropped = false;
    socket.once('disconnect', () => (dropped = true));
    const nodeC = await world.addNode();
    await nodeC.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(dropped).toBe(false);
    await expect(socket.call('net:ping', { sentAt: 1 })).resolves.toMatchObject({ ok: true });
  });
});

describe('route limits across nodes (@fastify/rate-limit in Redis)', () => {
  it('logins spent on node A count on node B', async () => {
    const login = (app: App) =>
      app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'mediator', password: testPassword }, remoteAddress: '203.0.113.50' });
    for (let i = 0; i < 12; i++) expect((await login(i % 2 ? nodeB : world.app)).statusCode).toBe(200);
    const refused = await login(nodeB);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('RATE_LIMITED');
    expect(await redis.keys(`${namespace}:route-limit:*`)).not.toEqual([]);
  });
});
