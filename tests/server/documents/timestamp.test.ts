/**
 * PAdES B-T: the seal carries an RFC 3161 token from a real TSA (openssl ts behind HTTP), which
 * pdfsig, openssl and our own inspection all read.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { ContentInfo, SignedData } from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreatePlatformCertificate, type PlatformCertificate } from '../../../server/documents/platform-certificate.ts';
import { sealPdf, type SealOptions } from '../../../server/documents/seal-pdf.ts';
import { inspectSignedPdf } from '../../../server/documents/verify-pdf.ts';
import { readTimestampToken } from '../../../server/documents/timestamp-token.ts';
import { parseTsaTrustList, tsaTrustProblem } from '../../../server/documents/tsa-trust.ts';
import { createTimestamper, TimestampError, timestampQuery } from '../../../server/security/timestamp-authority.ts';
import { startTestTsa, type TestTsa } from '../../helpers/tsa.ts';
import { pdfsig } from './poppler.ts';

const run = promisify(execFile);
let dir: string;
let cert: PlatformCertificate;
let tsa: TestTsa;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-ts-'));
  cert = await loadOrCreatePlatformCertificate({ dir: path.join(dir, 'keys') });
  tsa = await startTestTsa();
});

afterAll(async () => {
  await tsa.close();
  await rm(dir, { recursive: true, force: true });
});

async function plainPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([300, 200]);
  page.drawText('Timestamped', { x: 20, y: 100, size: 18, font: await doc.embedFont(StandardFonts.Helvetica) });
  return doc.save();
}

const options = (): SealOptions => ({ reason: '时间戳测试', location: '苍南', name: 'Haiqiao test', signingTime: new Date(), timestamp: createTimestamper({ url: tsa.url }) });

/** pdfsig -dump writes each signature's CMS to <file>.sig0. */
async function dumpSignature(pdf: Uint8Array): Promise<string> {
  const file = path.join(dir, `d${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(file, pdf);
  await run('pdfsig', ['-dump', file], { cwd: dir });
  return `${file}.sig0`;
}

describe('trusted time (RFC 3161)', () => {
  it('the client gets a token from the TSA that stamps the digest it sent', async () => {
    const before = tsa.served();
    const data = Buffer.from('海桥 audit head');
    const token = await createTimestamper({ url: tsa.url })(data);
    expect(tsa.served()).toBe(before + 1);
    const facts = readTimestampToken(token);
    expect(facts.intact).toBe(true);
    expect(facts.tsaSubject).toContain('Haiqiao test time-stamping authority');
    expect(Math.abs(Date.parse(facts.time) - Date.now())).toBeLessThan(60_000);
    // openssl agrees, against the data itself.
    await writeFile(path.join(dir, 'tok.der'), token);
    await writeFile(path.join(dir, 'data.bin'), data);
    const { stdout } = await run('openssl', ['ts', '-verify', '-token_in', '-in', path.join(dir, 'tok.der'), '-data', path.join(dir, 'data.bin'), '-CAfile', tsa.caFile]);
    expect(stdout).toContain('Verification: OK');
  });

  it('seals with a timestamp: pdfsig validates the signature and openssl the embedded token', async () => {
    const sealed = await sealPdf(await plainPdf(), cert, options());
    const report = await pdfsig(sealed);
    expect(report).toContain('Signature is Valid.');
    expect(report).toContain('ETSI.CAdES.detached');

    const inspection = inspectSignedPdf(sealed);
    expect(inspection).toMatchObject({ signed: true, intact: true, coversWholeFile: true });
    expect(inspection.timestamp).toMatchObject({ intact: true });
    expect(inspection.timestamp!.tsaSubject).toContain('Haiqiao Test TSA');
    expect(Math.abs(Date.parse(inspection.timestamp!.time) - Date.now())).toBeLessThan(60_000);

    // poppler 22.12's pdfsig has no timestamp output of its own: what it extracts (-dump) holds
    // the token as an unsigned attribute, which openssl prints and verifies against the TSA
    // certificate and the SHA-256 of the signature value it stamps.
    const cmsDer = await readFile(await dumpSignature(sealed));
    const { stdout: cms } = await run('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', await dumpSignature(sealed)], { maxBuffer: 10e6 });
    expect(cms).toContain('id-smime-aa-timeStampToken');
    const { token } = readTokenFrom(cmsDer);
    const tokenFile = path.join(dir, 'sealed-token.der');
    await writeFile(tokenFile, token);
    const { stdout: text } = await run('openssl', ['ts', '-reply', '-token_in', '-in', tokenFile, '-text']);
    const printed = /Time stamp: (.+)/.exec(text)?.[1];
    expect(printed).toBeDefined();
    expect(Math.abs(Date.parse(printed!) - Date.parse(inspection.timestamp!.time))).toBeLessThan(1000);
    const signed = SignedData.fromBER(new Uint8Array(ContentInfo.fromBER(new Uint8Array(cmsDer)).content.toBER(false)));
    const signatureValue = Buffer.from(signed.signerInfos[0]!.signature.valueBlock.valueHexView);
    const digest = createHash('sha256').update(signatureValue).digest('hex');
    const { stdout: verified } = await run('openssl', ['ts', '-verify', '-token_in', '-in', tokenFile, '-digest', digest, '-CAfile', tsa.caFile]);
    expect(verified).toContain('Verification: OK');
  });

  it('a token that stamps another signature is reported, not trusted', async () => {
    const a = await sealPdf(await plainPdf(), cert, options());
    // Swap in a token over some other bytes: same size class, the imprint no longer matches.
    const stranger = await createTimestamper({ url: tsa.url })(Buffer.from('something else'));
    const real = inspectSignedPdf(a);
    expect(real.timestamp?.intact).toBe(true);
    const text = Buffer.from(a).toString('latin1');
    const range = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text)!;
    const hex = text.slice(Number(range[2]) + 1, Number(range[3]) - 1);
    const cmsDer = Buffer.from(hex, 'hex');
    const ours = readTokenFrom(cmsDer);
    const swapped = Buffer.from(cmsDer);
    // This TSA's tokens all have one length, so one can replace the other in place.
    expect(stranger.length).toBe(ours.token.length);
    stranger.copy(swapped, ours.offset);
    const pdf = Buffer.from(a);
    pdf.write(swapped.toString('hex').padEnd(hex.length, '0'), Number(range[2]) + 1, 'latin1');
    const inspection = inspectSignedPdf(pdf);
    expect(inspection.intact).toBe(true); // the seal itself is untouched…
    expect(inspection.timestamp).toMatchObject({ intact: false }); // …but its time is not this seal's
    expect(inspection.timestamp!.problem).toMatch(/imprint mismatch/);
  });

  it('a TSA that is down fails the seal with a clear error after its retries', async () => {
    tsa.setDown(true);
    try {
      await expect(sealPdf(await plainPdf(), cert, { ...options(), timestamp: createTimestamper({ url: tsa.url, retries: 1 }) })).rejects.toThrow(TimestampError);
    } finally {
      tsa.setDown(false);
    }
    await expect(createTimestamper({ url: 'http://127.0.0.1:9/none', retries: 0, timeoutMs: 2000 })(Buffer.from('x'))).rejects.toThrow(/could not be reached/);
  });
});

describe('which TSA is trusted (HAIQIAO_TSA_TRUST_FILE)', () => {
  // A second, different openssl TSA with the same CA and TSA names: what someone rewriting the
  // audit chain would stand up to re-stamp it.
  let forger: TestTsa;
  beforeAll(async () => {
    forger = await startTestTsa();
  });
  afterAll(async () => {
    await forger?.close();
  });

  it('a token of the TSA is trusted by its CA and by its own certificate; without a trust list it is not checked (null)', async () => {
    const token = await createTimestamper({ url: tsa.url })(Buffer.from('head 42'));
    expect(readTimestampToken(token, parseTsaTrustList(tsa.caPem))).toMatchObject({ intact: true, trusted: true });
    expect(readTimestampToken(token, parseTsaTrustList(tsa.certPem))).toMatchObject({ intact: true, trusted: true });
    // Several certificates in one file: any of them will do.
    expect(readTimestampToken(token, parseTsaTrustList(`${forger.caPem}\n${tsa.caPem}`)).trusted).toBe(true);
    const unchecked = readTimestampToken(token);
    expect(unchecked).toMatchObject({ intact: true, trusted: null });
    expect(unchecked.trustProblem).toBeUndefined();
  });

  it('a token of another TSA with the same names is intact but not trusted', async () => {
    const forged = await createTimestamper({ url: forger.url })(Buffer.from('head 42'));
    const genuine = await createTimestamper({ url: tsa.url })(Buffer.from('head 42'));
    const facts = readTimestampToken(forged, parseTsaTrustList(tsa.caPem));
    // Every name matches: only the keys tell them apart.
    expect(facts.tsaSubject).toBe(readTimestampToken(genuine).tsaSubject);
    expect(new X509Certificate(forger.caPem).subject).toBe(new X509Certificate(tsa.caPem).subject);
    expect(facts).toMatchObject({ intact: true, trusted: false });
    expect(facts.trustProblem).toMatch(/not in the trust list nor issued by/);
    expect(readTimestampToken(forged, parseTsaTrustList(tsa.certPem)).trusted).toBe(false);
    // openssl agrees: the forger's token does not chain to the genuine CA.
    await writeFile(path.join(dir, 'forged.der'), forged);
    await writeFile(path.join(dir, 'head.bin'), 'head 42');
    await expect(run('openssl', ['ts', '-verify', '-token_in', '-in', path.join(dir, 'forged.der'), '-data', path.join(dir, 'head.bin'), '-CAfile', tsa.caFile])).rejects.toThrow();
  });

  it('the TSA certificate must be valid at the stamped time', () => {
    const trust = parseTsaTrustList(tsa.caPem);
    const signer = new X509Certificate(tsa.certPem);
    expect(tsaTrustProblem(signer, new Date(), trust)).toBeNull();
    expect(tsaTrustProblem(signer, new Date('2000-01-01T00:00:00Z'), trust)).toMatch(/not valid at the time/);
  });

  it('a sealed PDF says whether its timestamp comes from a trusted TSA', async () => {
    const genuine = await sealPdf(await plainPdf(), cert, options());
    const forged = await sealPdf(await plainPdf(), cert, { ...options(), timestamp: createTimestamper({ url: forger.url }) });
    const trust = parseTsaTrustList(tsa.caPem);
    expect(inspectSignedPdf(genuine, trust).timestamp).toMatchObject({ intact: true, trusted: true });
    expect(inspectSignedPdf(forged, trust).timestamp).toMatchObject({ intact: true, trusted: false });
    expect(inspectSignedPdf(forged).timestamp).toMatchObject({ intact: true, trusted: null });
  });

  it('the TSA client given a trust list refuses another TSA’s token, so none is stored', async () => {
    const trust = parseTsaTrustList(tsa.caPem);
    await expect(createTimestamper({ url: forger.url, trust, retries: 0 })(Buffer.from('x'))).rejects.toThrow(/not trusted/);
    expect((await createTimestamper({ url: tsa.url, trust })(Buffer.from('x'))).length).toBeGreaterThan(0);
  });

  it('a nonce that starts with zero bytes or a high bit still makes a request the TSA grants (DER shortest form)', async () => {
    const digest = createHash('sha256').update('nonce edge').digest();
    for (const hex of ['0000000000000001', '0005a1b2c3d4e5f6', '00ff00ff00ff00ff', '80aabbccddeeff00', '7fffffffffffffff', '0000000000000000']) {
      const query = path.join(dir, `n${hex}.tsq`);
      await writeFile(query, timestampQuery(digest, Buffer.from(hex, 'hex')));
      const { stdout } = await run('openssl', ['ts', '-query', '-in', query, '-text']);
      // openssl prints the number's bytes without leading zero bytes (zero as 0x0).
      expect(stdout, hex).toContain(`Nonce: 0x${(hex.replace(/^(00)+/, '') || '0').toUpperCase()}\n`);
      const answer = await fetch(tsa.url, { method: 'POST', headers: { 'Content-Type': 'application/timestamp-query' }, body: await readFile(query) });
      const reply = path.join(dir, `n${hex}.tsr`);
      await writeFile(reply, Buffer.from(await answer.arrayBuffer()));
      const { stdout: status } = await run('openssl', ['ts', '-reply', '-in', reply, '-text']);
      expect(status, hex).toMatch(/Status: Granted/);
    }
  });

  it('a trust file without a certificate is refused', () => {
    expect(() => parseTsaTrustList('not a certificate')).toThrow(/no PEM certificate/);
  });
});

/** Finds the TimeStampToken inside a CMS by its content type OID (id-ct-TSTInfo's parent). */
function readTokenFrom(cms: Buffer): { token: Buffer; offset: number } {
  // id-aa-signatureTimeStampToken OID bytes, then SET { token }.
  const oid = Buffer.from('060b2a864886f70d010910020e', 'hex');
  const at = cms.indexOf(oid);
  if (at < 0) throw new Error('no timestamp attribute');
  let pos = at + oid.length; // SET
  const setLen = derLength(cms, pos + 1);
  pos = pos + 1 + setLen.size; // token
  const tokLen = derLength(cms, pos + 1);
  const end = pos + 1 + tokLen.size + tokLen.length;
  return { token: cms.subarray(pos, end), offset: pos };
}

function derLength(buf: Buffer, at: number): { length: number; size: number } {
  const first = buf[at]!;
  if (first < 0x80) return { length: first, size: 1 };
  const n = first & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[at + 1 + i]!;
  return { length, size: 1 + n };
}
