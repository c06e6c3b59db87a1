import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Where every counter of the service lives (rate-limiter-flexible). One process keeps them in
 * memory; several processes behind one address must share them, which is what `redis` is for:
 * pass a connected ioredis client and nothing else changes.
 */
export type RateLimitStore = { kind: 'memory' } | { kind: 'redis'; client: unknown; /** Key prefix (default `hq`): one per deployment sharing a Redis. */ namespace?: string };

export interface LimiterSpec {
  /** Budget per window. */
  points: number;
  /** Window length in seconds. */
  seconds: number;
  /** Once over budget, refuse for this many seconds (default: until the window ends). */
  blockSeconds?: number;
}

export type Limiter = RateLimiterAbstract;

export function createLimiterFactory(store: RateLimitStore) {
  return (name: string, spec: LimiterSpec): Limiter => {
    const namespace = store.kind === 'redis' ? (store.namespace ?? 'hq') : 'hq';
    const options = { keyPrefix: `${namespace}:${name}`, points: spec.points, duration: spec.seconds, blockDuration: spec.blockSeconds ?? 0 };
    return store.kind === 'redis' ? new RateLimiterRedis({ ...options, storeClient: store.client }) : new RateLimiterMemory(options);
  };
}
export type LimiterFactory = ReturnType<typeof createLimiterFactory>;

/**
 * Takes `points` from a key's budget: null when allowed, else how long until it is allowed again.
 * A store fault is thrown (a limiter that silently allows would hide an outage).
 */
export async function take(limiter: Limiter, key: string, points = 1): Promise<number | null> {
  try {
    await limiter.consume(key, points);
    return null;
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return Math.max(refusal.msBeforeNext, 1);
    throw refusal;
  }
}

/** How long a key is still refused (its budget spent), or null when it is not; takes nothing. */
export async function refusedFor(limiter: Limiter, key: string): Promise<number | null> {
  const state = await limiter.get(key);
  return state && state.consumedPoints >= limiter.points ? Math.max(state.msBeforeNext, 1) : null;
}
