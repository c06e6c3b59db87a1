// Runs poppler-utils on PDF bytes for the document tests: the real tools a court clerk's
// viewer is closest to (pdftotext, pdftoppm, pdffonts, pdfsig).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function withFile<T>(pdf: Uint8Array, fn: (file: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-doc-test-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    await writeFile(file, pdf);
    return await fn(file, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function pdftotext(pdf: Uint8Array, pages?: { first: number; last: number }): Promise<string> {
  return withFile(pdf, async (file) => {
    const range = pages ? ['-f', String(pages.first), '-l', String(pages.last)] : [];
    const { stdout } = await run('pdftotext', ['-enc', 'UTF-8', ...range, file, '-'], { maxBuffer: 20e6 });
    return stdout;
  });
}

export interface FontRow {
  name: string;
  type: string;
  embedded: boolean;
  subset: boolean;
  unicode: boolean;
}

export function pdffonts(pdf: Uint8Array): Promise<{ raw: string; fonts: FontRow[] }> {
  return withFile(pdf, async (file) => {
    const { stdout } = await run('pdffonts', [file]);
    const fonts = stdout
      .split('\n')
      .slice(2)
      .filter((line) => line.trim().length > 0)
      .map((line) => {
        // name type… encoding emb sub uni object ID
        const cols = line.trim().split(/\s+/);
        const [emb, sub, uni] = cols.slice(-5, -2);
        return { name: cols[0]!, type: cols.slice(1, -6).join(' '), embedded: emb === 'yes', subset: sub === 'yes', unicode: uni === 'yes' };
      });
    return { raw: stdout, fonts };
  });
}

export function pdfsig(pdf: Uint8Array): Promise<string> {
  return withFile(pdf, async (file) => {
    const result = await run('pdfsig', [file]).catch((error: { stdout?: string; stderr?: string }) => ({
      stdout: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }));
    return result.stdout;
  });
}

export function pageCount(pdf: Uint8Array): Promise<number> {
  return withFile(pdf, async (file) => {
    const { stdout } = await run('pdfinfo', [file]);
    return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]);
  });
}

export interface GrayImage {
  width: number;
  height: number;
  /** 0 = black … 255 = white, row-major. */
  pixels: Uint8Array;
}

/** Renders one page in grayscale (pdftoppm -gray gives a binary PGM, trivial to read). */
export function renderGray(pdf: Uint8Array, page: number, dpi: number): Promise<GrayImage> {
  return withFile(pdf, async (file, dir) => {
    await run('pdftoppm', ['-gray', '-r', String(dpi), '-f', String(page), '-l', String(page), '-singlefile', file, path.join(dir, 'page')]);
    return parsePgm(await readFile(path.join(dir, 'page.pgm')));
  });
}

export function parsePgm(data: Buffer): GrayImage {
  // "P5" width height maxval, separated by whitespace, then one byte per pixel.
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PGM');
  const width = Number(header[1]);
  const height = Number(header[2]);
  const offset = header[0].length;
  return { width, height, pixels: new Uint8Array(data.buffer, data.byteOffset + offset, width * height) };
}

/** Pixels darker than `threshold` inside a rectangle (defaults to the whole image). */
export function darkPixels(img: GrayImage, threshold = 128, rect = { x: 0, y: 0, width: img.width, height: img.height }): number {
  let n = 0;
  for (let y = rect.y; y < Math.min(img.height, rect.y + rect.height); y++) {
    for (let x = rect.x; x < Math.min(img.width, rect.x + rect.width); x++) if (img.pixels[y * img.width + x]! < threshold) n++;
  }
  return n;
}
