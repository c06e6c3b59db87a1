import { describe, expect, it } from 'vitest';
import { afterEnterFailure } from '../../client/src/room/enter-retry.ts';

describe('after session:enter fails', () => {
  it('tries again when the answer is about the moment: no answer, a busy or restarting server, a spent socket budget', () => {
    expect(afterEnterFailure(null)).toEqual({ retryInMs: 2_000 });
    expect(afterEnterFailure('NETWORK')).toEqual({ retryInMs: 2_000 });
    expect(afterEnterFailure('INTERNAL')).toEqual({ retryInMs: 2_000 });
    expect(afterEnterFailure('UNAVAILABLE')).toEqual({ retryInMs: 3_000 });
    // A reconnect storm spends the connection's budget: the person keeps their place and retries.
    expect(afterEnterFailure('RATE_LIMITED')).toEqual({ retryInMs: 5_000 });
  });

  it('refuses when the answer is about the person: revoked link, removed, locked room, ended session', () => {
    for (const code of ['FORBIDDEN', 'NOT_FOUND', 'UNAUTHORIZED', 'CONFLICT', 'VALIDATION']) expect(afterEnterFailure(code)).toBe('refused');
  });
});
