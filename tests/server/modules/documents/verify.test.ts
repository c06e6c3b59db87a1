/**
 * The verification endpoint (POST /api/documents/verify): anyone may upload a PDF and learn
 * whether it is an unaltered document Haiqiao sealed, and which agreement it is. Each verdict is
 * checked against poppler's pdfsig on the same bytes, so the endpoint cannot pass on the stored
 * hash alone: the signature itself must be found broken. With a TSA trust list, /verify tells
 * whether the seal's time comes from a trusted TSA (real openssl TSAs, real tokens).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreatePlatformCertificate } from '../../../../server/documents/platform-certificate.ts';
import { parseTsaTrustList } from '../../../../server/documents/tsa-trust.ts';
import { createTimestamper, type Timestamper } from '../../../../server/security/timestamp-authority.ts';
import { sealPdf } from '../../../../server/documents/seal-pdf.ts';
import { sealedAgreement } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';
import { startTestTsa, type TestTsa } from '../../../helpers/tsa.ts';
import { flipSignedByte, sha256 } from '../../documents/fixtures.ts';
import { pdfsig } from '../../documents/poppler.ts';

let world: TestWorld;
let sealed: Awaited<ReturnType<typeof sealedAgreement>>;
let pdf: Buffer;
let keysDir: string;

beforeAll(async () => {
  world = await createTestWorld();
  sealed = await sealedAgreement(world);
  pdf = (await world.app.inject({ method: 'GET', url: sealed.agreement.sealedDocument.url })).rawPayload;
  keysDir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-foreign-cert-'));
});
afterAll(async () => {
  await world?.close();
  await rm(keysDir, { recursive: true, force: true });
});

function verify(bytes: Uint8Array, contentType = 'application/pdf') {
  return world.app.inject({ method: 'POST', url: '/api/documents/verify', payload: Buffer.from(bytes), headers: { 'content-type': contentType } });
}

describe('POST /api/documents/verify', () => {
  it('a sealed agreement as issued: authentic, with its case, agreement and version; pdfsig agrees; nothing is stored', async () => {
    const before = await tableCounts(world.database);
    const res = await verify(pdf);
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({
      authentic: true,
      signature: { signed: true, intact: true, coversWholeFile: true, knownCertificate: true },
      // The center's own (first-start test) certificate sealed it; no TSA is configured here.
      sealedBy: { organisationName: '浙闽联调中心', organisationKind: 'mediation_center', testCertificate: true },
      timestamp: null,
      document: {
        id: sealed.agreement.sealedDocument.id,
        kind: 'sealed_agreement',
        caseNumber: sealed.agreement.caseNumber,
        agreementId: sealed.agreement.id,
        versionHash: sealed.agreement.currentVersion.sha256,
        sealedAt: expect.any(String),
      },
      sha256: sha256(pdf),
    });
    expect(await pdfsig(pdf)).toContain('Signature is Valid');
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('one flipped byte inside the signed range: the signature is found broken (not only the hash unknown), and pdfsig says so too', async () => {
    const tampered = flipSignedByte(pdf);
    const result = json(await verify(tampered));
    expect(result).toMatchObject({ authentic: false, signature: { signed: true, intact: false }, document: null, sha256: sha256(tampered) });
    expect(await pdfsig(tampered)).not.toContain('Signature is Valid');
  });

  it('bytes appended after sealing: intact signature, but it no longer covers the whole file', async () => {
    const appended = Buffer.concat([pdf, Buffer.from('\n% appended after sealing\n')]);
    expect(json(await verify(appended))).toMatchObject({ authentic: false, signature: { signed: true, intact: true, coversWholeFile: false } });
  });

  it('a PDF sealed with another certificate is not Haiqiao’s, even though its signature is valid', async () => {
    const foreign = await loadOrCreatePlatformCertificate({ dir: keysDir });
    const doc = await PDFDocument.create();
    doc.addPage().drawText('Not issued by Haiqiao', { font: await doc.embedFont(StandardFonts.Helvetica), x: 40, y: 700 });
    const forged = await sealPdf(await doc.save(), foreign, { reason: '伪造', location: '某地', name: 'Someone else', signingTime: new Date('2026-11-22T02:00:00Z') });
    const result = json(await verify(forged));
    expect(result).toMatchObject({ authentic: false, signature: { signed: true, intact: true, knownCertificate: false }, sealedBy: null, document: null });
    expect(await pdfsig(forged)).toContain('Signature is Valid');
  });

  it('an unsigned PDF: not signed', async () => {
    const doc = await PDFDocument.create();
    doc.addPage();
    expect(json(await verify(await doc.save()))).toMatchObject({ authentic: false, signature: { signed: false, intact: false }, document: null });
  });

  it('a confirmed case’s ruling verifies as a ruling of that agreement', async () => {
    const filed = json(await api(world.app, world.cookies.mediator).post(`/api/agreements/${sealed.agreement.id}/confirmation`, {}));
    await api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${filed.id}/accept`);
    await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${filed.id}/review`);
    await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${filed.id}/decide`, { decision: 'confirmed', reason: '协议合法有效。' });
    await world.app.sealer.idle();
    const confirmation = json(await api(world.app, world.cookies.mediator).get(`/api/agreements/${sealed.agreement.id}`)).confirmation;
    const ruling = (await world.app.inject({ method: 'GET', url: confirmation.rulingDocument.url })).rawPayload;
    // Sealed with the ruling court's own certificate (here the Wenzhou tribunal that decided), not the center's.
    expect(json(await verify(ruling))).toMatchObject({
      authentic: true,
      sealedBy: { organisationName: '宁波海事法院温州法庭', organisationKind: 'tribunal', testCertificate: true },
      document: { id: confirmation.rulingDocument.id, kind: 'ruling', agreementId: sealed.agreement.id },
    });
    expect(await pdfsig(ruling)).toContain('Signature is Valid');
  });

  it('an empty body is 400 on body; JSON is 415', async () => {
    const empty = await verify(new Uint8Array());
    expect(empty.statusCode).toBe(400);
    expect(json(empty).error.field).toBe('body');
    const asJson = await world.app.inject({ method: 'POST', url: '/api/documents/verify', payload: { pdf: 'base64…' } });
    expect(asJson.statusCode).toBe(415);
  });
});

describe('POST /api/documents/verify: is the seal’s time from a trusted TSA?', () => {
  let tsa: TestTsa;
  let forger: TestTsa;
  let trustedWorld: TestWorld;
  // The server's TSA client answers through whichever TSA the test picks: the genuine one, or a
  // second openssl TSA with the same names (a swapped TSA URL; what a forger stands up).
  let stamp: Timestamper;
  beforeAll(async () => {
    [tsa, forger] = await Promise.all([startTestTsa(), startTestTsa()]);
    stamp = createTimestamper({ url: tsa.url });
    trustedWorld = await createTestWorld({ timestamper: (data) => stamp(data), tsaTrust: parseTsaTrustList(tsa.caPem) });
  });
  afterAll(async () => {
    await trustedWorld?.close();
    await Promise.all([tsa?.close(), forger?.close()]);
  });

  const verifyIn = async (bytes: Buffer) => {
    const res = await trustedWorld.app.inject({ method: 'POST', url: '/api/documents/verify', payload: bytes, headers: { 'content-type': 'application/pdf' } });
    expect(res.statusCode).toBe(200);
    return json(res);
  };
  const sealedPdf = async () => {
    const { agreement } = await sealedAgreement(trustedWorld);
    return (await trustedWorld.app.inject({ method: 'GET', url: agreement.sealedDocument.url })).rawPayload;
  };

  it('stamped by the TSA in the trust list: trusted', async () => {
    const result = await verifyIn(await sealedPdf());
    expect(result).toMatchObject({ authentic: true, timestamp: { intact: true, trusted: true } });
    expect(result.timestamp.tsa).toContain('Haiqiao test time-stamping authority');
  });

  it('stamped by another TSA with the same names: the seal stands, its time is reported untrusted', async () => {
    stamp = createTimestamper({ url: forger.url });
    const pdf = await sealedPdf();
    stamp = createTimestamper({ url: tsa.url });
    const result = await verifyIn(pdf);
    expect(result).toMatchObject({ authentic: true, signature: { intact: true, knownCertificate: true }, timestamp: { intact: true, trusted: false } });
    expect(result.timestamp.tsa).toContain('Haiqiao test time-stamping authority'); // the name alone cannot tell them apart
    expect(await pdfsig(pdf)).toContain('Signature is Valid');
  });
});
