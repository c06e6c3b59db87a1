// Turns composed pages (text-layout.ts) into a PDF with pdf-lib: subset-embedded CJK fonts with
// deterministic subset tags, running header and footer, fixed metadata. The same input always
// gives the same bytes (pdf-lib's own "random" suffixes come from a fixed-seed generator, and
// every date and name is set from the input).
import { createHash } from 'node:crypto';
import {
  PDFDocument,
  type PDFFont,
  type PDFImage,
  type PDFPage,
  grayscale,
  pushGraphicsState,
  popGraphicsState,
  setLineWidth,
  setTextRenderingMode,
  TextRenderingMode,
} from 'pdf-lib';
import { cachingFontkit, type FontRole } from './fonts.ts';
import { charactersByRole, type ComposedDocument, type DrawOp, type PageGeometry, DEFAULT_GEOMETRY, type TextMeasurer } from './text-layout.ts';

export const PDF_PRODUCER = 'Haiqiao 海桥 documents (pdf-lib)';
export const PDF_CREATOR = 'Haiqiao 海桥 云调解平台';

export interface PdfMetadata {
  title: string;
  author: string;
  subject: string;
  keywords?: string[];
  /** Creation and modification date (an input, so output stays deterministic). */
  date: Date;
}

export interface RunningText {
  /** Header: left and right text above a thin rule (omitted when both are empty). */
  headerLeft?: string;
  headerRight?: string;
  /** Footer left text (e.g. the version); the centre shows "第 N 页 共 M 页". */
  footerLeft?: string;
}

export interface RenderPdfOptions {
  metadata: PdfMetadata;
  running: RunningText;
  geometry?: PageGeometry;
  /** Render only the first `pageLimit` pages (page numbers still count all pages). */
  pageLimit?: number;
  /** Last-minute changes before saving (e.g. a signature placeholder). */
  beforeSave?: (doc: PDFDocument) => void;
}

const HEADER_SIZE = 9;
const FOOTER_SIZE = 9;

/** "第 N 页 共 M 页" */
export function pageLabel(n: number, total: number): string {
  return `第 ${n} 页 共 ${total} 页`;
}

/** Renders a composed document (all pages, or the first `pageLimit`) to PDF bytes. */
export async function renderComposedPdf(doc: ComposedDocument, m: TextMeasurer, options: RenderPdfOptions): Promise<Uint8Array> {
  const geometry = options.geometry ?? DEFAULT_GEOMETRY;
  const total = doc.pages.length;
  const running = options.running;
  const footerText = (n: number) => pageLabel(n, total);

  // Subset tags come from the whole document's characters (header and footer included), so a
  // partial rendering (pageLimit) names its fonts exactly as the full one does.
  const extra = [running.headerLeft ?? '', running.headerRight ?? '', running.footerLeft ?? '', ...doc.pages.map((_, i) => footerText(i + 1))];
  const chars = charactersByRole(doc, m, extra);

  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.registerFontkit(cachingFontkit as unknown as Parameters<PDFDocument['registerFontkit']>[0]);
  const { metadata } = options;
  pdf.setTitle(metadata.title);
  pdf.setAuthor(metadata.author);
  pdf.setSubject(metadata.subject);
  if (metadata.keywords) pdf.setKeywords(metadata.keywords);
  pdf.setProducer(PDF_PRODUCER);
  pdf.setCreator(PDF_CREATOR);
  pdf.setCreationDate(metadata.date);
  pdf.setModificationDate(metadata.date);
  pdf.setLanguage('zh-CN');

  const pages = doc.pages.slice(0, options.pageLimit ?? total);
  const fonts = new Map<FontRole, PDFFont>();
  const font = async (role: FontRole): Promise<PDFFont> => {
    let embedded = fonts.get(role);
    if (!embedded) {
      const face = m.face(role);
      embedded = await pdf.embedFont(face.bytes, { subset: true, customName: `${subsetTag(role, chars[role])}+${face.postscriptName}` });
      fonts.set(role, embedded);
    }
    return embedded;
  };
  const images = new Map<number, PDFImage>();
  const image = async (index: number): Promise<PDFImage> => {
    let embedded = images.get(index);
    if (!embedded) {
      embedded = await pdf.embedPng(doc.images[index]!);
      images.set(index, embedded);
    }
    return embedded;
  };

  for (let i = 0; i < pages.length; i++) {
    const page = pdf.addPage([geometry.width, geometry.height]);
    const ops: DrawOp[] = [...runningOps(i + 1, total, running, geometry, m), ...pages[i]!];
    for (const op of ops) await draw(page, op, m, font, image);
  }
  options.beforeSave?.(pdf);
  return pdf.save({ useObjectStreams: true });
}

function runningOps(n: number, total: number, running: RunningText, g: PageGeometry, m: TextMeasurer): DrawOp[] {
  const ops: DrawOp[] = [];
  const headerBaseline = g.height - g.top + 22;
  const left = m.clean(running.headerLeft ?? '');
  const right = m.clean(running.headerRight ?? '');
  if (left || right) {
    if (left) ops.push({ kind: 'text', x: g.left, y: headerBaseline, size: HEADER_SIZE, text: left, gray: 0.25 });
    if (right) ops.push({ kind: 'text', x: g.width - g.right - m.width(right, HEADER_SIZE), y: headerBaseline, size: HEADER_SIZE, text: right, gray: 0.25 });
    ops.push({ kind: 'line', x1: g.left, y1: headerBaseline - 6, x2: g.width - g.right, y2: headerBaseline - 6, width: 0.5, gray: 0.4 });
  }
  const footerBaseline = g.bottom - 30;
  const label = pageLabel(n, total);
  ops.push({ kind: 'text', x: (g.width - m.width(label, FOOTER_SIZE)) / 2, y: footerBaseline, size: FOOTER_SIZE, text: label, gray: 0.25 });
  const footerLeft = m.clean(running.footerLeft ?? '');
  if (footerLeft) ops.push({ kind: 'text', x: g.left, y: footerBaseline, size: FOOTER_SIZE - 1.5, text: footerLeft, gray: 0.45 });
  return ops;
}

async function draw(
  page: PDFPage,
  op: DrawOp,
  m: TextMeasurer,
  font: (role: FontRole) => Promise<PDFFont>,
  image: (index: number) => Promise<PDFImage>,
): Promise<void> {
  switch (op.kind) {
    case 'text': {
      const color = grayscale(op.gray ?? 0);
      if (op.bold) {
        // Song has no bold face: fill and stroke the outlines (a common "faux bold").
        page.pushOperators(pushGraphicsState(), setTextRenderingMode(TextRenderingMode.FillAndOutline), setLineWidth(op.size * 0.035));
      }
      let x = op.x;
      for (const run of m.runs(op.text)) {
        if (run.text.trim().length > 0) page.drawText(run.text, { x, y: op.y, size: op.size, font: await font(run.role), color });
        x += run.width * op.size;
      }
      if (op.bold) page.pushOperators(popGraphicsState());
      return;
    }
    case 'line':
      page.drawLine({ start: { x: op.x1, y: op.y1 }, end: { x: op.x2, y: op.y2 }, thickness: op.width, color: grayscale(op.gray) });
      return;
    case 'rect':
      page.drawRectangle({ x: op.x, y: op.y, width: op.width, height: op.height, color: grayscale(op.fill) });
      return;
    case 'image':
      page.drawImage(await image(op.image), { x: op.x, y: op.y, width: op.width, height: op.height });
      return;
  }
}

/** Six capital letters derived from the characters a subset holds (PDF 32000 §9.6.4). */
export function subsetTag(role: FontRole, chars: ReadonlySet<string>): string {
  const digest = createHash('sha256')
    .update(role)
    .update([...chars].sort().join(''))
    .digest();
  let tag = '';
  for (let i = 0; i < 6; i++) tag += String.fromCharCode(65 + (digest[i]! % 26));
  return tag;
}
