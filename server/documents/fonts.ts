// CJK fonts for the PDF documents: located at standard Debian paths, read once per process.
//
// Why these fonts (DESIGN.md "Known traps"): pdf-lib subsets fonts
// through @pdf-lib/fontkit, which corrupts CFF (OpenType/PostScript) CJK fonts and cannot read
// .ttc collections, so Debian's fonts-noto-cjk is unusable. TrueType (glyf) fonts subset
// correctly, with one fontkit bug worked around below (odd-length glyphs):
//   body:     AR PL SungtiL GB (fonts-arphic-gbsn00lp), a Song (宋体) face, GB2312 coverage;
//   fallback: Droid Sans Fallback Full (fonts-droid-fallback), broad CJK coverage, used per
//             character for what the Song face lacks (rare name characters such as 堃, 喆).
import { readFile } from 'node:fs/promises';
import fs from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import type { Font as FontkitFont } from '@pdf-lib/fontkit';

export type FontRole = 'body' | 'fallback';

export interface FontCandidate {
  path: string;
  /** The Debian package that installs this file. */
  debianPackage: string;
}

/** Where each role's font is looked for, in order. */
export const FONT_CANDIDATES: Record<FontRole, readonly FontCandidate[]> = {
  body: [{ path: '/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf', debianPackage: 'fonts-arphic-gbsn00lp' }],
  fallback: [
    { path: '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf', debianPackage: 'fonts-droid-fallback' },
    { path: '/usr/share/fonts-droid-fallback/truetype/DroidSansFallbackFull.ttf', debianPackage: 'fonts-droid-fallback' },
  ],
};

export class MissingFontError extends Error {
  override name = 'MissingFontError';
}

/** One loaded font: bytes ready for pdf-lib's `embedFont(bytes, { subset: true })` and metrics. */
export class FontFace {
  readonly postscriptName: string;
  readonly unitsPerEm: number;
  /** Ascent and descent as fractions of the em (descent negative). */
  readonly ascent: number;
  readonly descent: number;
  private readonly advances = new Map<number, number>();
  private readonly coverage = new Map<number, boolean>();

  readonly role: FontRole;
  readonly path: string;
  /** The font file, normalised by `padTrueTypeGlyphs` so fontkit's subsetter handles it. */
  readonly bytes: Uint8Array;
  private readonly font: FontkitFont;

  constructor(
    role: FontRole,
    path: string,
    bytes: Uint8Array,
    font: FontkitFont,
  ) {
    this.role = role;
    this.path = path;
    this.bytes = bytes;
    this.font = font;
    this.postscriptName = font.postscriptName || role;
    this.unitsPerEm = font.unitsPerEm;
    this.ascent = font.ascent / font.unitsPerEm;
    this.descent = font.descent / font.unitsPerEm;
  }

  has(codePoint: number): boolean {
    let known = this.coverage.get(codePoint);
    if (known === undefined) {
      known = this.font.hasGlyphForCodePoint(codePoint);
      this.coverage.set(codePoint, known);
    }
    return known;
  }

  /** Advance width of one code point, in ems. */
  advance(codePoint: number): number {
    let width = this.advances.get(codePoint);
    if (width === undefined) {
      width = this.font.glyphForCodePoint(codePoint).advanceWidth / this.unitsPerEm;
      this.advances.set(codePoint, width);
    }
    return width;
  }
}

export interface CjkFonts {
  body: FontFace;
  fallback: FontFace;
}

export interface CjkFontPaths {
  body?: string;
  fallback?: string;
}

/** The font file for a role: the explicit path if given, else the first Debian path present. */
export function locateFont(role: FontRole, explicitPath?: string, candidates: readonly FontCandidate[] = FONT_CANDIDATES[role]): string {
  if (explicitPath) {
    if (!fs.existsSync(explicitPath)) throw new MissingFontError(`${role} font not found at ${explicitPath}`);
    return explicitPath;
  }
  const found = candidates.find((c) => fs.existsSync(c.path));
  if (found) return found.path;
  const packages = [...new Set(candidates.map((c) => c.debianPackage))].join(' ');
  throw new MissingFontError(
    `the ${role} CJK font is missing (looked for ${candidates.map((c) => c.path).join(', ')}); ` +
      `install the Debian package: apt-get install -y ${packages}`,
  );
}

let cached: Promise<CjkFonts> | undefined;

/** Parsed fonts by the exact bytes object handed to pdf-lib (see `cachingFontkit`). */
const parsedByBytes = new WeakMap<Uint8Array, FontkitFont>();

/**
 * A fontkit for `PDFDocument.registerFontkit` that returns the already-parsed font for bytes
 * loaded here instead of parsing (and copying, byte by byte) a 4 MB font for every document.
 * fontkit fonts are safe to share: subsets are separate objects and all decoding is synchronous.
 */
export const cachingFontkit = {
  create(buffer: Uint8Array, postscriptName?: string): FontkitFont {
    return parsedByBytes.get(buffer) ?? fontkit.create(buffer, postscriptName);
  },
};

/** Loads (once per process) the Song body font and the fallback font. */
export function loadCjkFonts(paths: CjkFontPaths = {}): Promise<CjkFonts> {
  if (paths.body || paths.fallback) return readFonts(paths);
  cached ??= readFonts({}).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function readFonts(paths: CjkFontPaths): Promise<CjkFonts> {
  const [body, fallback] = await Promise.all([readFace('body', paths.body), readFace('fallback', paths.fallback)]);
  return { body, fallback };
}

async function readFace(role: FontRole, explicitPath?: string): Promise<FontFace> {
  const path = locateFont(role, explicitPath);
  const raw = new Uint8Array(await readFile(path));
  if (!sfntTableTags(raw).includes('glyf')) {
    throw new MissingFontError(
      `${path} is not a single TrueType (glyf) font: fontkit's subsetter corrupts CFF CJK fonts and cannot read .ttc collections`,
    );
  }
  const bytes = padTrueTypeGlyphs(raw);
  const font = fontkit.create(bytes);
  parsedByBytes.set(bytes, font);
  return new FontFace(role, path, bytes, font);
}

// ---------------------------------------------------------------------------------------
// TrueType normalisation
// ---------------------------------------------------------------------------------------

/**
 * Pads every glyph of a TrueType font to a 4-byte boundary (long `loca`), leaving the outlines
 * untouched. fontkit's subsetter copies glyph records byte for byte and writes a short-format
 * `loca` (offsets / 2) whenever the subset is under 128 KiB, so a glyph of odd length shifts
 * every later glyph by one byte: poppler then draws those glyphs blank (DroidSansFallbackFull
 * has 11,679 odd-length glyphs). Fonts without odd-length glyphs are returned unchanged.
 */
export function padTrueTypeGlyphs(font: Uint8Array): Uint8Array {
  const view = new DataView(font.buffer, font.byteOffset, font.byteLength);
  const numTables = view.getUint16(4);
  interface TableRecord {
    tag: string;
    offset: number;
    length: number;
  }
  const tables: TableRecord[] = [];
  for (let i = 0; i < numTables; i++) {
    const at = 12 + i * 16;
    const tag = String.fromCharCode(font[at]!, font[at + 1]!, font[at + 2]!, font[at + 3]!);
    tables.push({ tag, offset: view.getUint32(at + 8), length: view.getUint32(at + 12) });
  }
  const byTag = new Map(tables.map((t) => [t.tag, t]));
  const head = byTag.get('head');
  const loca = byTag.get('loca');
  const glyf = byTag.get('glyf');
  const maxp = byTag.get('maxp');
  if (!head || !loca || !glyf || !maxp) return font; // not a glyf font: nothing to do here

  const numGlyphs = view.getUint16(maxp.offset + 4);
  const longLoca = view.getInt16(head.offset + 50) === 1;
  const offsets: number[] = [];
  for (let i = 0; i <= numGlyphs; i++) {
    offsets.push(longLoca ? view.getUint32(loca.offset + i * 4) : view.getUint16(loca.offset + i * 2) * 2);
  }
  let odd = false;
  for (let i = 0; i < numGlyphs && !odd; i++) odd = (offsets[i + 1]! - offsets[i]!) % 2 !== 0;
  if (!odd) return font;

  // New glyf (each glyph padded to 4 bytes) and long loca.
  const glyphLengths = offsets.slice(0, numGlyphs).map((start, i) => offsets[i + 1]! - start);
  const newGlyfLength = glyphLengths.reduce((sum, len) => sum + align4(len), 0);
  const newGlyf = new Uint8Array(newGlyfLength);
  const newLoca = new Uint8Array((numGlyphs + 1) * 4);
  const locaView = new DataView(newLoca.buffer);
  let cursor = 0;
  for (let i = 0; i < numGlyphs; i++) {
    locaView.setUint32(i * 4, cursor);
    const len = glyphLengths[i]!;
    newGlyf.set(font.subarray(glyf.offset + offsets[i]!, glyf.offset + offsets[i]! + len), cursor);
    cursor += align4(len);
  }
  locaView.setUint32(numGlyphs * 4, cursor);

  const newHead = font.slice(head.offset, head.offset + head.length);
  const headView = new DataView(newHead.buffer);
  headView.setUint32(8, 0); // checkSumAdjustment, recomputed below
  headView.setInt16(50, 1); // indexToLocFormat: long

  const contents = new Map<string, Uint8Array>();
  for (const t of tables) contents.set(t.tag, font.subarray(t.offset, t.offset + t.length));
  contents.set('glyf', newGlyf);
  contents.set('loca', newLoca);
  contents.set('head', newHead);

  // Table directory in tag order (as required), table data in the original order, 4-aligned.
  const directoryOrder = [...tables].sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  const headerLength = 12 + numTables * 16;
  let total = headerLength;
  const placed = new Map<string, number>();
  for (const t of tables) {
    placed.set(t.tag, total);
    total += align4(contents.get(t.tag)!.length);
  }
  const out = new Uint8Array(total);
  const outView = new DataView(out.buffer);
  out.set(font.subarray(0, 12), 0);
  directoryOrder.forEach((t, i) => {
    const data = contents.get(t.tag)!;
    const at = 12 + i * 16;
    out.set(font.subarray(12 + tables.indexOf(t) * 16, 12 + tables.indexOf(t) * 16 + 4), at);
    outView.setUint32(at + 4, checksum(data));
    outView.setUint32(at + 8, placed.get(t.tag)!);
    outView.setUint32(at + 12, data.length);
    out.set(data, placed.get(t.tag)!);
  });
  const adjustment = (0xb1b0afba - checksum(out)) >>> 0;
  outView.setUint32(placed.get('head')! + 8, adjustment);
  return out;
}

/** Table tags of a single sfnt font (empty for a collection or anything else). */
export function sfntTableTags(font: Uint8Array): string[] {
  if (font.length < 12) return [];
  const version = String.fromCharCode(font[0]!, font[1]!, font[2]!, font[3]!);
  if (version !== '\0\x01\0\0' && version !== 'true' && version !== 'OTTO') return [];
  const numTables = (font[4]! << 8) | font[5]!;
  const tags: string[] = [];
  for (let i = 0; i < numTables && 12 + i * 16 + 4 <= font.length; i++) {
    const at = 12 + i * 16;
    tags.push(String.fromCharCode(font[at]!, font[at + 1]!, font[at + 2]!, font[at + 3]!));
  }
  return tags;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function checksum(data: Uint8Array): number {
  let sum = 0;
  const full = data.length & ~3;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < full; i += 4) sum = (sum + view.getUint32(i)) >>> 0;
  if (full < data.length) {
    let last = 0;
    for (let i = 0; i < 4; i++) last = (last << 8) | (data[full + i] ?? 0);
    sum = (sum + (last >>> 0)) >>> 0;
  }
  return sum;
}
