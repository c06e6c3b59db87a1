import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class PdfPageOutOfRange extends Error {}
/** poppler could not read the document (damaged, encrypted, not really a PDF). */
export class PdfUnreadable extends Error {}

/** Longest side of a rendered page: a tiny PDF may declare a 200-inch page. */
const maxPixels = 2000;

/** A poppler tool that ran and refused the input (exit status), as opposed to a fault (missing tool, timeout). */
async function poppler(tool: string, args: string[], timeout: number) {
  try {
    return await run(tool, args, { timeout });
  } catch (error) {
    const e = error as { code?: unknown; killed?: boolean; stderr?: string };
    if (typeof e.code === 'number' && !e.killed) throw new PdfUnreadable(`${tool}: ${String(e.stderr ?? '').trim().split('\n')[0] ?? 'failed'}`);
    throw error;
  }
}

/** Renders one page of a PDF to PNG with poppler's pdftoppm: PDF bytes in, PNG bytes out. */
export async function renderPdfPage(pdf: Uint8Array, page: number, dpi = 110): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-page-'));
  try {
    const input = path.join(dir, 'in.pdf');
    await writeFile(input, pdf);
    const { stdout } = await poppler('pdfinfo', [input], 20_000);
    const pages = Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
    if (page < 1 || page > pages) throw new PdfPageOutOfRange(`the document has ${pages} page(s)`);
    // Lower the resolution of an oversized page so that its image stays within maxPixels.
    const size = /^Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+) pts/m.exec((await poppler('pdfinfo', ['-f', String(page), '-l', String(page), input], 20_000)).stdout);
    const longest = size ? Math.max(Number(size[1]), Number(size[2])) : 0;
    const resolution = longest > 0 ? Math.min(dpi, (maxPixels * 72) / longest) : dpi;
    await poppler('pdftoppm', ['-f', String(page), '-l', String(page), '-r', resolution.toFixed(3), '-png', '-singlefile', input, path.join(dir, 'out')], 30_000);
    return await readFile(path.join(dir, 'out.png'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
