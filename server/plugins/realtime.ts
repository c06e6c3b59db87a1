import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { Server, type Socket } from 'socket.io';
import { fieldIssuesOf, type ErrorBody } from '../../shared/errors.ts';
import { clientEvents, type ClientEventName, networkTestMaxBytes, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/realtime.ts';
import type { WorkerPool } from '../media/worker-pool.ts';
import { NodeMembership, type NodeSettings } from '../modules/cluster/node-membership.ts';
import { deskRoomsOf } from '../modules/legal/desk-push.ts';
import { handleRoomEvent, roomHandlers } from '../modules/rooms/rooms.handlers.ts';
import type { RecordingSettings } from '../modules/rooms/room-recording.ts';
import { type Connection, type EvidenceLookup, RoomsService } from '../modules/rooms/rooms.service.ts';
import type { TurnCredentials } from '../security/turn-credentials.ts';
import { type RoomEvents, roomEventsAcrossNodes } from './cross-node-events.ts';
import { coalesceWrites } from './coalesced-writes.ts';
import { knownErrorBody } from './errors.ts';
import { recordAbuse } from './socket-abuse.ts';
import { createSocketGate, type SocketLimitSettings } from './socket-gate.ts';
import { identify, originAllowed, resumeTokenOf } from './socket-handshake.ts';

export interface RealtimeOptions {
  pool: WorkerPool | null;
  evidence: EvidenceLookup | null;
  graceMs?: number | undefined;
  /** Origin check for the handshake. */
  publicUrl: string | undefined;
  socketLimits?: SocketLimitSettings | undefined;
  turn: TurnCredentials | null;
  recording: RecordingSettings | null;
  /** Several nodes: socket.io's Redis adapter carries room events between them. Null: one process. */
  redis: Redis | null;
  /** Key prefix in Redis, one per deployment sharing it. */
  redisNamespace: string;
  /** Several nodes: this one's registration, heartbeat and room placement. Null: one process. */
  node: NodeSettings | null;
}

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { conn: Connection }>;

declare module 'fastify' {
  interface FastifyInstance {
    rooms: RoomsService;
    /** This node's membership of the cluster; null when one process serves everything. */
    node: NodeMembership | null;
    /** Tells live rooms on every node (agreement changes, withdrawn access). */
    roomEvents: RoomEvents;
    io: Server<ClientToServerEvents, ServerToClientEvents>;
  }
}

/**
 * socket.io on Fastify's own HTTP server (fastify-socket.io targets Fastify 4). Sockets
 * authenticate with the staff cookie, an invitation token or a resume token; every event
 * payload is parsed with the realtime contract before the service sees it.
 */
export const realtimePlugin = fp(async (app: FastifyInstance, opts: RealtimeOptions) => {
  const io = new Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { conn: Connection }>(app.server, {
    serveClient: false,
    maxHttpBufferSize: networkTestMaxBytes + 64 * 1024, // the network test's largest upload sample
    allowRequest: originAllowed(opts.publicUrl),
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  coalesceWrites(io);
  const sockets = new Map<string, AppSocket>();
  const membership = opts.node ? await NodeMembership.join(app.ctx.db, opts.node, app.log) : null;
  const rooms = new RoomsService({
    placement: membership ? { nodeId: membership.id, claim: (sessionId) => membership.claim(sessionId) } : null,
    db: app.ctx.db,
    cipher: app.ctx.cipher,
    now: app.ctx.now,
    pool: opts.pool,
    evidence: opts.evidence,
    graceMs: opts.graceMs,
    turn: opts.turn,
    recording: opts.recording,
    log: app.log,
    notifier: {
      emit: (socketId, event, payload) => {
        const socket = sockets.get(socketId);
        (socket?.emit as ((e: string, p: unknown) => void) | undefined)?.call(socket, event, payload);
      },
      // After the current ack and events are flushed.
      disconnect: (socketId) => setTimeout(() => sockets.get(socketId)?.disconnect(true), 50),
    },
  });
  app.decorate('rooms', rooms);
  app.decorate('io', io);
  app.decorate('node', membership);
  membership?.start({
    load: () => rooms.registry.load(),
    held: () => [...rooms.registry.all()].map((room) => room.sessionId),
    release: (sessionId) => rooms.registry.release(sessionId),
    adopt: async (sessionId) => void (await rooms.registry.open(sessionId)),
  });
  const crossNode = await roomEventsAcrossNodes(io, rooms, opts.redis, opts.redisNamespace, app.log);
  app.decorate('roomEvents', crossNode.events);
  app.addHook('onClose', () => crossNode.close());

  // Budgets per event kind; a refusal is an error ack, sustained abuse ends the connection (audited once).
  const gate = createSocketGate(app.limits.limiter, opts.socketLimits);
  const cutOff = new Set<string>();
  const admitted = async (socket: AppSocket, event: string, payload: unknown, ack: ((response: unknown) => void) | undefined) => {
    const verdict = await gate.check(socket.data.conn, event, payload).catch((err: unknown) => {
      app.log.error({ err, event }, 'rate limit store failed');
      return { allowed: false as const, error: { code: 'INTERNAL' as const, message: 'try again' }, disconnect: false };
    });
    if (verdict.allowed) return true;
    ack?.({ ok: false, error: verdict.error });
    if (verdict.disconnect && !cutOff.has(socket.id)) {
      cutOff.add(socket.id);
      await recordAbuse(app.ctx, socket.data.conn, { event, address: socket.handshake.address }).catch((err: unknown) => app.log.error({ err }, 'could not audit socket abuse'));
      setTimeout(() => {
        cutOff.delete(socket.id);
        socket.disconnect(true);
      }, 50);
    }
    return false;
  };

  io.use(async (socket, next) => {
    try {
      socket.data.conn = { socketId: socket.id, identity: await identify(app, socket), resumeToken: resumeTokenOf(socket) };
      next();
    } catch (error) {
      const body = knownErrorBody(error) ?? { code: 'INTERNAL' as const, message: 'could not authenticate' };
      next(Object.assign(new Error(body.message), { data: body }));
    }
  });

  io.on('connection', (socket: AppSocket) => {
    sockets.set(socket.id, socket);
    const conn = socket.data.conn;
    // A lawyer's desk hears of consultations pushed to them (legal/desk-push.ts).
    if (conn.identity.kind === 'staff') void socket.join(deskRoomsOf(conn.identity.principal));
    for (const event of Object.keys(roomHandlers) as ClientEventName[]) {
      socket.on(event, async (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (response: unknown) => void) : undefined;
        if (!(await admitted(socket, event, args[0], ack))) return;
        const parsed = clientEvents[event].request.safeParse(args[0] ?? {});
        if (!parsed.success) {
          const issues = fieldIssuesOf(parsed.error);
          ack?.({ ok: false, error: { code: 'VALIDATION_FAILED', message: `${issues[0]!.field}: ${issues[0]!.message}`, field: issues[0]!.field, issues } satisfies ErrorBody });
          return;
        }
        try {
          const data = await handleRoomEvent(rooms, conn, event, parsed.data);
          rooms.viewBeforeAck(conn); // this change's room:state first (the others' follow shortly)
          ack?.({ ok: true, data });
        } catch (error) {
          const body = knownErrorBody(error);
          if (!body) app.log.error({ err: error, event }, 'socket handler failed');
          rooms.viewBeforeAck(conn);
          ack?.({ ok: false, error: body ?? { code: 'INTERNAL', message: 'internal error' } });
        }
      });
    }
    // Events outside the contract get an error ack too (a client waiting on one never hangs).
    socket.onAny(async (event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(roomHandlers, event)) return;
      const ack = typeof args.at(-1) === 'function' ? (args.at(-1) as (response: unknown) => void) : undefined;
      if (!(await admitted(socket, 'unknown', undefined, ack))) return;
      ack?.({ ok: false, error: { code: 'NOT_FOUND', message: `unknown event ${String(event).slice(0, 40)}` } satisfies ErrorBody });
    });
    socket.on('disconnect', () => {
      sockets.delete(socket.id);
      void gate.closed(socket.id);
      rooms.disconnected(conn);
    });
  });

  app.addHook('preClose', async () => {
    await membership?.stop().catch((err: unknown) => app.log.error({ err }, 'could not hand back this node\'s rooms'));
    rooms.shutdown();
    // This node's sockets only: with the Redis adapter a plain io.disconnectSockets() reaches every node.
    io.local.disconnectSockets(true);
    io.engine.close();
  });
});

