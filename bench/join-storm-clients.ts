// The client side of bench/join-storm.ts, forked by it (never run directly): the mediator's
// socket plus one socket.io client (websocket transport) per invitation, all opened at once.
// Every ack is timed here; the parent measures the server.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ClientAck, ClientEventName, ClientRequest, RoomState } from '../shared/realtime';

export interface StormRequest {
  baseUrl: string;
  hostCookie: string;
  sessionId: string;
  tokens: string[];
}

export interface StormResult {
  /** Milliseconds per ack (per event name), per handshake ('connect') and per whole join. */
  latencies: Record<string, number[]>;
  admitted: number;
  failures: string[];
  totalMs: number;
  roomStateEvents: number;
  hostRoomStateEvents: number;
  clientLoopDelay: { p50: number; p99: number; max: number };
  /** CPU used by this (client) process during the storm, % of one core. */
  clientCpuPct: number;
}

const ackTimeoutMs = 60_000;
const stormTimeoutMs = 150_000;
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

const latencies: Record<string, number[]> = {};
const record = (name: string, ms: number) => (latencies[name] ??= []).push(ms);
const failures: string[] = [];
let roomStateEvents = 0;
let hostRoomStateEvents = 0;
const sockets: Socket[] = [];

function open(baseUrl: string, auth: Record<string, string>, cookie?: string): Socket {
  const socket = io(baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...(cookie ? { extraHeaders: { cookie } } : {}) });
  sockets.push(socket);
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error: Error & { data?: unknown }) => reject(new Error(`connect: ${JSON.stringify(error.data ?? error.message)}`)));
  });
}

/** Emits one event, times its ack, and returns its data (throws on an error ack). */
async function call<E extends ClientEventName>(socket: Socket, event: E, payload: ClientRequest<E>): Promise<ClientAck<E>> {
  const started = performance.now();
  const response = (await socket.timeout(ackTimeoutMs).emitWithAck(event, payload)) as { ok: true; data: ClientAck<E> } | { ok: false; error: { code: string; message: string } };
  record(event, performance.now() - started);
  if (!response.ok) throw new Error(`${event}: ${response.error.code} ${response.error.message}`);
  return response.data;
}

function nextEvent<T>(socket: Socket, event: string, predicate: (payload: T) => boolean): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`timed out waiting for ${event}`));
    }, stormTimeoutMs);
    const handler = (payload: T) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(payload);
    };
    socket.on(event, handler);
  });
}

/** The mediator: in the room first; issues codes on request and admits whoever reaches the lobby. */
async function startHost(request: StormRequest) {
  const host = open(request.baseUrl, {}, request.hostCookie);
  await connected(host);
  await call(host, 'session:enter', { sessionId: request.sessionId as never });
  const admitting = new Map<string, Promise<unknown>>();
  host.on('room:state', (state: RoomState) => {
    hostRoomStateEvents++;
    for (const peer of state.peers) {
      if (peer.state !== 'lobby' || admitting.has(peer.peerId)) continue;
      admitting.set(peer.peerId, call(host, 'host:admit', { peerId: peer.peerId }).catch((error: Error) => failures.push(`admit ${peer.peerId}: ${error.message}`)));
    }
  });
  return {
    // The mediator reads the code out on the phone; here the participant simply asks for it.
    issueCode: (peerId: string) => call(host, 'host:issue-code', { peerId }).then((ack) => ack.code),
    /** Admissions whose ack has not come back yet (the admitted event can arrive first). */
    admissions: () => Promise.all(admitting.values()),
  };
}

async function join(request: StormRequest, token: string, issueCode: (peerId: string) => Promise<string>): Promise<boolean> {
  const started = performance.now();
  const socket = open(request.baseUrl, { invitationToken: token });
  socket.on('room:state', () => roomStateEvents++);
  await connected(socket);
  record('connect', performance.now() - started);
  const entered = await call(socket, 'session:enter', {});
  await call(socket, 'device-check:report', deviceCheck);
  if (entered.identityMethod !== 'one_time_code') throw new Error(`expected a one-time code, got ${entered.identityMethod}`);
  const code = await issueCode(entered.peerId);
  await call(socket, 'identity:confirm', { method: 'one_time_code', code });
  const admitted = nextEvent<{ state: string }>(socket, 'attendance:changed', (change) => change.state === 'admitted');
  admitted.catch(() => {}); // awaited below; a lobby:wait failure must not leave it unhandled
  await call(socket, 'lobby:wait', {});
  await admitted;
  record('join (open → admitted)', performance.now() - started);
  return true;
}

async function storm(request: StormRequest): Promise<StormResult> {
  const loopDelay = monitorEventLoopDelay({ resolution: 5 }); // as in the parent: delay beyond the 5 ms tick
  const { issueCode, admissions } = await startHost(request);
  process.send!({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcomes = await Promise.all(
    request.tokens.map((token, i) =>
      join(request, token, issueCode).catch((error: Error) => {
        failures.push(`client ${i}: ${error.message}`);
        return false;
      }),
    ),
  );
  await admissions();
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  loopDelay.disable();
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 5);
  return {
    latencies,
    admitted: outcomes.filter(Boolean).length,
    failures,
    totalMs,
    roomStateEvents,
    hostRoomStateEvents,
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / totalMs) * 100,
    clientLoopDelay: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
  };
}

process.once('message', (message: { type: 'start'; request: StormRequest }) => {
  const hardStop = setTimeout(() => process.exit(2), stormTimeoutMs + 20_000);
  hardStop.unref();
  storm(message.request)
    .then((result) => new Promise<void>((resolve) => process.send!({ type: 'done', result }, () => resolve())))
    .catch((error: Error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => {
      for (const socket of sockets) socket.disconnect();
      process.disconnect();
    });
});
