import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GENERATED_P12_FILE,
  GENERATED_PASSPHRASE_FILE,
  loadOrCreatePlatformCertificate,
  openP12,
  PlatformCertificateError,
  type PlatformCertificate,
} from '../../../server/documents/platform-certificate.ts';
import { pdfTextLiteral, SealError, sealPdf, type SealOptions } from '../../../server/documents/seal-pdf.ts';
import { inspectSignedPdf } from '../../../server/documents/verify-pdf.ts';
import { flipSignedByte } from './fixtures.ts';
import { pdfsig } from './poppler.ts';

const seal: SealOptions = {
  reason: '电子签章测试',
  location: '苍南',
  name: 'Haiqiao test',
  signingTime: new Date('2026-11-01T08:00:00Z'),
};

let dir: string;
let cert: PlatformCertificate;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-seal-'));
  cert = await loadOrCreatePlatformCertificate({ dir: path.join(dir, 'keys') });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function plainPdf(text = 'Hello'): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([300, 200]);
  page.drawText(text, { x: 20, y: 100, size: 18, font: await doc.embedFont(StandardFonts.Helvetica) });
  return doc.save();
}

describe('platform certificate', () => {
  it('creates a self-signed RSA-2048 certificate once (files 0600) and reloads the same one', async () => {
    const keys = path.join(dir, 'keys');
    expect((await stat(path.join(keys, GENERATED_P12_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(keys, GENERATED_PASSPHRASE_FILE))).mode & 0o777).toBe(0o600);
    const again = await loadOrCreatePlatformCertificate({ dir: keys });
    expect(again.fingerprintSha256).toBe(cert.fingerprintSha256);
    expect(again.passphrase).toBe(cert.passphrase);
    expect(Buffer.compare(again.p12, cert.p12)).toBe(0);

    const x509 = new X509Certificate(cert.certificatePem);
    expect(x509.subject).toContain('CN=Haiqiao 海桥 云调解平台');
    expect(x509.subject).toContain('O=Haiqiao 海桥');
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const years = (Date.parse(x509.validTo) - Date.parse(x509.validFrom)) / (365.25 * 86400_000);
    expect(years).toBeGreaterThan(9.99);
    expect(years).toBeLessThan(10.01);
    expect(x509.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(cert.fingerprintSha256);
  });

  it('concurrent first starts agree on one certificate', async () => {
    const keys = path.join(dir, 'race');
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => loadOrCreatePlatformCertificate({ dir: keys })));
    expect(new Set([a!.fingerprintSha256, b!.fingerprintSha256, c!.fingerprintSha256]).size).toBe(1);
  });

  it('loads a configured PKCS#12 and rejects a wrong passphrase', async () => {
    const file = path.join(dir, 'configured.p12');
    await writeFile(file, cert.p12);
    const loaded = await loadOrCreatePlatformCertificate({ dir: path.join(dir, 'unused'), p12Path: file, p12Passphrase: cert.passphrase });
    expect(loaded.fingerprintSha256).toBe(cert.fingerprintSha256);
    await expect(loadOrCreatePlatformCertificate({ dir: path.join(dir, 'unused'), p12Path: file, p12Passphrase: 'wrong' })).rejects.toThrow(
      PlatformCertificateError,
    );
    await expect(readFile(path.join(dir, 'unused', GENERATED_P12_FILE))).rejects.toThrow();
  });

  it('opens the PKCS#12 to the key and its certificate', () => {
    const material = openP12(cert.p12, cert.passphrase);
    expect(material.privateKey.asymmetricKeyType).toBe('rsa');
    expect(material.chainDer[0]!.equals(material.certificateDer)).toBe(true);
  });
});

describe('sealing and inspecting', () => {
  it('seals a PDF that has no placeholder yet', async () => {
    const signed = await sealPdf(await plainPdf(), cert, seal);
    expect(await pdfsig(signed)).toContain('Signature is Valid.');
    expect(inspectSignedPdf(signed)).toMatchObject({ signed: true, intact: true, coversWholeFile: true, signatureCount: 1 });
  });

  it('refuses to seal an already signed PDF', async () => {
    const signed = await sealPdf(await plainPdf(), cert, seal);
    await expect(sealPdf(signed, cert, seal)).rejects.toThrow(SealError);
  });

  it('reports unsigned PDFs as unsigned', async () => {
    expect(inspectSignedPdf(await plainPdf())).toEqual({ signed: false, intact: false, coversWholeFile: false, signatureCount: 0 });
    expect(inspectSignedPdf(new TextEncoder().encode('not a pdf'))).toMatchObject({ signed: false });
  });

  it('notices bytes appended after signing (intact but not covering the whole file)', async () => {
    const signed = await sealPdf(await plainPdf(), cert, seal);
    const appended = Buffer.concat([Buffer.from(signed), Buffer.from('\n% appended later\n')]);
    const inspection = inspectSignedPdf(appended);
    expect(inspection.intact).toBe(true);
    expect(inspection.coversWholeFile).toBe(false);
  });

  it('detects a changed byte and a replaced signature value', async () => {
    const signed = await sealPdf(await plainPdf('A longer text so that there is a stream to change'), cert, seal);
    const flipped = inspectSignedPdf(flipSignedByte(signed));
    expect(flipped).toMatchObject({ signed: true, intact: false });

    // Corrupt the RSA signature value at the end of the CMS (inside /Contents): digest still
    // matches, the signature must not verify.
    const text = Buffer.from(signed).toString('latin1');
    const range = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text)!;
    const open = Number(range[2]); // '<' of /Contents, the first unsigned byte
    const close = Number(range[3]) - 1; // its '>'
    const hex = text.slice(open + 1, close).replace(/(00)+$/, '');
    const lastSigByte = open + 1 + hex.length - 2;
    const corrupted = Uint8Array.from(signed);
    corrupted[lastSigByte] = corrupted[lastSigByte] === 0x30 ? 0x31 : 0x30;
    const inspection = inspectSignedPdf(corrupted);
    expect(inspection.intact).toBe(false);
    expect(inspection.problem).toMatch(/signature does not verify/);
    expect(await pdfsig(corrupted)).not.toContain('Signature is Valid.');
  });

  it('writes Chinese signature-dictionary strings as UTF-16BE', () => {
    expect(pdfTextLiteral('Haiqiao')).toBe('Haiqiao');
    expect(pdfTextLiteral('海')).toBe('\\376\\377\\155\\167');
    expect(pdfTextLiteral('a(b)')).toMatch(/^\\376\\377/);
  });
});
