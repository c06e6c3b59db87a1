// Join storm: 100 participants open their invitation links at the same moment and go through
// session:enter → device-check:report → identity:confirm (one-time code the mediator issues) →
// lobby:wait while the mediator admits them as they arrive. First, in the same run, a baseline of
// --baseline participants joining one at a time (each leaves once admitted, after --warmup
// unmeasured ones), so that the storm's latencies and server CPU per join can be read against the
// same server's uncontended ones.
//
// This process is the server only: the real app (buildApp) on a fresh PostgreSQL database with a
// real mediasoup WorkerPool, production defaults (a pool of 10 database connections). The socket.io
// clients run in a child process (join-storm-clients.ts), so the event-loop delay measured here
// is the server's.
//
//   node bench/join-storm.ts [--clients 100] [--baseline 10] [--warmup 3] [--json results.json] [--cpu-prof storm.cpuprofile] [--count-queries]
//
// --cpu-prof writes a V8 CPU profile of the server during the storm only (Chrome DevTools or
// speedscope open it) and prints where the server's time went.
//
// --count-queries counts the statements the server sends PostgreSQL per join (baseline and storm;
// BEGIN and COMMIT included): it sets log_statement = 'all' on the benchmark's database and counts
// that database's lines in the server log (PG_LOG, default Debian's), so it needs no change to the
// code measured. Logging costs PostgreSQL time: take CPU figures from runs without it.
//
// Needs PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_ADMIN_URL overrides, as for the tests). The
// database it creates is dropped on exit, also after a failure or Ctrl-C.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { type App, buildApp } from '../server/app.ts';
import { type Database, openDatabase } from '../server/db/client.ts';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { createOrganisation, createStaffUser } from '../server/modules/admin/admin.service.ts';
import { createIdNumberCipher } from '../server/security/id-number-cipher.ts';
import type { OrganisationId } from '../shared/ids.ts';
import { api, json, login, testPassword } from '../tests/helpers/test-app.ts';
import { type ChildMessage, joinLabel, type ParentMessage, type PhaseResult, type StormRequest } from './join-storm-clients.ts';
import { cpuDelta, fmt, processCpuSeconds, summarize, table } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    baseline: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    json: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'count-queries': { type: 'boolean', default: false },
    // No mediasoup worker (a join touches media only for the room's router): for a machine without one.
    'no-media': { type: 'boolean', default: false },
  },
});
const clientCount = Number(args.clients);
const baselineCount = Number(args.baseline);
const warmupCount = Number(args.warmup);
if (!Number.isInteger(clientCount) || clientCount < 1 || clientCount > 1000) throw new Error('--clients: 1–1000');
if (!Number.isInteger(baselineCount) || baselineCount < 0 || baselineCount > 100) throw new Error('--baseline: 0–100');
if (!Number.isInteger(warmupCount) || warmupCount < 0 || warmupCount > 100) throw new Error('--warmup: 0–100');

// One mediator issues a code to, and admits, every participant within a few seconds: far beyond
// the per-connection budgets of a real mediator (host:issue-code 20, host:admit 40 per 10 s).
const stormBudgetScale = 20;

const pgLog = process.env.PG_LOG ?? '/var/log/postgresql/postgresql-15-main.log';
const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const say = (line: string) => process.stdout.write(`${line}\n`);

// ---- clean-up, whatever happens ---------------------------------------------------------------
const dbName = `haiqiao_bench_${randomBytes(6).toString('hex')}`;
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
let database: Database | undefined;
let pool: WorkerPool | undefined;
let app: App | undefined;
let child: ReturnType<typeof fork> | undefined;
let dbCreated = false;
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    if (child && child.exitCode === null) child.kill();
    await app?.close().catch(() => {});
    pool?.close();
    await database?.close().catch(() => {});
    if (dbCreated) await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch((error: Error) => say(`could not drop ${dbName}: ${error.message}`));
    await admin.end({ timeout: 5 });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`\n${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  // ---- the server ---------------------------------------------------------------------------
  await admin.unsafe(`create database ${dbName}`);
  dbCreated = true;
  if (args['count-queries']) await admin.unsafe(`alter database ${dbName} set log_statement = 'all'`);
  database = await openDatabase({ databaseUrl: adminUrl.replace(/\/[^/]*$/, `/${dbName}`) });
  pool = args['no-media'] ? undefined : await WorkerPool.start({ size: os.availableParallelism() });
  app = await buildApp({ database, cipher: createIdNumberCipher(randomBytes(32)), media: pool ?? null, clientDir: null, loginRatePerMinute: 1000, socketLimits: { budgetScale: stormBudgetScale } });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });

  // ---- one case, one session, invited participants (none has an ID number on file) ----------
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
  if (!session.id) throw new Error(`could not schedule the session: ${JSON.stringify(session)}`);
  const tokens: string[] = [];
  for (let i = 0; i < warmupCount + baselineCount + clientCount; i++) {
    // Agents for either side and observers (family, village officials…): all confirm with a code.
    const input = i % 2 === 0 ? { role: 'agent', displayName: `代理人${i}`, representsPartyId: created.parties[(i / 2) % 2].id } : { role: 'observer', displayName: `旁听${i}` };
    const participant = json(await mediator.post(`/api/cases/${created.id}/participants`, input));
    const invitation = json(await mediator.post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id }));
    if (!invitation.link) throw new Error(`could not invite: ${JSON.stringify(invitation)}`);
    tokens.push(invitation.link.split('/j/')[1]);
  }
  say(`set up: 1 case, 1 session, ${warmupCount} + ${baselineCount} + ${clientCount} invitations (warm-up, baseline, storm); server ${baseUrl}, ${pool ? `${pool.status().workers} mediasoup worker(s) ${pool.status().version}` : 'no mediasoup worker (--no-media)'}`);
  say(`machine: ${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; load average before ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // ---- the storm, clients in a child process ----------------------------------------------
  const request: StormRequest = { baseUrl, hostCookie: cookie, sessionId: session.id, warmupTokens: tokens.slice(0, warmupCount), baselineTokens: tokens.slice(warmupCount, warmupCount + baselineCount), stormTokens: tokens.slice(warmupCount + baselineCount) };
  let baselineCpuStart = process.cpuUsage();
  let baselineCpuMs = 0;
  child = fork(new URL('./join-storm-clients.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // The histogram records the time between 5 ms timer ticks: the delay is what exceeds 5 ms.
  const resolutionMs = 5;
  const loopDelay = monitorEventLoopDelay({ resolution: resolutionMs });
  // PostgreSQL CPU: only the backends serving this benchmark's database (others may share the cluster).
  const backendPids = async () => (await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${dbName}`).map((r) => r.pid);
  const postgresCpu = async () => {
    const cpu = new Map<number, number>();
    for (const pid of await backendPids()) {
      try {
        cpu.set(pid, processCpuSeconds(pid));
      } catch {
        // ended meanwhile
      }
    }
    return cpu;
  };
  let cpuBefore = process.cpuUsage();
  let cpu = process.cpuUsage(cpuBefore);
  let wallBefore = 0;
  let serverWallMs = 0;
  let postgresBefore = new Map<number, number>();
  let postgresAfter = new Map<number, number>();
  const loadAtStorm: number[] = [];
  const profiler = args['cpu-prof'] ? new Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
  }
  // Byte offsets of the PostgreSQL log at the phases' edges (--count-queries).
  const queryMarks = { baselineStart: 0, baselineEnd: 0, stormStart: 0, stormEnd: 0 };
  let baseline: PhaseResult | undefined;
  const result = await new Promise<PhaseResult>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('the storm did not finish within 240 s')), 240_000);
    deadline.unref(); // a failure must not wait for it
    let reported = false;
    // The exit can be seen before the last IPC message is read: give it a moment.
    child!.on('exit', (code) => setTimeout(() => reported || reject(new Error(`client process exited (${code}) before reporting`)), 1000));
    child!.on('message', (message: ChildMessage) => {
      if (message.type === 'baseline-start') {
        baselineCpuStart = process.cpuUsage();
        queryMarks.baselineStart = logSize();
      } else if (message.type === 'baseline') {
        queryMarks.baselineEnd = logSize();
        baseline = message.result;
        const used = process.cpuUsage(baselineCpuStart);
        baselineCpuMs = (used.user + used.system) / 1000;
      } else if (message.type === 'ready') {
        // The host is in and the baseline done; measure from here.
        void (async () => {
          postgresBefore = await postgresCpu();
          await profiler?.post('Profiler.start');
          loadAtStorm.push(...os.loadavg());
          loopDelay.reset();
          loopDelay.enable();
          queryMarks.stormStart = logSize();
          cpuBefore = process.cpuUsage();
          wallBefore = performance.now();
          child!.send({ type: 'go' } satisfies ParentMessage);
        })().catch(reject);
      } else {
        reported = true;
        loopDelay.disable();
        cpu = process.cpuUsage(cpuBefore);
        queryMarks.stormEnd = logSize();
        serverWallMs = performance.now() - wallBefore;
        void postgresCpu().then((after) => {
          postgresAfter = after;
          clearTimeout(deadline);
          resolve(message.result);
        }, reject);
      }
    });
    child!.send({ type: 'start', request } satisfies ParentMessage);
  });
  let profileSummary: { share: number; what: string }[] = [];
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    fs.writeFileSync(args['cpu-prof']!, JSON.stringify(profile));
    profiler.disconnect();
    profileSummary = summariseProfile(profile);
  }
  const serverCpuMs = (cpu.user + cpu.system) / 1000;
  const serverCpuPct = (serverCpuMs / serverWallMs) * 100;
  const postgresCpuPct = (cpuDelta(postgresBefore, postgresAfter) * 1000 * 100) / serverWallMs;
  const ms = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
  const eld = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max), mean: ms(loopDelay.mean), samples: loopDelay.count };

  // ---- report ----------------------------------------------------------------------------
  const events = ['connect', 'session:enter', 'device-check:report', 'host:issue-code', 'identity:confirm', 'lobby:wait', 'host:admit', joinLabel];
  const notAcks = new Set(['connect', joinLabel, 'session:enter (host)', 'room:leave (baseline only)']);
  const allAcks = (r: PhaseResult) => Object.entries(r.latencies).filter(([e]) => !notAcks.has(e)).flatMap(([, v]) => v);
  const samplesOf = (r: PhaseResult | undefined, event: string) => (!r ? [] : event === 'all acks' ? allAcks(r) : (r.latencies[event] ?? []));
  const rows = [...events, 'all acks'].map((event) => {
    const s = summarize(samplesOf(result, event));
    const b = summarize(samplesOf(baseline, event));
    return [event, s.n, fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max), fmt(b.p50), fmt(b.p99), b.n ? `${fmt(s.p50 / b.p50, 1)}×` : '–'];
  });
  say(`\njoin storm: ${clientCount} clients at once, ${result.admitted}/${clientCount} admitted, ${result.failures.length} failures, all admitted after ${fmt(result.totalMs / 1000, 2)} s`);
  if (baseline) say(`baseline: ${baselineCount} clients one at a time, ${baseline.admitted}/${baselineCount} admitted, ${baseline.failures.length} failures, ${fmt(baseline.totalMs / 1000, 2)} s`);
  say(table(['event (ms)', 'n', 'p50', 'p95', 'p99', 'max', 'baseline p50', 'baseline p99', 'storm / baseline p50'], rows));
  say(`server event-loop delay during the storm (ms beyond the ${resolutionMs} ms sampling tick, ${eld.samples} samples): p50 ${fmt(eld.p50)}, p99 ${fmt(eld.p99)}, max ${fmt(eld.max)}, mean ${fmt(eld.mean)}`);
  say(`CPU during the storm (${fmt(serverWallMs / 1000, 2)} s; % of one core, ${os.availableParallelism()} cores in all): server ${fmt(serverCpuPct, 0)} %, PostgreSQL (this database's backends) ${fmt(postgresCpuPct, 0)} %, clients ${fmt(result.clientCpuPct, 0)} %`);
  say(
    `server CPU time per join (the storm's total / ${clientCount}; far less dependent on other load than the latencies): storm ${fmt(serverCpuMs / clientCount, 1)} ms` +
      (baselineCount ? `, baseline ${fmt(baselineCpuMs / baselineCount, 1)} ms (one at a time, after ${warmupCount} unmeasured warm-up joins)` : ''),
  );
  say(
    `room:state fan-out during the storm: participants received ${result.roomStateEvents} (${fmt(result.roomStateEvents / clientCount, 0)} per join; ` +
      `${result.roomStateEventsBeforeAdmission} of them before their admission, when a view shows only oneself), the host ${result.hostRoomStateEvents}; ` +
      `${fmt(result.receivedChars / 1e6, 1)} M characters of socket.io frames received in all`,
  );
  say(`client process: event-loop delay p99 ${fmt(result.clientLoopDelay.p99)} ms, max ${fmt(result.clientLoopDelay.max)} ms`);
  say(`load average at the storm ${loadAtStorm.map((l) => l.toFixed(2)).join(' ')}, at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  let queries: { baseline: QueryCount; storm: QueryCount } | undefined;
  if (args['count-queries']) {
    await new Promise((r) => setTimeout(r, 500)); // the log's last lines reach the file
    queries = { baseline: countQueries(queryMarks.baselineStart, queryMarks.baselineEnd), storm: countQueries(queryMarks.stormStart, queryMarks.stormEnd) };
    const show = (c: QueryCount, joins: number) =>
      `${fmt(c.total / joins, 1)} per join (${Object.entries(c.byKind)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${fmt(n / joins, 1)}`)
        .join(', ')})`;
    const baselineQueries = baselineCount ? `; baseline ${show(queries.baseline, baselineCount)}` : '';
    say(`statements sent to PostgreSQL: storm ${show(queries.storm, clientCount)}${baselineQueries}`);
  }
  if (profileSummary.length) {
    say(`\nserver CPU profile during the storm (self time, % of the non-idle samples; written to ${args['cpu-prof']}):`);
    for (const { share, what } of profileSummary) say(`  ${fmt(share, 1).padStart(5)} %  ${what}`);
  }
  for (const failure of [...(baseline?.failures ?? []), ...result.failures].slice(0, 10)) say(`  failure: ${failure}`);
  if (args.json) {
    const summaries = (r: PhaseResult) => Object.fromEntries(Object.keys(r.latencies).map((e) => [e, summarize(r.latencies[e]!)]));
    fs.writeFileSync(
      args.json,
      JSON.stringify(
        {
          clients: clientCount,
          baselineClients: baselineCount,
          storm: { ...result, latencies: summaries(result), allAcks: summarize(allAcks(result)) },
          baseline: baseline && { ...baseline, latencies: summaries(baseline), allAcks: summarize(allAcks(baseline)) },
          serverLoopDelayMs: eld,
          serverCpuPct,
          serverCpuMsPerJoin: { storm: serverCpuMs / clientCount, baseline: baselineCount ? baselineCpuMs / baselineCount : null },
          postgresCpuPct,
          serverWallMs,
          loadAverage: { atStorm: loadAtStorm, atEnd: os.loadavg() },
          profile: profileSummary,
          queries,
        },
        null,
        2,
      ),
    );
  }
  if (result.failures.length > 0 || result.admitted !== clientCount || (baseline && baseline.admitted !== baselineCount)) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
}

type QueryCount = { total: number; byKind: Record<string, number> };

/** Size of the PostgreSQL server log (0 unless --count-queries). */
function logSize(): number {
  return args['count-queries'] ? fs.statSync(pgLog).size : 0;
}

/** Statements this benchmark's database logged between two offsets of the server log, by their first word. */
function countQueries(from: number, to: number): QueryCount {
  const fd = fs.openSync(pgLog, 'r');
  const buffer = Buffer.alloc(Math.max(0, to - from));
  fs.readSync(fd, buffer, 0, buffer.length, from);
  fs.closeSync(fd);
  const byKind: Record<string, number> = {};
  let total = 0;
  const line = new RegExp(`@${dbName} LOG:  (?:statement|execute [^:]*): +(\\w+)`);
  for (const text of buffer.toString('utf8').split('\n')) {
    const kind = line.exec(text)?.[1]?.toLowerCase();
    if (!kind) continue;
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    total++;
  }
  return { total, byKind };
}

/** Self time of the biggest functions (their package for dependencies), as % of the profiled time the server was not idle. */
function summariseProfile(profile: { nodes: { id: number; callFrame: { functionName: string; url: string } }[]; samples?: number[]; timeDeltas?: number[] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const dt = profile.timeDeltas?.[i] ?? 0;
    const { functionName, url } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') return; // waiting for I/O (or for the CPU, on a busy machine)
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    const file = url.replace(/^.*\/(server|shared|bench)\//, '$1/');
    const what = `${functionName || '(anonymous)'}${pkg ? ` [${pkg}]` : url ? ` [${file}]` : ''}`;
    self.set(what, (self.get(what) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 14)
    .map(([what, t]) => ({ share: (t / total) * 100, what }));
}
