/**
 * Spoken consent at signing (issue 9 point 2) on the real database with real Opus files made by
 * ffmpeg and checked by the server with ffprobe: the upload is idempotent by SHA-256, bad
 * recordings and wrong callers are refused with a 4xx naming the problem and change nothing, the
 * signature needs the signer's own stored recording and carries its hash, which the sealed PDF's
 * certificate page prints (pdftotext), and the mediator's playback is a custody event.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, collisionDraft, invitationHeader, nextSignerIp, signaturePngBase64, type AgreementFixture } from '../../../helpers/agreement-fixture.ts';
import { consentAudio, putConsent, sha256Of } from '../../../helpers/consent-audio.ts';
import { api, countFiles, createTestWorld, json, ok, rowsOf, tableDigests, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld();
});
afterAll(() => world?.close());

const mediator = () => api(world.app, world.cookies.mediator);

async function query<T>(statement: ReturnType<typeof sql>) {
  return rowsOf<T>(await world.database.db.execute(statement));
}

async function auditOf(caseId: string, type: string) {
  return (await ok(await mediator().get(`/api/cases/${caseId}/audit`))).items.filter((e: { type: string }) => e.type === type) as { type: string; data: Record<string, unknown>; actor: Record<string, unknown> }[];
}

/** Everything a refused request must leave as it was: every row of every table, and the stored files. */
async function state() {
  return { tables: await tableDigests(world.database), files: countFiles(world.filesDir) };
}

async function agreementInSigning(f?: AgreementFixture) {
  f ??= await agreementFixture(world);
  const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
  await ok(await mediator().post(`/api/agreements/${created.id}/transitions`, { to: 'signing' }));
  const version = (await ok(await mediator().get(`/api/agreements/${created.id}`))).currentVersion as { id: string; sha256: string };
  return { f, agreementId: created.id as string, version };
}

function sign(token: string, agreementId: string, version: { id: string; sha256: string }, identity: object, consentRecordingSha256: string) {
  return world.app.inject({
    method: 'POST',
    url: `/api/agreements/${agreementId}/sign`,
    remoteAddress: nextSignerIp(),
    headers: { ...invitationHeader(token), 'user-agent': 'haiqiao-consent-test' },
    payload: { versionId: version.id, versionHash: version.sha256, consent: true, identity, signaturePng: signaturePngBase64(), consentRecordingSha256 },
  });
}
const fishermanIdentity = { method: 'id_last4', name: '陈阿海', last4: '002X' };

describe('uploading the spoken consent', () => {
  it('stores a real recording once (Opus in WebM or Ogg, AAC in MP4), answers a retry with the stored one, and audits it', async () => {
    const { f, agreementId } = await agreementInSigning();
    const webm = consentAudio({ seconds: 3 });
    const first = await ok(await putConsent(world.app, f.fishermanToken, agreementId, webm), 201);
    expect(first).toMatchObject({ sha256: sha256Of(webm), byteSize: webm.length, contentType: 'audio/webm' });
    expect(first.durationMs).toBeGreaterThanOrEqual(2900);
    expect(first.durationMs).toBeLessThanOrEqual(3100);

    // A retry over a weak link (the first answer was lost): same bytes, same answer, nothing new.
    const before = await state();
    expect(await ok(await putConsent(world.app, f.fishermanToken, agreementId, webm), 200)).toEqual(first);
    expect(await state()).toEqual(before);

    // Firefox records Ogg.
    const ogg = consentAudio({ seconds: 2, container: 'ogg', frequency: 550 });
    expect(await ok(await putConsent(world.app, f.fishermanToken, agreementId, ogg, { contentType: 'audio/ogg' }), 201)).toMatchObject({ contentType: 'audio/ogg', sha256: sha256Of(ogg) });

    // iPhone Safari records AAC in (fragmented) MP4 only.
    const mp4 = consentAudio({ seconds: 2, container: 'mp4', codec: 'aac', frequency: 660 });
    const fromIphone = await ok(await putConsent(world.app, f.fishermanToken, agreementId, mp4, { contentType: 'audio/mp4' }), 201);
    expect(fromIphone).toMatchObject({ contentType: 'audio/mp4', sha256: sha256Of(mp4) });
    expect(fromIphone.durationMs).toBeGreaterThanOrEqual(1900);

    const recorded = await auditOf(f.caseId, 'signature.consent_recorded');
    expect(recorded.map((e) => e.data.sha256)).toEqual([sha256Of(webm), sha256Of(ogg), sha256Of(mp4)]);
    expect(recorded[0]!.data).toMatchObject({ agreementId, partyId: f.fishermanPartyId, contentType: 'audio/webm' });
    const rows = await query<{ signature_id: string | null; storage_key: string }>(sql`select signature_id, storage_key from consent_recordings where agreement_id = ${agreementId}`);
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.signature_id === null)).toBe(true);
  });

  it('refuses what is not a consent recording, naming the problem; nothing is written', async () => {
    const { f, agreementId } = await agreementInSigning();
    const good = consentAudio();
    const cases: [string, Awaited<ReturnType<typeof putConsent>>, number, string, RegExp][] = [];
    const tried = async (what: string, res: ReturnType<typeof putConsent>, status: number, field: string, message: RegExp) => cases.push([what, await res, status, field, message]);
    const before = await state();
    await tried('not audio at all', putConsent(world.app, f.fishermanToken, agreementId, Buffer.from('%PDF-1.7 this is not a recording '.repeat(50))), 400, 'recording', /not an audio recording/);
    await tried('too long', putConsent(world.app, f.fishermanToken, agreementId, consentAudio({ seconds: 35 })), 400, 'recording', /too long/);
    await tried('too short', putConsent(world.app, f.fishermanToken, agreementId, consentAudio({ seconds: 0.4 })), 400, 'recording', /too short/);
    await tried('with a video stream', putConsent(world.app, f.fishermanToken, agreementId, consentAudio({ video: true })), 400, 'recording', /audio only/);
    await tried('Opus in MP4 (MediaRecorder puts AAC there)', putConsent(world.app, f.fishermanToken, agreementId, consentAudio({ container: 'mp4' }), { contentType: 'audio/mp4' }), 400, 'recording', /AAC audio expected in audio\/mp4/);
    await tried('Vorbis, not Opus', putConsent(world.app, f.fishermanToken, agreementId, consentAudio({ container: 'ogg', codec: 'libvorbis' }), { contentType: 'audio/ogg' }), 400, 'recording', /Opus audio expected/);
    await tried('a hash that is not of these bytes', putConsent(world.app, f.fishermanToken, agreementId, good, { sha256: sha256Of(Buffer.from('other')) }), 400, 'sha256', /differs/);
    await tried('a malformed hash', putConsent(world.app, f.fishermanToken, agreementId, good, { sha256: 'ABC' }), 400, 'sha256', /SHA-256/);
    await tried('not sent as audio', putConsent(world.app, f.fishermanToken, agreementId, good, { contentType: 'application/octet-stream' }), 415, '', /./);
    await tried('larger than 1 MiB', putConsent(world.app, f.fishermanToken, agreementId, Buffer.concat([good, Buffer.alloc(1024 * 1024)])), 413, '', /./);
    for (const [what, res, status, field, message] of cases) {
      expect(res.statusCode, `${what}: ${res.body}`).toBe(status);
      const error = json(res).error;
      if (field) expect(error.field, what).toBe(field);
      expect(error.message, what).toMatch(message);
    }
    expect(await state()).toEqual(before);
  });

  it('only a signer of this agreement uploads, for the version out for signature; staff cannot', async () => {
    const { f, agreementId } = await agreementInSigning();
    const observer = await ok(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'observer', displayName: '旁听人' }), 201);
    const observerToken = (await ok(await mediator().post(`/api/sessions/${f.sessionId}/invitations`, { participantId: observer.id }), 201)).link.split('/j/')[1] as string;
    const otherCase = await agreementFixture(world);
    // Terms without the lawyer's authority to sign: the lawyer is no signer.
    const unauthorised = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f, { agents: [] })), 201);
    await ok(await mediator().post(`/api/agreements/${unauthorised.id}/transitions`, { to: 'signing' }));
    const drafting = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const audio = consentAudio();
    const put = (headers: Record<string, string>, id = agreementId) =>
      world.app.inject({ method: 'PUT', url: `/api/agreements/${id}/consent-recordings/${sha256Of(audio)}`, headers: { 'content-type': 'audio/webm', ...headers }, payload: audio, remoteAddress: nextSignerIp() });
    const before = await state();
    const refusals: [string, Awaited<ReturnType<typeof put>>, number][] = [
      ['an observer', await put(invitationHeader(observerToken)), 403],
      ['an agent the terms do not authorise', await put(invitationHeader(f.agentToken), unauthorised.id), 403],
      ['a party of another case', await put(invitationHeader(otherCase.fishermanToken)), 404],
      ['the mediator', await put({ cookie: world.cookies.mediator }), 403],
      ['the judge', await put({ cookie: world.cookies.wenzhouJudge }), 403],
      ['nobody', await put({}), 401],
      ['a draft not out for signature', await put(invitationHeader(f.fishermanToken), drafting.id), 409],
    ];
    for (const [who, res, status] of refusals) expect(res.statusCode, `${who}: ${res.body}`).toBe(status);
    expect(await state()).toEqual(before);
  });
});

describe('signing with the spoken consent', () => {
  it('needs the signer’s own stored recording for this version; the signature carries its hash, the sealed PDF prints it', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const fishermanAudio = consentAudio({ frequency: 440 });
    const agentAudio = consentAudio({ frequency: 660 });
    await ok(await putConsent(world.app, f.agentToken, agreementId, agentAudio), 201);

    // Nothing uploaded by the fisherman: neither a hash never sent nor the lawyer's recording will do.
    const before = await state();
    for (const hash of [sha256Of(fishermanAudio), sha256Of(agentAudio)]) {
      const res = await sign(f.fishermanToken, agreementId, version, fishermanIdentity, hash);
      expect(res.statusCode, res.body).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'consentRecordingSha256' });
    }
    const missing = await world.app.inject({
      method: 'POST',
      url: `/api/agreements/${agreementId}/sign`,
      remoteAddress: nextSignerIp(),
      headers: invitationHeader(f.fishermanToken),
      payload: { versionId: version.id, versionHash: version.sha256, consent: true, identity: fishermanIdentity, signaturePng: signaturePngBase64() },
    });
    expect(missing.statusCode).toBe(400);
    expect(json(missing).error.field).toBe('consentRecordingSha256');
    expect(await state()).toEqual(before);

    await ok(await putConsent(world.app, f.fishermanToken, agreementId, fishermanAudio), 201);
    const signed = await ok(await sign(f.fishermanToken, agreementId, version, fishermanIdentity, sha256Of(fishermanAudio)));
    const mine = signed.requiredSigners.find((r: { partyId: string }) => r.partyId === f.fishermanPartyId).signature;
    expect(mine.consentRecording).toMatchObject({ sha256: sha256Of(fishermanAudio) });
    const [row] = await query<{ consent_recording_sha256: string; id: string }>(sql`select id, consent_recording_sha256 from signatures where agreement_id = ${agreementId} and status = 'signed'`);
    expect(row!.consent_recording_sha256).toBe(sha256Of(fishermanAudio));
    const [bound] = await query<{ signature_id: string }>(sql`select signature_id from consent_recordings where sha256 = ${sha256Of(fishermanAudio)} and agreement_id = ${agreementId}`);
    expect(bound!.signature_id).toBe(row!.id);
    expect((await auditOf(f.caseId, 'signature.signed'))[0]!.data.consentRecordingSha256).toBe(sha256Of(fishermanAudio));

    // The lawyer signs with their own recording; the platform seals; the certificate page shows both hashes.
    const code = (await ok(await mediator().post(`/api/agreements/${agreementId}/signing-codes`, { participantId: f.agentParticipantId }))).code;
    await ok(await sign(f.agentToken, agreementId, version, { method: 'one_time_code', code }, sha256Of(agentAudio)));
    await world.app.sealer.idle();
    const sealed = await ok(await mediator().get(`/api/agreements/${agreementId}`));
    expect(sealed.status).toBe('sealed');
    const pdf = await world.app.inject({ method: 'GET', url: sealed.sealedDocument.url });
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hq-consent-')), 'agreement.pdf');
    writeFileSync(file, pdf.rawPayload);
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    // The certificate page (签署证明页) comes after the agreement's text and may run onto a second page.
    const certificatePage = text.slice(text.indexOf('签署证明页'));
    expect(certificatePage.length).toBeLessThan(text.length);
    expect(certificatePage).toContain('口头同意录音SHA-256');
    expect(certificatePage).toContain(sha256Of(fishermanAudio));
    expect(certificatePage).toContain(sha256Of(agentAudio));
  });
});

describe('playing the consent back', () => {
  it('staff of the case play it, each playback audited with its hash; the signer’s link and other centers cannot', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const audio = consentAudio({ frequency: 500 });
    await ok(await putConsent(world.app, f.fishermanToken, agreementId, audio), 201);
    const signed = await ok(await sign(f.fishermanToken, agreementId, version, fishermanIdentity, sha256Of(audio)));
    const signatureId = signed.requiredSigners.find((r: { partyId: string }) => r.partyId === f.fishermanPartyId).signature.id as string;
    const url = `/api/agreements/${agreementId}/signatures/${signatureId}/consent-recording`;

    const played = await mediator().get(url);
    expect(played.statusCode).toBe(200);
    expect(played.headers['content-type']).toBe('audio/webm');
    expect(played.rawPayload.equals(audio)).toBe(true);
    const custody = await auditOf(f.caseId, 'signature.consent_played');
    expect(custody).toHaveLength(1);
    expect(custody[0]!.data).toEqual({ agreementId, signatureId, sha256: sha256Of(audio) });
    expect(custody[0]!.actor).toMatchObject({ kind: 'staff' });

    const before = await state();
    const refusals: [string, Record<string, string>, number][] = [
      ['the signer (an invitation is no credential here)', invitationHeader(f.fishermanToken), 401],
      ['another center’s mediator', { cookie: world.cookies.otherMediator }, 404],
      ['nobody', {}, 401],
    ];
    for (const [who, headers, status] of refusals) expect((await world.app.inject({ method: 'GET', url, headers })).statusCode, who).toBe(status);
    expect((await mediator().get(`/api/agreements/${agreementId}/signatures/${f.agentParticipantId}/consent-recording`)).statusCode).toBe(404);
    expect(await state()).toEqual(before);
  });
});
