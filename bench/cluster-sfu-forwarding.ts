// SFU forwarding capacity, 2 nodes against 1 (issue 8 point 5, target ≥ 1.8×): the load of
// bench/sfu-forwarding.ts through the project's room code (MediaRoom, as `--mode room` there) on
// one node, then on two nodes at once, each node carrying the full step (one room of S senders ×
// R receivers) on its one mediasoup worker, pinned to a core of its own. Both configurations in
// the same run, alternating which goes first from round to round.
//
//   node bench/cluster-sfu-forwarding.ts [--step 8x600] [--rounds 2] [--window 6] [--warmup 2] [--inspect 2] [--cores 0,1] [--json out.json]
//
// A "node" here is what forwards media on a Haiqiao node: its WorkerPool (one worker) and the
// MediaRoom on it. The node's Node.js process does no per-packet work (mediasoup forwards in its
// worker process), so both nodes' rooms are driven from this one process, which is also the
// senders; this process and the sinks are reniced (+10) and not pinned, and every worker gets a
// core of its own with taskset. The step must saturate one worker (its input sockets overflow):
// then forwarded packets/s is the node's capacity. Reported per configuration: packets/s
// forwarded in all (the raw ratio, which depends on how much of each core the worker got on a
// shared machine) and the sum over nodes of packets per worker CPU-second (each node's capacity
// with its core to itself; the ratio shows whether two nodes at once forward as cheaply as one).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { loadCapture } from './lib/rtp-source.ts';
import { run, type RunResult, type RunSettings } from './lib/sfu-run.ts';
import { SinkProcess } from './lib/sink-process.ts';
import { fmt, median, table } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    step: { type: 'string', default: '8x600' },
    rounds: { type: 'string', default: '2' },
    window: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    inspect: { type: 'string', default: '2' },
    cores: { type: 'string', default: '0,1' },
    json: { type: 'string' },
  },
});
const [senders, receivers] = args.step.split('x').map(Number);
if (!Number.isInteger(senders) || !Number.isInteger(receivers) || senders! < 1 || receivers! < 1 || senders! * receivers! > 10_000) throw new Error('--step: SxR');
const step = { senders: senders!, receivers: receivers! };
const rounds = Number(args.rounds);
const windowMs = Number(args.window) * 1000;
const warmupMs = Number(args.warmup) * 1000;
const inspect = Number(args.inspect);
const cores = args.cores.split(',').map(Number);
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error('--rounds 1–20');
if (!(windowMs >= 1000 && windowMs <= 60_000 && warmupMs >= 500 && warmupMs <= 30_000)) throw new Error('--window 1–60 s, --warmup 0.5–30 s');
if (!(Number.isInteger(inspect) && inspect >= 1 && inspect <= 100)) throw new Error('--inspect 1–100');
if (cores.length !== 2 || cores.some((c) => !Number.isInteger(c) || c < 0 || c >= os.availableParallelism())) throw new Error('--cores: two core numbers, e.g. 0,1');

const say = (line: string) => process.stdout.write(`${line}\n`);
const capture = await loadCapture(say);
const nodes = await Promise.all(cores.map(async (core) => ({ core, pool: await WorkerPool.start({ size: 1 }), sinks: SinkProcess.start() })));
const closeAll = () => {
  for (const node of nodes) {
    node.pool.close();
    node.sinks.stop();
  }
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`\n${signal}: stopping`);
    closeAll();
    process.exit(130);
  });
}
for (const node of nodes) execFileSync('taskset', ['-a', '-p', '-c', String(node.core), String(node.pool.workers[0]!.pid)], { stdio: 'ignore' });
for (const pid of [process.pid, ...nodes.map((n) => n.sinks.pid)]) os.setPriority(pid, 10);
say(`workers pinned to cores ${cores.join(' and ')} (pids ${nodes.map((n) => n.pool.workers[0]!.pid).join(', ')}); senders (pid ${process.pid}) and sinks reniced +10, not pinned`);
say(`mediasoup ${nodes[0]!.pool.status().version}, Node ${process.version}, ${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'CPU'}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

interface Measured {
  nodes: number;
  round: number;
  runs: RunResult[];
  loadAverage: number[];
}

/** Runs the step on the first `count` nodes at once; their senders start together. */
async function configuration(count: number, round: number, window = windowMs): Promise<Measured> {
  const using = nodes.slice(0, count);
  let arrived = 0;
  let release: () => void = () => undefined;
  const together = new Promise<void>((resolve) => {
    release = resolve;
  });
  const beforeSending = () => {
    if (++arrived === using.length) release();
    return together;
  };
  const loadAverage = os.loadavg();
  const runs = await Promise.all(
    using.map((node) => {
      const settings: RunSettings = { windowMs, warmupMs, inspect, workerCore: node.core, loadGenCore: null, beforeSending };
      return run('room', step, round, node.pool, capture, node.sinks, settings, window);
    }),
  );
  return { nodes: count, round, runs, loadAverage };
}

const results: Measured[] = [];
const totalPps = (m: Measured) => m.runs.reduce((n, r) => n + r.forwardedPps, 0);
const capacity = (m: Measured) => m.runs.reduce((n, r) => n + r.ppsPerCpu, 0);
try {
  await configuration(2, 0, 2000); // warms up the JIT and both workers; not reported
  for (let round = 1; round <= rounds; round++) {
    for (const count of round % 2 === 1 ? [1, 2] : [2, 1]) {
      const m = await configuration(count, round);
      results.push(m);
      say(
        `round ${round}, ${count} node(s): forwarded ${fmt(totalPps(m), 0)} packets/s in all (${m.runs.map((r) => fmt(r.forwardedPps, 0)).join(' + ')}); ` +
          `worker CPU ${m.runs.map((r) => `${fmt(r.workerCpuPct, 0)} %`).join(' / ')}; others on the worker's core ${m.runs.map((r) => `${fmt(r.workerCoreOthersPct, 0)} %`).join(' / ')}; ` +
          `kpkt per worker CPU-second ${m.runs.map((r) => fmt(r.ppsPerCpu / 1000, 1)).join(' + ')}; input drops ${m.runs.map((r) => r.workerInputDrops).join(' / ')}; ` +
          `loss ${m.runs.map((r) => fmt(r.inspectedLossPct, 1)).join(' / ')} %; senders skipped ${m.runs.map((r) => fmt(r.skippedMs, 0)).join(' / ')} ms; load average ${m.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
      );
    }
  }
} finally {
  closeAll();
}

say(
  `\n${table(
    ['round', 'nodes', 'load avg', 'fwd pkt/s (all)', 'per node', 'worker CPU %', 'others on worker core %', 'kpkt / worker CPU-s', 'saturated (input drops)'],
    results.map((m) => [
      m.round,
      m.nodes,
      m.loadAverage.map((l) => l.toFixed(2)).join(' '),
      fmt(totalPps(m), 0),
      m.runs.map((r) => fmt(r.forwardedPps, 0)).join(' + '),
      m.runs.map((r) => fmt(r.workerCpuPct, 0)).join(' / '),
      m.runs.map((r) => fmt(r.workerCoreOthersPct, 0)).join(' / '),
      m.runs.map((r) => fmt(r.ppsPerCpu / 1000, 1)).join(' + '),
      m.runs.map((r) => (r.workerInputDrops > 0 ? 'yes' : 'no')).join(' / '),
    ]),
  )}`,
);
const ratios = (f: (m: Measured) => number) =>
  Array.from({ length: rounds }, (_, i) => {
    const one = results.find((m) => m.nodes === 1 && m.round === i + 1)!;
    const two = results.find((m) => m.nodes === 2 && m.round === i + 1)!;
    return f(two) / f(one);
  });
const raw = ratios(totalPps);
const normalised = ratios(capacity);
say(`2 nodes / 1 node, forwarded packets/s (raw, per round ${raw.map((x) => fmt(x, 2)).join(', ')}): median ${fmt(median(raw), 2)}×`);
say(`2 nodes / 1 node, sum of packets per worker CPU-second (per round ${normalised.map((x) => fmt(x, 2)).join(', ')}): median ${fmt(median(normalised), 2)}×; target ≥ 1.8×`);
say(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
if (args.json) fs.writeFileSync(args.json, JSON.stringify({ step, rounds, windowMs, warmupMs, cores, results, raw, normalised }, null, 2));
