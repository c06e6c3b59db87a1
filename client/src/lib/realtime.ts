/**
 * Typed socket.io wrapper for the realtime contract (shared/realtime.ts): every request is
 * emitted with an acknowledgement and a timeout, its ack parsed with the contract's ack schema,
 * and `{ ok: false }` thrown as the same ApiError the REST helpers throw; every server event
 * is parsed with its payload schema before a handler sees it. Only the room chunk imports this
 * (socket.io-client stays out of the join page's first download).
 */
import { io, type Socket } from 'socket.io-client';
import type { z } from 'zod';
import {
  ackSchemaOf,
  clientEvents,
  serverEvents,
  type ClientAck,
  type ClientEventName,
  type ClientRequest,
  type ServerEventName,
  type ServerPayload,
} from '../../../shared/realtime.ts';
import { ApiError } from './http.ts';


/** Handshake credentials: an invitation token (participants), a resume token, or neither (staff cookie). */
export interface RealtimeAuth {
  invitationToken?: string;
  resumeToken?: string;
}

export const defaultRequestTimeoutMs = 10_000;

const ackSchemas = new Map<ClientEventName, z.ZodType>();
function ackSchemaFor(event: ClientEventName): z.ZodType {
  let schema = ackSchemas.get(event);
  if (!schema) {
    schema = ackSchemaOf(clientEvents[event].ack);
    ackSchemas.set(event, schema);
  }
  return schema;
}

type AckResult =
  | { ok: true; data: unknown }
  | { ok: false; error: { code: ApiError['code']; message: string; field?: string | undefined; issues?: { field: string; message: string }[] | undefined; node?: string | undefined } };

/** The live room is held by another node of the service (`node`; unknown while it moves). */
export class WrongNodeError extends ApiError {
  readonly node: string | undefined;

  constructor(message: string, node: string | undefined) {
    super('WRONG_NODE', message);
    this.node = node;
  }
}

/** One request and when its ack came (performance.now() times), for the join-latency benchmark. */
export interface RequestTiming {
  event: ClientEventName;
  /** The transport or consumer it is about, if any. */
  target?: string | undefined;
  sentAt: number;
  ackAt: number | null;
}

const keptTimings = 300;

export class Realtime {
  /** The raw socket, for connection lifecycle events (connect, disconnect, connect_error). */
  readonly socket: Socket;
  /** The latest requests, oldest first. */
  readonly timings: RequestTiming[] = [];

  constructor(auth: RealtimeAuth) {
    this.socket = io({
      path: '/socket.io',
      auth: { ...auth },
      autoConnect: false,
      withCredentials: true,
      // WebSocket first (one round trip less to connect than polling then upgrading); where a
      // proxy or carrier breaks WebSockets, long-polling takes over.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      // Weak links: keep trying, but do not hammer a link that is already struggling.
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.3,
      timeout: 20_000,
    });
  }

  setAuth(auth: RealtimeAuth): void {
    this.socket.auth = { ...auth };
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /**
   * Sends `event` and waits for its ack. Refuses at once when disconnected: socket.io would
   * otherwise buffer the emit and deliver it after a reconnection, long after the user acted.
   */
  async request<E extends ClientEventName>(event: E, payload: ClientRequest<E>, timeoutMs = defaultRequestTimeoutMs): Promise<ClientAck<E>> {
    if (!this.socket.connected) throw new ApiError('NETWORK', `${event}: not connected`);
    const about = payload as { transportId?: unknown; consumerId?: unknown };
    const target = typeof about.transportId === 'string' ? about.transportId : typeof about.consumerId === 'string' ? about.consumerId : undefined;
    const timing: RequestTiming = { event, target, sentAt: performance.now(), ackAt: null };
    this.timings.push(timing);
    if (this.timings.length > keptTimings) this.timings.shift();
    let response: unknown;
    try {
      response = await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
      timing.ackAt = performance.now();
    } catch {
      // Timed out, or the connection dropped before the answer came.
      throw new ApiError('NETWORK', `${event}: no answer (timeout ${timeoutMs} ms or disconnected)`);
    }
    const parsed = ackSchemaFor(event).safeParse(response);
    if (!parsed.success) {
      console.error(`Unexpected ack for ${event}`, parsed.error.issues);
      throw new ApiError('BAD_RESPONSE', `unexpected answer to ${event}`);
    }
    const ack = parsed.data as AckResult;
    if (!ack.ok) {
      const { code, message, field, issues, node } = ack.error;
      if (code === 'WRONG_NODE') throw new WrongNodeError(message, node);
      throw new ApiError(code, message, 0, field ?? issues?.[0]?.field, issues ?? []);
    }
    return ack.data as ClientAck<E>;
  }

  /** Listens to a server event; payloads that do not match the contract are logged and dropped. Returns an unsubscribe function. */
  on<E extends ServerEventName>(event: E, handler: (payload: ServerPayload<E>) => void): () => void {
    const schema: z.ZodType = serverEvents[event];
    const listener = (raw: unknown) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        console.error(`Unexpected payload for ${event}`, parsed.error.issues);
        return;
      }
      handler(parsed.data as ServerPayload<E>);
    };
    this.socket.on(event as string, listener);
    return () => {
      this.socket.off(event as string, listener);
    };
  }

  connect(): void {
    this.socket.connect();
  }

  /**
   * Which node the next connections ask the proxy for (`?node=`, honoured by haproxy while that
   * node is up; otherwise any node answers and places the room again). The node hint only picks
   * the route: every node checks where the room is placed.
   */
  routeTo(node: string | undefined): void {
    this.socket.io.opts.query = node ? { node } : {};
  }

  /** The node the connection asks for, if any. */
  get routedTo(): string | undefined {
    return (this.socket.io.opts.query as Record<string, string> | undefined)?.node;
  }

  /**
   * Tries again now instead of at the next backoff step (the device says it is back online):
   * closing the manager resets its backoff, and connect() opens a fresh one.
   */
  reconnectNow(): void {
    if (this.socket.connected) return;
    this.socket.disconnect();
    this.socket.connect();
  }

  /** The socket says connected but its path is gone (the device's address changed): open a new one now. */
  replaceConnection(): void {
    this.socket.disconnect();
    this.socket.connect();
  }

  close(): void {
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }
}
