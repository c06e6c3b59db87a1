// SFU forwarding capacity: the same synthetic load (S senders, each sending VP8 ~520 kbit/s +
// Opus with audio levels over plain RTP, every sender consumed by each of R plain-RTP
// receivers) through (a) bare mediasoup (a router and plain transports, nothing of ours) and
// (b) the project's MediaRoom (addPeer, startPlainPeer, produce, consumers created paused and
// resumed through the listener, active-speaker observer), on the same mediasoup worker, step by
// step, the order of (a) and (b) alternating from step to step and round to round, in rounds.
//
//   node bench/sfu-forwarding.ts [--steps 8x50,8x150,8x300,8x600] [--rounds 4] [--window 6]
//                                   [--warmup 2] [--inspect 4] [--no-pin] [--nice] [--json out.json]
//
// Capacity = what one worker forwards at saturation. The last step offers more packets than one
// worker can forward (its input sockets overflow); there, forwarded packets per CPU-second of the
// worker (= the packets/s it forwards with a core of its own) are compared, room / bare, target
// ≥ 90 %. Normalising by the worker's CPU keeps the ratio meaningful on a shared machine, where
// the worker does not always get its core; raw packets/s are printed too. Below saturation the
// same cost per packet is compared over the other steps with the worker ≥ 20 % busy. Loss comes
// from sequence numbers at the inspecting sinks, plus drops at the worker's input sockets.
//
// Receivers: --inspect of them per run are Node sinks (lib/sink-process.ts) that check every
// stream's sequence numbers and payload types; the others are counting sockets
// (lib/counting-sinks.ts, python3) whose deliveries the kernel counts at no user-space cost, so
// that one core of load generation can saturate the worker's core. The worker is pinned to CPU 1
// and this process (senders) and the sinks to CPU 0 with taskset. --nice raises them to
// nice -10 (and their autogroup). A run during which this process was descheduled for more than
// 2 % of the window (the senders would have paused), or other processes took more than 20 % of
// the worker's core, is repeated, three attempts at most, keeping the least disturbed. ffmpeg
// (apt-get install ffmpeg) encodes the test signal once (bench/lib/rtp-source.ts).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { type Capture, loadCapture } from './lib/rtp-source.ts';
import { measured, type Mode, run, type RunResult, type RunSettings } from './lib/sfu-run.ts';
import { SinkProcess } from './lib/sink-process.ts';
import { fmt, median, table } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '8x50,8x150,8x300,8x600' },
    rounds: { type: 'string', default: '4' },
    window: { type: 'string', default: '6' },
    inspect: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '2' },
    'no-pin': { type: 'boolean', default: false },
    nice: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const steps = args.steps.split(',').map((s) => {
  const [senders, receivers] = s.split('x').map(Number);
  if (!Number.isInteger(senders) || !Number.isInteger(receivers) || senders! < 1 || receivers! < 1 || senders! * receivers! > 10_000) throw new Error(`--steps: SxR, got ${s}`);
  return { senders: senders!, receivers: receivers! };
});
const windowMs = Number(args.window) * 1000;
const warmupMs = Number(args.warmup) * 1000;
const rounds = Number(args.rounds);
const inspect = Number(args.inspect);
if (!(windowMs >= 1000 && windowMs <= 60_000 && warmupMs >= 500 && warmupMs <= 30_000)) throw new Error('--window 1–60 s, --warmup 0.5–30 s');
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error('--rounds 1–20');
if (!(Number.isInteger(inspect) && inspect >= 1 && inspect <= 100)) throw new Error('--inspect 1–100');


const say = (line: string) => process.stdout.write(`${line}\n`);

// ---- main --------------------------------------------------------------------------------------------
const cores = os.availableParallelism();
const pinned = !args['no-pin'] && cores >= 2;
const settings: RunSettings = { windowMs, warmupMs, inspect, workerCore: pinned ? 1 : null, loadGenCore: pinned ? 0 : null };
const capture = await loadCapture(say);
const pps = (s: Capture['audio']) => s.packets.length / capture.durationSec;
const kbps = (s: Capture['audio']) => (s.packets.reduce((n, p) => n + p.payload.length + 12, 0) * 8) / capture.durationSec / 1000;
say(`synthetic sender: VP8 ${fmt(pps(capture.video), 0)} packets/s ${fmt(kbps(capture.video), 0)} kbit/s + Opus ${fmt(pps(capture.audio), 0)} packets/s ${fmt(kbps(capture.audio), 0)} kbit/s (RTP, headers included)`);

const pool = await WorkerPool.start({ size: 1 });
const sinkProcess = SinkProcess.start();
let interrupted = false;
const stop = (signal: NodeJS.Signals) => {
  interrupted = true;
  say(`\n${signal}: stopping`);
  pool.close();
  sinkProcess.stop();
  process.exit(130);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
const workerPid = pool.workers[0]!.pid;
if (pinned) {
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(workerPid)], { stdio: 'ignore' });
  for (const pid of [process.pid, sinkProcess.pid]) execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  say(`pinned: mediasoup worker (pid ${workerPid}) on CPU 1; senders (pid ${process.pid}) and sinks on CPU 0`);
}
if (args.nice) {
  for (const pid of [workerPid, process.pid, sinkProcess.pid]) execFileSync('renice', ['-n', '-10', '-p', String(pid)], { stdio: 'ignore' });
  // With autogroup scheduling (CONFIG_SCHED_AUTOGROUP), nice only ranks processes within one
  // session's group; the group's own nice ranks it against other sessions' work.
  const autogroup = `/proc/${process.pid}/autogroup`;
  let group = '';
  try {
    fs.writeFileSync(autogroup, '-10');
    group = ` and their autogroup (${fs.readFileSync(autogroup, 'utf8').trim()})`;
  } catch {
    // no autogroup scheduling here, or not allowed
  }
  say(`nice -10 for the worker, the senders and the sinks${group}`);
}
const loadBefore = os.loadavg();
say(
  `mediasoup ${pool.status().version}, Node ${process.version}, ${cores} × ${os.cpus()[0]?.model ?? 'CPU'}, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}; ` +
    `${rounds} round(s), warm-up ${warmupMs / 1000} s and window ${windowMs / 1000} s per run, ${inspect} inspecting receiver(s) per run\n`,
);

const results: RunResult[] = [];
const header = ['round', 'mode', 'S×R', 'consumers', 'fwd pkt/s', 'fwd Mbit/s', 'delivered %', 'worst rx %', 'loss %', 'silent', 'drops sink/worker', 'tick gap/skip ms', 'worker CPU %', 'load gen CPU %', 'others CPU %', 'on worker core %', 'softirq %', 'kpkt / CPU-s', 'tries'];
const row = (r: RunResult) => [
  r.round,
  r.mode,
  `${r.senders}×${r.receivers}`,
  r.consumers,
  fmt(r.forwardedPps, 0),
  fmt(r.forwardedMbps, 0),
  fmt(r.deliveryPct, 2),
  fmt(r.worstDeliveryPct, 2),
  fmt(r.inspectedLossPct, 2),
  r.silentStreams,
  `${r.inspectedSinkDrops}/${r.workerInputDrops}`,
  `${fmt(r.maxTickGapMs, 0)}/${fmt(r.skippedMs, 0)}`,
  fmt(r.workerCpuPct, 1),
  fmt(r.loadGenCpuPct, 0),
  fmt(r.othersCpuPct, 0),
  fmt(r.workerCoreOthersPct, 0),
  fmt(r.softirqPct, 1),
  fmt(r.ppsPerCpu / 1000, 1),
  r.attempts,
];
const started = performance.now();
try {
  await run('room', steps[0]!, 0, pool, capture, sinkProcess, settings, 2000); // warms up the JIT and the worker; not reported
  await run('bare', steps[0]!, 0, pool, capture, sinkProcess, settings, 2000);
  say(table(header, []));
  // bare, room / room, bare alternating from one step to the next and, for each step, from one
  // round to the next, so that a slow drift of the machine (other work starting or stopping) and
  // whatever the first run of a pair leaves behind in the worker fall on both modes alike.
  for (let round = 1; round <= rounds; round++) {
    for (const [k, step] of steps.entries()) {
      for (const mode of ((k + round) % 2 === 1 ? ['bare', 'room'] : ['room', 'bare']) as Mode[]) {
        const result = await measured(mode, step, round, pool, capture, sinkProcess, settings);
        results.push(result);
        say(table(header, [row(result)]).split('\n')[2]!);
      }
    }
  }
} finally {
  if (!interrupted) {
    pool.close();
    sinkProcess.stop();
  }
}

// ---- summary -------------------------------------------------------------------------------------
const key = (r: { senders: number; receivers: number }) => `${r.senders}x${r.receivers}`;
const runsOf = (mode: Mode, step: string) => results.filter((r) => r.mode === mode && key(r) === step);
const med = (rs: RunResult[], f: (r: RunResult) => number) => median(rs.map(f));
/** The worker could not take everything offered: its input sockets overflowed, or it was busy all the time. */
const runSaturated = (r: RunResult) => r.workerInputDrops > 0 || r.workerCpuPct >= 90;
const modeSummary = (rs: RunResult[]) => ({
  ppsPerCpu: med(rs, (r) => r.ppsPerCpu),
  forwardedPps: med(rs, (r) => r.forwardedPps),
  deliveryPct: med(rs, (r) => r.deliveryPct),
  lossPct: med(rs, (r) => r.inspectedLossPct),
  workerCpuPct: med(rs, (r) => r.workerCpuPct),
  othersCpuPct: med(rs, (r) => r.othersCpuPct),
  workerCoreOthersPct: med(rs, (r) => r.workerCoreOthersPct),
  saturatedRuns: rs.filter(runSaturated).length,
});
const perStep = steps.map((step) => {
  const bare = modeSummary(runsOf('bare', key(step)));
  const room = modeSummary(runsOf('room', key(step)));
  // Per round, the two runs of a step were made one after the other: their ratio cancels drift.
  const roundRatios = Array.from({ length: rounds }, (_, i) => {
    const b = runsOf('bare', key(step)).find((r) => r.round === i + 1);
    const r = runsOf('room', key(step)).find((x) => x.round === i + 1);
    return b && r ? r.ppsPerCpu / b.ppsPerCpu : Number.NaN;
  });
  return { step: key(step), bare, room, ratioPct: median(roundRatios) * 100, roundRatiosPct: roundRatios.map((x) => x * 100) };
});
say(`\nper step, medians over ${rounds} round(s); room / bare is the median of the per-round ratios of packets per worker CPU-second:`);
say(
  table(
    ['S×R', 'saturated runs b/r', 'bare kpkt/CPU-s', 'room kpkt/CPU-s', 'room / bare', 'per round %', 'bare fwd pkt/s', 'room fwd pkt/s', 'bare delivered %', 'room delivered %', 'bare loss %', 'room loss %', 'bare CPU %', 'room CPU %', 'others CPU % b/r', 'on worker core % b/r'],
    perStep.map((s) => [
      s.step,
      `${s.bare.saturatedRuns}/${s.room.saturatedRuns} of ${rounds}`,
      fmt(s.bare.ppsPerCpu / 1000, 1),
      fmt(s.room.ppsPerCpu / 1000, 1),
      `${fmt(s.ratioPct, 1)} %`,
      s.roundRatiosPct.map((x) => fmt(x, 0)).join(' '),
      fmt(s.bare.forwardedPps, 0),
      fmt(s.room.forwardedPps, 0),
      fmt(s.bare.deliveryPct, 2),
      fmt(s.room.deliveryPct, 2),
      fmt(s.bare.lossPct, 2),
      fmt(s.room.lossPct, 2),
      fmt(s.bare.workerCpuPct, 0),
      fmt(s.room.workerCpuPct, 0),
      `${fmt(s.bare.othersCpuPct, 0)}/${fmt(s.room.othersCpuPct, 0)}`,
      `${fmt(s.bare.workerCoreOthersPct, 0)}/${fmt(s.room.workerCoreOthersPct, 0)}`,
    ]),
  ),
);

// (1) Capacity: what one worker forwards at saturation. The last step offers more than one worker
// can forward; there, forwarded packets per CPU-second of the worker = the packets/s it forwards
// with a core to itself. Normalising by the worker's CPU keeps the figure honest on a shared
// machine, where the worker's core is not always its own (raw packets/s are shown beside it).
const last = perStep.at(-1)!;
const lastSaturated = last.bare.saturatedRuns * 2 > rounds && last.room.saturatedRuns * 2 > rounds;
// (2) Cost per forwarded packet below saturation: the other steps with the worker ≥ 20 % busy,
// pooled over their runs (total packets / total worker CPU-seconds), and the median per-round ratio.
const belowSteps = new Set(perStep.slice(0, -1).filter((s) => s.bare.workerCpuPct >= 20 && s.room.workerCpuPct >= 20).map((s) => s.step));
const belowRuns = results.filter((r) => belowSteps.has(key(r)));
const pooled = (mode: Mode) => {
  const rs = belowRuns.filter((r) => r.mode === mode);
  return rs.reduce((n, r) => n + r.forwardedPps, 0) / rs.reduce((n, r) => n + r.forwardedPps / r.ppsPerCpu, 0);
};
const belowRoundRatios = perStep.filter((s) => belowSteps.has(s.step)).flatMap((s) => s.roundRatiosPct);
// (3) The largest step with less than 1 % loss (sequence numbers at the inspecting sinks) and no
// datagram dropped at the worker's input, in every round.
const lossless = (r: RunResult) => r.inspectedLossPct < 1 && r.workerInputDrops === 0;
const highestLossless = (mode: Mode) => perStep.filter((s) => runsOf(mode, s.step).every(lossless)).at(-1)?.step ?? null;
const summary = {
  capacity: {
    step: last.step,
    saturated: lastSaturated,
    barePpsPerCpu: last.bare.ppsPerCpu,
    roomPpsPerCpu: last.room.ppsPerCpu,
    ratioPct: last.ratioPct,
    roundRatiosPct: last.roundRatiosPct,
    bareForwardedPps: last.bare.forwardedPps,
    roomForwardedPps: last.room.forwardedPps,
    bareWorkerCpuPct: last.bare.workerCpuPct,
    roomWorkerCpuPct: last.room.workerCpuPct,
  },
  costPerPacket: belowSteps.size
    ? { steps: [...belowSteps], runs: belowRuns.length, barePpsPerCpu: pooled('bare'), roomPpsPerCpu: pooled('room'), ratioPct: (pooled('room') / pooled('bare')) * 100, medianRoundRatioPct: median(belowRoundRatios) }
    : null,
  highestLosslessStep: { bare: highestLossless('bare'), room: highestLossless('room') },
  loadAverage: { before: loadBefore, after: os.loadavg() },
};
say('');
const verdict = (pct: number) => `target ≥ 90 %: ${pct >= 90 ? 'met' : 'MISSED'}`;
const c = summary.capacity;
say(
  `capacity at saturation (step ${c.step}${c.saturated ? '' : ', NOT saturated in most runs: add a larger step'}): bare ${fmt(c.barePpsPerCpu / 1000, 1)}, room ${fmt(c.roomPpsPerCpu / 1000, 1)} kpkt per worker CPU-second; ` +
    `room / bare ${fmt(c.ratioPct, 1)} % (per round ${c.roundRatiosPct.map((x) => fmt(x, 1)).join(', ')}; ${c.saturated ? verdict(c.ratioPct) : 'no verdict'})`,
);
say(`  forwarded there: bare ${fmt(c.bareForwardedPps, 0)}, room ${fmt(c.roomForwardedPps, 0)} packets/s with the worker ${fmt(c.bareWorkerCpuPct, 0)} % / ${fmt(c.roomWorkerCpuPct, 0)} % busy`);
if (summary.costPerPacket) {
  const p = summary.costPerPacket;
  say(
    `below saturation (${p.steps.join(', ')}; ${p.runs} runs): bare ${fmt(p.barePpsPerCpu / 1000, 1)}, room ${fmt(p.roomPpsPerCpu / 1000, 1)} kpkt per worker CPU-second, pooled; ` +
      `room / bare ${fmt(p.ratioPct, 1)} % (median of the per-round ratios ${fmt(p.medianRoundRatioPct, 1)} %; ${verdict(p.ratioPct)})`,
  );
}
say(`largest step with loss < 1 % and no input drop in every round: bare ${summary.highestLosslessStep.bare ?? 'none'}, room ${summary.highestLosslessStep.room ?? 'none'}`);
say(`setup (consumers created) per step, median bare / room ms: ${steps.map((step) => `${fmt(med(runsOf('bare', key(step)), (r) => r.setupMs), 0)}/${fmt(med(runsOf('room', key(step)), (r) => r.setupMs), 0)}`).join(', ')}`);
say(`active-speaker changes seen by the room listener per run: ${results.filter((r) => r.mode === 'room').map((r) => r.activeSpeakerChanges).join(', ')}`);
say(`load average at the end ${summary.loadAverage.after.map((l) => l.toFixed(2)).join(' ')}; total ${fmt((performance.now() - started) / 1000, 0)} s`);
if (args.json) fs.writeFileSync(args.json, JSON.stringify({ steps, rounds, windowMs, warmupMs, inspect, results, perStep, summary }, null, 2));
// A stream that got nothing while the others flowed, or RTP that should not be there, is a broken path.
const broken = results.filter((r) => r.otherRtp > 0 || (r.silentStreams > 0 && !runSaturated(r)));
if (broken.length) {
  say(`FAILED: ${broken.length} run(s) with a silent stream or unexpected RTP (see the silent column)`);
  process.exitCode = 1;
}
