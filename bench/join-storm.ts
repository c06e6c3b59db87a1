// Join storm: 100 participants open their invitation links at the same moment and go through
// session:enter → device-check:report → identity:confirm (one-time code) → lobby:wait while the
// mediator admits them as they arrive. This process is the server only (the real app on a fresh
// PostgreSQL database with a real mediasoup WorkerPool); the 101 socket.io clients run in a
// child process (join-storm-clients.ts), so the event-loop delay measured here is the server's.
//
//   npx tsx bench/join-storm.ts [--clients 100] [--json results.json] [--cpu-prof storm.cpuprofile]
//
// --cpu-prof writes a V8 CPU profile of the server during the storm only (open it in Chrome
// DevTools or speedscope).
//
// Needs PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_ADMIN_URL overrides, as for the tests).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { buildApp } from '../server/app';
import { openDatabase } from '../server/db/client';
import { WorkerPool } from '../server/media/worker-pool';
import { createOrganisation, createStaffUser } from '../server/modules/admin/admin.service';
import { createIdNumberCipher } from '../server/security/id-number-cipher';
import type { OrganisationId } from '../shared/ids';
import { api, json, login, testPassword } from '../tests/helpers/test-app';
import type { StormRequest, StormResult } from './join-storm-clients';
import { cpuByPid, cpuDelta, fmt, summarize, table } from './lib/stats';

const { values: args } = parseArgs({ options: { clients: { type: 'string', default: '100' }, json: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
const clientCount = Number(args.clients);
if (!Number.isInteger(clientCount) || clientCount < 1 || clientCount > 1000) throw new Error('--clients: 1–1000');

const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const say = (line: string) => process.stdout.write(`${line}\n`);

// ---- the server: production defaults (pool of 10 connections, one worker per core) ----------
const dbName = `haiqiao_bench_${randomBytes(6).toString('hex')}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${dbName}`);
const database = await openDatabase({ databaseUrl: adminUrl.replace(/\/[^/]*$/, `/${dbName}`) });
const pool = await WorkerPool.start({ size: os.availableParallelism() });
const app = await buildApp({ database, cipher: createIdNumberCipher(randomBytes(32)), media: pool, clientDir: null, loginRatePerMinute: 1000 });
const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

let child: ReturnType<typeof fork> | undefined;
async function cleanUp() {
  if (child && child.exitCode === null) child.kill();
  await app.close();
  pool.close();
  await database.close();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}

try {
  // ---- one case, one session, N invited participants (none has an ID number on file) ------
  const center = await createOrganisation(database.db, null, { kind: 'mediation_center', name: '浙闽联调中心', caseNumberPrefix: '浙闽联调' });
  await createStaffUser(database.db, null, { organisationId: center.id as OrganisationId, username: 'mediator', displayName: '调解员', role: 'mediator', password: testPassword });
  const cookie = await login(app, 'mediator', testPassword);
  const mediator = api(app, cookie);
  const created = json(
    await mediator.post('/api/cases', {
      title: '渔船碰撞（压测）',
      disputeType: 'collision',
      incidentAt: '2026-10-01T03:00:00+08:00',
      seaArea: 'nanji_islands',
      provinces: ['zhejiang', 'fujian'],
      claimedAmountFen: 1_000_000,
      competentCourt: 'ningbo.wenzhou',
      parties: [
        { kind: 'organisation', name: '苍南渔业合作社' },
        { kind: 'organisation', name: '福鼎远洋运输有限公司' },
      ],
    }),
  );
  if (!created.id) throw new Error(`could not create the case: ${JSON.stringify(created)}`);
  const session = json(await mediator.post(`/api/cases/${created.id}/sessions`, { title: '百人联调', scheduledAt: new Date(Date.now() + 3_600_000).toISOString() }));
  const tokens: string[] = [];
  for (let i = 0; i < clientCount; i++) {
    // Agents for either side and observers (family, village officials…): all confirm with a code.
    const input = i % 2 === 0 ? { role: 'agent', displayName: `代理人${i}`, representsPartyId: created.parties[(i / 2) % 2].id } : { role: 'observer', displayName: `旁听${i}` };
    const participant = json(await mediator.post(`/api/cases/${created.id}/participants`, input));
    const invitation = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id }));
    if (!invitation.link) throw new Error(`could not invite: ${JSON.stringify(invitation)}`);
    tokens.push(invitation.link.split('/j/')[1]);
  }
  say(`set up: 1 case, 1 session, ${clientCount} invitations; server ${baseUrl}, ${pool.status().workers} mediasoup worker(s) ${pool.status().version}`);

  // ---- the storm, clients in a child process ----------------------------------------------
  const request: StormRequest = { baseUrl, hostCookie: cookie, sessionId: session.id, tokens };
  child = fork(new URL('./join-storm-clients.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // The histogram records the time between 5 ms timer ticks: the delay is what exceeds 5 ms.
  const resolutionMs = 5;
  const loopDelay = monitorEventLoopDelay({ resolution: resolutionMs });
  let cpuBefore = process.cpuUsage();
  let wallBefore = 0;
  let postgresBefore = new Map<number, number>();
  let postgresAfter = new Map<number, number>();
  const profiler = args['cpu-prof'] ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  const result = await new Promise<StormResult>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('the storm did not finish within 180 s')), 180_000);
    child!.on('exit', (code) => reject(new Error(`client process exited (${code}) before reporting`)));
    child!.on('message', (message: { type: 'ready' } | { type: 'done'; result: StormResult }) => {
      if (message.type === 'ready') {
        // The host is in; measure from here.
        void profiler?.post('Profiler.start');
        loopDelay.reset();
        loopDelay.enable();
        cpuBefore = process.cpuUsage();
        postgresBefore = cpuByPid('postgres');
        wallBefore = performance.now();
        child!.send({ type: 'go' });
      } else {
        loopDelay.disable();
        postgresAfter = cpuByPid('postgres');
        clearTimeout(deadline);
        resolve(message.result);
      }
    });
    child!.send({ type: 'start', request });
  });
  const cpu = process.cpuUsage(cpuBefore);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    fs.writeFileSync(args['cpu-prof']!, JSON.stringify(profile));
    profiler.disconnect();
  }
  const serverWallMs = performance.now() - wallBefore;
  const serverCpuPct = ((cpu.user + cpu.system) / 1000 / serverWallMs) * 100;
  const postgresCpuPct = (cpuDelta(postgresBefore, postgresAfter) * 1000 * 100) / serverWallMs;
  const ms = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
  const eld = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean), samples: loopDelay.count };

  // ---- report ----------------------------------------------------------------------------
  const events = Object.keys(result.latencies);
  const rows = [...events, 'all acks'].map((event) => {
    const samples = event === 'all acks' ? Object.entries(result.latencies).filter(([e]) => e !== 'connect' && e !== 'join (open → admitted)').flatMap(([, v]) => v) : result.latencies[event]!;
    const s = summarize(samples);
    return [event, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max)];
  });
  say(`\njoin storm: ${clientCount} clients, ${result.admitted}/${clientCount} admitted, ${result.failures.length} failures, total ${fmt(result.totalMs / 1000, 2)} s`);
  say(table(['event (ms)', 'n', 'p50', 'p95', 'p99', 'max'], rows));
  say(`server event-loop delay during the storm (ms beyond the ${resolutionMs} ms sampling tick, ${eld.samples} samples): p50 ${fmt(eld.p50)}, p99 ${fmt(eld.p99)}, max ${fmt(eld.max)}, mean ${fmt(eld.mean)}`);
  say(`CPU during the storm (${fmt(serverWallMs / 1000, 2)} s; % of one core, 2 cores in all): server ${fmt(serverCpuPct, 0)} %, PostgreSQL ${fmt(postgresCpuPct, 0)} %, clients ${fmt(result.clientCpuPct, 0)} %`);
  say(`client process: event-loop delay p99 ${fmt(result.clientLoopDelay.p99)} ms, max ${fmt(result.clientLoopDelay.max)} ms; room:state events received: ${result.roomStateEvents} (host ${result.hostRoomStateEvents})`);
  for (const failure of result.failures.slice(0, 10)) say(`  failure: ${failure}`);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ clients: clientCount, result: { ...result, latencies: Object.fromEntries(events.map((e) => [e, summarize(result.latencies[e]!)])) }, serverLoopDelayMs: eld, serverCpuPct, postgresCpuPct, serverWallMs }, null, 2));
  }
  if (result.failures.length > 0 || result.admitted !== clientCount) process.exitCode = 1;
} finally {
  await cleanUp();
}
