import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chineseDate } from '../../../server/documents/format.ts';
import { loadOrCreatePlatformCertificate, type PlatformCertificate } from '../../../server/documents/platform-certificate.ts';
import { renderRulingPdf } from '../../../server/documents/ruling-pdf.ts';
import { sealPdf, type SealOptions } from '../../../server/documents/seal-pdf.ts';
import { inspectSignedPdf } from '../../../server/documents/verify-pdf.ts';
import { flipSignedByte, RARE_NAME, rulingInput, VERSION_HASH } from './fixtures.ts';
import { darkPixels, pdffonts, pdfsig, pdftotext, renderGray } from './poppler.ts';

const seal: SealOptions = {
  reason: '民事裁定书电子签章',
  location: '宁波海事法院',
  name: 'Haiqiao 海桥 云调解平台',
  signingTime: new Date('2026-10-20T02:05:00Z'),
};

let dir: string;
let cert: PlatformCertificate;
let unsigned: Uint8Array;
let signed: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-ruling-'));
  cert = await loadOrCreatePlatformCertificate({ dir });
  unsigned = await renderRulingPdf(rulingInput(), { seal });
  signed = await sealPdf(unsigned, cert, seal);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ruling PDF (民事裁定书)', () => {
  it('has the court, ruling number, applicants, agreement reference, decision, judge, clerk and date', async () => {
    const text = (await pdftotext(signed)).replace(/\s+/g, '');
    for (const expected of [
      '宁波海事法院',
      '民事裁定书',
      '（2026）浙72民特341号',
      '申请人：陈阿海',
      '福鼎远洋运输有限公司',
      RARE_NAME,
      '（2026）浙闽海调字第0117号',
      VERSION_HASH,
      '调解协议有效',
      '审判员王海燕',
      '书记员',
      '周启航',
      '二〇二六年十月二十日',
      '第1页共1页',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('renders visible text and embeds subset fonts', async () => {
    const img = await renderGray(signed, 1, 50);
    expect(darkPixels(img, 128)).toBeGreaterThan(3000);
    const { raw, fonts } = await pdffonts(signed);
    expect(fonts.length).toBeGreaterThan(0);
    for (const f of fonts) {
      expect(f.embedded, raw).toBe(true);
      expect(f.subset, raw).toBe(true);
    }
  });

  it('is sealed and tamper-evident', async () => {
    expect(await pdfsig(signed)).toContain('Signature is Valid.');
    expect(inspectSignedPdf(signed)).toMatchObject({ signed: true, intact: true, coversWholeFile: true, certificateFingerprintSha256: cert.fingerprintSha256 });
    const tampered = flipSignedByte(signed);
    expect(await pdfsig(tampered)).not.toContain('Signature is Valid.');
    expect(inspectSignedPdf(tampered).intact).toBe(false);
  });

  it('is deterministic', async () => {
    const again = await renderRulingPdf(rulingInput(), { seal });
    expect(Buffer.from(again).equals(Buffer.from(unsigned))).toBe(true);
  });

  it('writes court dates in Chinese numerals', () => {
    expect(chineseDate('2026-10-20')).toBe('二〇二六年十月二十日');
    expect(chineseDate('2030-01-01')).toBe('二〇三〇年一月一日');
    expect(chineseDate('2026-12-31T17:00:00Z')).toBe('二〇二七年一月一日'); // Beijing time
    expect(() => chineseDate('2026-02-30')).toThrow();
  });
});
