import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config.ts';
import { createTurnCredentials } from '../../../server/security/turn-credentials.ts';

const secret = 'a-shared-secret-of-32-characters';

/** The password coturn expects for a REST-API username, computed by OpenSSL rather than by Node. */
function opensslHmac(username: string): string {
  const digest = execFileSync('openssl', ['dgst', '-sha1', '-hmac', secret, '-binary'], { input: username });
  return digest.toString('base64');
}

describe('TURN REST API credentials', () => {
  it('username is expiry:peer, password is base64 HMAC-SHA1 of it under the shared secret', () => {
    const now = new Date('2026-12-06T02:00:00Z');
    const turn = createTurnCredentials({ secret, urls: ['turns:turn.example.cn:443?transport=tcp'], ttlSeconds: 3600 }, () => now);
    const [server] = turn.iceServersFor('peer-1');
    expect(server!.urls).toEqual(['turns:turn.example.cn:443?transport=tcp']);
    expect(server!.username).toBe(`${now.getTime() / 1000 + 3600}:peer-1`);
    expect(server!.credential).toBe(opensslHmac(server!.username));
    // Another person, another credential; a colon in a name cannot forge the expiry part.
    expect(turn.iceServersFor('peer-2')[0]!.credential).not.toBe(server!.credential);
    expect(turn.iceServersFor('a:b')[0]!.username).toBe(`${now.getTime() / 1000 + 3600}:a_b`);
  });

  it('refuses a short secret, no URLs and anything that is not a TURN URL', () => {
    expect(() => createTurnCredentials({ secret: 'short', urls: ['turns:x:443'], ttlSeconds: 60 })).toThrow(/at least 16/);
    expect(() => createTurnCredentials({ secret, urls: [], ttlSeconds: 60 })).toThrow(/at least one/);
    expect(() => createTurnCredentials({ secret, urls: ['https://x'], ttlSeconds: 60 })).toThrow(/not a TURN URL/);
  });

  it('is configured by HAIQIAO_TURN_SECRET and HAIQIAO_TURN_URLS together, or not at all', () => {
    expect(loadConfig({}).turn).toBeUndefined();
    expect(loadConfig({ HAIQIAO_TURN_SECRET: secret, HAIQIAO_TURN_URLS: 'turns:a.cn:443?transport=tcp, turn:a.cn:3478' }).turn).toEqual({
      secret,
      urls: ['turns:a.cn:443?transport=tcp', 'turn:a.cn:3478'],
      ttlSeconds: 3600,
    });
    expect(() => loadConfig({ HAIQIAO_TURN_SECRET: secret })).toThrow(/HAIQIAO_TURN_SECRET and HAIQIAO_TURN_URLS/);
    expect(() => loadConfig({ HAIQIAO_TURN_URLS: 'turns:a.cn:443' })).toThrow(/HAIQIAO_TURN_SECRET and HAIQIAO_TURN_URLS/);
    expect(() => loadConfig({ HAIQIAO_TURN_SECRET: 'short', HAIQIAO_TURN_URLS: 'turns:a.cn:443' })).toThrow(/HAIQIAO_TURN_SECRET/);
    expect(() => loadConfig({ HAIQIAO_TURN_SECRET: secret, HAIQIAO_TURN_URLS: 'turns:a.cn:443', HAIQIAO_TURN_TTL_SECONDS: '5' })).toThrow(/HAIQIAO_TURN_TTL_SECONDS/);
  });
});
