// Benchmark: render and seal a 3-page mediation agreement (2 content pages + certificate page,
// 2 signatures, CJK fonts subset-embedded), N times after a warm-up, in one process.
//   node bench/seal-agreement.ts [--iterations 30] [--warmup 5] [--json out.json]
// Prints a Markdown section for docs/benchmarks.md.
// Targets: median render+seal under 150 ms, PDF under 300 KB.
import { mkdtemp, rm } from 'node:fs/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { renderAgreementPdf } from '../server/documents/agreement-pdf.ts';
import { loadOrCreatePlatformCertificate } from '../server/documents/platform-certificate.ts';
import { sealPdf, type SealOptions } from '../server/documents/seal-pdf.ts';
import { inspectSignedPdf } from '../server/documents/verify-pdf.ts';
import { agreementInput } from '../tests/server/documents/fixtures.ts';
import { fmt, summarize, table } from './lib/stats.ts';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
const iterations = Number(args.iterations);
const warmup = Number(args.warmup);
const targetMedianMs = 150;
const targetSizeKb = 300;

const seal: SealOptions = {
  reason: '调解协议电子签章',
  location: '浙闽海上矛盾纠纷联调中心',
  name: 'Haiqiao 海桥 云调解平台',
  signingTime: new Date('2026-10-08T03:31:00Z'),
};

const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-bench-seal-'));
try {
  const startup = performance.now();
  const cert = await loadOrCreatePlatformCertificate({ dir });
  const certMs = performance.now() - startup;
  const input = agreementInput();

  let heapMax = 0;
  let rssMax = 0;
  const sample = () => {
    const m = process.memoryUsage();
    heapMax = Math.max(heapMax, m.heapUsed);
    rssMax = Math.max(rssMax, m.rss);
  };
  const sampler = setInterval(sample, 2);

  const render: number[] = [];
  const sealing: number[] = [];
  const total: number[] = [];
  let pdf: Uint8Array = new Uint8Array();
  let firstMs = 0;
  for (let i = 0; i < warmup + iterations; i++) {
    const t0 = performance.now();
    const unsigned = await renderAgreementPdf(input, { seal });
    const t1 = performance.now();
    pdf = await sealPdf(unsigned, cert, seal);
    const t2 = performance.now();
    sample();
    if (i === 0) firstMs = t2 - t0;
    if (i >= warmup) {
      render.push(t1 - t0);
      sealing.push(t2 - t1);
      total.push(t2 - t0);
    }
  }
  clearInterval(sampler);

  const pages = (await PDFDocument.load(pdf, { updateMetadata: false })).getPageCount();
  const inspection = inspectSignedPdf(pdf);
  if (!inspection.intact || !inspection.coversWholeFile) throw new Error(`the sealed PDF does not verify: ${JSON.stringify(inspection)}`);
  const r = summarize(render);
  const s = summarize(sealing);
  const t = summarize(total);
  const sizeKb = pdf.length / 1024;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const medianMet = t.p50 < targetMedianMs;
  const sizeMet = sizeKb < targetSizeKb;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');

  const rows = [
    ['render (content PDF + full PDF with placeholder)', fmt(r.p50), fmt(r.p95), fmt(r.max)],
    ['seal (CMS signature)', fmt(s.p50), fmt(s.p95), fmt(s.max)],
    ['render + seal', fmt(t.p50), fmt(t.p95), fmt(t.max)],
  ];
  const report = [
    `## Sealing a mediation agreement (bench/seal-agreement.ts)`,
    '',
    `Command: \`node bench/seal-agreement.ts --iterations ${iterations} --warmup ${warmup}\``,
    '',
    `Machine: ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; load average at the end ${load}.`,
    '',
    `Document: ${pages} pages (2 content pages with facts table, terms and 2 signature images; 1 certificate page), ` +
      `Song + fallback fonts subset-embedded, PAdES (ETSI.CAdES.detached) signature with an RSA-2048 self-signed certificate.`,
    '',
    table(['step (ms, after warm-up)', 'median', 'p95', 'max'], rows),
    '',
    `- First call (fonts read and parsed, PKCS#12 opened): ${fmt(firstMs)} ms; certificate generation on first start: ${fmt(certMs)} ms.`,
    `- PDF size: ${fmt(sizeKb)} KB.`,
    `- Memory: peak RSS ${fmt(maxRssMb)} MB (process maximum), peak heap used ${fmt(heapMax / 2 ** 20)} MB (sampled every 2 ms), RSS sampled max ${fmt(rssMax / 2 ** 20)} MB.`,
    `- Target median < ${targetMedianMs} ms: ${medianMet ? 'met' : 'NOT met'} (${fmt(t.p50)} ms); p95 ${fmt(t.p95)} ms.`,
    `- Target size < ${targetSizeKb} KB: ${sizeMet ? 'met' : 'NOT met'} (${fmt(sizeKb)} KB).`,
  ].join('\n');
  console.log(report);
  if (args.json) {
    fs.writeFileSync(args.json, JSON.stringify({ iterations, warmup, pages, sizeBytes: pdf.length, render: r, seal: s, total: t, firstMs, certMs, maxRssMb, heapMaxMb: heapMax / 2 ** 20, loadAverage: os.loadavg() }, null, 2));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
