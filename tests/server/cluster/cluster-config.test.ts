import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.ts';

const cluster = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/hq', HAIQIAO_REDIS_URL: 'redis://127.0.0.1:6379' };

describe('cluster mode configuration', () => {
  it('is off by default (PGlite, one process)', () => {
    expect(loadConfig({}).node).toBeUndefined();
    expect(loadConfig({}).redisNamespace).toBe('hq');
  });

  it('needs PostgreSQL and Redis, and a plain node id', () => {
    expect(() => loadConfig({ HAIQIAO_NODE_ID: 'node1' })).toThrow(/HAIQIAO_NODE_ID .* needs DATABASE_URL .* HAIQIAO_REDIS_URL/);
    expect(() => loadConfig({ HAIQIAO_NODE_ID: 'node1', DATABASE_URL: cluster.DATABASE_URL })).toThrow(/HAIQIAO_REDIS_URL/);
    expect(() => loadConfig({ ...cluster, HAIQIAO_NODE_ID: 'node 1; drop' })).toThrow(/HAIQIAO_NODE_ID/);
    expect(() => loadConfig({ ...cluster, HAIQIAO_REDIS_NAMESPACE: 'a:b' })).toThrow(/HAIQIAO_REDIS_NAMESPACE/);
  });

  it('describes the node by its id, its URL and its media address', () => {
    expect(loadConfig({ ...cluster, HAIQIAO_NODE_ID: 'node2', PORT: '3102', HAIQIAO_RTC_PORT: '40001' }).node).toEqual({
      id: 'node2',
      httpUrl: 'http://127.0.0.1:3102',
      rtcAddress: '127.0.0.1:40001',
      staleMs: 6_000,
    });
    expect(
      loadConfig({ ...cluster, HAIQIAO_NODE_ID: 'n', HAIQIAO_NODE_URL: 'http://10.0.0.2:3000', HAIQIAO_RTC_ANNOUNCED_ADDRESS: '203.0.113.4' }).node,
    ).toEqual({ id: 'n', httpUrl: 'http://10.0.0.2:3000', rtcAddress: '203.0.113.4:40000', staleMs: 6_000 });
    expect(loadConfig({ ...cluster, HAIQIAO_NODE_ID: 'n', HAIQIAO_NODE_STALE_MS: '10000' }).node?.staleMs).toBe(10_000);
    expect(() => loadConfig({ ...cluster, HAIQIAO_NODE_ID: 'n', HAIQIAO_NODE_STALE_MS: '500' })).toThrow(/HAIQIAO_NODE_STALE_MS/);
  });
});
