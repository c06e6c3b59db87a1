// SFU forwarding capacity: the same synthetic load (S senders, each sending VP8 ~520 kbit/s +
// Opus with audio levels over plain RTP, every sender consumed by each of R plain-RTP
// receivers that count what reaches them) through (a) bare mediasoup (a router and plain
// transports, nothing of ours) and (b) the project's MediaRoom (startPlainPeer, produce,
// consumers created paused and resumed, active-speaker observer), on the same mediasoup worker,
// step by step with the order of (a) and (b) alternating. Capacity = media packets forwarded
// per CPU-second of the worker; the room-overhead target is room ≥ 90 % of bare.
//
//   npx tsx bench/sfu-forwarding.ts [--steps 4x25,8x50,...] [--window 6] [--warmup 2]
//                                   [--no-pin] [--nice] [--json out.json]
//
// The worker is pinned to CPU 1 and this process (senders and sinks) to CPU 0 with taskset.
// --nice raises both to nice -10 so that other work on a shared machine disturbs less. A run
// during which this process was descheduled for more than 2 % of the window (the senders would
// have paused) is repeated, at most twice. ffmpeg (apt-get install ffmpeg) encodes the test
// signal once (bench/lib/rtp-source.ts).
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { types } from 'mediasoup';
import { MediaRoom, type MediaRoomListener } from '../server/media/media-room';
import { WorkerPool } from '../server/media/worker-pool';
import { type Capture, loadCapture, receiverRtpCapabilities, senderRtpParameters, SyntheticSender } from './lib/rtp-source';
import { type SinkSnapshot, SinkProcess } from './lib/sink-process';
import { fmt, median, processCpuSeconds, table } from './lib/stats';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '4x25,8x25,8x50,8x100,8x150' },
    window: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    'no-pin': { type: 'boolean', default: false },
    nice: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const steps = args.steps.split(',').map((s) => {
  const [senders, receivers] = s.split('x').map(Number);
  if (!Number.isInteger(senders) || !Number.isInteger(receivers) || senders! < 1 || receivers! < 1 || senders! * receivers! > 5000) throw new Error(`--steps: SxR, got ${s}`);
  return { senders: senders!, receivers: receivers! };
});
const windowMs = Number(args.window) * 1000;
const warmupMs = Number(args.warmup) * 1000;
if (!(windowMs >= 1000 && windowMs <= 60_000 && warmupMs >= 500 && warmupMs <= 30_000)) throw new Error('--window 1–60 s, --warmup 0.5–30 s');

/** Sender ticks are 2 ms apart; a longer gap means this process was descheduled (see SyntheticSender.skip). */
const maxTickGapMs = 20;
/** A run is repeated when the senders had to skip more than this share of the window. */
const maxSkippedShare = 0.02;
const maxAttempts = 2;

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = 'bare' | 'room';
interface Step {
  senders: number;
  receivers: number;
}
interface SenderSsrc {
  audio: number;
  video: number;
}

/** What a mode built: where each sender sends, how many consumers forward, how to tear down. */
interface Topology {
  targets: { ip: string; port: number }[];
  consumers: number;
  activeSpeakerChanges: () => number;
  close(): void;
}

// ---- (a) bare mediasoup: only mediasoup's API ----------------------------------------------------
const bareCodecs: types.RouterRtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
];

async function bareTopology(worker: types.Worker, step: Step, sinkPorts: number[], ssrcs: SenderSsrc[]): Promise<Topology> {
  const router = await worker.createRouter({ mediaCodecs: bareCodecs });
  try {
    const listenInfo = { protocol: 'udp' as const, ip: '127.0.0.1' };
    const producers: types.Producer[] = [];
    const targets: Topology['targets'] = [];
    for (let i = 0; i < step.senders; i++) {
      const transport = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: true });
      const parameters = senderRtpParameters(ssrcs[i]!);
      producers.push(await transport.produce({ kind: 'audio', rtpParameters: parameters.audio }));
      producers.push(await transport.produce({ kind: 'video', rtpParameters: parameters.video }));
      targets.push({ ip: transport.tuple.localAddress, port: transport.tuple.localPort });
    }
    let consumers = 0;
    const rtpCapabilities = receiverRtpCapabilities(router.rtpCapabilities);
    for (const port of sinkPorts) {
      const transport = await router.createPlainTransport({ listenInfo, rtcpMux: true, comedia: false });
      await transport.connect({ ip: '127.0.0.1', port });
      for (const producer of producers) {
        await transport.consume({ producerId: producer.id, rtpCapabilities });
        consumers++;
      }
    }
    return { targets, consumers, activeSpeakerChanges: () => 0, close: () => router.close() };
  } catch (error) {
    router.close();
    throw error;
  }
}

// ---- (b) the project's room code -------------------------------------------------------------------
async function roomTopology(pool: WorkerPool, step: Step, sinkPorts: number[], ssrcs: SenderSsrc[]): Promise<Topology> {
  const resumes: Promise<void>[] = [];
  let speakerChanges = 0;
  const holder: { room?: MediaRoom } = {};
  // As rooms.service does for a WebRTC peer once its client is ready, here at once.
  const listener: MediaRoomListener = {
    consumerCreated: (peerId, consumer) => resumes.push(holder.room!.resumeConsumer(peerId, consumer.consumerId)),
    consumerClosed: () => {},
    consumerPaused: () => {},
    activeSpeaker: () => speakerChanges++,
    closed: () => {},
  };
  const room = await MediaRoom.create(pool, listener);
  holder.room = room;
  try {
    const targets: Topology['targets'] = [];
    for (let i = 0; i < step.senders; i++) {
      const peerId = `sender-${i}`;
      room.addPeer(peerId, 'joint');
      const { send } = await room.startPlainPeer(peerId, { produce: true });
      const parameters = senderRtpParameters(ssrcs[i]!);
      await room.produce(peerId, send!.id, 'audio', parameters.audio, 'microphone');
      await room.produce(peerId, send!.id, 'video', parameters.video, 'camera');
      targets.push({ ip: send!.ip, port: send!.port });
    }
    const rtpCapabilities = receiverRtpCapabilities(room.rtpCapabilities);
    for (const [j, port] of sinkPorts.entries()) {
      room.addPeer(`receiver-${j}`, 'joint');
      await room.startPlainPeer(`receiver-${j}`, { sendTo: { ip: '127.0.0.1', port }, rtpCapabilities });
    }
    await Promise.all(resumes);
    return { targets, consumers: resumes.length, activeSpeakerChanges: () => speakerChanges, close: () => room.close() };
  } catch (error) {
    room.close();
    throw error;
  }
}

// ---- measurements ----------------------------------------------------------------------------------
export interface RunResult {
  mode: Mode;
  senders: number;
  receivers: number;
  consumers: number;
  setupMs: number;
  sentPps: number;
  forwardedPps: number;
  forwardedMbps: number;
  /** From sequence-number gaps, over all receivers. */
  lossPct: number;
  worstReceiverLossPct: number;
  /** Streams (receiver × sender × kind) that received nothing in the window: should be 0. */
  silentStreams: number;
  /** Datagrams the kernel dropped at the sinks' sockets (the sink process too slow). */
  sinkDrops: number;
  /** Datagrams dropped at the worker's receiving sockets (its receive buffer full). */
  workerInputDrops: number;
  /** RTP packets other than the forwarded media (should be 0). */
  otherRtp: number;
  /** Longest gap between two sender ticks (2 ms when this process keeps up) and sender time skipped. */
  maxTickGapMs: number;
  skippedMs: number;
  workerCpuPct: number;
  nodeCpuPct: number;
  /** CPU used by everything else on the machine during the window, % of one core. */
  othersCpuPct: number;
  /** Forwarded media packets per CPU-second of the worker: the capacity figure. */
  ppsPerCpu: number;
  activeSpeakerChanges: number;
  attempts: number;
}

/** Datagrams the kernel dropped on these local UDP ports (receive buffer full), from /proc/net/udp. */
function kernelDrops(ports: Set<number>): number {
  let drops = 0;
  for (const line of fs.readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    if (ports.has(parseInt(fields[1]!.split(':')[1]!, 16))) drops += Number(fields.at(-1));
  }
  return drops;
}

/** CPU-seconds all processes have used (user, nice, system, irq, softirq), from /proc/stat. */
function machineCpuSeconds(): number {
  const [, user, nice, system, , , irq, softirq] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq!) / 100;
}

async function run(mode: Mode, step: Step, pool: WorkerPool, capture: Capture, sinkProcess: SinkProcess, window = windowMs): Promise<RunResult> {
  const worker = pool.workers[0]!;
  const sinkPorts = await sinkProcess.open(step.receivers);
  const sockets: Socket[] = [];
  let topology: Topology | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ssrcs = Array.from({ length: step.senders }, (_, i) => ({ audio: 0x10000000 + 2 * i, video: 0x10000001 + 2 * i }));
    const setupStarted = performance.now();
    topology = mode === 'bare' ? await bareTopology(worker, step, sinkPorts, ssrcs) : await roomTopology(pool, step, sinkPorts, ssrcs);
    const setupMs = performance.now() - setupStarted;
    const senders: SyntheticSender[] = [];
    for (let i = 0; i < step.senders; i++) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.on('message', () => {}); // RTCP from the SFU (receiver reports, PLI): ignored
      sockets.push(socket);
      senders.push(new SyntheticSender(socket, capture, ssrcs[i]!, topology.targets[i]!, { index: i, of: step.senders }));
    }
    const sinkPortSet = new Set(sinkPorts);
    const workerPorts = new Set(topology.targets.map((t) => t.port));
    const started = performance.now();
    for (const sender of senders) sender.start(started);
    const ticks = { last: started, maxGap: 0, skippedMs: 0 };
    timer = setInterval(() => {
      const now = performance.now();
      const gap = now - ticks.last;
      ticks.maxGap = Math.max(ticks.maxGap, gap);
      ticks.last = now;
      if (gap > maxTickGapMs) {
        for (const sender of senders) sender.skip(gap - maxTickGapMs);
        ticks.skippedMs += gap - maxTickGapMs;
      }
      for (const sender of senders) sender.tick(now);
    }, 2);
    const snapshot = async () => {
      const local = {
        at: performance.now(),
        workerCpu: processCpuSeconds(worker.pid),
        nodeCpu: processCpuSeconds(process.pid) + processCpuSeconds(sinkProcess.pid),
        machineCpu: machineCpuSeconds(),
        sent: senders.reduce((n, s) => n + s.sentPackets, 0),
        sinkDrops: kernelDrops(sinkPortSet),
        workerInputDrops: kernelDrops(workerPorts),
      };
      return { ...local, sinks: await sinkProcess.snapshot() };
    };
    await sleep(warmupMs); // video consumers wait for a key frame (one a second)
    ticks.maxGap = 0;
    ticks.skippedMs = 0;
    const a = await snapshot();
    await sleep(window);
    const b = await snapshot();

    const seconds = (b.at - a.at) / 1000;
    const sinkSeconds = (b.sinks.at - a.sinks.at) / 1000;
    const forwarded = b.sinks.packets - a.sinks.packets;
    const loss = lossFromSequenceNumbers(a.sinks, b.sinks, 2 * step.senders);
    const workerCpuSeconds = b.workerCpu - a.workerCpu;
    const nodeCpuSeconds = b.nodeCpu - a.nodeCpu;
    return {
      mode,
      senders: step.senders,
      receivers: step.receivers,
      consumers: topology.consumers,
      setupMs,
      sentPps: (b.sent - a.sent) / seconds,
      forwardedPps: forwarded / sinkSeconds,
      forwardedMbps: ((b.sinks.bytes - a.sinks.bytes) * 8) / sinkSeconds / 1e6,
      lossPct: loss.lossPct,
      worstReceiverLossPct: loss.worstReceiverLossPct,
      silentStreams: loss.silentStreams,
      sinkDrops: b.sinkDrops - a.sinkDrops,
      workerInputDrops: b.workerInputDrops - a.workerInputDrops,
      otherRtp: b.sinks.otherRtp - a.sinks.otherRtp,
      maxTickGapMs: ticks.maxGap,
      skippedMs: ticks.skippedMs,
      workerCpuPct: (workerCpuSeconds / seconds) * 100,
      nodeCpuPct: (nodeCpuSeconds / seconds) * 100,
      othersCpuPct: ((b.machineCpu - a.machineCpu - workerCpuSeconds - nodeCpuSeconds) / seconds) * 100,
      // Packets counted over the sink process's window, CPU over ours: both are the same ~6 s, a few ms apart.
      ppsPerCpu: (forwarded / sinkSeconds) * (seconds / workerCpuSeconds),
      activeSpeakerChanges: topology.activeSpeakerChanges(),
      attempts: 1,
    };
  } finally {
    clearInterval(timer);
    topology?.close();
    for (const socket of sockets) socket.close();
    await sleep(100);
    await sinkProcess.close();
  }
}

/**
 * Loss per receiver from sequence numbers: packets received / sequence numbers covered in the
 * window (the SFU keeps its input's gaps, so losses before, in or after the worker all count).
 */
function lossFromSequenceNumbers(a: SinkSnapshot, b: SinkSnapshot, streamsPerReceiver: number) {
  let silentStreams = 0;
  const perReceiver = b.streams.map((streams, j) => {
    const before = new Map(a.streams[j]!.map(([ssrc, received, highestSeq]) => [ssrc, { received, highestSeq }]));
    let got = 0;
    let expected = 0;
    let flowing = 0;
    for (const [ssrc, received, highestSeq] of streams) {
      const start = before.get(ssrc);
      if (!start || start.received === received) continue; // began late, or silent in the window
      flowing++;
      got += received - start.received;
      expected += highestSeq - start.highestSeq;
    }
    silentStreams += streamsPerReceiver - flowing;
    return { got, expected };
  });
  const lossOf = (r: { got: number; expected: number }) => (r.expected > 0 ? Math.max(0, (1 - r.got / r.expected) * 100) : 100);
  return {
    lossPct: lossOf({ got: perReceiver.reduce((n, r) => n + r.got, 0), expected: perReceiver.reduce((n, r) => n + r.expected, 0) }),
    worstReceiverLossPct: Math.max(...perReceiver.map(lossOf)),
    silentStreams,
  };
}

/** Runs once more (at most maxAttempts in all) while the senders were held up by other work. */
async function measured(mode: Mode, step: Step, pool: WorkerPool, capture: Capture, sinkProcess: SinkProcess): Promise<RunResult> {
  let result: RunResult | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    result = { ...(await run(mode, step, pool, capture, sinkProcess)), attempts: attempt };
    if (result.skippedMs <= maxSkippedShare * windowMs) break;
  }
  return result!;
}

// ---- main --------------------------------------------------------------------------------------------
const capture = await loadCapture(say);
const pps = (s: Capture['audio']) => s.packets.length / capture.durationSec;
const kbps = (s: Capture['audio']) => (s.packets.reduce((n, p) => n + p.payload.length + 12, 0) * 8) / capture.durationSec / 1000;
say(`synthetic sender: VP8 ${fmt(pps(capture.video), 0)} packets/s ${fmt(kbps(capture.video), 0)} kbit/s + Opus ${fmt(pps(capture.audio), 0)} packets/s ${fmt(kbps(capture.audio), 0)} kbit/s (RTP, headers included)`);

const cores = os.availableParallelism();
const pool = await WorkerPool.start({ size: 1 });
const sinkProcess = SinkProcess.start();
const workerPid = pool.workers[0]!.pid;
if (!args['no-pin'] && cores >= 2) {
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(workerPid)], { stdio: 'ignore' });
  for (const pid of [process.pid, sinkProcess.pid]) execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  say(`pinned: mediasoup worker (pid ${workerPid}) on CPU 1, senders (pid ${process.pid}) and sinks (pid ${sinkProcess.pid}) on CPU 0`);
}
if (args.nice) {
  for (const pid of [workerPid, process.pid, sinkProcess.pid]) execFileSync('renice', ['-n', '-10', '-p', String(pid)], { stdio: 'ignore' });
  say('nice -10 for the worker, the senders and the sinks');
}
say(`mediasoup ${pool.status().version}, Node ${process.version}, ${cores} cores, load average ${os.loadavg()[0]!.toFixed(2)}; warm-up ${warmupMs / 1000} s and window ${windowMs / 1000} s per run\n`);

const results: RunResult[] = [];
const header = ['mode', 'S×R', 'consumers', 'fwd pkt/s', 'fwd Mbit/s', 'loss %', 'worst rx loss %', 'silent', 'drops sink/worker', 'tick gap/skipped ms', 'worker CPU %', 'senders+sinks CPU %', 'others CPU %', 'kpkt / CPU-s', 'tries'];
const row = (r: RunResult) => [
  r.mode,
  `${r.senders}×${r.receivers}`,
  r.consumers,
  fmt(r.forwardedPps, 0),
  fmt(r.forwardedMbps, 1),
  fmt(r.lossPct, 2),
  fmt(r.worstReceiverLossPct, 2),
  r.silentStreams,
  `${r.sinkDrops}/${r.workerInputDrops}`,
  `${fmt(r.maxTickGapMs, 0)}/${fmt(r.skippedMs, 0)}`,
  fmt(r.workerCpuPct, 1),
  fmt(r.nodeCpuPct, 0),
  fmt(r.othersCpuPct, 0),
  fmt(r.ppsPerCpu / 1000, 1),
  r.attempts,
];
const started = performance.now();
try {
  await run('room', steps[0]!, pool, capture, sinkProcess, 2000); // warms up the JIT and the worker; not reported
  say(table(header, []));
  for (const [k, step] of steps.entries()) {
    for (const mode of (k % 2 === 0 ? ['bare', 'room'] : ['room', 'bare']) as Mode[]) {
      const result = await measured(mode, step, pool, capture, sinkProcess);
      results.push(result);
      say(table(header, [row(result)]).split('\n')[2]!);
    }
  }
} finally {
  pool.close();
  sinkProcess.stop();
}

// ---- summary -------------------------------------------------------------------------------------
const pairs = steps.map((step) => {
  const of = (mode: Mode) => results.find((r) => r.mode === mode && r.senders === step.senders && r.receivers === step.receivers)!;
  return { step, bare: of('bare'), room: of('room') };
});
say('\nroom / bare, forwarded packets per worker CPU-second:');
say(
  table(
    ['S×R', 'bare kpkt/CPU-s', 'room kpkt/CPU-s', 'room / bare', 'bare loss %', 'room loss %'],
    pairs.map(({ step, bare, room }) => [`${step.senders}×${step.receivers}`, fmt(bare.ppsPerCpu / 1000, 1), fmt(room.ppsPerCpu / 1000, 1), `${fmt((room.ppsPerCpu / bare.ppsPerCpu) * 100, 1)} %`, fmt(bare.lossPct, 2), fmt(room.lossPct, 2)]),
  ),
);
// Pooled over the steps where the worker was at least 20 % busy: fixed per-second costs
// (timers, RTCP) and the 10 ms resolution of /proc CPU times matter least there.
const loaded = pairs.filter((p) => p.bare.workerCpuPct >= 20 && p.room.workerCpuPct >= 20);
const pooled = (mode: Mode) => loaded.reduce((n, p) => n + p[mode].forwardedPps, 0) / loaded.reduce((n, p) => n + p[mode].forwardedPps / p[mode].ppsPerCpu, 0);
const ratios = pairs.map((p) => p.room.ppsPerCpu / p.bare.ppsPerCpu);
const summary = {
  medianRatioPct: median(ratios) * 100,
  pooled: loaded.length ? { steps: loaded.map((p) => `${p.step.senders}x${p.step.receivers}`), barePpsPerCpu: pooled('bare'), roomPpsPerCpu: pooled('room'), ratioPct: (pooled('room') / pooled('bare')) * 100 } : null,
  highestLossless: Object.fromEntries(
    (['bare', 'room'] as const).map((mode) => {
      const best = pairs.filter((p) => p[mode].lossPct < 1).at(-1)?.[mode];
      return [mode, best ? { step: `${best.senders}x${best.receivers}`, forwardedPps: best.forwardedPps, workerCpuPct: best.workerCpuPct } : null];
    }),
  ),
};
say(`\nmedian room / bare over the steps: ${fmt(summary.medianRatioPct, 1)} %`);
if (summary.pooled) {
  const p = summary.pooled;
  say(`pooled over ${p.steps.join(', ')} (worker ≥ 20 % busy): bare ${fmt(p.barePpsPerCpu / 1000, 1)} kpkt/CPU-s, room ${fmt(p.roomPpsPerCpu / 1000, 1)} kpkt/CPU-s, room / bare ${fmt(p.ratioPct, 1)} % (target ≥ 90 %)`);
}
for (const [mode, best] of Object.entries(summary.highestLossless)) {
  say(`${mode}: highest step with loss < 1 %: ${best ? `${best.step}, ${fmt(best.forwardedPps, 0)} packets/s forwarded at ${fmt(best.workerCpuPct, 0)} % worker CPU` : 'none'}`);
}
say(`setup (consumers created) per step, bare / room ms: ${pairs.map((p) => `${fmt(p.bare.setupMs, 0)}/${fmt(p.room.setupMs, 0)}`).join(', ')}`);
say(`active-speaker changes seen by the room listener per run: ${results.filter((r) => r.mode === 'room').map((r) => r.activeSpeakerChanges).join(', ')}`);
say(`total ${fmt((performance.now() - started) / 1000, 0)} s`);
if (args.json) fs.writeFileSync(args.json, JSON.stringify({ steps, windowMs, warmupMs, loadAverage: os.loadavg(), results, summary }, null, 2));
