import { io, type Socket } from 'socket.io-client';
import type { ClientAck, ClientEventName, ClientRequest, ServerEventName, ServerPayload } from '../../shared/realtime.ts';

export type TestSocket = Socket & {
  call<E extends ClientEventName>(event: E, payload?: ClientRequest<E>): Promise<{ ok: true; data: ClientAck<E> } | { ok: false; error: { code: string; message: string; field?: string } }>;
  /** Raw emit with any payload, for malformed-input tests. */
  callRaw(event: string, payload: unknown): Promise<any>;
  next<E extends ServerEventName>(event: E, predicate?: (payload: ServerPayload<E>) => boolean, timeoutMs?: number): Promise<ServerPayload<E>>;
  latest: { [E in ServerEventName]?: ServerPayload<E> };
};

export interface SocketAuth {
  cookie?: string;
  invitationToken?: string;
  resumeToken?: string;
}

/** A socket.io client as a browser would open it, with helpers for acks and awaited events. */
export function connectSocket(baseUrl: string, auth: SocketAuth): TestSocket {
  const socket = io(baseUrl, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { ...(auth.invitationToken ? { invitationToken: auth.invitationToken } : {}), ...(auth.resumeToken ? { resumeToken: auth.resumeToken } : {}) },
    ...(auth.cookie ? { extraHeaders: { cookie: auth.cookie } } : {}),
  }) as TestSocket;
  socket.latest = {};
  socket.onAny((event: ServerEventName, payload: unknown) => {
    (socket.latest as Record<string, unknown>)[event] = payload;
  });
  socket.call = (event, payload) => socket.timeout(10_000).emitWithAck(event, payload ?? {});
  socket.callRaw = (event, payload) => socket.timeout(10_000).emitWithAck(event, payload);
  socket.next = (event, predicate = () => true, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.off(event as string, handler);
        reject(new Error(`timed out waiting for ${event}`));
      }, timeoutMs);
      const handler = (payload: any) => {
        if (!predicate(payload)) return;
        clearTimeout(timer);
        socket.off(event as string, handler);
        resolve(payload);
      };
      socket.on(event as string, handler);
    });
  return socket;
}

/** Resolves when connected, rejects with the server's connect_error data (code, message). */
export function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error: Error & { data?: unknown }) => reject(Object.assign(error, { data: error.data })));
  });
}
