import { type ClientEventName, networkTestMaxBytes } from '../../shared/realtime.ts';
import type { ErrorBody } from '../../shared/errors.ts';
import type { Connection } from '../modules/rooms/rooms.service.ts';
import { type Limiter, type LimiterFactory, type LimiterSpec, take } from '../security/rate-limit-store.ts';

/**
 * What each kind of socket event may cost, per connection, per ten seconds. A person's budget
 * (all their connections together) is twice that, for a second tab or a reconnection. Sized on
 * what the client really sends: five pings and two transfers per network test, a stats report
 * every 2.5 s, a burst of media calls when several people join at once.
 */
export const eventBudgets: Record<ClientEventName, number> & { unknown: number } = {
  'session:enter': 10,
  'net:ping': 20,
  'net:download': 6,
  'net:upload': 6,
  'device-check:report': 10,
  'identity:confirm': 10,
  'lobby:wait': 10,
  'room:leave': 10,
  'host:admit': 40,
  'host:refuse': 40,
  'host:remove': 20,
  'host:lock': 20,
  'host:mute': 40,
  'host:spotlight': 20,
  'host:allow-screen': 20,
  'host:issue-code': 20,
  'host:session': 10,
  'host:caucus-open': 20,
  'host:caucus-close': 20,
  'host:move': 40,
  'host:show-evidence': 30,
  'host:hide-evidence': 30,
  'host:recording': 10,
  'host:caucus-recording': 20,
  'recording:consent': 10,
  'interpretation:listen': 20,
  'hand:raise': 6,
  'chat:send': 10,
  'chat:history': 6,
  'stats:report': 10,
  'link:event': 10,
  'media:start': 10,
  'media:ready': 10,
  'media:connect': 20,
  'media:restart-ice': 20,
  'media:produce': 20,
  'media:producer-close': 20,
  'media:producer-pause': 40,
  'media:consumer-resume': 120,
  'media:consumer-pause': 120,
  'media:consumer-layers': 120,
  'media:audio-only': 20,
  unknown: 10,
};

export interface SocketLimitSettings {
  /** Window of the per-event budgets above, in seconds. */
  windowSeconds: number;
  /** Refused events within `abuseWindowSeconds` after which the connection is cut (and audited). */
  refusalsBeforeDisconnect: number;
  abuseWindowSeconds: number;
  /** Network-test bytes (download + upload) per connection and per person per minute. */
  networkTestBytesPerMinute: number;
  /** Scales every event budget (1 in service; the fuzz harness lifts them out of its way). */
  budgetScale: number;
}

export const defaultSocketLimits: SocketLimitSettings = {
  windowSeconds: 10,
  refusalsBeforeDisconnect: 40,
  abuseWindowSeconds: 30,
  networkTestBytesPerMinute: 4_000_000,
  budgetScale: 1,
};

/** A refusal to answer with an error ack; `disconnect` when the connection has been abusive for a while. */
export type GateVerdict = { allowed: true } | { allowed: false; error: ErrorBody; disconnect: boolean };

/** Who spends a person's budget: the same participant or staff account on every connection. */
function personKey(conn: Connection): string {
  switch (conn.identity.kind) {
    case 'participant':
      return `p:${conn.identity.participantId}`;
    case 'staff':
      return `s:${conn.identity.principal.staffUserId}`;
    case 'resume':
      return conn.peerId ? `a:${conn.peerId}` : `c:${conn.socketId}`;
  }
}

const networkTestEvents = new Set<string>(['net:ping', 'net:download', 'net:upload']);

/**
 * Every socket event passes here before it is parsed: the sender's identity must allow it (the
 * network test needs an invitation or a staff login), and the event kind's budget per connection
 * and per person must not be spent. Repeated refusals mean abuse: the caller disconnects.
 */
export function createSocketGate(limiter: LimiterFactory, settings: SocketLimitSettings = defaultSocketLimits) {
  const perConnection = new Map<string, Limiter>();
  const perPerson = new Map<string, Limiter>();
  for (const [event, points] of Object.entries(eventBudgets)) {
    const spec: LimiterSpec = { points: points * settings.budgetScale, seconds: settings.windowSeconds };
    perConnection.set(event, limiter(`socket-conn:${event}`, spec));
    perPerson.set(event, limiter(`socket-person:${event}`, { ...spec, points: spec.points * 2 }));
  }
  const refusals = limiter('socket-refusals', { points: settings.refusalsBeforeDisconnect, seconds: settings.abuseWindowSeconds });
  const bytesPerConnection = limiter('net-bytes-conn', { points: settings.networkTestBytesPerMinute, seconds: 60 });
  const bytesPerPerson = limiter('net-bytes-person', { points: settings.networkTestBytesPerMinute * 2, seconds: 60 });

  const refuse = async (conn: Connection, error: ErrorBody): Promise<GateVerdict> => ({
    allowed: false,
    error,
    disconnect: (await take(refusals, conn.socketId)) !== null,
  });

  return {
    settings,
    async check(conn: Connection, event: string, payload: unknown): Promise<GateVerdict> {
      const kind = Object.hasOwn(eventBudgets, event) ? event : 'unknown';
      const person = personKey(conn);
      const wait = (await take(perConnection.get(kind)!, conn.socketId)) ?? (await take(perPerson.get(kind)!, person));
      if (wait !== null) return refuse(conn, { code: 'RATE_LIMITED', message: `too many ${kind} events: wait ${Math.ceil(wait / 1000)} s` });
      if (networkTestEvents.has(kind)) {
        // A link check is for someone who may join: not for a bare resume token or an anonymous socket.
        if (conn.identity.kind !== 'participant' && conn.identity.kind !== 'staff') {
          return refuse(conn, { code: 'UNAUTHENTICATED', message: 'the network test needs your invitation link or a staff login' });
        }
        const bytes = networkTestBytes(kind, payload);
        if (bytes > 0) {
          const over = (await take(bytesPerConnection, conn.socketId, bytes)) ?? (await take(bytesPerPerson, person, bytes));
          if (over !== null) return refuse(conn, { code: 'RATE_LIMITED', message: `network test limit reached: wait ${Math.ceil(over / 1000)} s` });
        }
      }
      return { allowed: true };
    },
    /** Forgets a closed connection's counters (the person's stay until their window ends). */
    async closed(socketId: string) {
      await Promise.all([...perConnection.values(), refusals, bytesPerConnection].map((l) => l.delete(socketId)));
    },
  };
}

/** Bytes a network-test call moves, counted before it is parsed (an oversized one is refused by the schema after). */
function networkTestBytes(event: string, payload: unknown): number {
  if (event === 'net:download') {
    const bytes = (payload as { bytes?: unknown } | null)?.bytes;
    return typeof bytes === 'number' && Number.isFinite(bytes) && bytes > 0 ? Math.min(Math.ceil(bytes), networkTestMaxBytes) : 0;
  }
  if (event === 'net:upload') {
    const data = (payload as { payload?: unknown } | null)?.payload;
    return data instanceof Uint8Array || data instanceof ArrayBuffer ? Math.min(data.byteLength, networkTestMaxBytes) : 0;
  }
  return 0;
}
