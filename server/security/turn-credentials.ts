/**
 * Time-limited TURN credentials from a secret shared with the TURN server (the "TURN REST API"
 * scheme coturn implements with `use-auth-secret` / `static-auth-secret`): the username is
 * `<expiry unix seconds>:<who>` and the password is base64(HMAC-SHA1(secret, username)). The
 * TURN server checks the HMAC and the expiry itself; nothing is stored.
 */
import { createHmac } from 'node:crypto';

export interface TurnSettings {
  /** Shared with the TURN server (coturn's static-auth-secret). */
  secret: string;
  /** TURN URLs given to browsers, e.g. `turns:turn.example.cn:443?transport=tcp`. */
  urls: string[];
  /** How long a credential is valid. */
  ttlSeconds: number;
}

export interface IceServer {
  urls: string[];
  username: string;
  credential: string;
}

export interface TurnCredentials {
  /** ICE servers for one admitted participant, valid for the configured time from now. */
  iceServersFor(who: string): IceServer[];
}

export function createTurnCredentials(settings: TurnSettings, now: () => Date = () => new Date()): TurnCredentials {
  if (settings.secret.length < 16) throw new Error('the TURN secret must be at least 16 characters');
  if (settings.urls.length === 0) throw new Error('at least one TURN URL is needed');
  for (const url of settings.urls) {
    if (!/^turns?:[^\s?]+(\?transport=(udp|tcp))?$/.test(url)) throw new Error(`not a TURN URL: ${url}`);
  }
  return {
    iceServersFor(who) {
      const expiry = Math.floor(now().getTime() / 1000) + settings.ttlSeconds;
      // ':' separates expiry and name in the scheme; keep the name free of it.
      const username = `${expiry}:${who.replaceAll(':', '_')}`;
      const credential = createHmac('sha1', settings.secret).update(username).digest('base64');
      return [{ urls: [...settings.urls], username, credential }];
    },
  };
}
