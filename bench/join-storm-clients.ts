// The client side of bench/join-storm.ts, forked by it (never run directly): the mediator's
// socket plus one socket.io client (websocket transport) per invitation. First a few warm-up joins and a baseline of
// participants joining one at a time (each leaves once admitted), then the storm: all the others
// opened at once. Every ack is timed here; the parent measures the server.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { ClientAck, ClientEventName, ClientRequest, RoomState } from '../shared/realtime.ts';
import { nextEvent } from './lib/next-event.ts';

export interface StormRequest {
  baseUrl: string;
  hostCookie: string;
  sessionId: string;
  /** Joined one after another first, not measured (JIT compilation, first queries), each leaving once admitted. */
  warmupTokens: string[];
  /** Then joined one after another, measured, each leaving once admitted. */
  baselineTokens: string[];
  /** Joined all at once. */
  stormTokens: string[];
}

export interface PhaseResult {
  /** Milliseconds per ack (per event name), per handshake ('connect') and per whole join. */
  latencies: Record<string, number[]>;
  admitted: number;
  failures: string[];
  totalMs: number;
  /** room:state events the participants received (the host's counted apart). */
  roomStateEvents: number;
  /** Of those, received before the participant was admitted (its view then shows itself only). */
  roomStateEventsBeforeAdmission: number;
  hostRoomStateEvents: number;
  /** Characters of socket.io text frames received by all clients (≈ bytes: the payloads are mostly ASCII). */
  receivedChars: number;
  clientLoopDelay: { p50: number; p99: number; max: number };
  /** CPU used by this (client) process during the phase, % of one core. */
  clientCpuPct: number;
}

export type ParentMessage = { type: 'start'; request: StormRequest } | { type: 'go' };
export type ChildMessage = { type: 'baseline-start' } | { type: 'baseline'; result: PhaseResult } | { type: 'ready' } | { type: 'done'; result: PhaseResult };

/** The whole join, from opening the socket to the admitted event. */
export const joinLabel = 'join (open → admitted)';

const ackTimeoutMs = 60_000;
const stormTimeoutMs = 150_000;
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

/** What one phase collects; `current` is swapped between the baseline and the storm. */
class Tally {
  latencies: Record<string, number[]> = {};
  failures: string[] = [];
  roomStateEvents = 0;
  roomStateEventsBeforeAdmission = 0;
  hostRoomStateEvents = 0;
  receivedChars = 0;
  record(name: string, ms: number) {
    const list = this.latencies[name] ?? [];
    list.push(ms);
    this.latencies[name] = list;
  }
}
let current = new Tally();
const sockets: Socket[] = [];

function open(baseUrl: string, auth: Record<string, string>, cookie?: string): Socket {
  const socket = io(baseUrl, { transports: ['websocket'], forceNew: true, reconnection: false, auth, ...(cookie ? { extraHeaders: { cookie } } : {}) });
  socket.io.on('open', () => {
    socket.io.engine.on('data', (data: unknown) => {
      current.receivedChars += typeof data === 'string' ? data.length : (data as ArrayBuffer).byteLength;
    });
  });
  sockets.push(socket);
  return socket;
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error: Error & { data?: unknown }) => reject(new Error(`connect: ${JSON.stringify(error.data ?? error.message)}`)));
  });
}

/** Emits one event, times its ack under `label` (the event name by default), and returns its data (throws on an error ack). */
async function call<E extends ClientEventName>(socket: Socket, event: E, payload: ClientRequest<E>, label: string = event): Promise<ClientAck<E>> {
  const tally = current;
  const started = performance.now();
  const response = (await socket.timeout(ackTimeoutMs).emitWithAck(event, payload)) as { ok: true; data: ClientAck<E> } | { ok: false; error: { code: string; message: string } };
  tally.record(label, performance.now() - started);
  if (!response.ok) throw new Error(`${event}: ${response.error.code} ${response.error.message}`);
  return response.data;
}

/** The mediator: in the room first; issues codes on request and admits whoever reaches the lobby. */
async function startHost(request: StormRequest) {
  const host = open(request.baseUrl, {}, request.hostCookie);
  await connected(host);
  await call(host, 'session:enter', { sessionId: request.sessionId as never }, 'session:enter (host)');
  const admitting = new Map<string, Promise<unknown>>();
  host.on('room:state', (state: RoomState) => {
    current.hostRoomStateEvents++;
    for (const peer of state.peers) {
      if (peer.state !== 'lobby' || admitting.has(peer.peerId)) continue;
      const tally = current;
      admitting.set(
        peer.peerId,
        call(host, 'host:admit', { peerId: peer.peerId }).catch((error: Error) => tally.failures.push(`admit ${peer.peerId}: ${error.message}`)),
      );
    }
  });
  return {
    // The mediator reads the code out on the phone; here the participant simply asks for it.
    issueCode: (peerId: string) => call(host, 'host:issue-code', { peerId }).then((ack) => ack.code),
    /** Admissions whose ack has not come back yet (the admitted event can arrive first). */
    admissions: () => Promise.all(admitting.values()),
  };
}

/** One participant's whole join; with `leave`, it leaves the room and disconnects once admitted. */
async function join(request: StormRequest, token: string, issueCode: (peerId: string) => Promise<string>, leave: boolean): Promise<boolean> {
  const tally = current;
  const started = performance.now();
  const socket = open(request.baseUrl, { invitationToken: token });
  let admittedYet = false;
  socket.on('room:state', () => {
    current.roomStateEvents++;
    if (!admittedYet) current.roomStateEventsBeforeAdmission++;
  });
  await connected(socket);
  tally.record('connect', performance.now() - started);
  const entered = await call(socket, 'session:enter', {});
  await call(socket, 'device-check:report', deviceCheck);
  if (entered.identityMethod !== 'one_time_code') throw new Error(`expected a one-time code, got ${entered.identityMethod}`);
  const code = await issueCode(entered.peerId);
  await call(socket, 'identity:confirm', { method: 'one_time_code', code });
  const admitted = nextEvent<{ state: string }>(socket, 'attendance:changed', (change) => change.state === 'admitted', stormTimeoutMs).then(() => {
    admittedYet = true;
  });
  admitted.catch(() => {}); // awaited below; a lobby:wait failure must not leave it unhandled
  await call(socket, 'lobby:wait', {});
  await admitted;
  tally.record(joinLabel, performance.now() - started);
  if (leave) {
    await call(socket, 'room:leave', {}, 'room:leave (baseline only)');
    socket.disconnect();
  }
  return true;
}

async function phase(run: () => Promise<boolean[]>, admissions: () => Promise<unknown>): Promise<PhaseResult> {
  const loopDelay = monitorEventLoopDelay({ resolution: 5 }); // as in the parent: delay beyond the 5 ms tick
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcomes = await run();
  await admissions();
  const totalMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  loopDelay.disable();
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 5);
  const tally = current;
  return {
    latencies: tally.latencies,
    admitted: outcomes.filter(Boolean).length,
    failures: tally.failures,
    totalMs,
    roomStateEvents: tally.roomStateEvents,
    roomStateEventsBeforeAdmission: tally.roomStateEventsBeforeAdmission,
    hostRoomStateEvents: tally.hostRoomStateEvents,
    receivedChars: tally.receivedChars,
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / totalMs) * 100,
    clientLoopDelay: { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) },
  };
}

const send = (message: ChildMessage) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

async function main(request: StormRequest) {
  const { issueCode, admissions } = await startHost(request);
  current = new Tally();
  for (const token of request.warmupTokens) await join(request, token, issueCode, true);
  await admissions();
  if (current.failures.length) throw new Error(`warm-up: ${current.failures.join('; ')}`);
  // Baseline: one participant at a time, nothing else going on (the host alone in the room).
  current = new Tally();
  await send({ type: 'baseline-start' });
  const baseline = await phase(async () => {
    const outcomes: boolean[] = [];
    for (const [i, token] of request.baselineTokens.entries()) {
      outcomes.push(await join(request, token, issueCode, true).catch((error: Error) => {
        current.failures.push(`baseline client ${i}: ${error.message}`);
        return false;
      }));
    }
    return outcomes;
  }, admissions);
  await send({ type: 'baseline', result: baseline });
  await new Promise((r) => setTimeout(r, 200)); // the baseline's last disconnect settles
  current = new Tally();
  await send({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const storm = await phase(
    () =>
      Promise.all(
        request.stormTokens.map((token, i) =>
          join(request, token, issueCode, false).catch((error: Error) => {
            current.failures.push(`client ${i}: ${error.message}`);
            return false;
          }),
        ),
      ),
    admissions,
  );
  await send({ type: 'done', result: storm });
}

process.once('message', (message: ParentMessage) => {
  if (message.type !== 'start') return;
  const hardStop = setTimeout(() => process.exit(2), stormTimeoutMs + 60_000);
  hardStop.unref();
  main(message.request)
    .catch((error: Error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => {
      for (const socket of sockets) socket.disconnect();
      if (process.connected) process.disconnect();
    });
});
// The parent went away (finished, failed or interrupted): nothing left to measure.
process.once('disconnect', () => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref());
