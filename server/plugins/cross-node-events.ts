import { createAdapter } from '@socket.io/redis-adapter';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import type { ServerEventName, ServerPayload } from '../../shared/realtime.ts';
import type { RoomsService } from '../modules/rooms/rooms.service.ts';
import type { AccessWithdrawal } from '../modules/sessions/access-effects.ts';

/** Events one node sends the others through the socket.io adapter (not seen by browsers). */
export interface InterNodeEvents {
  'rooms:notify-case': (caseId: string, event: ServerEventName, payload: unknown) => void;
  'rooms:withdraw-access': (withdrawal: AccessWithdrawal, done: (ok: boolean) => void) => void;
  'rooms:session-closed': (sessionId: string, done: (ok: boolean) => void) => void;
}

/** What a change decided on any node tells the live rooms, wherever they are held. */
export interface RoomEvents {
  notifyCase<E extends ServerEventName>(caseId: string, event: E, payload: ServerPayload<E>): void;
  withdrawAccess(withdrawal: AccessWithdrawal): Promise<void>;
  /** A session ended or cancelled over HTTP: the node holding its live room ends it. */
  sessionClosed(sessionId: string): Promise<void>;
}

// A node that does not answer within this long is dead or stuck; the change is committed anyway.
const peerAnswerMs = 3_000;

/**
 * With Redis (several nodes), socket.io's Redis adapter carries events between nodes: an
 * agreement changed through node B reaches the room node A holds, a link revoked on B ends the
 * connection on A. Without Redis (one process) these are plain calls on this node's rooms.
 */
export async function roomEventsAcrossNodes(io: Server, rooms: RoomsService, redis: Redis | null, namespace: string, log: FastifyBaseLogger) {
  const local: RoomEvents = { notifyCase: (caseId, event, payload) => rooms.notifyCase(caseId, event, payload), withdrawAccess: (w) => rooms.withdrawAccess(w), sessionClosed: (id) => rooms.sessionClosed(id) };
  if (!redis) return { events: local, close: async () => undefined };

  // The adapter needs its own two connections: one publishes, one is held in subscriber mode.
  const pub = redis.duplicate({ lazyConnect: true });
  const sub = redis.duplicate({ lazyConnect: true });
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: `${namespace}:socket.io`, requestsTimeout: peerAnswerMs }));
  const nodes = io as unknown as Server<never, never, InterNodeEvents>;
  nodes.on('rooms:notify-case', (caseId, event, payload) => local.notifyCase(caseId, event, payload as never));
  nodes.on('rooms:withdraw-access', (withdrawal, done) => {
    // Already committed by the node that decided it: here only this node's rooms let go (idempotent).
    local.withdrawAccess(withdrawal).then(
      () => done(true),
      (err: unknown) => {
        log.error({ err }, 'could not let go of a participant for another node');
        done(false);
      },
    );
  });

  nodes.on('rooms:session-closed', (sessionId, done) => {
    local.sessionClosed(sessionId).then(
      () => done(true),
      (err: unknown) => {
        log.error({ err }, 'could not end a live room for another node');
        done(false);
      },
    );
  });

  const events: RoomEvents = {
    notifyCase(caseId, event, payload) {
      local.notifyCase(caseId, event, payload);
      nodes.serverSideEmit('rooms:notify-case', caseId, event, payload);
    },
    async withdrawAccess(withdrawal) {
      await local.withdrawAccess(withdrawal);
      // Waits for every other node's answer, at most the adapter's requestsTimeout.
      await nodes
        .serverSideEmitWithAck('rooms:withdraw-access', withdrawal)
        .catch((err: unknown) => log.warn({ err }, 'a node did not confirm letting go of a participant'));
    },
    async sessionClosed(sessionId) {
      await local.sessionClosed(sessionId);
      await nodes.serverSideEmitWithAck('rooms:session-closed', sessionId).catch((err: unknown) => log.warn({ err }, 'a node did not confirm ending a live room'));
    },
  };
  return { events, close: async () => void (await Promise.allSettled([pub.quit(), sub.quit()])) };
}
