// The civil ruling (民事裁定书) confirming or rejecting a mediation agreement, laid out like a
// Chinese court document: court name, title, ruling number, applicants, a reference to the
// agreement (case number and version digest), the decision text, judge, date and clerk.
import { loadCjkFonts } from './fonts.ts';
import { chineseDate, DocumentInputError, parseInstant } from './format.ts';
import { renderComposedPdf } from './pdf-render.ts';
import { addSealPlaceholder, type SealCertificateFacts, type SealOptions } from './seal-pdf.ts';
import { Composer, TextMeasurer } from './text-layout.ts';

export interface RulingApplicant {
  name: string;
  /** e.g. "男，1971年3月出生，汉族，住……" (already masked as the court requires). */
  description?: string;
  /** Label before the name (default 申请人). */
  label?: string;
}

export interface RulingDocumentInput {
  /** e.g. 宁波海事法院 */
  courtName: string;
  /** Default 民事裁定书 */
  title?: string;
  /** e.g. （2026）浙72民特341号 */
  rulingNumber: string;
  applicants: RulingApplicant[];
  agreement: {
    caseNumber: string;
    /** SHA-256 (hex) of the agreement version the ruling is about. */
    versionHash: string;
    title?: string;
    centerName?: string;
  };
  /** The reasoning and decision, paragraphs separated by \n (supplied by the caller). */
  text: string;
  judgeName: string;
  /** Default 审判员 */
  judgeTitle?: string;
  clerkName: string;
  /** The ruling date: "YYYY-MM-DD" or an ISO date-time (Beijing date is used). */
  date: string;
  /** ISO date-time; the PDF's creation date. */
  generatedAt: string;
  /** The court's sealing certificate, noted under the signature lines. */
  sealCertificate?: SealCertificateFacts;
}

export interface RenderRulingOptions {
  /** Add a signature placeholder (for `sealPdf`) in the same pdf-lib pass. */
  seal?: SealOptions;
}

const BODY = { size: 14, lineHeight: 26 };

/** Renders the ruling. Same input → byte-identical output. */
export async function renderRulingPdf(input: RulingDocumentInput, options: RenderRulingOptions = {}): Promise<Uint8Array> {
  const generatedAt = parseInstant(input.generatedAt, 'generatedAt');
  if (!/^[0-9a-f]{64}$/i.test(input.agreement.versionHash)) throw new DocumentInputError('agreement.versionHash must be a SHA-256 hex digest');
  if (input.applicants.length === 0) throw new DocumentInputError('a ruling needs at least one applicant');
  const dateText = chineseDate(input.date);
  const title = input.title ?? '民事裁定书';

  const m = new TextMeasurer(await loadCjkFonts());
  const c = new Composer(m);
  c.gap(6);
  c.paragraph(input.courtName, { size: 20, lineHeight: 32, align: 'center', bold: true });
  c.paragraph(spaced(title), { size: 24, lineHeight: 40, align: 'center', bold: true });
  c.gap(4);
  c.paragraph(input.rulingNumber, { ...BODY, align: 'right' });
  c.gap(8);
  for (const applicant of input.applicants) {
    c.paragraph(`${applicant.label ?? '申请人'}：${applicant.name}${applicant.description ? `，${applicant.description}` : ''}`, { ...BODY, indent: 2 });
  }
  c.gap(6);
  const agreementTitle = input.agreement.title ?? '调解协议';
  c.paragraph(
    `涉及调解协议：${input.agreement.centerName ? `${input.agreement.centerName}` : ''}${agreementTitle}，案号${input.agreement.caseNumber}，` +
      `协议版本摘要（SHA-256）${input.agreement.versionHash.toLowerCase()}。`,
    { size: 11, lineHeight: 19, indent: 2, gray: 0.2 },
  );
  c.gap(6);
  c.paragraph(input.text, { ...BODY, indent: 2 });
  c.gap(30);

  // Signature lines at the right: judge, date, clerk (the court seal goes over the date).
  const right = { ...BODY, align: 'right' as const };
  const lines = [
    `${spaced(input.judgeTitle ?? '审判员')}　${input.judgeName}`,
    '',
    dateText,
    '',
    `${spaced('书记员')}　${input.clerkName}`,
  ];
  c.block(lines.length * BODY.lineHeight, (top) => {
    lines.forEach((line, i) => {
      if (line) c.textLine(m.clean(line), c.geometry.left, c.baseline(top - i * BODY.lineHeight, BODY.size, BODY.lineHeight), c.contentWidth - 28, right);
    });
  });

  if (input.sealCertificate) {
    const cert = input.sealCertificate;
    c.gap(6);
    c.paragraph(
      `本裁定书由${cert.holder}以其数字证书电子签章，证书指纹（SHA-256）${cert.fingerprintSha256.toLowerCase()}。` +
        (cert.test ? '该证书为测试证书（自签名，仅供试用，不作正式文书使用）TEST CERTIFICATE。' : ''),
      { size: 8, lineHeight: 12, gray: 0.3, indent: 2 },
    );
  }

  const seal = options.seal;
  return renderComposedPdf(c.composed(), m, {
    metadata: {
      title: `${input.courtName} ${title} ${input.rulingNumber}`,
      author: input.courtName,
      subject: `${title}（调解协议 ${input.agreement.caseNumber}）`,
      keywords: [input.rulingNumber, input.agreement.caseNumber, input.agreement.versionHash],
      date: generatedAt,
    },
    running: { headerLeft: input.courtName, headerRight: input.rulingNumber },
    ...(seal ? { beforeSave: (doc) => addSealPlaceholder(doc, seal) } : {}),
  });
}

/** "书记员" → "书 记 员": court documents space out short titles. */
function spaced(text: string): string {
  return [...text].length <= 5 ? [...text].join(' ') : text;
}
