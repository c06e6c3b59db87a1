import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAgreementPdf } from '../../../server/documents/agreement-pdf.ts';
import { DocumentInputError } from '../../../server/documents/format.ts';
import { PDF_CREATOR, PDF_PRODUCER } from '../../../server/documents/pdf-render.ts';
import { loadOrCreatePlatformCertificate, type PlatformCertificate } from '../../../server/documents/platform-certificate.ts';
import { sealPdf, type SealOptions } from '../../../server/documents/seal-pdf.ts';
import { inspectSignedPdf } from '../../../server/documents/verify-pdf.ts';
import { agreementInput, flipSignedByte, RARE_NAME, sha256, VERSION_HASH } from './fixtures.ts';
import { darkPixels, pageCount, pdffonts, pdfsig, pdftotext, renderGray } from './poppler.ts';

const seal: SealOptions = {
  reason: '调解协议电子签章',
  location: '浙闽海上矛盾纠纷联调中心',
  name: 'Haiqiao 海桥 云调解平台',
  signingTime: new Date('2026-10-08T03:31:00Z'),
};

let dir: string;
let cert: PlatformCertificate;
let unsigned: Uint8Array;
let signed: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-agreement-'));
  cert = await loadOrCreatePlatformCertificate({ dir });
  unsigned = await renderAgreementPdf(agreementInput(), { seal });
  signed = await sealPdf(unsigned, cert, seal);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agreement PDF', () => {
  it('extracts the Chinese names, the rare-character name and the 大写 amount', async () => {
    const text = (await pdftotext(signed)).replace(/\s+/g, '');
    expect(text).toContain('海上纠纷调解协议书');
    expect(text).toContain('陈阿海');
    expect(text).toContain('福鼎远洋运输有限公司');
    expect(text).toContain(RARE_NAME);
    expect(text).toContain('人民币捌拾陆万元整');
    expect(text).toContain('（2026）浙闽海调字第0117号');
  });

  it('renders page 1 with visible text (pixels, not only extractable text)', async () => {
    const img = await renderGray(signed, 1, 50);
    const dark = darkPixels(img, 128);
    // A full page of 12 pt Song text at 50 dpi has several thousand dark pixels; blank glyphs
    // (the CFF subsetting trap) would leave only the table rules.
    expect(dark).toBeGreaterThan(4000);
    // The title band (top 15 % below the header) has ink too.
    expect(darkPixels(img, 128, { x: 0, y: Math.round(img.height * 0.08), width: img.width, height: Math.round(img.height * 0.07) })).toBeGreaterThan(300);
  });

  it('embeds every font as a subset', async () => {
    const { raw, fonts } = await pdffonts(signed);
    expect(fonts.length).toBe(2); // Song body + fallback (for 堃)
    for (const f of fonts) {
      expect(f.embedded, raw).toBe(true);
      expect(f.subset, raw).toBe(true);
      expect(f.unicode, raw).toBe(true);
      expect(f.name).toMatch(/^[A-Z]{6}\+/);
    }
    expect(fonts.map((f) => f.name.split('+')[1]).sort()).toEqual(['BousungEG-Light-GB', 'DroidSansFallback']);
  });

  it('has A4 pages numbered 第 N 页 共 M 页 with the case number in the header', async () => {
    const pages = await pageCount(signed);
    expect(pages).toBeGreaterThanOrEqual(3);
    const first = await pdftotext(signed, { first: 1, last: 1 });
    expect(first).toContain(`第 1 页 共 ${pages} 页`);
    expect(first).toContain('案号：（2026）浙闽海调字第0117号');
    const last = await pdftotext(signed, { first: pages, last: pages });
    expect(last).toContain(`第 ${pages} 页 共 ${pages} 页`);
  });

  it('ends with a certificate page listing each signature’s evidence and the document digests', async () => {
    const pages = await pageCount(signed);
    const contentOnly = await renderAgreementPdf(agreementInput(), { certificatePage: false });
    const contentPages = await pageCount(contentOnly);
    expect(contentPages).toBeLessThan(pages);
    const certText = await pdftotext(signed, { first: contentPages + 1, last: pages });
    const flat = certText.replace(/\s+/g, '');
    expect(flat).toContain('签署证明页');
    const input = agreementInput();
    for (const s of input.signatures) {
      expect(flat).toContain(s.ip);
      expect(flat).toContain(s.imageSha256);
      expect(flat).toContain(s.identityMethod);
      expect(flat).toContain(s.signerName);
      expect(flat).toContain(s.partyName);
    }
    expect(flat).toContain('2026年10月8日11:21:40（北京时间）'); // 03:21:40Z in Beijing time
    expect(flat).toContain(VERSION_HASH);
    // The user agent is wrapped, not cut.
    expect(flat).toContain(input.signatures[0]!.userAgent.replace(/\s+/g, ''));
    // The content digest is the SHA-256 of the content pages rendered alone.
    expect(flat).toContain(sha256(contentOnly));
    // The content pages are the same pages as in the full document.
    expect(await pdftotext(contentOnly)).toBe(await pdftotext(signed, { first: 1, last: contentPages }));
  });

  it('is sealed: pdfsig reports the signature valid (the self-signed issuer is unknown)', async () => {
    const out = await pdfsig(signed);
    expect(out).toContain('Signature is Valid.');
    expect(out).toContain('Total document signed');
    expect(out).toContain('ETSI.CAdES.detached');
    expect(out).toContain('Haiqiao 海桥 云调解平台');
    expect(out).toMatch(/Certificate Validation: Certificate issuer is unknown/);
    const inspection = inspectSignedPdf(signed);
    expect(inspection).toMatchObject({
      signed: true,
      intact: true,
      coversWholeFile: true,
      certificateFingerprintSha256: cert.fingerprintSha256,
      signingTime: '2026-10-08T03:31:00.000Z',
    });
  });

  it('detects a one-byte change inside the signed range', async () => {
    const tampered = flipSignedByte(signed);
    const out = await pdfsig(tampered);
    expect(out).not.toContain('Signature is Valid.');
    expect(out).toMatch(/Digest Mismatch|invalid/i);
    const inspection = inspectSignedPdf(tampered);
    expect(inspection.signed).toBe(true);
    expect(inspection.intact).toBe(false);
    expect(inspection.problem).toMatch(/digest/);
  });

  it('is deterministic: the same input gives byte-identical output', async () => {
    const again = await renderAgreementPdf(agreementInput(), { seal });
    expect(Buffer.from(again).equals(Buffer.from(unsigned))).toBe(true);
    const plain1 = await renderAgreementPdf(agreementInput());
    const plain2 = await renderAgreementPdf(agreementInput());
    expect(Buffer.from(plain1).equals(Buffer.from(plain2))).toBe(true);
    // RSA PKCS#1 v1.5 is deterministic and the signing time is an input: sealing is too.
    expect(Buffer.from(await sealPdf(again, cert, seal)).equals(Buffer.from(signed))).toBe(true);
    // Concurrent renders share the parsed fonts and still give the same bytes.
    const concurrent = await Promise.all([1, 2, 3].map(() => renderAgreementPdf(agreementInput())));
    for (const pdf of concurrent) expect(Buffer.from(pdf).equals(Buffer.from(plain1))).toBe(true);
    // Time is an input: another generatedAt gives another document.
    const later = await renderAgreementPdf(agreementInput({ generatedAt: '2026-10-09T00:00:00Z' }));
    expect(Buffer.from(later).equals(Buffer.from(plain1))).toBe(false);
  });

  it('is deterministic across processes', async () => {
    const script = fileURLToPath(new URL('./render-sample-cli.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 60_000 });
    const other = JSON.parse(stdout) as { agreement: string; ruling: string };
    expect(other.agreement).toBe(sha256(await renderAgreementPdf(agreementInput())));
  });

  it('keeps metadata fixed: dates from generatedAt, fixed producer and creator', async () => {
    const doc = await PDFDocument.load(unsigned, { updateMetadata: false });
    expect(doc.getCreationDate()?.toISOString()).toBe('2026-10-08T03:30:00.000Z');
    expect(doc.getModificationDate()?.toISOString()).toBe('2026-10-08T03:30:00.000Z');
    expect(doc.getProducer()).toBe(PDF_PRODUCER);
    expect(doc.getCreator()).toBe(PDF_CREATOR);
    expect(doc.getTitle()).toBe('海上纠纷调解协议书（（2026）浙闽海调字第0117号）');
    // No random file identifier.
    expect(Buffer.from(unsigned).toString('latin1')).not.toMatch(/\/ID\s*\[/);
  });

  it('refuses signatures bound to another version or with a wrong image digest', async () => {
    const input = agreementInput();
    const otherVersion = { ...input, signatures: [{ ...input.signatures[0]!, versionHash: sha256('other') }] };
    await expect(renderAgreementPdf(otherVersion)).rejects.toThrow(DocumentInputError);
    const badImage = { ...input, signatures: [{ ...input.signatures[0]!, imageSha256: sha256('x') }] };
    await expect(renderAgreementPdf(badImage)).rejects.toThrow(/imageSha256/);
    await expect(renderAgreementPdf({ ...input, generatedAt: 'yesterday' })).rejects.toThrow(/generatedAt/);
  });

  it('lays out a long agreement over several pages', async () => {
    const long = await renderAgreementPdf(agreementInput({}, 40));
    const pages = await pageCount(long);
    expect(pages).toBeGreaterThan(5);
    const text = (await pdftotext(long)).replace(/\s+/g, '');
    expect(text).toContain('附40');
    expect(text).toContain(`第${pages}页共${pages}页`);
  });
});
