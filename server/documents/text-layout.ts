// The CJK layout engine shared by every document: per-character font choice (Song body font,
// fallback font for characters it lacks), line breaking (anywhere between CJK characters, Latin
// words kept together, simple kinsoku for punctuation), and composition into A4 pages of plain
// drawing operations. Pure computation: pdf-render.ts turns the pages into a PDF.
import type { CjkFonts, FontFace, FontRole } from './fonts.ts';

// ---------------------------------------------------------------------------------------
// Measuring and font runs
// ---------------------------------------------------------------------------------------

/** Shown for a character that neither font has (WHITE SQUARE, in the Song font). */
const MISSING = '□';

/** Stand-ins for common characters that neither font has. */
const SUBSTITUTES: Record<string, string> = {
  '¥': '￥',
  '£': '￡',
  '¢': '￠',
  '–': '-',
  '‑': '-',
  '−': '-',
  '•': '·',
  '€': 'EUR',
  '©': '(C)',
  '®': '(R)',
  '™': 'TM',
  '½': '1/2',
  '¼': '1/4',
  '¾': '3/4',
};

export interface TextRun {
  role: FontRole;
  text: string;
  /** Advance width in ems. */
  width: number;
}

export class TextMeasurer {
  readonly fonts: CjkFonts;

  constructor(fonts: CjkFonts) {
    this.fonts = fonts;
  }

  roleFor(codePoint: number): FontRole {
    if (codePoint === 0x20 || this.fonts.body.has(codePoint)) return 'body';
    return this.fonts.fallback.has(codePoint) ? 'fallback' : 'body';
  }

  face(role: FontRole): FontFace {
    return this.fonts[role];
  }

  /**
   * Makes text drawable: no control characters (tabs become spaces), no characters missing
   * from both fonts (they become □), no Unicode line or paragraph separators.
   */
  clean(text: string): string {
    let out = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0x09 || cp === 0x0b || cp === 0x0c || cp === 0xa0 || cp === 0x2028 || cp === 0x2029) out += ' ';
      else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0x200b || cp === 0xfeff) continue;
      else if (cp === 0x20 || this.fonts.body.has(cp) || this.fonts.fallback.has(cp)) out += ch;
      else out += SUBSTITUTES[ch] ?? MISSING;
    }
    return out;
  }

  /** Width of one code point in ems (in the font that draws it). */
  advance(codePoint: number): number {
    return this.face(this.roleFor(codePoint)).advance(codePoint);
  }

  /** Width of (clean) text at a font size, in points. */
  width(text: string, size: number): number {
    let ems = 0;
    for (const ch of text) ems += this.advance(ch.codePointAt(0)!);
    return ems * size;
  }

  /** Splits (clean) text into runs drawn with one font each. */
  runs(text: string): TextRun[] {
    const runs: TextRun[] = [];
    let current: TextRun | undefined;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      const role = this.roleFor(cp);
      const width = this.face(role).advance(cp);
      if (current && current.role === role) {
        current.text += ch;
        current.width += width;
      } else {
        current = { role, text: ch, width };
        runs.push(current);
      }
    }
    return runs;
  }
}

// ---------------------------------------------------------------------------------------
// Line breaking
// ---------------------------------------------------------------------------------------

/** Characters that may not start a line (closing punctuation). */
const NO_LINE_START = new Set(
  '，。；：、？！）」』》〉】〕］｝”’…—·％‰,.;:?!)]}%〃々ー～'.split('').map((c) => c.codePointAt(0)!),
);
/** Characters that may not end a line (opening brackets and quotes). */
const NO_LINE_END = new Set('（「『《〈【〔［｛“‘([{'.split('').map((c) => c.codePointAt(0)!));

/** True for characters that stand alone for line breaking (CJK ideographs, kana, CJK and fullwidth punctuation). */
export function isCjkBreakable(cp: number): boolean {
  return (
    (cp >= 0x2e80 && cp <= 0x2fdf) || // radicals
    (cp >= 0x3000 && cp <= 0x303f) || // CJK symbols and punctuation
    (cp >= 0x3040 && cp <= 0x31ff) || // kana, bopomofo
    (cp >= 0x3200 && cp <= 0x4dbf) || // enclosed, compatibility, extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // unified ideographs
    (cp >= 0xac00 && cp <= 0xd7af) || // hangul
    (cp >= 0xf900 && cp <= 0xfaff) || // compatibility ideographs
    (cp >= 0xfe30 && cp <= 0xfe4f) || // CJK compatibility forms
    (cp >= 0xff00 && cp <= 0xffef) || // fullwidth forms
    (cp >= 0x20000 && cp <= 0x3ffff) || // extensions B–H
    cp === 0x2014 || cp === 0x2026 || (cp >= 0x2018 && cp <= 0x201d) || cp === 0x00b7 || cp === 0x25a1
  );
}

interface Atom {
  text: string;
  width: number;
  space: boolean;
  first: number;
  last: number;
}

function atomize(text: string, size: number, m: TextMeasurer): Atom[] {
  const atoms: Atom[] = [];
  let word: Atom | undefined;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const width = m.advance(cp) * size;
    if (cp === 0x20) {
      word = undefined;
      atoms.push({ text: ch, width, space: true, first: cp, last: cp });
    } else if (isCjkBreakable(cp)) {
      word = undefined;
      atoms.push({ text: ch, width, space: false, first: cp, last: cp });
    } else if (word) {
      word.text += ch;
      word.width += width;
      word.last = cp;
    } else {
      word = { text: ch, width, space: false, first: cp, last: cp };
      atoms.push(word);
    }
  }
  return atoms;
}

/** Splits a word wider than a line into pieces that fit. */
function splitWide(atom: Atom, maxWidth: number, size: number, m: TextMeasurer): Atom[] {
  const pieces: Atom[] = [];
  let piece: Atom | undefined;
  for (const ch of atom.text) {
    const cp = ch.codePointAt(0)!;
    const width = m.advance(cp) * size;
    if (piece && piece.width + width <= maxWidth) {
      piece.text += ch;
      piece.width += width;
      piece.last = cp;
    } else {
      piece = { text: ch, width, space: false, first: cp, last: cp };
      pieces.push(piece);
    }
  }
  return pieces;
}

export interface BreakOptions {
  /** Width of the first line when it differs (e.g. a first-line indent). */
  firstLineWidth?: number;
}

/**
 * Breaks one paragraph (no newlines; already clean) into lines no wider than `maxWidth`:
 * anywhere between CJK characters, at spaces between Latin words, inside a Latin word only when
 * the word is wider than a line. Closing punctuation does not start a line and opening
 * brackets do not end one: the character before is carried over instead.
 */
export function breakLines(text: string, maxWidth: number, size: number, m: TextMeasurer, options: BreakOptions = {}): string[] {
  const firstWidth = options.firstLineWidth ?? maxWidth;
  const atoms: Atom[] = [];
  for (const atom of atomize(text, size, m)) {
    if (!atom.space && atom.width > Math.min(maxWidth, firstWidth)) atoms.push(...splitWide(atom, Math.min(maxWidth, firstWidth), size, m));
    else atoms.push(atom);
  }
  const lines: string[] = [];
  let start = 0;
  while (start < atoms.length) {
    while (start < atoms.length && atoms[start]!.space && lines.length > 0) start++;
    if (start >= atoms.length) break;
    const limit = lines.length === 0 ? firstWidth : maxWidth;
    let end = start;
    let width = 0;
    while (end < atoms.length && (width + atoms[end]!.width <= limit + 1e-6 || atoms[end]!.space || end === start)) {
      width += atoms[end]!.width;
      end++;
    }
    if (end < atoms.length) {
      // Kinsoku: carry characters over rather than start a line with closing punctuation
      // or end one with an opening bracket (at most a few, and never the whole line).
      let adjusted = end;
      for (let guard = 0; guard < 3 && adjusted - 1 > start; guard++) {
        const next = atoms[adjusted]!;
        const prev = atoms[adjusted - 1]!;
        if ((!next.space && NO_LINE_START.has(next.first)) || (!prev.space && NO_LINE_END.has(prev.last))) adjusted--;
        else break;
      }
      end = adjusted;
    }
    lines.push(
      atoms
        .slice(start, end)
        .map((a) => a.text)
        .join('')
        .trimEnd(),
    );
    start = end;
  }
  return lines.length > 0 ? lines : [''];
}

/** Paragraphs of a text: split at \n, \r\n or \r. */
export function splitParagraphs(text: string): string[] {
  return text.split(/\r\n?|\n/);
}

// ---------------------------------------------------------------------------------------
// Pages and drawing operations
// ---------------------------------------------------------------------------------------

/** A4 in points. */
export const A4 = { width: 595.28, height: 841.89 } as const;

export interface PageGeometry {
  width: number;
  height: number;
  top: number;
  bottom: number;
  left: number;
  right: number;
}

export const DEFAULT_GEOMETRY: PageGeometry = { ...A4, top: 78, bottom: 72, left: 70, right: 66 };

/** Gray level 0 (black) … 1 (white). */
export type Gray = number;

export type DrawOp =
  | { kind: 'text'; x: number; y: number; size: number; text: string; bold?: boolean; gray?: Gray }
  | { kind: 'line'; x1: number; y1: number; x2: number; y2: number; width: number; gray: Gray }
  | { kind: 'rect'; x: number; y: number; width: number; height: number; fill: Gray }
  | { kind: 'image'; image: number; x: number; y: number; width: number; height: number };

export interface ComposedDocument {
  pages: DrawOp[][];
  /** PNG images referenced by `image` operations, by index. */
  images: Uint8Array[];
}

export type Align = 'left' | 'center' | 'right';

export interface ParagraphStyle {
  size: number;
  lineHeight: number;
  /** First-line indent in ems of `size` (Chinese paragraphs: 2). */
  indent?: number;
  align?: Align;
  spaceBefore?: number;
  spaceAfter?: number;
  bold?: boolean;
  gray?: Gray;
}

export interface TableRow {
  label: string;
  value: string;
  /** An image shown under the value text (index from `Composer.addImage`), in points. */
  image?: { index: number; width: number; height: number };
}

export interface TableStyle {
  size: number;
  lineHeight: number;
  labelWidth: number;
  padding?: number;
}

/** Lays content out top to bottom, starting new pages as needed. */
export class Composer {
  readonly pages: DrawOp[][] = [[]];
  readonly images: Uint8Array[] = [];
  /** Top of the free space on the current page (PDF coordinates, from the bottom). */
  y: number;

  readonly m: TextMeasurer;
  readonly geometry: PageGeometry;

  constructor(
    m: TextMeasurer,
    geometry: PageGeometry = DEFAULT_GEOMETRY,
  ) {
    this.m = m;
    this.geometry = geometry;
    this.y = geometry.height - geometry.top;
  }

  get contentWidth(): number {
    return this.geometry.width - this.geometry.left - this.geometry.right;
  }

  get page(): DrawOp[] {
    return this.pages[this.pages.length - 1]!;
  }

  get remaining(): number {
    return this.y - this.geometry.bottom;
  }

  get atPageTop(): boolean {
    return this.y >= this.geometry.height - this.geometry.top - 1e-6;
  }

  newPage(): void {
    this.pages.push([]);
    this.y = this.geometry.height - this.geometry.top;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensure(height: number): void {
    if (height > this.remaining && !this.atPageTop) this.newPage();
  }

  gap(height: number): void {
    if (this.atPageTop) return;
    this.y -= Math.min(height, this.remaining);
  }

  /** Registers a PNG for `image` operations; the same bytes object is embedded once. */
  addImage(png: Uint8Array): number {
    const known = this.images.indexOf(png);
    if (known >= 0) return known;
    this.images.push(png);
    return this.images.length - 1;
  }

  composed(): ComposedDocument {
    return { pages: this.pages, images: this.images };
  }

  /** Baseline for a line box whose top is at `top`. */
  baseline(top: number, size: number, lineHeight: number): number {
    const ascent = this.m.fonts.body.ascent;
    const descent = this.m.fonts.body.descent;
    return top - (lineHeight - (ascent - descent) * size) / 2 - ascent * size;
  }

  /** A text line drawn at a baseline, aligned within [x, x + width]. */
  textLine(text: string, x: number, baseline: number, width: number, style: ParagraphStyle): void {
    const size = style.size;
    const lineWidth = this.m.width(text, size);
    const align = style.align ?? 'left';
    const dx = align === 'center' ? (width - lineWidth) / 2 : align === 'right' ? width - lineWidth : 0;
    if (text.length === 0) return;
    this.page.push({ kind: 'text', x: x + dx, y: baseline, size, text, bold: style.bold, gray: style.gray });
  }

  /** Paragraphs separated by \n, each broken into lines; lines flow onto new pages. */
  paragraph(text: string, style: ParagraphStyle, x = this.geometry.left, width = this.contentWidth): void {
    for (const raw of splitParagraphs(text)) {
      const body = this.m.clean(raw).trim();
      if (body.length === 0) {
        this.gap(style.lineHeight / 2);
        continue;
      }
      if (style.spaceBefore) this.gap(style.spaceBefore);
      const indent = (style.indent ?? 0) * style.size;
      const lines = breakLines(body, width, style.size, this.m, { firstLineWidth: width - indent });
      lines.forEach((line, i) => {
        this.ensure(style.lineHeight);
        const lx = i === 0 ? x + indent : x;
        this.textLine(line, lx, this.baseline(this.y, style.size, style.lineHeight), i === 0 ? width - indent : width, style);
        this.y -= style.lineHeight;
      });
      if (style.spaceAfter) this.gap(style.spaceAfter);
    }
  }

  /**
   * A two-column table (shaded label | value) with thin borders. Rows move to the next page
   * whole when they fit on a page; a taller row is split between pages.
   */
  table(rows: readonly TableRow[], style: TableStyle, x = this.geometry.left, width = this.contentWidth): void {
    const pad = style.padding ?? 4;
    const lh = style.lineHeight;
    const valueX = x + style.labelWidth;
    const valueWidth = width - style.labelWidth;
    for (const row of rows) {
      const labelLines = breakLines(this.m.clean(row.label), style.labelWidth - 2 * pad, style.size, this.m);
      const valueLines = splitParagraphs(row.value).flatMap((p) => breakLines(this.m.clean(p).trim(), valueWidth - 2 * pad, style.size, this.m));
      const textLines = Math.max(labelLines.length, valueLines.length);
      const imageHeight = row.image ? row.image.height + pad : 0;
      this.ensure(textLines * lh + imageHeight + 2 * pad);
      let next = 0;
      let imageDone = !row.image;
      for (;;) {
        const top = this.y;
        const take = Math.min(textLines - next, Math.max(1, Math.floor((this.remaining - 2 * pad) / lh)));
        const ops: DrawOp[] = [];
        let cursor = top - pad;
        for (let i = next; i < next + take; i++) {
          const baseline = this.baseline(cursor, style.size, lh);
          const label = labelLines[i];
          const value = valueLines[i];
          if (label) ops.push({ kind: 'text', x: x + pad, y: baseline, size: style.size, text: label });
          if (value) ops.push({ kind: 'text', x: valueX + pad, y: baseline, size: style.size, text: value });
          cursor -= lh;
        }
        next += take;
        if (row.image && !imageDone && next >= textLines && (cursor - imageHeight - pad >= this.geometry.bottom || take === 0)) {
          cursor -= pad;
          const { index, width: w, height: h } = row.image;
          ops.push({ kind: 'image', image: index, x: valueX + pad, y: cursor - h, width: w, height: h });
          cursor -= h;
          imageDone = true;
        }
        const bottom = cursor - pad;
        const g = 0.35;
        const w = 0.6;
        this.page.push(
          { kind: 'rect', x, y: bottom, width: style.labelWidth, height: top - bottom, fill: 0.94 },
          ...ops,
          { kind: 'line', x1: x, y1: top, x2: x + width, y2: top, width: w, gray: g },
          { kind: 'line', x1: x, y1: bottom, x2: x + width, y2: bottom, width: w, gray: g },
          { kind: 'line', x1: x, y1: top, x2: x, y2: bottom, width: w, gray: g },
          { kind: 'line', x1: valueX, y1: top, x2: valueX, y2: bottom, width: w, gray: g },
          { kind: 'line', x1: x + width, y1: top, x2: x + width, y2: bottom, width: w, gray: g },
        );
        this.y = bottom;
        if (next >= textLines && imageDone) break;
        this.newPage();
      }
    }
  }

  /** Draws a block of known height at the cursor, moving to a new page first if needed. */
  block(height: number, draw: (top: number, page: DrawOp[]) => void): void {
    this.ensure(height);
    draw(this.y, this.page);
    this.y -= height;
  }
}

/** Every distinct character drawn with each font role in a composed document. */
export function charactersByRole(doc: ComposedDocument, m: TextMeasurer, extra: readonly string[] = []): Record<FontRole, Set<string>> {
  const sets: Record<FontRole, Set<string>> = { body: new Set(), fallback: new Set() };
  const add = (text: string) => {
    for (const run of m.runs(text)) for (const ch of run.text) sets[run.role].add(ch);
  };
  for (const page of doc.pages) for (const op of page) if (op.kind === 'text') add(op.text);
  extra.forEach(add);
  return sets;
}
