import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';

const run = promisify(execFile);

export class PdfPageOutOfRange extends Error {}
/** poppler could not read the document (damaged, encrypted, not really a PDF). */
export class PdfUnreadable extends Error {}
/** The page would cost more than a preview may (time, memory, size): the original can still be downloaded. */
export class PdfTooCostly extends Error {}

/**
 * What one preview may cost. A small compressed PDF can hold a page that takes minutes of CPU or
 * gigabytes of memory to draw, so every poppler run is a bounded job: a wall-clock timeout, a CPU
 * and an address-space limit (prlimit, killed by the kernel), and at most `concurrent` at a time.
 */
export const previewLimits = {
  /** Longest side of a rendered page in pixels: a tiny PDF may declare a 200-inch page. */
  maxPixels: 2000,
  /** Documents with more pages are not previewed page by page (pdfinfo still reads them quickly). */
  maxPages: 2000,
  infoTimeoutMs: 5_000,
  renderTimeoutMs: 8_000,
  cpuSeconds: 8,
  memoryBytes: 768 * 1024 * 1024,
  concurrent: 2,
} as const;

const jobs = pLimit(previewLimits.concurrent);

/** A poppler tool under prlimit. Exit status → PdfUnreadable; killed (time, CPU, memory) → PdfTooCostly. */
async function poppler(tool: string, args: string[], timeout: number) {
  const limits = [`--as=${previewLimits.memoryBytes}`, `--cpu=${previewLimits.cpuSeconds}`, '--core=0'];
  try {
    return await run('prlimit', [...limits, tool, ...args], { timeout, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 });
  } catch (error) {
    const e = error as { code?: unknown; killed?: boolean; signal?: string | null; stderr?: string };
    if (e.killed || e.signal) throw new PdfTooCostly(`${tool} stopped: the page is too costly to preview`);
    const stderr = String(e.stderr ?? '').trim();
    // Out of memory under the address-space limit shows as a failed allocation, not a signal.
    if (/bad_alloc|out of memory|cannot allocate/i.test(stderr)) throw new PdfTooCostly(`${tool} ran out of memory`);
    if (typeof e.code === 'number') throw new PdfUnreadable(`${tool}: ${stderr.split('\n')[0] || 'failed'}`);
    throw error;
  }
}

/** Renders one page of a PDF to PNG with poppler's pdftoppm: PDF bytes in, PNG bytes out. */
export function renderPdfPage(pdf: Uint8Array, page: number, dpi = 110): Promise<Buffer> {
  return jobs(() => render(pdf, page, dpi));
}

async function render(pdf: Uint8Array, page: number, dpi: number): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-page-'));
  try {
    const input = path.join(dir, 'in.pdf');
    await writeFile(input, pdf);
    // Pre-check: page count and this page's size, before anything is drawn.
    const { stdout } = await poppler('pdfinfo', [input], previewLimits.infoTimeoutMs);
    const pages = Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
    if (page < 1 || page > pages) throw new PdfPageOutOfRange(`the document has ${pages} page(s)`);
    if (pages > previewLimits.maxPages) throw new PdfTooCostly(`the document has ${pages} pages; previews stop at ${previewLimits.maxPages}`);
    const size = /^Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+) pts/m.exec((await poppler('pdfinfo', ['-f', String(page), '-l', String(page), input], previewLimits.infoTimeoutMs)).stdout);
    const longest = size ? Math.max(Number(size[1]), Number(size[2])) : 0;
    // Lower the resolution of an oversized page so that its image stays within maxPixels.
    const resolution = longest > 0 ? Math.min(dpi, (previewLimits.maxPixels * 72) / longest) : dpi;
    await poppler(
      'pdftoppm',
      ['-f', String(page), '-l', String(page), '-r', resolution.toFixed(3), ...(longest > 0 ? [] : ['-scale-to', String(previewLimits.maxPixels)]), '-png', '-singlefile', input, path.join(dir, 'out')],
      previewLimits.renderTimeoutMs,
    );
    return await readFile(path.join(dir, 'out.png'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
