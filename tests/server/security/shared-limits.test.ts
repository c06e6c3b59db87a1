/**
 * With the Redis store (HAIQIAO_REDIS_URL), guessing counters hold across nodes: an account
 * locked by wrong passwords sent to one node is locked on the other, and an address refused for
 * guessing invitation tokens on one node is refused on the other. Real Redis on 127.0.0.1:6379,
 * under a namespace of this test's own.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../server/app.ts';
import { createTestWorld, type TestWorld, testPassword } from '../../helpers/test-app.ts';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const namespace = `hq-test-${randomBytes(6).toString('hex')}`;
let redis: Redis;
let world: TestWorld;
let nodeB: App;

beforeAll(async () => {
  redis = new Redis(redisUrl, { enableOfflineQueue: false, lazyConnect: true });
  await redis.connect();
  world = await createTestWorld({ rateLimitStore: { kind: 'redis', client: redis, namespace }, guessingLimits: { loginFailuresPerAccount: 3, tokenFailuresPerAddress: 3 } });
  nodeB = await world.addNode();
});
afterAll(async () => {
  await world?.close();
  if (redis) {
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }
});

const login = (app: App, password: string) =>
  app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'othermediator', password }, remoteAddress: '203.0.113.7' });

describe('guessing counters shared through Redis', () => {
  it('wrong passwords on node A lock the account on node B too, even for the right password', async () => {
    for (let i = 0; i < 3; i++) expect((await login(world.app, 'wrong-password-guess')).statusCode).not.toBe(200);
    const onB = await login(nodeB, testPassword);
    expect(onB.statusCode).toBe(429);
    expect(onB.json().error.code).toBe('RATE_LIMITED');
    expect(await redis.keys(`${namespace}:login-account*`)).not.toEqual([]);
  });

  it('made-up invitation tokens on node A get the address refused on node B', async () => {
    const guess = (app: App) =>
      app.inject({ method: 'GET', url: '/api/invitations/me', headers: { authorization: `Invitation ${randomBytes(32).toString('base64url')}` }, remoteAddress: '203.0.113.9' });
    for (let i = 0; i < 3; i++) expect((await guess(world.app)).statusCode).toBeGreaterThanOrEqual(400);
    const onB = await guess(nodeB);
    expect(onB.statusCode).toBe(429);
    expect(onB.json().error.code).toBe('RATE_LIMITED');
  });
});
