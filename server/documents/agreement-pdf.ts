// The mediation agreement (调解协议书) as a PDF: title, facts table, the agreement text, the
// signature block, and a final certificate page (签署证明页) with every signature's evidence and
// the document digests. Bytes in, bytes out.
import { loadCjkFonts } from './fonts.ts';
import { beijingDate, beijingDateTime, DocumentInputError, parseInstant, sha256Hex } from './format.ts';
import { renderComposedPdf, type RenderPdfOptions } from './pdf-render.ts';
import { addSealPlaceholder, type SealCertificateFacts, type SealOptions } from './seal-pdf.ts';
import { Composer, type DrawOp, TextMeasurer } from './text-layout.ts';

export interface AgreementFact {
  label: string;
  value: string;
}

export interface AgreementSignatureEvidence {
  signerName: string;
  /** e.g. 当事人, 代理人 */
  signerRole: string;
  /** The party the signer signs for. */
  partyName: string;
  /** ISO date-time. */
  signedAt: string;
  /** e.g. 身份证后四位核验, 调解员口述验证码, 工作人员登录 */
  identityMethod: string;
  ip: string;
  userAgent: string;
  /** SHA-256 (hex) of the agreement version signed; must equal the document's versionHash. */
  versionHash: string;
  /** The handwritten signature, PNG. */
  imagePng: Uint8Array;
  /** SHA-256 (hex) of imagePng; checked. */
  imageSha256: string;
  /** SHA-256 (hex) of the signer's spoken consent recording, when there is one. */
  consentRecordingSha256?: string | null | undefined;
}

export interface AgreementDocumentInput {
  /** e.g. 海上纠纷调解协议书 */
  title: string;
  caseNumber: string;
  centerName: string;
  /** Case and vessel facts, shown as a table. */
  facts: AgreementFact[];
  /** The rendered agreement text; paragraphs separated by \n. */
  text: string;
  signatures: AgreementSignatureEvidence[];
  versionNumber: number;
  /** SHA-256 (hex) of the agreement version. */
  versionHash: string;
  /** ISO date-time; also the PDF's creation date. */
  generatedAt: string;
  /** The certificate that seals the document, printed on the certificate page. */
  sealCertificate?: SealCertificateFacts;
}

export interface RenderAgreementOptions {
  /** Add a signature placeholder (for `sealPdf`) in the same pdf-lib pass. */
  seal?: SealOptions;
  /**
   * false: only the content pages (no certificate page), exactly as they appear in the full
   * document; the certificate page shows the SHA-256 of these bytes.
   */
  certificatePage?: boolean;
}

const BODY = { size: 12, lineHeight: 22 };
const TABLE = { size: 10.5, lineHeight: 16 };
const SIGNATURE_IMAGE = { width: 150, height: 52 };

/** Renders the agreement. Same input → byte-identical output. */
export async function renderAgreementPdf(input: AgreementDocumentInput, options: RenderAgreementOptions = {}): Promise<Uint8Array> {
  validate(input);
  const m = new TextMeasurer(await loadCjkFonts());
  const content = composeContent(input, m);
  const contentPages = content.pages.length;

  // The certificate page shows the digest of the content pages, which depends on the total page
  // count (page footers): lay the certificate out once with a stand-in digest of the same
  // length to learn its page count, then again with the real one.
  const standIn = composeWithCertificate(input, m, '0'.repeat(64), contentPages);
  const renderOptions = (extra: Partial<RenderPdfOptions>): RenderPdfOptions => ({
    metadata: {
      title: `${input.title}（${input.caseNumber}）`,
      author: input.centerName,
      subject: `${input.title} 第 ${input.versionNumber} 版`,
      keywords: [input.caseNumber, input.versionHash],
      date: parseInstant(input.generatedAt, 'generatedAt'),
    },
    running: {
      headerLeft: input.centerName,
      headerRight: `案号：${input.caseNumber}`,
      footerLeft: `第 ${input.versionNumber} 版 · ${input.versionHash.slice(0, 16)}`,
    },
    ...extra,
  });
  const contentPdf = await renderComposedPdf(standIn.composed(), m, renderOptions({ pageLimit: contentPages }));
  if (options.certificatePage === false) return contentPdf;

  const full = composeWithCertificate(input, m, sha256Hex(contentPdf), contentPages);
  if (full.pages.length !== standIn.pages.length) throw new Error('certificate layout changed with the digest'); // cannot happen: fixed-length digest
  const seal = options.seal;
  return renderComposedPdf(full.composed(), m, renderOptions(seal ? { beforeSave: (doc) => addSealPlaceholder(doc, seal) } : {}));
}

function validate(input: AgreementDocumentInput): void {
  parseInstant(input.generatedAt, 'generatedAt');
  if (!/^[0-9a-f]{64}$/i.test(input.versionHash)) throw new DocumentInputError('versionHash must be a SHA-256 hex digest');
  if (input.signatures.length === 0) throw new DocumentInputError('an agreement document needs at least one signature');
  input.signatures.forEach((s, i) => {
    parseInstant(s.signedAt, `signatures[${i}].signedAt`);
    if (s.versionHash.toLowerCase() !== input.versionHash.toLowerCase()) {
      throw new DocumentInputError(`signatures[${i}] is bound to version ${s.versionHash}, not to this version ${input.versionHash}`);
    }
    if (s.consentRecordingSha256 && !/^[0-9a-f]{64}$/i.test(s.consentRecordingSha256)) throw new DocumentInputError(`signatures[${i}].consentRecordingSha256 must be a SHA-256 hex digest`);
    if (sha256Hex(s.imagePng) !== s.imageSha256.toLowerCase()) {
      throw new DocumentInputError(`signatures[${i}].imageSha256 does not match the image`);
    }
    if (!isPng(s.imagePng)) throw new DocumentInputError(`signatures[${i}].imagePng is not a PNG`);
  });
}

function isPng(bytes: Uint8Array): boolean {
  const magic = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length > 8 && magic.every((b, i) => bytes[i] === b);
}

function composeContent(input: AgreementDocumentInput, m: TextMeasurer): Composer {
  const c = new Composer(m);
  // Title and case number.
  c.paragraph(input.title, { size: 22, lineHeight: 34, align: 'center', bold: true });
  c.paragraph(`案号：${input.caseNumber}`, { size: 10.5, lineHeight: 18, align: 'center', gray: 0.2 });
  c.gap(10);

  if (input.facts.length > 0) {
    c.paragraph('案件及船舶基本情况', { size: 12, lineHeight: 22, bold: true });
    c.table(
      input.facts.map((f) => ({ label: f.label, value: f.value })),
      { ...TABLE, labelWidth: 118 },
    );
    c.gap(14);
  }

  c.paragraph(input.text, { ...BODY, indent: 2 });
  c.gap(16);
  signatureBlock(c, input);
  c.gap(8);
  c.paragraph(`本协议版本：第 ${input.versionNumber} 版　版本摘要（SHA-256）：${input.versionHash}`, { size: 8.5, lineHeight: 13, gray: 0.3 });
  return c;
}

/** Two signatures per row: party, signature image, signer and date. */
function signatureBlock(c: Composer, input: AgreementDocumentInput): void {
  c.ensure(22 + 120);
  c.paragraph('各方签署', { size: 12, lineHeight: 22, bold: true });
  const columns = 2;
  const gutter = 16;
  const cellWidth = (c.contentWidth - gutter * (columns - 1)) / columns;
  const cellHeight = 118;
  const small = { size: 10.5, lineHeight: 16 };
  for (let row = 0; row < input.signatures.length; row += columns) {
    c.block(cellHeight + 8, (top, page) => {
      input.signatures.slice(row, row + columns).forEach((s, col) => {
        const x = c.geometry.left + col * (cellWidth + gutter);
        const cell: DrawOp[] = [];
        let y = top;
        const line = (text: string) => {
          const clean = c.m.clean(text);
          if (clean) cell.push({ kind: 'text', x, y: c.baseline(y, small.size, small.lineHeight), size: small.size, text: fitLine(c, clean, cellWidth, small.size) });
          y -= small.lineHeight;
        };
        line(`${s.partyName}（${s.signerRole}）`);
        const image = c.addImage(s.imagePng);
        const { width, height } = fitImage(s.imagePng, SIGNATURE_IMAGE.width, SIGNATURE_IMAGE.height);
        cell.push({ kind: 'image', image, x, y: y - 4 - height, width, height });
        cell.push({ kind: 'line', x1: x, y1: y - 4 - SIGNATURE_IMAGE.height - 2, x2: x + cellWidth - 10, y2: y - 4 - SIGNATURE_IMAGE.height - 2, width: 0.5, gray: 0.5 });
        y -= SIGNATURE_IMAGE.height + 10;
        line(`签署人：${s.signerName}`);
        line(`日期：${beijingDate(s.signedAt)}`);
        page.push(...cell);
      });
    });
  }
}

/** Shortens a single line with "…" when it is wider than `width`. */
function fitLine(c: Composer, text: string, width: number, size: number): string {
  if (c.m.width(text, size) <= width) return text;
  const chars = [...text];
  while (chars.length > 1 && c.m.width(`${chars.join('')}…`, size) > width) chars.pop();
  return `${chars.join('')}…`;
}

/** Scales PNG dimensions (from its IHDR) to fit a box, keeping the aspect ratio. */
export function fitImage(png: Uint8Array, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const w = view.getUint32(16);
  const h = view.getUint32(20);
  if (!w || !h) throw new DocumentInputError('PNG has no dimensions');
  const scale = Math.min(maxWidth / w, maxHeight / h);
  return { width: w * scale, height: h * scale };
}

function composeWithCertificate(input: AgreementDocumentInput, m: TextMeasurer, contentDigest: string, contentPages: number): Composer {
  const c = composeContent(input, m);
  c.newPage();
  c.paragraph('签署证明页', { size: 18, lineHeight: 28, align: 'center', bold: true });
  c.paragraph('Signing certificate', { size: 9, lineHeight: 13, align: 'center', gray: 0.35 });
  c.gap(4);
  const table = { size: 9, lineHeight: 12, labelWidth: 112, padding: 2.5 };
  c.paragraph('文书信息', { size: 10.5, lineHeight: 18, bold: true });
  c.table(
    [
      { label: '文书名称', value: input.title },
      { label: '案号', value: input.caseNumber },
      { label: '调解机构', value: input.centerName },
      { label: '协议版本', value: `第 ${input.versionNumber} 版` },
      { label: '协议版本摘要（SHA-256）', value: input.versionHash.toLowerCase() },
      { label: `内容页摘要（SHA-256，第 1–${contentPages} 页）`, value: contentDigest },
      { label: '文书生成时间', value: beijingDateTime(input.generatedAt) },
      ...(input.sealCertificate
        ? [
            { label: '签章机构', value: input.sealCertificate.holder },
            { label: '签章证书指纹（SHA-256）', value: input.sealCertificate.fingerprintSha256.toLowerCase() },
            ...(input.sealCertificate.test ? [{ label: '签章证书类型', value: '测试证书（自签名，仅供试用，不作正式文书使用）TEST CERTIFICATE' }] : []),
          ]
        : []),
    ],
    table,
  );
  input.signatures.forEach((s, i) => {
    c.gap(6);
    c.ensure(18 + 10 * (table.lineHeight + 6));
    c.paragraph(`签署记录 ${i + 1}／${input.signatures.length}`, { size: 10.5, lineHeight: 18, bold: true });
    const image = c.addImage(s.imagePng);
    c.table(
      [
        { label: '签署人', value: s.signerName },
        { label: '代表当事人', value: s.partyName },
        { label: '签署身份', value: s.signerRole },
        { label: '身份核验方式', value: s.identityMethod },
        { label: '签署时间', value: beijingDateTime(s.signedAt) },
        { label: 'IP 地址', value: s.ip },
        { label: '终端（User-Agent）', value: s.userAgent },
        { label: '所签协议版本摘要', value: s.versionHash.toLowerCase() },
        { label: '签名图像 SHA-256', value: s.imageSha256.toLowerCase(), image: { index: image, ...fitImage(s.imagePng, 80, 22) } },
        ...(s.consentRecordingSha256 ? [{ label: '口头同意录音 SHA-256', value: s.consentRecordingSha256.toLowerCase() }] : []),
      ],
      table,
    );
  });
  c.gap(8);
  c.paragraph(
    `本证明页由${input.centerName}通过海桥云调解平台生成。签署时间为北京时间（UTC+8）。` +
      `“内容页摘要”为本文书第 1 页至证明页之前各页单独渲染所得 PDF 的 SHA-256；${input.sealCertificate ? input.sealCertificate.holder : '平台'}以其数字证书对本文书全部页面（含本页）进行电子签章，` +
      '签章后对文书的任何改动均可被检测（《中华人民共和国电子签名法》第十三条）。',
    { size: 8, lineHeight: 12, gray: 0.3, indent: 2 },
  );
  return c;
}
