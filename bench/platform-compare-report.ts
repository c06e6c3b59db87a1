// Side-by-side figures of bench/platform-compare.sh: reads its JSON results and prints, per pair
// and as medians, SFU capacity (packets per worker CPU-second at saturation, room and bare) and
// join latency (re-entry first frame p50/p95, admission to first frame p50).
//
//   npx tsx bench/platform-compare-report.ts DIR PAIRS
import fs from 'node:fs';
import path from 'node:path';
import { fmt, median, summarize, table } from './lib/stats.ts';

const [dir, pairsArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: platform-compare-report.ts DIR PAIRS');
const pairs = Number(pairsArg ?? '2');

interface SfuJson {
  summary: { capacity: { barePpsPerCpu: number; roomPpsPerCpu: number; ratioPct: number; saturated: boolean }; loadAverage: { before: number[]; after: number[] } };
}
interface JoinJson {
  reentries: { firstFrame: number }[];
  admissions: { admittedToFrame: number }[];
}
const read = <T>(name: string): T | null => {
  const file = path.join(dir, name);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : null;
};

type Row = { label: string; pair: number; bare: number; room: number; ratio: number; saturated: boolean; joinP50: number; joinP95: number; admitP50: number };
const rows: Row[] = [];
for (const label of ['before', 'after']) {
  for (let pair = 1; pair <= pairs; pair += 1) {
    const sfu = read<SfuJson>(`sfu-${label}-${pair}.json`);
    const join = read<JoinJson>(`join-${label}-${pair}.json`);
    if (!sfu || !join) {
      console.log(`missing results for ${label} pair ${pair}`);
      continue;
    }
    const re = summarize(join.reentries.map((r) => r.firstFrame));
    rows.push({
      label,
      pair,
      bare: sfu.summary.capacity.barePpsPerCpu / 1000,
      room: sfu.summary.capacity.roomPpsPerCpu / 1000,
      ratio: sfu.summary.capacity.ratioPct,
      saturated: sfu.summary.capacity.saturated,
      joinP50: re.p50,
      joinP95: re.p95,
      admitP50: summarize(join.admissions.map((r) => r.admittedToFrame)).p50,
    });
  }
}
console.log(
  table(
    ['build', 'pair', 'bare kpkt/CPU-s', 'room kpkt/CPU-s', 'room/bare %', 'saturated', 're-entry frame p50 ms', 'p95 ms', 'admitted → frame p50 ms'],
    rows.map((r) => [r.label, String(r.pair), fmt(r.bare, 1), fmt(r.room, 1), fmt(r.ratio, 1), r.saturated ? 'yes' : 'no', fmt(r.joinP50, 0), fmt(r.joinP95, 0), fmt(r.admitP50, 0)]),
  ),
);
const med = (label: string, pick: (r: Row) => number) => median(rows.filter((r) => r.label === label).map(pick));
const cols: [string, (r: Row) => number, number][] = [
  ['bare kpkt per worker CPU-s', (r) => r.bare, 1],
  ['room kpkt per worker CPU-s', (r) => r.room, 1],
  ['room / bare %', (r) => r.ratio, 1],
  ['re-entry first frame p50 ms', (r) => r.joinP50, 0],
  ['admitted → first frame p50 ms', (r) => r.admitP50, 0],
];
console.log(table(['median over pairs', 'before', 'after', 'after / before'], cols.map(([name, pick, digits]) => [name, fmt(med('before', pick), digits), fmt(med('after', pick), digits), `${fmt((med('after', pick) / med('before', pick)) * 100, 1)} %`])));
