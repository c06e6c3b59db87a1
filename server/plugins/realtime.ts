import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Server, type Socket } from 'socket.io';
import { fieldIssuesOf, type ErrorBody } from '../../shared/errors';
import { clientEvents, type ClientEventName, type ClientToServerEvents, type ServerToClientEvents } from '../../shared/realtime';
import { AppError } from '../errors';
import type { WorkerPool } from '../media/worker-pool';
import { principalForToken } from '../modules/auth/auth.service';
import { participantForToken } from '../modules/invitations/invitations.service';
import { roomHandlers } from '../modules/rooms/rooms.handlers';
import { type Connection, type EvidenceLookup, RoomsService, type SocketIdentity } from '../modules/rooms/rooms.service';
import type { TurnCredentials } from '../security/turn-credentials';
import { sessionCookie } from './auth';
import { knownErrorBody } from './errors';

export interface RealtimeOptions {
  pool: WorkerPool | null;
  evidence: EvidenceLookup | null;
  graceMs?: number | undefined;
  turn: TurnCredentials | null;
}

type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { conn: Connection }>;

declare module 'fastify' {
  interface FastifyInstance {
    rooms: RoomsService;
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
    maxHttpBufferSize: 3_000_000, // the network test's upload sample
    pingInterval: 10_000,
    pingTimeout: 10_000,
  });
  const sockets = new Map<string, AppSocket>();
  const rooms = new RoomsService({
    db: app.ctx.db,
    cipher: app.ctx.cipher,
    now: app.ctx.now,
    pool: opts.pool,
    evidence: opts.evidence,
    graceMs: opts.graceMs,
    turn: opts.turn,
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

  io.use(async (socket, next) => {
    try {
      socket.data.conn = { socketId: socket.id, identity: await identify(app, socket), resumeToken: stringOrUndefined(socket.handshake.auth?.resumeToken) };
      next();
    } catch (error) {
      const body = knownErrorBody(error) ?? { code: 'INTERNAL' as const, message: 'could not authenticate' };
      next(Object.assign(new Error(body.message), { data: body }));
    }
  });

  io.on('connection', (socket: AppSocket) => {
    sockets.set(socket.id, socket);
    const conn = socket.data.conn;
    for (const event of Object.keys(roomHandlers) as ClientEventName[]) {
      socket.on(event, async (...args: unknown[]) => {
        const ack = typeof args.at(-1) === 'function' ? (args.pop() as (response: unknown) => void) : undefined;
        const parsed = clientEvents[event].request.safeParse(args[0] ?? {});
        if (!parsed.success) {
          const issues = fieldIssuesOf(parsed.error);
          ack?.({ ok: false, error: { code: 'VALIDATION_FAILED', message: `${issues[0]!.field}: ${issues[0]!.message}`, field: issues[0]!.field, issues } satisfies ErrorBody });
          return;
        }
        try {
          const data = await roomHandlers[event](rooms, conn, parsed.data);
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
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && Object.hasOwn(roomHandlers, event)) return;
      const ack = args.at(-1);
      if (typeof ack === 'function') ack({ ok: false, error: { code: 'NOT_FOUND', message: `unknown event ${String(event).slice(0, 40)}` } satisfies ErrorBody });
    });
    socket.on('disconnect', () => {
      sockets.delete(socket.id);
      rooms.disconnected(conn);
    });
  });

  app.addHook('preClose', async () => {
    rooms.shutdown();
    io.disconnectSockets(true);
    io.engine.close();
  });
});

async function identify(app: FastifyInstance, socket: Socket): Promise<SocketIdentity> {
  const invitationToken = stringOrUndefined(socket.handshake.auth?.invitationToken);
  if (invitationToken) {
    if (!/^[A-Za-z0-9_-]{43}$/.test(invitationToken)) throw new AppError('VALIDATION_FAILED', 'malformed invitation token', 'invitationToken');
    const { participantId, sessionId, invitationId } = await participantForToken(app.ctx, invitationToken);
    return { kind: 'participant', participantId, sessionId, invitationId };
  }
  const cookieHeader = socket.handshake.headers.cookie;
  const token = cookieHeader ? app.parseCookie(cookieHeader)[sessionCookie] : undefined;
  if (token) {
    const principal = await principalForToken(app.ctx, token);
    if (principal) return { kind: 'staff', principal };
  }
  if (stringOrUndefined(socket.handshake.auth?.resumeToken)) return { kind: 'resume' };
  throw new AppError('UNAUTHENTICATED', 'log in or open your invitation link');
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
}
