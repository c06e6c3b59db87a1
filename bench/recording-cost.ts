// Recording cost: CPU of a 4-person session (each person sends Opus + VP8 ~520 kbit/s over plain
// RTP and receives the other three, lib/rtp-source.ts) on one mediasoup worker, recorded
// (server/media/recorder.ts: a tap and an ffmpeg writer per track, 8 tracks, 10 s segments)
// versus not, in alternating phases of the same length, in rounds, in this one process. CPU =
// the worker's + this process's (senders, sinks, recorder) + ffmpeg's (reaped children, counted
// when each writer ends, which is inside its phase). Prints the ratio recorded / unrecorded and
// the segment sizes per kind.
//
//   npx tsx bench/recording-cost.ts [--rounds 3] [--window 30] [--json out.json]
import { createSocket, type Socket } from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MediaRoom, type MediaRoomListener } from '../server/media/media-room.ts';
import { Recorder } from '../server/media/recorder.ts';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { recordingSegmentSeconds } from '../shared/domain/recordings.ts';
import { loadCapture, receiverRtpCapabilities, senderRtpParameters, SyntheticSender } from './lib/rtp-source.ts';
import { fmt, median, processCpuSeconds, table } from './lib/stats.ts';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, window: { type: 'string', default: '30' }, json: { type: 'string' } } });
const rounds = Number(args.rounds);
const windowMs = Number(args.window) * 1000;
const people = 4;

/** This process's CPU seconds including its reaped children (the ffmpeg writers), from /proc/self/stat. */
function selfAndChildrenCpu(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return (f[11]! + f[12]! + f[13]! + f[14]!) / 100;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const capture = await loadCapture((line) => console.log(line));
  const pool = await WorkerPool.start({ size: 1 });
  const workerPid = pool.workers[0]!.pid;
  const resumes: Promise<void>[] = [];
  const holder: { room?: MediaRoom } = {};
  const listener: MediaRoomListener = {
    consumerCreated: (peerId, consumer) => resumes.push(holder.room!.resumeConsumer(peerId, consumer.consumerId)),
    consumerClosed: () => {},
    consumerPaused: () => {},
    activeSpeaker: () => {},
    closed: () => {},
  };
  const room = await MediaRoom.create(pool, listener);
  holder.room = room;
  const sockets: Socket[] = [];
  const senders: SyntheticSender[] = [];
  let received = 0;
  for (let i = 0; i < people; i++) {
    const sink = createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
    sink.on('message', () => received++);
    const peerId = `person-${i}`;
    room.addPeer(peerId, 'joint');
    const { send } = await room.startPlainPeer(peerId, { produce: true, sendTo: { ip: '127.0.0.1', port: sink.address().port }, rtpCapabilities: receiverRtpCapabilities(room.rtpCapabilities) });
    const ssrc = { audio: 5000 + i * 2, video: 5001 + i * 2 };
    const parameters = senderRtpParameters(ssrc);
    await room.produce(peerId, send!.id, 'audio', parameters.audio, 'microphone');
    await room.produce(peerId, send!.id, 'video', parameters.video, 'camera');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    sockets.push(sink, socket);
    senders.push(new SyntheticSender(socket, capture, ssrc, { ip: send!.ip, port: send!.port }, { index: i, of: people }));
  }
  await Promise.all(resumes);
  const now = performance.now();
  for (const sender of senders) sender.start(now);
  const ticker = setInterval(() => {
    const t = performance.now();
    for (const sender of senders) sender.tick(t);
  }, 5);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-bench-recording-'));
  const sizes: Record<'audio' | 'video', number[]> = { audio: [], video: [] };
  const results: { round: number; mode: 'plain' | 'recorded'; cpu: number; workerCpu: number; restCpu: number; segments: number }[] = [];
  try {
    await sleep(3000); // warm-up: consumers flowing, bandwidth estimates settled
    for (let round = 0; round < rounds; round++) {
      const order: ('plain' | 'recorded')[] = round % 2 === 0 ? ['plain', 'recorded'] : ['recorded', 'plain'];
      for (const mode of order) {
        const worker0 = processCpuSeconds(workerPid);
        const self0 = selfAndChildrenCpu();
        let segments = 0;
        const recorder =
          mode === 'recorded'
            ? new Recorder(
                room,
                new Set(['joint']),
                {
                  segment: async (track, segment) => {
                    segments++;
                    // Full segments only: the first and last of each writer are partial.
                    if (segment.endedAt.getTime() - segment.startedAt.getTime() >= recordingSegmentSeconds * 900) sizes[track.kind].push(segment.bytes);
                  },
                  trackFailed: (track, reason, detail) => console.error(`track ${track.producerId} failed: ${reason} ${detail}`),
                },
                { dir: path.join(dir, `round-${round}`), segmentSeconds: recordingSegmentSeconds, minFreeBytes: 0 },
              )
            : null;
        await sleep(windowMs);
        await recorder?.stop();
        const workerCpu = processCpuSeconds(workerPid) - worker0;
        const restCpu = selfAndChildrenCpu() - self0;
        results.push({ round, mode, cpu: workerCpu + restCpu, workerCpu, restCpu, segments });
        console.log(`round ${round + 1} ${mode.padEnd(8)} cpu ${fmt(workerCpu + restCpu, 2)} s (worker ${fmt(workerCpu, 2)}, process+ffmpeg ${fmt(restCpu, 2)})${recorder ? `, ${segments} segments` : ''}`);
      }
    }
  } finally {
    clearInterval(ticker);
    for (const socket of sockets) socket.close();
    room.close();
    pool.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const ratios = [...Array(rounds).keys()].map((round) => {
    const of = (mode: string) => results.find((r) => r.round === round && r.mode === mode)!;
    return of('recorded').cpu / of('plain').cpu;
  });
  const perSecond = (mode: string) => median(results.filter((r) => r.mode === mode).map((r) => r.cpu)) / (windowMs / 1000);
  console.log('');
  console.log(
    table(
      ['', 'CPU (cores, median)', 'ratio recorded / plain (median of rounds)'],
      [
        ['plain', fmt(perSecond('plain'), 3), ''],
        ['recorded', fmt(perSecond('recorded'), 3), fmt(median(ratios), 2)],
      ],
    ),
  );
  const kib = (bytes: number) => fmt(bytes / 1024, 0);
  console.log('');
  console.log(
    table(
      ['track', `full ${recordingSegmentSeconds} s segments`, 'median KiB', 'min KiB', 'max KiB', 'kbit/s'],
      (['audio', 'video'] as const).map((kind) => {
        const s = sizes[kind];
        return [kind, s.length, kib(median(s)), kib(Math.min(...s)), kib(Math.max(...s)), fmt((median(s) * 8) / 1000 / recordingSegmentSeconds, 0)];
      }),
    ),
  );
  console.log(`packets received by the sinks: ${received}`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ results, ratios, sizes }, null, 2));
}

await main();
