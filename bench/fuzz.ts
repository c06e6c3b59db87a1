/**
 * The fuzz harness: hostile payloads for every operation of the OpenAPI document and every event
 * of the realtime contract, from every kind of caller, against a real world (PostgreSQL, sockets).
 * Passes when no answer is a 5xx or outside the error envelope, nothing hangs, the process does
 * not crash, and the database and stored files are exactly as before.
 *
 *   node bench/fuzz.ts [--seed 1] [--http-per-pair 160] [--socket-per-pair 70]
 *
 * With the defaults: 66 operations × 10 callers × 160 ≈ 10^5 HTTP payloads and 38 events × 4
 * callers × 70 ≈ 10^4 socket payloads. A failure prints its case; rerun with the same seed.
 */
import { parseArgs } from 'node:util';
import type { FuzzFailure } from './lib/fuzz.ts';
import { createFuzzWorld, type FuzzTally, fuzzHttp, fuzzSockets, fuzzState } from './lib/fuzz-run.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, 'http-per-pair': { type: 'string', default: '160' }, 'socket-per-pair': { type: 'string', default: '70' } } });
const seed = Number(values.seed);

function report(name: string, t: FuzzTally, seconds: number) {
  console.log(`\n## ${name}: ${t.sent} payloads, ${t.operations} operations/events × ${t.callers} callers, ${seconds.toFixed(1)} s, slowest answer ${t.slowestMs.toFixed(0)} ms`);
  console.log('answers:', Object.entries(t.byStatus).sort().map(([k, v]) => `${k} ${v}`).join(', '));
  console.log('classes:', Object.entries(t.byClass).sort().map(([k, v]) => `${k} ${v}`).join(', '));
  console.log(`failures: ${t.failures.length}`);
  for (const f of t.failures.slice(0, 20)) console.log(' ', f.problem, JSON.stringify(f.case).slice(0, 400));
}

// Failures as they happen (a long run on a busy machine can be watched and cut short).
const showFailure = (f: FuzzFailure) => console.error('failure:', f.problem, JSON.stringify(f.case).slice(0, 400));
const fw = await createFuzzWorld();
const crashes: unknown[] = [];
process.on('uncaughtException', (error) => crashes.push(error));
process.on('unhandledRejection', (error) => crashes.push(error));
try {
  const before = await fuzzState(fw.world);
  let started = performance.now();
  const http = await fuzzHttp(fw, seed, Number(values['http-per-pair']), 15_000, showFailure, (done, t) => console.error(`progress: ${done} operations, ${t.sent} payloads, ${((performance.now() - started) / 1000).toFixed(0)} s`));
  report('HTTP', http, (performance.now() - started) / 1000);
  started = performance.now();
  const sockets = await fuzzSockets(fw, seed, Number(values['socket-per-pair']), 10_000, showFailure);
  report('sockets', sockets, (performance.now() - started) / 1000);
  // Unchanged but for one custody record per evidence read that was served.
  const unchanged = JSON.stringify(await fuzzState(fw.world)) === JSON.stringify({ ...before, evidenceReads: before.evidenceReads + http.evidenceReads });
  console.log(`\ndatabase and files unchanged (apart from ${http.evidenceReads} recorded evidence reads): ${unchanged}; crashes: ${crashes.length}; seed ${seed}`);
  const mem = process.memoryUsage();
  console.log(`rss ${(mem.rss / 1048576).toFixed(0)} MB, heap ${(mem.heapUsed / 1048576).toFixed(0)} MB`);
  process.exitCode = http.failures.length + sockets.failures.length + crashes.length === 0 && unchanged ? 0 : 1;
} finally {
  await fw.world.close();
}
