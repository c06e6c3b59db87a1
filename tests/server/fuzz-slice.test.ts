/**
 * A seeded slice of bench/fuzz.ts in the suite: hostile payloads for every operation of the
 * OpenAPI document from every kind of caller, and for every realtime event, so that a new route or
 * event cannot ship a 500. Every answer must be a 4xx in the error envelope (or a coded ack), none
 * may hang, and the database and stored files must be exactly as before.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFuzzWorld, type FuzzWorld, fuzzHttp, fuzzSockets, fuzzState } from '../../bench/lib/fuzz-run.ts';

const seed = Number(process.env.HAIQIAO_FUZZ_SEED ?? 20261206);
let fw: FuzzWorld;

beforeAll(async () => {
  fw = await createFuzzWorld();
}, 60_000);
afterAll(() => fw?.world.close());

it(`HTTP: every operation × every caller kind, 3 hostile payloads each (seed ${seed}): no 5xx, no change accepted, no hang, nothing written`, async () => {
  const before = await fuzzState(fw.world);
  const t = await fuzzHttp(fw, seed, 3);
  expect(t.operations).toBeGreaterThanOrEqual(66);
  expect(t.sent).toBeGreaterThan(1_800);
  expect(t.failures.slice(0, 5)).toEqual([]);
  expect(Object.keys(t.byStatus).filter((s) => Number(s) >= 500 || Number(s) === 0)).toEqual([]);
  // Nothing written but the custody record of each evidence read that was served, exactly once each.
  expect(await fuzzState(fw.world)).toEqual({ ...before, evidenceReads: before.evidenceReads + t.evidenceReads });
}, 240_000);

it(`sockets: every realtime event × 4 caller kinds, 4 hostile payloads each (seed ${seed}): coded error acks only, connections kept, nothing written`, async () => {
  const before = await fuzzState(fw.world);
  const t = await fuzzSockets(fw, seed, 4);
  expect(t.sent).toBeGreaterThan(500);
  // Budgets are lifted in this world: every payload reached the contract's parser.
  expect(t.byStatus.RATE_LIMITED ?? 0).toBe(0);
  expect(t.failures.slice(0, 5)).toEqual([]);
  expect(await fuzzState(fw.world)).toEqual(before);
}, 240_000);
