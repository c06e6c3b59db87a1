// Join storm on several nodes (issue 8 point 5): N simultaneous joins on 1 node against 2N on 2
// nodes (one room per node), each node a separate process started like scripts/cluster.sh
// (server/main.ts, HAIQIAO_NODE_ID, shared PostgreSQL and Redis, one mediasoup worker), pinned
// to a core of its own with taskset. Both configurations in the same run, alternating which goes
// first from round to round, each on a fresh database.
//
//   node bench/cluster-join-storm.ts [--per-node 100] [--rounds 2] [--warmup 3] [--cores 0,1] [--cpu-quota 0.4] [--media-workers 1] [--client-nice 0] [--json out.json]
//
// --cpu-quota (root, cgroup v1): each node with its worker gets at most that share of its core. On a
// 2-core machine two pinned nodes leave PostgreSQL and the clients no core of their own, so they
// take the nodes' CPU and a second node looks like no gain; with a quota the nodes are smaller
// cores of their own and the rest runs beside them.
//
// The joins are bench/join-storm-clients.ts (the mediator admits everyone who reaches the lobby;
// each participant: connect → session:enter → device-check:report → one-time code →
// identity:confirm → lobby:wait → admitted), one client process per room, not pinned (reniced
// with --client-nice, so that the nodes' cores are theirs as far as the machine allows). Rooms are placed by the nodes
// themselves (least-loaded live node); the script checks that the two rooms landed on two nodes.
//
// Needs PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_ADMIN_URL overrides) and Redis
// (HAIQIAO_REDIS_URL, default redis://127.0.0.1:6379). Databases are dropped on exit.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { io } from 'socket.io-client';
import { openDatabase } from '../server/db/client.ts';
import { createOrganisation, createStaffUser } from '../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../shared/ids.ts';
import { testPassword } from '../tests/helpers/test-app.ts';
import { type ChildMessage, joinLabel, type ParentMessage, type PhaseResult, type StormRequest } from './join-storm-clients.ts';
import { type Cluster, cpuGroupUsage, startCluster } from './lib/cluster-nodes.ts';
import { cpuDelta, cpuOfProcessesNamed, fmt, machineBusySeconds, median, processCpuSeconds, summarize, table } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    'per-node': { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '3' },
    cores: { type: 'string', default: '0,1' },
    'cpu-quota': { type: 'string' },
    // 0: nodes without mediasoup (a quick check of the script where no worker is built).
    'media-workers': { type: 'string', default: '1' },
    // Niceness of the client processes. At 10, on a machine at load average 20, they answered
    // socket.io's pings too late and the mediator's socket was dropped mid-storm.
    'client-nice': { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
const perNode = Number(args['per-node']);
const rounds = Number(args.rounds);
const warmup = Number(args.warmup);
const cores = args.cores!.split(',').map(Number);
const cpuQuota = args['cpu-quota'] === undefined ? undefined : Number(args['cpu-quota']);
if (cpuQuota !== undefined && !(cpuQuota > 0 && cpuQuota <= 1)) throw new Error('--cpu-quota: a share of one core, above 0 and at most 1');
if (!Number.isInteger(perNode) || perNode < 1 || perNode > 500) throw new Error('--per-node: 1–500');
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds: 1–20');
if (!Number.isInteger(warmup) || warmup < 0 || warmup > 20) throw new Error('--warmup: 0–20');
const mediaWorkers = Number(args['media-workers']) as 0 | 1;
const clientNice = Number(args['client-nice']);
if (!Number.isInteger(clientNice) || clientNice < 0 || clientNice > 19) throw new Error('--client-nice: 0–19');
if (mediaWorkers !== 0 && mediaWorkers !== 1) throw new Error('--media-workers: 0 or 1');
if (cores.length !== 2 || cores.some((c) => !Number.isInteger(c) || c < 0 || c >= os.availableParallelism())) throw new Error('--cores: two core numbers, e.g. 0,1');

const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.HAIQIAO_REDIS_URL ?? 'redis://127.0.0.1:6379';
const say = (line: string) => process.stdout.write(`${line}\n`);
const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
const databases = new Set<string>();
let cluster: Cluster | undefined;
const children = new Set<ReturnType<typeof fork>>();

async function cleanUp() {
  for (const child of children) if (child.exitCode === null) child.kill();
  // A run cut short: its nodes' failover lines before their logs go.
  if (cluster) say(`node logs of the unfinished run (per node): ${JSON.stringify(failoverLogOf(cluster))}`);
  await cluster?.stop().catch(() => {});
  for (const name of databases) await admin.unsafe(`drop database if exists ${name} with (force)`).catch((error: Error) => say(`could not drop ${name}: ${error.message}`));
  databases.clear();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`\n${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

interface RunResult {
  nodes: number;
  round: number;
  joins: number;
  admitted: number;
  failures: string[];
  /** From the go to the last admission, over all rooms. */
  allAdmittedMs: number;
  perRoomAllAdmittedMs: number[];
  join: ReturnType<typeof summarize>;
  acks: ReturnType<typeof summarize>;
  /** CPU seconds of each node process (its worker not included) during the storm. */
  nodeCpuS: number[];
  /** CPU seconds during the storm of PostgreSQL, Redis, the client processes and the whole machine: where a core went. */
  othersCpuS: { postgres: number; redis: number; clients: number; machine: number };
  /**
   * The audit chain's lock (one advisory lock for every audited change, held to COMMIT) sampled
   * every 20 ms during the storm: how often someone waited for it, how many on average, and in
   * how many of those samples its holder was idle in its transaction (waiting for its node to go on).
   */
  chainLock: { samples: number; contended: number; meanWaiting: number; holderIdle: number };
  /** With --cpu-quota: the share of each node's 100 ms periods during the storm in which it hit its quota. */
  throttledShare: number[] | null;
  loadAverage: number[];
  /** Failover lines in each node's log over the whole run (start, placement, storm). */
  failoverLog: Record<FailoverEvent, number[]>;
}

/** A node's failover decisions, by the message it logs (server/modules/cluster/node-membership.ts). */
const failoverMessages = {
  declaredDead: 'failover: a node stopped beating',
  tookOver: 'failover: took over a room of a dead node',
  letGo: 'failover: a room held here is placed elsewhere now',
  skipped: 'failover skipped: this node was late itself',
} as const;
type FailoverEvent = keyof typeof failoverMessages;

/** Counts each node's failover lines (its log is removed with the cluster). */
function failoverLogOf(cluster: Cluster): Record<FailoverEvent, number[]> {
  const lines = cluster.nodes.map((node) => fs.readFileSync(node.log, 'utf8').split('\n'));
  const count = (text: string) => lines.map((nodeLines) => nodeLines.filter((line) => line.includes(text)).length);
  return Object.fromEntries(Object.entries(failoverMessages).map(([event, text]) => [event, count(text)])) as Record<FailoverEvent, number[]>;
}

/** The key audit_append() locks (migration 0024); other advisory locks (pg-boss's, the rulings') are not the chain's. */
const chainLockKey = 1752236033;

/** Samples the audit chain's advisory lock every 20 ms until stopped. */
function sampleChainLock(databaseUrl: string) {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const totals = { samples: 0, contended: 0, waiting: 0, holderIdle: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const [row] = await sql<{ waiting: number; holder: string | null }[]>`
        with chain as (select * from pg_locks where locktype = 'advisory' and classid = 0 and objid = ${chainLockKey} and objsubid = 1)
        select (select count(*)::int from chain where not granted) as waiting,
               (select a.state from chain l join pg_stat_activity a using (pid) where l.granted limit 1) as holder`;
      totals.samples += 1;
      if (row!.waiting > 0) {
        totals.contended += 1;
        totals.waiting += row!.waiting;
        if (row!.holder === 'idle in transaction') totals.holderIdle += 1;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await sql.end({ timeout: 1 });
      return { samples: totals.samples, contended: totals.contended, meanWaiting: totals.contended ? totals.waiting / totals.contended : 0, holderIdle: totals.holderIdle };
    },
  };
}

/** A mediator socket enters the session on `url`; the node that holds the room answers, or names it (WRONG_NODE). */
async function placeRoom(url: string, cookie: string, sessionId: string): Promise<string | null> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: { cookie } });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const answer = (await socket.timeout(30_000).emitWithAck('session:enter', { sessionId })) as { ok: boolean; error?: { code: string; node?: string } };
    if (answer.ok) return null;
    if (answer.error?.code === 'WRONG_NODE' && answer.error.node) return answer.error.node;
    throw new Error(`placing the room: ${JSON.stringify(answer.error)}`);
  } finally {
    socket.disconnect();
  }
}

async function runOnce(nodeCount: 1 | 2, round: number): Promise<RunResult> {
  const dbName = `haiqiao_bench_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database ${dbName}`);
  databases.add(dbName);
  const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${dbName}`);
  // Migrations and the mediator's account first, so the nodes start on a ready database.
  const database = await openDatabase({ databaseUrl, max: 2 });
  const center = await createOrganisation(database.db, null, { kind: 'mediation_center', name: '浙闽联调中心', caseNumberPrefix: '浙闽联调' });
  await createStaffUser(database.db, null, { organisationId: center.id as OrganisationId, username: 'mediator', displayName: '调解员', role: 'mediator', password: testPassword });
  await database.close();

  cluster = await startCluster({ databaseUrl, redisUrl, cores: cores.slice(0, nodeCount), mediaWorkers, cpuQuota });
  const nodes = cluster.nodes;
  const first = nodes[0]!.url;
  const login = await fetch(`${first}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mediator', password: testPassword }) });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const cookie = /hq_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${first}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const created = await post('/api/cases', {
    title: '渔船碰撞（多节点压测）',
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
  });
  const requests: StormRequest[] = [];
  const placedOn: string[] = [];
  for (let room = 0; room < nodeCount; room++) {
    const session = await post(`/api/cases/${created.id}/sessions`, { title: `百人联调 ${room + 1}`, scheduledAt: new Date(Date.now() + 3_600_000).toISOString() });
    const tokens: string[] = [];
    for (let i = 0; i < warmup + perNode; i++) {
      const input = i % 2 === 0 ? { role: 'agent', displayName: `代理人${room}-${i}`, representsPartyId: created.parties[(i / 2) % 2].id } : { role: 'observer', displayName: `旁听${room}-${i}` };
      const participant = await post(`/api/cases/${created.id}/participants`, input);
      const invitation = await post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id });
      tokens.push(invitation.link.split('/j/')[1]);
    }
    // The room goes to the least-loaded live node; loads are refreshed by the 1 s heartbeat.
    if (room > 0) await new Promise((r) => setTimeout(r, 2500));
    const owner = (await placeRoom(first, cookie, session.id)) ?? nodes[0]!.id;
    const node = nodes.find((n) => n.id === owner);
    if (!node) throw new Error(`room placed on unknown node ${owner}`);
    placedOn.push(owner);
    requests.push({ baseUrl: node.url, hostCookie: cookie, sessionId: session.id, warmupTokens: tokens.slice(0, warmup), baselineTokens: [], stormTokens: tokens.slice(warmup) });
  }
  if (new Set(placedOn).size !== nodeCount) throw new Error(`rooms placed on ${placedOn.join(', ')}: expected one per node`);

  // One client process per room (reniced with --client-nice); all start the storm on the same signal.
  const ready: Promise<void>[] = [];
  const done: Promise<PhaseResult>[] = [];
  const forked = requests.map((request) => {
    const child = fork(new URL('./join-storm-clients.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    if (clientNice) os.setPriority(child.pid!, clientNice);
    ready.push(new Promise((resolve) => child.on('message', (m: ChildMessage) => m.type === 'ready' && resolve())));
    done.push(
      new Promise((resolve, reject) => {
        child.on('message', (m: ChildMessage) => m.type === 'done' && resolve(m.result));
        child.on('exit', (code) => setTimeout(() => reject(new Error(`client process exited (${code}) before reporting`)), 1000));
      }),
    );
    child.send({ type: 'start', request } satisfies ParentMessage);
    return child;
  });
  await Promise.all(ready);
  await new Promise((r) => setTimeout(r, 1500)); // the warm-up's disconnects and heartbeats settle
  const loadAverage = os.loadavg();
  const cpuBefore = nodes.map((n) => processCpuSeconds(n.pid));
  const othersBefore = { postgres: cpuOfProcessesNamed('postgres'), redis: cpuOfProcessesNamed('redis-server'), machine: machineBusySeconds() };
  const throttleBefore = nodes.map((n) => (n.cpuGroup ? cpuGroupUsage(n.cpuGroup) : null));
  const sampler = sampleChainLock(databaseUrl);
  for (const child of forked) child.send({ type: 'go' } satisfies ParentMessage);
  const results = await Promise.all(done);
  const chainLock = await sampler.stop();
  const nodeCpuS = nodes.map((n, i) => processCpuSeconds(n.pid) - cpuBefore[i]!);
  const othersCpuS = {
    postgres: cpuDelta(othersBefore.postgres, cpuOfProcessesNamed('postgres')),
    redis: cpuDelta(othersBefore.redis, cpuOfProcessesNamed('redis-server')),
    // Each client process reports its own share of a core over its storm.
    clients: results.reduce((sum, r) => sum + (r.clientCpuPct / 100) * (r.totalMs / 1000), 0),
    machine: machineBusySeconds() - othersBefore.machine,
  };
  const throttledShare = cpuQuota === undefined ? null : nodes.map((n, i) => {
    const before = throttleBefore[i]!;
    const after = cpuGroupUsage(n.cpuGroup!);
    return (after.throttledPeriods - before.throttledPeriods) / Math.max(1, after.periods - before.periods);
  });
  for (const child of forked) children.delete(child);

  const joinTimes = results.flatMap((r) => r.latencies[joinLabel] ?? []);
  const notAcks = new Set(['connect', joinLabel, 'session:enter (host)']);
  const acks = results.flatMap((r) => Object.entries(r.latencies).filter(([e]) => !notAcks.has(e)).flatMap(([, v]) => v));
  const failoverLog = failoverLogOf(cluster);
  await cluster.stop();
  cluster = undefined;
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  databases.delete(dbName);
  return {
    nodes: nodeCount,
    round,
    joins: perNode * nodeCount,
    admitted: results.reduce((n, r) => n + r.admitted, 0),
    failures: results.flatMap((r) => r.failures),
    allAdmittedMs: Math.max(...results.map((r) => r.totalMs)),
    perRoomAllAdmittedMs: results.map((r) => r.totalMs),
    join: summarize(joinTimes),
    acks: summarize(acks),
    nodeCpuS,
    othersCpuS,
    chainLock,
    throttledShare,
    loadAverage,
    failoverLog,
  };
}

try {
  say(`machine: ${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; nodes pinned to cores ${cores.join(' and ')}${cpuQuota === undefined ? '' : `, each at most ${cpuQuota} of its core (cgroup quota)`}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const runs: RunResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: (1 | 2)[] = round % 2 === 1 ? [1, 2] : [2, 1];
    for (const nodeCount of order) {
      const run = await runOnce(nodeCount, round);
      runs.push(run);
      say(
        `round ${round}, ${nodeCount} node(s): ${run.admitted}/${run.joins} admitted, ${run.failures.length} failures; all admitted after ${fmt(run.allAdmittedMs / 1000, 2)} s ` +
          `(per room ${run.perRoomAllAdmittedMs.map((t) => fmt(t / 1000, 2)).join(', ')}); join p50 ${fmt(run.join.p50, 0)} p95 ${fmt(run.join.p95, 0)} max ${fmt(run.join.max, 0)} ms; ` +
          `node CPU ${run.nodeCpuS.map((s) => fmt(s, 2)).join(' + ')} s (${run.nodeCpuS.map((s) => fmt((s * 1000) / perNode, 1)).join(' / ')} ms per join); PostgreSQL ${fmt(run.othersCpuS.postgres, 2)} s, Redis ${fmt(run.othersCpuS.redis, 2)} s, clients ${fmt(run.othersCpuS.clients, 2)} s, whole machine ${fmt(run.othersCpuS.machine, 2)} s; chain lock waited for in ${run.chainLock.contended}/${run.chainLock.samples} samples (${fmt(run.chainLock.meanWaiting, 1)} waiting, holder idle in ${run.chainLock.holderIdle})${run.throttledShare ? `; at its quota in ${run.throttledShare.map((t) => `${fmt(100 * t, 0)} %`).join(' / ')} of periods` : ''}; load average ${run.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
      );
      say(`  node logs (per node): ${Object.entries(run.failoverLog).map(([event, counts]) => `${event} ${counts.join(' / ')}`).join(', ')}`);
      for (const failure of run.failures.slice(0, 5)) say(`  failure: ${failure}`);
    }
  }
  const rows = runs.map((r) => [
    `${r.nodes} × ${perNode}`,
    r.round,
    r.loadAverage.map((l) => l.toFixed(2)).join(' '),
    `${r.admitted}/${r.joins}`,
    fmt(r.allAdmittedMs / 1000, 2),
    `${fmt(r.join.p50, 0)} / ${fmt(r.join.p95, 0)} / ${fmt(r.join.max, 0)}`,
    `${fmt(r.acks.p50, 0)} / ${fmt(r.acks.p99, 0)}`,
    r.nodeCpuS.map((s) => fmt((s * 1000) / perNode, 1)).join(' / '),
    ...(cpuQuota === undefined ? [] : [r.throttledShare!.map((t) => fmt(100 * t, 0)).join(' / ')]),
  ]);
  const headings = ['nodes × joins', 'round', 'load avg at storm', 'admitted', 'all admitted after (s)', 'join p50 / p95 / max (ms)', 'acks p50 / p99 (ms)', 'node CPU per join (ms)'];
  say(`\n${table(cpuQuota === undefined ? headings : [...headings, 'periods at quota (%)'], rows)}`);
  const allAdmitted = (n: number) => runs.filter((r) => r.nodes === n).map((r) => r.allAdmittedMs);
  const one = allAdmitted(1);
  const two = allAdmitted(2);
  say(`\ntime to admit everyone (s), over ${rounds} round(s): 1 node × ${perNode}: median ${fmt(median(one) / 1000, 2)}, max ${fmt(Math.max(...one) / 1000, 2)}; 2 nodes × ${perNode}: median ${fmt(median(two) / 1000, 2)}, max ${fmt(Math.max(...two) / 1000, 2)}`);
  say(`2 nodes / 1 node (median of the rounds' ratios): ${fmt(median(runs.filter((r) => r.nodes === 2).map((r) => r.allAdmittedMs / runs.find((o) => o.nodes === 1 && o.round === r.round)!.allAdmittedMs)), 2)}; target: no longer (≤ 1)`);
  say(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ perNode, rounds, cores, cpuQuota, runs }, null, 2));
  if (runs.some((r) => r.failures.length > 0 || r.admitted !== r.joins)) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanUp();
  await admin.end({ timeout: 5 });
}
