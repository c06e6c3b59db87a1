import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class PdfPageOutOfRange extends Error {}

/** Renders one page of a PDF to PNG with poppler's pdftoppm: PDF bytes in, PNG bytes out. */
export async function renderPdfPage(pdf: Uint8Array, page: number, dpi = 110): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-page-'));
  try {
    const input = path.join(dir, 'in.pdf');
    await writeFile(input, pdf);
    const { stdout } = await run('pdfinfo', [input], { timeout: 20_000 });
    const pages = Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? 0);
    if (page < 1 || page > pages) throw new PdfPageOutOfRange(`the document has ${pages} page(s)`);
    await run('pdftoppm', ['-f', String(page), '-l', String(page), '-r', String(dpi), '-png', '-singlefile', input, path.join(dir, 'out')], { timeout: 30_000 });
    return await readFile(path.join(dir, 'out.png'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
