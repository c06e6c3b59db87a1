/**
 * Soak: 10 rooms churning on the real app for an hour (bench/lib/soak.ts says what a room does),
 * sampling RSS, heap, event-loop delay and mediasoup object counts. Passes when no cycle failed,
 * RSS stays within ±10 % of its baseline (the first sample after warm-up) and every mediasoup
 * object is gone at the end. With --expose-gc each sample also takes heap and RSS after a forced
 * full collection (reported beside, not instead of, the criterion).
 *
 * The hour in one command (Node 24: `. scripts/node-env.sh && haiqiao_use_node` first):
 *
 *   node bench/soak.ts [--rooms 10] [--minutes 60] [--warmup-minutes 5] [--sample-seconds 15] [--json soak.json] [--no-media] [--arenas 2|default]
 *
 * It runs as production does (glibc's default malloc arenas: MALLOC_ARENA_MAX=2 did not flatten
 * RSS, docs/benchmarks.md "RSS, glibc arenas and V8's heap"). `--arenas 2` (or `default`) compares:
 * glibc reads MALLOC_ARENA_MAX only when a process starts, so the script runs itself again with
 * it set (or unset). Add --expose-gc (before the script) for the forced-gc figures. The last line
 * is the verdict against the target; the exit code is 0 only on PASS.
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (TEST_DATABASE_ADMIN_URL overrides) and the mediasoup worker.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { WorkerPool } from '../server/media/worker-pool.ts';
import { createTestWorld } from '../tests/helpers/test-app.ts';
import { runSoak, slope } from './lib/soak.ts';
import { fmt, percentile } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    rooms: { type: 'string', default: '10' },
    minutes: { type: 'string', default: '60' },
    'warmup-minutes': { type: 'string', default: '5' },
    'sample-seconds': { type: 'string', default: '15' },
    json: { type: 'string' },
    'no-media': { type: 'boolean', default: false },
    arenas: { type: 'string' },
  },
});
const wantedArenaMax = values.arenas === 'default' ? undefined : values.arenas;
if (values.arenas !== undefined && process.env.MALLOC_ARENA_MAX !== wantedArenaMax) {
  const env = { ...process.env };
  if (wantedArenaMax === undefined) delete env.MALLOC_ARENA_MAX;
  else env.MALLOC_ARENA_MAX = wantedArenaMax;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  process.exit(child.status ?? 1);
}
const minutes = Number(values.minutes);
// --no-media: rooms without a media worker (entry, lobby, admission, chat, departures, ends only).
const pool = values['no-media'] ? null : await WorkerPool.start({ size: 1 });
const world = await createTestWorld({
  media: pool,
  listen: true,
  reconnectGraceMs: 500,
  guessingLimits: { tokenFailuresPerAddress: 1e9, loginFailuresPerAccount: 1e9 },
  socketLimits: { budgetScale: 1e3, refusalsBeforeDisconnect: 1e9, networkTestBytesPerMinute: 1e12 },
});
try {
  const started = Date.now();
  const r = await runSoak({ world, pool, rooms: Number(values.rooms), durationMs: minutes * 60_000, warmupMs: Number(values['warmup-minutes']) * 60_000, sampleEveryMs: Number(values['sample-seconds']) * 1000, log: (line) => console.log(line) });
  const loopP99 = Math.max(...r.samples.map((s) => s.loopDelayP99Ms));
  console.log(`\n## soak: ${values.rooms} rooms, ${minutes} min (${((Date.now() - started) / 60_000).toFixed(1)} min wall), ${r.cycles} room cycles, ${r.failures.length} failed cycles`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, node ${process.version}`);
  console.log(`RSS baseline ${fmt(r.baseline.rssMb)} MB → end ${fmt(r.end.rssMb)} MB; max deviation after warm-up ${fmt(r.rssMaxDeviationPct)} %; slope ${fmt(r.rssSlopeMbPerMinute, 3)} MB/min`);
  console.log(`heap baseline ${fmt(r.baseline.heapMb)} MB → end ${fmt(r.end.heapMb)} MB; worker RSS ${fmt(r.baseline.workerRssMb)} → ${fmt(r.end.workerRssMb)} MB; worst event-loop p99 ${fmt(loopP99)} ms`);
  const after = r.samples.filter((s) => s.atSeconds >= r.baseline.atSeconds);
  const range = (values: number[]) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))} (median ${fmt(percentile(values, 50))})`;
  console.log(`after warm-up: RSS ${range(after.map((s) => s.rssMb))} MB; heap ${range(after.map((s) => s.heapMb))} MB`);
  const majors = after.filter((s) => s.heapAfterMajorGcMb !== null).map((s) => [s.atSeconds / 60, s.heapAfterMajorGcMb!] as [number, number]);
  if (majors.length > 1) console.log(`heap after the runtime's own full collections: ${range(majors.map(([, y]) => y))} MB in ${majors.length} samples, slope ${fmt(slope(majors), 3)} MB/min`);
  if (r.end.heapAfterGcMb !== null) {
    console.log(`after a forced gc (--expose-gc): heap ${range(after.map((s) => s.heapAfterGcMb!))} MB, slope ${fmt(slope(after.map((s) => [s.atSeconds / 60, s.heapAfterGcMb!])), 3)} MB/min; RSS ${range(after.map((s) => s.rssAfterGcMb!))} MB`);
  }
  console.log(`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '(unset)'}; node flags: ${process.execArgv.join(' ') || '(none)'}`);
  if (pool) console.log(`per-room check after departures: exact (0 transports, producers, consumers left in the room's router) in every completed cycle; the old global count exceeded its bound in ${r.globalCount.overBound} of ${r.globalCount.checks} checks, by ${r.globalCount.worstOverBound} at worst`);
  else console.log('no media (--no-media): no media checks');
  console.log(`mediasoup objects at start ${JSON.stringify(r.objectsAtStart)}, at end ${JSON.stringify(r.objectsAtEnd)}`);
  console.log(`distinct failures: ${JSON.stringify([...new Set(r.failures)])}`);
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(r, null, 1));
  const flat = r.rssMaxDeviationPct <= 10;
  const released = JSON.stringify(r.objectsAtEnd) === JSON.stringify(r.objectsAtStart);
  const passed = flat && released && r.failures.length === 0;
  console.log(`RSS flat within ±10 %: ${flat}; objects back to baseline: ${released}; failed cycles: ${r.failures.length}`);
  console.log(
    `verdict: ${passed ? 'PASS' : 'FAIL'} (target: RSS within ±10 % of its ${fmt(r.baseline.atSeconds / 60)}-minute sample to the end, max ${fmt(r.rssMaxDeviationPct)} %; every mediasoup object released; no failed cycle)`,
  );
  process.exitCode = passed ? 0 : 1;
} finally {
  await world.close();
  pool?.close();
}
