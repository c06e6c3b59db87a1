import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadConsent } from '../../../helpers/consent-audio.ts';
import { agreementFixture, collisionDraft, invitationHeader, signaturePngBase64 } from '../../../helpers/agreement-fixture.ts';
import { flipSignedByte } from '../../documents/fixtures.ts';
import { darkPixels, pdffonts, pdfsig, renderGray } from '../../documents/poppler.ts';
import { api, createTestWorld, json, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld();
});
afterAll(() => world?.close());

const as = (token: string) => ({
  get: (url: string) => world.app.inject({ method: 'GET', url, headers: invitationHeader(token) }),
  post: (url: string, payload: object) => world.app.inject({ method: 'POST', url, payload, headers: invitationHeader(token) }),
});

describe('the agreement chain', () => {
  it('draft → sign by both → sealed PDF → file → accept → review → confirm → ruling → fulfil → closed', async () => {
    const f = await agreementFixture(world);
    const mediator = api(world.app, world.cookies.mediator);
    const created = await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f));
    expect(created.statusCode, created.body).toBe(201);
    const agreement = json(created);
    expect(agreement.currentVersion.text).toContain('人民币860,000.00元（大写：人民币捌拾陆万元整）');
    expect(agreement.currentVersion.text).toContain('宁波海事法院温州法庭');

    expect((await mediator.post(`/api/agreements/${agreement.id}/transitions`, { to: 'signing' })).statusCode).toBe(200);
    const { id: versionId, sha256: versionHash } = agreement.currentVersion;
    const png = signaturePngBase64();

    const fishermanConsent = await uploadConsent(world.app, f.fishermanToken, agreement.id);
    const fishermanSigned = await as(f.fishermanToken).post(`/api/agreements/${agreement.id}/sign`, {
      versionId, versionHash, consent: true, identity: { method: 'id_last4', name: '陈阿海', last4: '002X' }, signaturePng: png, consentRecordingSha256: fishermanConsent,
    });
    expect(fishermanSigned.statusCode, fishermanSigned.body).toBe(200);

    const code = json(await mediator.post(`/api/agreements/${agreement.id}/signing-codes`, { participantId: f.agentParticipantId })).code;
    const agentConsent = await uploadConsent(world.app, f.agentToken, agreement.id);
    const agentSigned = await as(f.agentToken).post(`/api/agreements/${agreement.id}/sign`, {
      versionId, versionHash, consent: true, identity: { method: 'one_time_code', code }, signaturePng: png, consentRecordingSha256: agentConsent,
    });
    expect(agentSigned.statusCode, agentSigned.body).toBe(200);
    expect(json(agentSigned).status).toBe('signed');

    await world.app.sealer.idle();
    const sealed = json(await mediator.get(`/api/agreements/${agreement.id}`));
    expect(sealed.status).toBe('sealed');
    expect(sealed.applyBy.daysLeft).toBe(30);
    const pdf = await world.app.inject({ method: 'GET', url: sealed.sealedDocument.url });
    expect(pdf.statusCode).toBe(200);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hq-chain-'));
    const file = path.join(dir, 'agreement.pdf');
    writeFileSync(file, pdf.rawPayload);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    for (const needle of ['陈阿海', '福鼎远洋运输有限公司', '人民币捌拾陆万元整', '浙苍渔01234', agreement.caseNumber]) expect(text).toContain(needle);
    expect(execFileSync('pdfsig', [file], { encoding: 'utf8' })).toContain('Signature is Valid');
    // The glyphs render (pixels, not only extractable text) and every font is embedded as a subset.
    expect(darkPixels(await renderGray(pdf.rawPayload, 1, 50), 128)).toBeGreaterThan(3000);
    const { raw, fonts } = await pdffonts(pdf.rawPayload);
    expect(fonts.length).toBeGreaterThan(0);
    for (const font of fonts) expect(font.embedded && font.subset, raw).toBe(true);

    const verified = json(await world.app.inject({ method: 'POST', url: '/api/documents/verify', payload: pdf.rawPayload, headers: { 'content-type': 'application/pdf' } }));
    expect(verified).toMatchObject({ authentic: true, document: { kind: 'sealed_agreement', agreementId: agreement.id } });
    // One byte flipped inside the signed range: both pdfsig and the endpoint find the signature broken.
    const tampered = Buffer.from(flipSignedByte(pdf.rawPayload));
    const tamperedResult = json(await world.app.inject({ method: 'POST', url: '/api/documents/verify', payload: tampered, headers: { 'content-type': 'application/pdf' } }));
    expect(tamperedResult).toMatchObject({ authentic: false, signature: { intact: false } });
    expect(await pdfsig(tampered)).not.toContain('Signature is Valid');

    const caseAfterSeal = json(await mediator.get(`/api/cases/${f.caseId}`));
    expect(caseAfterSeal.status).toBe('following_up');

    const filed = await mediator.post(`/api/agreements/${agreement.id}/confirmation`, {});
    expect(filed.statusCode, filed.body).toBe(201);
    const confirmationId = json(filed).id;
    const clerk = api(world.app, world.cookies.ningboClerk);
    const judge = api(world.app, world.cookies.wenzhouJudge);
    const queue = json(await clerk.get('/api/court/confirmations'));
    expect(queue.items.map((i: { id: string }) => i.id)).toContain(confirmationId);
    expect((await judge.post(`/api/confirmations/${confirmationId}/accept`, {})).statusCode).toBe(403);
    expect((await clerk.post(`/api/confirmations/${confirmationId}/accept`, {})).statusCode).toBe(200);
    expect((await judge.post(`/api/confirmations/${confirmationId}/review`, {})).statusCode).toBe(200);
    const decided = await judge.post(`/api/confirmations/${confirmationId}/decide`, { decision: 'confirmed', reason: '协议系双方真实意思表示。' });
    expect(decided.statusCode, decided.body).toBe(200);
    await world.app.sealer.idle();
    const confirmed = json(await mediator.get(`/api/agreements/${agreement.id}`)).confirmation;
    expect(confirmed).toMatchObject({ status: 'confirmed', rulingNumber: expect.stringMatching(/^（2026）浙72民特\d+号$/) });
    const ruling = await world.app.inject({ method: 'GET', url: confirmed.rulingDocument.url });
    const rulingFile = path.join(dir, 'ruling.pdf');
    writeFileSync(rulingFile, ruling.rawPayload);
    expect(execFileSync('pdfsig', [rulingFile], { encoding: 'utf8' })).toContain('Signature is Valid');

    const obligations = json(await mediator.get(`/api/cases/${f.caseId}/obligations`)).items;
    expect(obligations).toHaveLength(2);
    for (const o of obligations) expect((await mediator.post(`/api/obligations/${o.id}/fulfil`, { note: '已转账' })).statusCode).toBe(200);
    expect(json(await mediator.get(`/api/cases/${f.caseId}`)).status).toBe('closed');
  });
});
