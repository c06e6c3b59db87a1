/**
 * Each organisation's own seal, and trusted time, through the app: agreements are sealed with the
 * mediation center's certificate and rulings with the deciding court's; on first use each gets a
 * self-signed TEST certificate (said so on the certificate page and by /verify); an admin
 * installs a real PKCS#12 (made here with openssl), stored encrypted. With a TSA (a real one:
 * openssl ts behind HTTP) every seal carries an RFC 3161 timestamp that /verify reports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTimestamper } from '../../../../server/security/timestamp-authority.ts';
import { sealedAgreement } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';
import { startTestTsa, type TestTsa } from '../../../helpers/tsa.ts';
import { pdfsig, pdftotext } from '../../documents/poppler.ts';

const run = promisify(execFile);
let world: TestWorld;
let tsa: TestTsa;
let dir: string;

const admin = () => api(world.app, world.cookies.admin);
const verify = async (pdf: Uint8Array) =>
  json(await world.app.inject({ method: 'POST', url: '/api/documents/verify', payload: Buffer.from(pdf), headers: { 'content-type': 'application/pdf' } }));
const download = async (url: string) => (await world.app.inject({ method: 'GET', url })).rawPayload;

function rows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** A real organisation certificate: RSA key and certificate by openssl, bundled as PKCS#12. */
async function opensslP12(commonName: string, passphrase: string): Promise<Buffer> {
  const base = path.join(dir, `cert-${Math.random().toString(36).slice(2)}`);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-utf8', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '365', '-subj', `/C=CN/O=${commonName}/CN=${commonName}`]);
  await run('openssl', ['pkcs12', '-export', '-inkey', `${base}.key`, '-in', `${base}.crt`, '-out', `${base}.p12`, '-passout', `pass:${passphrase}`]);
  return readFile(`${base}.p12`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-seals-'));
  tsa = await startTestTsa();
  world = await createTestWorld({ timestamper: createTimestamper({ url: tsa.url }) });
});
afterAll(async () => {
  await world?.close();
  await tsa?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("each organisation's seal, with trusted time", () => {
  it('first agreement: sealed with the center’s TEST certificate and a TSA timestamp; the certificate page and /verify say so', async () => {
    const before = tsa.served();
    const sealed = await sealedAgreement(world);
    expect(tsa.served()).toBe(before + 1);
    const pdf = await download(sealed.agreement.sealedDocument.url);

    const result = await verify(pdf);
    expect(result).toMatchObject({
      authentic: true,
      signature: { signed: true, intact: true, coversWholeFile: true, knownCertificate: true },
      sealedBy: { organisationName: '浙闽联调中心', organisationKind: 'mediation_center', testCertificate: true },
      // No HAIQIAO_TSA_TRUST_FILE in this world: the TSA was not checked against a list.
      timestamp: { intact: true, trusted: null },
    });
    expect(result.timestamp.tsa).toContain('Haiqiao test time-stamping authority');
    expect(Math.abs(Date.parse(result.timestamp.time) - Date.now())).toBeLessThan(120_000);

    const report = await pdfsig(pdf);
    expect(report).toContain('Signature is Valid.');
    expect(report).toContain('Signer Certificate Common Name: 浙闽联调中心');
    const text = (await pdftotext(pdf)).replace(/\s+/g, '');
    expect(text).toContain('签章机构浙闽联调中心');
    expect(text).toContain('测试证书');

    const seals = json(await admin().get(`/api/admin/organisations/${world.orgs.center}/seals`)).items;
    expect(seals).toHaveLength(1);
    expect(seals[0]).toMatchObject({ source: 'test', test: true, active: true });
    expect(seals[0].subject).toContain('测试证书 TEST CERTIFICATE');
  });

  it('an admin installs the center’s own PKCS#12: stored encrypted; the next agreement is sealed with it, not marked as test', async () => {
    const passphrase = 'center-p12-passphrase';
    const p12 = await opensslP12('浙闽海上矛盾纠纷联调中心', passphrase);
    const before = await tableCounts(world.database);

    // Bad input first: nothing changes.
    const wrong = await admin().post(`/api/admin/organisations/${world.orgs.center}/seals`, { p12Base64: p12.toString('base64'), passphrase: 'wrong' });
    expect(wrong.statusCode).toBe(400);
    expect(json(wrong).error.field).toBe('passphrase');
    const garbage = await admin().post(`/api/admin/organisations/${world.orgs.center}/seals`, { p12Base64: Buffer.from('not a p12').toString('base64'), passphrase });
    expect(garbage.statusCode).toBe(400);
    expect(json(garbage).error.field).toBe('p12Base64');
    const notBase64 = await admin().post(`/api/admin/organisations/${world.orgs.center}/seals`, { p12Base64: '###', passphrase });
    expect(notBase64.statusCode).toBe(400);
    expect(await tableCounts(world.database)).toEqual(before);
    const byMediator = await api(world.app, world.cookies.mediator).post(`/api/admin/organisations/${world.orgs.center}/seals`, { p12Base64: p12.toString('base64'), passphrase });
    expect(byMediator.statusCode).toBe(403);

    const installed = await admin().post(`/api/admin/organisations/${world.orgs.center}/seals`, { p12Base64: p12.toString('base64'), passphrase });
    expect(installed.statusCode).toBe(201);
    expect(json(installed)).toMatchObject({ source: 'uploaded', test: false, active: true });
    const again = await admin().post(`/api/admin/organisations/${world.orgs.center}/seals`, { p12Base64: p12.toString('base64'), passphrase });
    expect(again.statusCode).toBe(409);

    // At rest: neither the PKCS#12 nor its passphrase in the clear.
    const stored = rows<{ p12: string; pass: string }>(await world.database.db.execute(sql`select p12_encrypted as p12, passphrase_encrypted as pass from organisation_seals where source = 'uploaded'`));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.p12.startsWith('v1.')).toBe(true);
    expect(stored[0]!.p12).not.toContain(p12.toString('base64').slice(0, 40));
    expect(stored[0]!.pass).not.toContain(passphrase);

    const list = json(await admin().get(`/api/admin/organisations/${world.orgs.center}/seals`)).items;
    expect(list.map((s: { source: string; active: boolean }) => [s.source, s.active])).toEqual([
      ['uploaded', true],
      ['test', false],
    ]);
    const audit = json(await admin().get('/api/admin/audit/verify'));
    expect(audit.ok).toBe(true);

    const sealed = await sealedAgreement(world);
    const pdf = await download(sealed.agreement.sealedDocument.url);
    const result = await verify(pdf);
    expect(result).toMatchObject({ authentic: true, sealedBy: { organisationName: '浙闽联调中心', testCertificate: false }, timestamp: { intact: true } });
    expect(await pdfsig(pdf)).toContain('Signer Certificate Common Name: 浙闽海上矛盾纠纷联调中心');
    expect((await pdftotext(pdf)).replace(/\s+/g, '')).not.toContain('测试证书');
  });

  it('the ruling is sealed with the deciding court’s certificate, timestamped', async () => {
    const sealed = await sealedAgreement(world);
    const filed = json(await api(world.app, world.cookies.mediator).post(`/api/agreements/${sealed.agreement.id}/confirmation`, {}));
    await api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${filed.id}/accept`);
    await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${filed.id}/review`);
    await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${filed.id}/decide`, { decision: 'confirmed', reason: '协议合法有效。' });
    // A first try that fails on a loaded machine (the TSA's 10 s limit) is retried 5 s later; idle() does not wait for retries.
    const confirmationNow = async () => json(await api(world.app, world.cookies.mediator).get(`/api/agreements/${sealed.agreement.id}`)).confirmation;
    await world.app.sealer.idle();
    let confirmation = await confirmationNow();
    for (const until = Date.now() + 90_000; !confirmation.rulingDocument && Date.now() < until; confirmation = await confirmationNow()) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await world.app.sealer.idle();
    }
    const ruling = await download(confirmation.rulingDocument.url);
    expect(await verify(ruling)).toMatchObject({
      authentic: true,
      sealedBy: { organisationName: '宁波海事法院温州法庭', organisationKind: 'tribunal', testCertificate: true },
      timestamp: { intact: true },
    });
    expect(await pdfsig(ruling)).toContain('Signer Certificate Common Name: 宁波海事法院温州法庭');
    expect((await pdftotext(ruling)).replace(/\s+/g, '')).toContain('测试证书');
  });

  it('with the TSA down, sealing waits (the agreement stays signed) and the queue completes it once the TSA is back, with no restart', async () => {
    tsa.setDown(true);
    let agreementId = '';
    try {
      const partial = await sealedAgreement(world).catch((error: unknown) => error as Error);
      // The fixture expects a sealed agreement; with no TSA it is left signed instead.
      expect(partial).toBeInstanceOf(Error);
      const list = rows<{ id: string; status: string }>(await world.database.db.execute(sql`select id, status from agreements order by created_at desc limit 1`));
      expect(list[0]!.status).toBe('signed');
      agreementId = list[0]!.id;
    } finally {
      tsa.setDown(false);
    }
    // The failed job is retried by the queue with backoff (first retry after about 5 s).
    let status = 'signed';
    for (const until = Date.now() + 60_000; status !== 'sealed' && Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      status = rows<{ status: string }>(await world.database.db.execute(sql`select status from agreements where id = ${agreementId}`))[0]!.status;
    }
    expect(status).toBe('sealed');
  });
});
