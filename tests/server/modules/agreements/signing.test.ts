/**
 * Versions and signatures on the real database: immutable versions with a diff, a new version
 * voiding signatures, repeated and concurrent signing (conditional updates: no duplicate, no
 * lost signature, sealed once), identity at signing, who may sign, declining, and the evidence
 * recorded with each signature (in the database and on the sealed PDF's certificate page).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentText } from '../../../../shared/api/agreements.ts';
import {
  agreementFixture,
  collisionDraft,
  invitationHeader,
  nextSignerIp,
  signaturePngBase64,
  type AgreementFixture,
} from '../../../helpers/agreement-fixture.ts';
import { consentAudio, putConsent } from '../../../helpers/consent-audio.ts';
import { api, countFiles, createTestWorld, json, ok, rowsOf, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld();
});
afterAll(() => world?.close());

const mediator = () => api(world.app, world.cookies.mediator);
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

async function query<T = Record<string, unknown>>(statement: ReturnType<typeof sql>) {
  return rowsOf<T>(await world.database.db.execute(statement));
}

interface Version {
  id: string;
  sha256: string;
}

type Identity = { method: 'id_last4'; name: string; last4: string } | { method: 'one_time_code'; code: string };
const fishermanIdentity: Identity = { method: 'id_last4', name: '陈阿海', last4: '002X' };

/** A participant's request, each from its own address (the sign route is rate limited per address). */
function asParticipant(token: string, options: { ip?: string; userAgent?: string } = {}) {
  const headers = { ...invitationHeader(token), 'user-agent': options.userAgent ?? 'haiqiao-signing-test' };
  return {
    get: (url: string) => world.app.inject({ method: 'GET', url, headers }),
    post: (url: string, payload: object) => world.app.inject({ method: 'POST', url, payload, headers, remoteAddress: options.ip ?? nextSignerIp() }),
  };
}

function signBody(version: Version, identity: Identity, extra: Record<string, unknown> = {}) {
  return { versionId: version.id, versionHash: version.sha256, consent: true, identity, signaturePng: signaturePngBase64(), consentRecordingSha256: sha256(consentAudio()), ...extra };
}

/** Uploads the signer's spoken consent (its own answer is left to the sign call to show), then signs. */
async function sign(token: string, agreementId: string, version: Version, identity: Identity, extra: Record<string, unknown> = {}, options: { ip?: string; userAgent?: string } = {}) {
  await putConsent(world.app, token, agreementId);
  return asParticipant(token, options).post(`/api/agreements/${agreementId}/sign`, signBody(version, identity, extra));
}

async function issueCode(agreementId: string, participantId: string): Promise<Identity> {
  const issued = await ok(await mediator().post(`/api/agreements/${agreementId}/signing-codes`, { participantId }));
  return { method: 'one_time_code', code: issued.code };
}

async function getAgreement(agreementId: string) {
  return ok(await mediator().get(`/api/agreements/${agreementId}`));
}

/** A fresh case and its agreement, sent for signature. */
async function agreementInSigning(overrides: Record<string, unknown> = {}) {
  const f = await agreementFixture(world);
  const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f, overrides)), 201);
  await ok(await mediator().post(`/api/agreements/${created.id}/transitions`, { to: 'signing' }));
  const agreement = await getAgreement(created.id);
  // The signers' spoken consent is already stored, so a refused signature below leaves it as it was
  // (an agent the terms do not authorise is refused here too).
  for (const token of [f.fishermanToken, f.agentToken]) await putConsent(world.app, token, created.id);
  return { f, agreementId: created.id as string, version: agreement.currentVersion as Version };
}

async function saveVersion(agreementId: string, f: AgreementFixture, overrides: Record<string, unknown>) {
  return mediator().post(`/api/agreements/${agreementId}/versions`, collisionDraft(f, overrides));
}

/** Adds a participant to the case with an invitation; returns its id and token. */
async function addParticipant(caseId: string, input: Record<string, unknown>) {
  const participant = await ok(await mediator().post(`/api/cases/${caseId}/participants`, input), 201);
  const session = await ok(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '补充调解', scheduledAt: '2026-11-26T06:00:00Z' }), 201);
  const issued = await ok(await mediator().post(`/api/sessions/${session.id}/invitations`, { participantId: participant.id, expiresInHours: 720 }), 201);
  return { id: participant.id as string, token: issued.link.split('/j/')[1] as string };
}

async function signatureRows(agreementId: string) {
  return query<{ id: string; status: string; party_id: string; version_id: string; version_hash: string; ip: string; user_agent: string; identity_method: string | null; image_sha256: string | null; consent_text: string | null; decline_reason: string | null; voided_at: Date | null }>(
    sql`select * from signatures where agreement_id = ${agreementId} order by at, id`,
  );
}
const live = <T extends { status: string }>(list: T[]) => list.filter((s) => s.status !== 'voided');

async function auditTypes(caseId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return (await ok(await mediator().get(`/api/cases/${caseId}/audit`))).items;
}

/** What a refused request must leave as it was. */
async function snapshot(agreementId: string) {
  const [counts] = await query<{ signatures: number; audit: number; codes_used: number }>(
    sql`select (select count(*)::int from signatures where agreement_id = ${agreementId}) as signatures,
               (select count(*)::int from audit_events where type <> 'signature.identity_failed') as audit,
               (select count(*)::int from signing_codes where agreement_id = ${agreementId} and used_at is not null) as codes_used`,
  );
  return { ...counts!, files: countFiles(world.filesDir), status: (await getAgreement(agreementId)).status };
}

describe('versions', () => {
  it('each save is a new immutable version; the diff between versions 1 and 3 shows removed and added lines', async () => {
    const f = await agreementFixture(world);
    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const agreementId = created.id;
    const v2Obligations = [
      { obligorPartyId: f.companyPartyId, description: '向甲方支付第一期赔偿款', amountFen: 49_000_000, dueDate: '2026-12-31' },
      { obligorPartyId: f.companyPartyId, description: '向甲方支付第二期赔偿款', amountFen: 37_000_000, dueDate: '2027-03-31' },
    ];
    const v2 = await ok(await saveVersion(agreementId, f, { obligations: v2Obligations }));
    expect(v2.currentVersion.number).toBe(2);
    const v3 = await ok(await saveVersion(agreementId, f, { obligations: v2Obligations, facts: '2026年10月1日凌晨，乙方货轮在南麂列岛海域与甲方渔船碰撞，甲方渔船倾覆。' }));
    expect(v3.currentVersion.number).toBe(3);
    expect(v3.versions.map((v: { number: number }) => v.number)).toEqual([1, 2, 3]);
    expect(new Set(v3.versions.map((v: { sha256: string }) => v.sha256)).size).toBe(3);
    expect(v3.versions[0].sha256).toBe(created.currentVersion.sha256);

    const diff = await ok(await mediator().get(`/api/agreements/${agreementId}/diff?from=1&to=3`));
    expect(diff).toMatchObject({ from: 1, to: 3 });
    const text = (kind: string) => diff.changes.filter((c: { kind: string }) => c.kind === kind).map((c: { text: string }) => c.text).join('');
    expect(text('removed')).toContain('金额人民币500,000.00元（大写：人民币伍拾万元整）');
    expect(text('removed')).toContain('致甲方渔船倾覆、甲方受伤');
    expect(text('added')).toContain('金额人民币490,000.00元（大写：人民币肆拾玖万元整）');
    expect(text('added')).toContain('甲方渔船倾覆。');
    expect(text('same')).toContain('船舶碰撞人身损害赔偿调解协议书');
    // The totals did not change (860,000 either way): that line is common to both.
    expect(text('same')).toContain('以上款项合计人民币860,000.00元');
    // Same + removed rebuilds version 1; same + added rebuilds version 3.
    const rebuild = (skip: string) => diff.changes.filter((c: { kind: string }) => c.kind !== skip).map((c: { text: string }) => c.text).join('');
    expect(rebuild('added')).toBe(created.currentVersion.text);
    expect(rebuild('removed')).toBe(v3.currentVersion.text);

    expect((await mediator().get(`/api/agreements/${agreementId}/diff?from=1&to=9`)).statusCode).toBe(404);
  });

  it('version rows cannot be changed or deleted, even by direct SQL', async () => {
    const f = await agreementFixture(world);
    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const versionId = created.currentVersion.id;
    // drizzle wraps the database error: the trigger's message is on the cause.
    const refusal = (error: unknown) => String((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message);
    for (const statement of [
      sql`update agreement_versions set text = 'forged' where id = ${versionId}`,
      sql`update agreement_versions set sha256 = ${'0'.repeat(64)} where id = ${versionId}`,
      sql`delete from agreement_versions where id = ${versionId}`,
    ]) {
      const error = await world.database.db.execute(statement).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, 'the statement must throw').not.toBeNull();
      expect(refusal(error)).toMatch(/agreement_versions are immutable/);
    }
    const [row] = await query<{ text: string; sha256: string }>(sql`select text, sha256 from agreement_versions where id = ${versionId}`);
    expect(row).toEqual({ text: created.currentVersion.text, sha256: created.currentVersion.sha256 });
  });

  it('saving a draft identical to the current version is 409 and writes nothing', async () => {
    const f = await agreementFixture(world);
    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const before = await snapshot(created.id);
    const again = await saveVersion(created.id, f, {});
    expect(again.statusCode).toBe(409);
    expect(json(again).error.code).toBe('CONFLICT');
    expect((await getAgreement(created.id)).versions).toHaveLength(1);
    expect(await snapshot(created.id)).toEqual(before);
  });
});

describe('a new version voids signatures', () => {
  it('the signature is voided (audited), the agreement returns to drafting, and the old version can no longer be signed', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    await ok(await sign(f.fishermanToken, agreementId, version, fishermanIdentity));
    const signed = (await signatureRows(agreementId))[0]!;
    expect(signed.status).toBe('signed');

    const saved = await ok(await saveVersion(agreementId, f, { facts: '修订后的事实陈述：乙方货轮与甲方渔船在南麂列岛海域碰撞。' }));
    expect(saved.status).toBe('drafting');
    expect(saved.currentVersion.number).toBe(2);
    expect(saved.voidedSignatures).toHaveLength(1);
    expect(saved.voidedSignatures[0]).toMatchObject({ id: signed.id, status: 'voided', versionHash: version.sha256, signerName: '陈阿海' });
    expect(saved.requiredSigners.every((r: { signature: unknown }) => r.signature === null)).toBe(true);
    const [row] = await signatureRows(agreementId);
    expect(row!.status).toBe('voided');
    expect(row!.voided_at).not.toBeNull();
    const voidedEvents = (await auditTypes(f.caseId)).filter((e) => e.type === 'signature.voided');
    expect(voidedEvents).toHaveLength(1);
    expect(voidedEvents[0]!.data).toMatchObject({ agreementId, signatureId: signed.id, was: 'signed' });

    // While drafting nobody signs; once it is out for signature again, only the new version.
    const whileDrafting = await sign(f.fishermanToken, agreementId, version, fishermanIdentity);
    expect(whileDrafting.statusCode).toBe(409);
    await ok(await mediator().post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' }));
    const oldVersion = await sign(f.fishermanToken, agreementId, version, fishermanIdentity);
    expect(oldVersion.statusCode).toBe(409);
    expect(json(oldVersion).error.code).toBe('CONFLICT');
    const newVersion: Version = saved.currentVersion;
    const mixed = await sign(f.fishermanToken, agreementId, { id: newVersion.id, sha256: version.sha256 }, fishermanIdentity);
    expect(mixed.statusCode).toBe(409);
    expect(live(await signatureRows(agreementId))).toHaveLength(0);

    const onNew = await ok(await sign(f.fishermanToken, agreementId, newVersion, fishermanIdentity));
    expect(onNew.requiredSigners[0].signature).toMatchObject({ status: 'signed', versionHash: newVersion.sha256 });
    expect(onNew.voidedSignatures).toHaveLength(1);
  });
});

describe('repeated and concurrent signing', () => {
  it('signing twice in a row: the second is 409, one live signature', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    await ok(await sign(f.fishermanToken, agreementId, version, fishermanIdentity));
    const before = await snapshot(agreementId);
    const again = await sign(f.fishermanToken, agreementId, version, fishermanIdentity);
    expect(again.statusCode).toBe(409);
    expect(live(await signatureRows(agreementId))).toHaveLength(1);
    expect(await snapshot(agreementId)).toEqual(before);
  });

  for (let round = 1; round <= 5; round++) {
    it(`two signers at once (round ${round}): both succeed, two signatures, signed once and sealed once`, async () => {
      const { f, agreementId, version } = await agreementInSigning();
      const code = await issueCode(agreementId, f.agentParticipantId);
      const [fisherman, agent] = await Promise.all([sign(f.fishermanToken, agreementId, version, fishermanIdentity), sign(f.agentToken, agreementId, version, code)]);
      expect(fisherman.statusCode, fisherman.body).toBe(200);
      expect(agent.statusCode, agent.body).toBe(200);
      // (Each answer is read after its own commit, so both may already show 'signed': the audit
      // trail below is what tells that the agreement became signed exactly once.)
      expect(json(fisherman).status === 'signed' || json(agent).status === 'signed').toBe(true);

      const signatures = live(await signatureRows(agreementId));
      expect(signatures).toHaveLength(2);
      expect(new Set(signatures.map((s) => s.party_id))).toEqual(new Set([f.fishermanPartyId, f.companyPartyId]));

      await world.app.sealer.idle();
      const events = await auditTypes(f.caseId);
      const becameSigned = events.filter((e) => e.type === 'agreement.status_changed' && e.data.agreementId === agreementId && e.data.to === 'signed');
      expect(becameSigned).toHaveLength(1);
      expect(events.filter((e) => e.type === 'document.sealed' && e.data.agreementId === agreementId)).toHaveLength(1);
      const documents = await query(sql`select id from documents where agreement_id = ${agreementId}`);
      expect(documents).toHaveLength(1);
      const sealed = await getAgreement(agreementId);
      expect(sealed.status).toBe('sealed');
      expect(sealed.sealedDocument.id).toBe((documents[0] as { id: string }).id);
      expect((await ok(await mediator().get(`/api/cases/${f.caseId}`))).status).toBe('following_up');
      // Sealing again (as after a restart) changes nothing.
      await world.app.sealer.resumePending();
      await world.app.sealer.sealAgreement(agreementId);
      expect(await query(sql`select id from documents where agreement_id = ${agreementId}`)).toHaveLength(1);
    });
  }

  it('the same signer twice at once: one 200, one 409, one signature row', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const results = await Promise.all([sign(f.fishermanToken, agreementId, version, fishermanIdentity), sign(f.fishermanToken, agreementId, version, fishermanIdentity)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await signatureRows(agreementId)).toHaveLength(1);
    const events = (await auditTypes(f.caseId)).filter((e) => e.type === 'signature.signed');
    expect(events).toHaveLength(1);
  });

  it('an agent racing twice with one code: one 200, one 409, one signature row, the code used once', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const code = await issueCode(agreementId, f.agentParticipantId);
    const results = await Promise.all([sign(f.agentToken, agreementId, version, code), sign(f.agentToken, agreementId, version, code)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await signatureRows(agreementId)).toHaveLength(1);
    expect(await query(sql`select id from signing_codes where agreement_id = ${agreementId} and used_at is not null`)).toHaveLength(1);
  });
});

describe('identity at signing', () => {
  let f: AgreementFixture;
  let agreementId: string;
  let version: Version;
  beforeAll(async () => {
    ({ f, agreementId, version } = await agreementInSigning());
  });

  async function expectRejected(res: LightMyRequestResponse) {
    expect(res.statusCode, res.body).toBe(403);
    expect(json(res).error.code).toBe('IDENTITY_REJECTED');
  }

  it('wrong last four ID characters or a wrong name: 403 IDENTITY_REJECTED, no signature; only the miss is counted and audited', async () => {
    const before = await snapshot(agreementId);
    await expectRejected(await sign(f.fishermanToken, agreementId, version, { method: 'id_last4', name: '陈阿海', last4: '0021' }));
    await expectRejected(await sign(f.fishermanToken, agreementId, version, { method: 'id_last4', name: '陈阿山', last4: '002X' }));
    // An organisation's agent has no ID number on file: ID digits cannot work for them (nothing to count).
    await expectRejected(await sign(f.agentToken, agreementId, version, { method: 'id_last4', name: '李律师', last4: '002X' }));
    expect(await snapshot(agreementId)).toEqual(before);
    expect(await identityFailures(agreementId)).toEqual([
      { method: 'id_last4', failures: 1 },
      { method: 'id_last4', failures: 2 },
    ]);
    // The lower-case x and spaces in the name are tolerated.
    await ok(await sign(f.fishermanToken, agreementId, version, { method: 'id_last4', name: ' 陈 阿海', last4: '002x' }));
  });

  it('a code for someone else, a used code and an expired code are refused; nothing written', async () => {
    const fishermanCode = await issueCode(agreementId, f.agentParticipantId);
    // The agent's code does not let the fisherman's party sign (codes are per participant)… (already signed here, so use a fresh agreement)
    const fresh = await agreementInSigning();
    const agentCode = await issueCode(fresh.agreementId, fresh.f.agentParticipantId);
    const freshBefore = await snapshot(fresh.agreementId);
    await expectRejected(await sign(fresh.f.fishermanToken, fresh.agreementId, fresh.version, agentCode));
    // …nor the agent on another agreement.
    await expectRejected(await sign(fresh.f.agentToken, fresh.agreementId, fresh.version, fishermanCode));
    expect(await snapshot(fresh.agreementId)).toEqual(freshBefore);

    // Used: the agent signs with a code, a new version voids it, the same code is refused.
    await ok(await sign(fresh.f.agentToken, fresh.agreementId, fresh.version, agentCode));
    const v2 = await ok(await saveVersion(fresh.agreementId, fresh.f, { facts: '第二稿事实陈述：双方船舶在南麂列岛海域发生碰撞。' }));
    await ok(await mediator().post(`/api/agreements/${fresh.agreementId}/transitions`, { to: 'signing' }));
    await ok(await putConsent(world.app, fresh.f.agentToken, fresh.agreementId), 201); // consent to version 2
    const beforeUsed = await snapshot(fresh.agreementId);
    await expectRejected(await sign(fresh.f.agentToken, fresh.agreementId, v2.currentVersion, agentCode));
    expect(await snapshot(fresh.agreementId)).toEqual(beforeUsed);

    // Expired: valid for 15 minutes.
    const late = await issueCode(fresh.agreementId, fresh.f.agentParticipantId);
    world.clock.now = new Date(world.clock.now.getTime() + 16 * 60_000);
    const beforeExpired = await snapshot(fresh.agreementId);
    await expectRejected(await sign(fresh.f.agentToken, fresh.agreementId, v2.currentVersion, late));
    expect(await snapshot(fresh.agreementId)).toEqual(beforeExpired);
    // A fresh code works.
    await ok(await sign(fresh.f.agentToken, fresh.agreementId, v2.currentVersion, await issueCode(fresh.agreementId, fresh.f.agentParticipantId)));
  });

  it('consent missing or false → 400 on consent; a non-PNG signature → 400 on signaturePng; nothing written', async () => {
    const fresh = await agreementInSigning();
    const before = await snapshot(fresh.agreementId);
    const post = (body: Record<string, unknown>) => asParticipant(fresh.f.fishermanToken).post(`/api/agreements/${fresh.agreementId}/sign`, body);
    const { consent: _omitted, ...withoutConsent } = signBody(fresh.version, fishermanIdentity);
    for (const body of [withoutConsent, signBody(fresh.version, fishermanIdentity, { consent: false }), signBody(fresh.version, fishermanIdentity, { consent: 'true' })]) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'consent' });
    }
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, ...new Array(200).fill(0x11), 0xff, 0xd9]).toString('base64');
    for (const signaturePng of [jpeg, Buffer.from('%PDF-1.7 not an image at all'.repeat(10)).toString('base64'), 'not base64 at all!', Buffer.from(signaturePngBase64(), 'base64').subarray(0, 40).toString('base64')]) {
      const res = await post(signBody(fresh.version, fishermanIdentity, { signaturePng }));
      expect(res.statusCode, res.body).toBe(400);
      expect(json(res).error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'signaturePng' });
    }
    expect(await snapshot(fresh.agreementId)).toEqual(before);
  });
});

describe('who may sign', () => {
  it('a party not in the agreement, an agent not authorised to sign, staff, an observer and an interpreter are refused (403); another case’s party sees nothing (404)', async () => {
    const { f, agreementId, version } = await agreementInSigning({ agents: [{ participantId: '', forPartyId: '', maySign: false }].slice(0, 0) });
    // The terms above name no agent: the company's lawyer is not authorised to sign.
    const third = await ok(await mediator().post(`/api/cases/${f.caseId}/parties`, { kind: 'person', name: '第三人王五' }), 201);
    const outsider = await addParticipant(f.caseId, { role: 'party', displayName: '第三人王五', partyId: third.id });
    const observer = await addParticipant(f.caseId, { role: 'observer', displayName: '旁听人' });
    const interpreter = await addParticipant(f.caseId, { role: 'interpreter', displayName: '翻译', languagePair: { from: 'minnan', to: 'putonghua' } });
    const otherCase = await agreementFixture(world);
    const before = await snapshot(agreementId);

    const refusals: [string, Promise<LightMyRequestResponse>, number][] = [
      ['party not in the agreement', sign(outsider.token, agreementId, version, fishermanIdentity), 403],
      ['agent without authority', sign(f.agentToken, agreementId, version, await issueCode(agreementId, f.agentParticipantId)), 403],
      ['observer', sign(observer.token, agreementId, version, fishermanIdentity), 403],
      ['interpreter', sign(interpreter.token, agreementId, version, fishermanIdentity), 403],
      ['party of another case', sign(otherCase.fishermanToken, agreementId, version, fishermanIdentity), 404],
      ['the mediator', world.app.inject({ method: 'POST', url: `/api/agreements/${agreementId}/sign`, payload: signBody(version, fishermanIdentity), headers: { cookie: world.cookies.mediator } }), 403],
      ['the judge', world.app.inject({ method: 'POST', url: `/api/agreements/${agreementId}/sign`, payload: signBody(version, fishermanIdentity), headers: { cookie: world.cookies.wenzhouJudge } }), 403],
      ['nobody', world.app.inject({ method: 'POST', url: `/api/agreements/${agreementId}/sign`, payload: signBody(version, fishermanIdentity) }), 401],
    ];
    for (const [who, pending, status] of refusals) {
      const res = await pending;
      expect(res.statusCode, `${who}: ${res.body}`).toBe(status);
    }
    // The issued code is unused: the refusal came before identity was checked.
    const after = await snapshot(agreementId);
    expect({ ...after, audit: before.audit }).toEqual(before); // only the code issue was audited
    expect(live(await signatureRows(agreementId))).toHaveLength(0);

    // The agreement lists who may sign: the fisherman for side A; nobody yet for the company.
    const view = await getAgreement(agreementId);
    expect(view.requiredSigners.map((r: { eligible: { role: string }[] }) => r.eligible.map((e) => e.role))).toEqual([['party'], []]);
  });

  it('an agent the agreement authorises signs for the party they represent', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const view = await ok(await sign(f.agentToken, agreementId, version, await issueCode(agreementId, f.agentParticipantId)));
    const company = view.requiredSigners.find((r: { partyId: string }) => r.partyId === f.companyPartyId);
    expect(company.signature).toMatchObject({ status: 'signed', signerName: '李律师', signerParticipantId: f.agentParticipantId, identityMethod: 'one_time_code' });
  });
});

describe('declining', () => {
  it('a party declines with a reason; signing is refused until the mediator saves a new version', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const reason = '第二期赔偿款的支付期限过长，不能接受。';
    const tooShort = await asParticipant(f.fishermanToken).post(`/api/agreements/${agreementId}/decline`, { versionId: version.id, versionHash: version.sha256, reason: '不' });
    expect(tooShort.statusCode).toBe(400);
    const declined = await ok(await asParticipant(f.fishermanToken).post(`/api/agreements/${agreementId}/decline`, { versionId: version.id, versionHash: version.sha256, reason }));
    expect(declined.requiredSigners[0].signature).toMatchObject({ status: 'declined', declineReason: reason, signerName: '陈阿海', imageSha256: null });
    expect(declined.status).toBe('signing');
    expect((await auditTypes(f.caseId)).some((e) => e.type === 'signature.declined')).toBe(true);

    const signAfter = await sign(f.fishermanToken, agreementId, version, fishermanIdentity);
    expect(signAfter.statusCode).toBe(409);
    const declineAgain = await asParticipant(f.fishermanToken).post(`/api/agreements/${agreementId}/decline`, { versionId: version.id, versionHash: version.sha256, reason });
    expect(declineAgain.statusCode).toBe(409);
    // The other side can still sign; the agreement cannot complete with a refusal on file.
    const agentView = await ok(await sign(f.agentToken, agreementId, version, await issueCode(agreementId, f.agentParticipantId)));
    expect(agentView.status).toBe('signing');

    const revised = await ok(
      await saveVersion(agreementId, f, {
        obligations: [{ obligorPartyId: f.companyPartyId, description: '向甲方一次性支付全部赔偿款', amountFen: 86_000_000, dueDate: '2026-12-31' }],
      }),
    );
    expect(revised.voidedSignatures.map((s: { status: string }) => s.status)).toEqual(['voided', 'voided']);
    expect(revised.voidedSignatures.find((s: { declineReason: string | null }) => s.declineReason === reason)).toBeTruthy();
    await ok(await mediator().post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' }));
    const signed = await ok(await sign(f.fishermanToken, agreementId, revised.currentVersion, fishermanIdentity));
    expect(signed.requiredSigners[0].signature.status).toBe('signed');
  });
});

describe('what a signature records', () => {
  it('who, the version hash, time, IP, user agent, identity method and image hash; the sealed PDF’s certificate page shows each signer’s IP and the version hash', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const fishermanIp = '198.18.0.21';
    const agentIp = '198.18.0.42';
    const fishermanPng = signaturePngBase64(7);
    const signedAt = world.clock.now.toISOString();
    await ok(await sign(f.fishermanToken, agreementId, version, fishermanIdentity, { signaturePng: fishermanPng }, { ip: fishermanIp, userAgent: 'Mozilla/5.0 (Linux; Android 14) 渔民手机' }));
    await ok(await sign(f.agentToken, agreementId, version, await issueCode(agreementId, f.agentParticipantId), {}, { ip: agentIp, userAgent: 'Mozilla/5.0 (Macintosh) 律所电脑' }));

    const stored = await signatureRows(agreementId);
    expect(stored).toHaveLength(2);
    // The test clock stands still, so both were signed at the same instant: pick them by party.
    const fisherman = stored.find((s) => s.party_id === f.fishermanPartyId);
    const agent = stored.find((s) => s.party_id === f.companyPartyId);
    expect(fisherman).toMatchObject({
      status: 'signed',
      party_id: f.fishermanPartyId,
      version_id: version.id,
      version_hash: version.sha256,
      ip: fishermanIp,
      user_agent: 'Mozilla/5.0 (Linux; Android 14) 渔民手机',
      identity_method: 'id_last4',
      image_sha256: sha256(Buffer.from(fishermanPng, 'base64')),
      consent_text: consentText,
    });
    expect(agent).toMatchObject({ party_id: f.companyPartyId, ip: agentIp, identity_method: 'one_time_code', version_hash: version.sha256 });
    const [times] = await query<{ at: Date }>(sql`select at from signatures where id = ${fisherman!.id}`);
    expect(new Date(times!.at).toISOString()).toBe(signedAt);
    const [who] = await query<{ signer_participant_id: string; signer_name: string }>(sql`select signer_participant_id, signer_name from signatures where id = ${agent!.id}`);
    expect(who).toEqual({ signer_participant_id: f.agentParticipantId, signer_name: '李律师' });

    // The stored image is the one sent.
    const image = await mediator().get(`/api/agreements/${agreementId}/signatures/${fisherman!.id}/image`);
    expect(image.headers['content-type']).toBe('image/png');
    expect(sha256(image.rawPayload)).toBe(fisherman!.image_sha256);

    await world.app.sealer.idle();
    const sealed = await getAgreement(agreementId);
    expect(sealed.status).toBe('sealed');
    const pdf = await world.app.inject({ method: 'GET', url: sealed.sealedDocument.url });
    expect(pdf.statusCode).toBe(200);
    expect(sha256(pdf.rawPayload)).toBe(sealed.sealedDocument.sha256);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hq-signing-')), 'agreement.pdf');
    writeFileSync(file, pdf.rawPayload);
    const whole = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
    for (const needle of [fishermanIp, agentIp, version.sha256]) expect(whole).toContain(needle);
    // The certificate pages (签署证明页, at the end; the seal's certificate facts may carry them
    // onto a second page) hold the signing evidence.
    const certificatePages = whole.slice(whole.lastIndexOf('签署证明页'));
    expect(certificatePages).toContain(fishermanIp);
    expect(certificatePages).toContain(agentIp);
    expect(certificatePages).toContain(version.sha256);
    expect(execFileSync('pdfsig', [file], { encoding: 'utf8' })).toContain('Signature is Valid');
  });
});

describe('guessing ID digits', () => {
  it('after five wrong tries, counted in the database across a restart, the ID digits are refused even when right (no signature); a one-time code still works', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const before = await snapshot(agreementId);
    for (let attempt = 1; attempt <= 5; attempt++) {
      // The count is the database's, not a process's: a restart in the middle does not reset it.
      if (attempt === 4) await world.restart();
      const res = await sign(f.fishermanToken, agreementId, version, { method: 'id_last4', name: '陈阿海', last4: `100${attempt}` });
      expect(res.statusCode).toBe(403);
      expect(json(res).error.message).toContain(attempt < 5 ? `${5 - attempt} attempts left` : 'too many');
    }
    expect((await identityFailures(agreementId)).map((e) => e.failures)).toEqual([1, 2, 3, 4, 5]);
    const right = await sign(f.fishermanToken, agreementId, version, fishermanIdentity);
    expect(right.statusCode).toBe(403);
    expect(json(right).error).toMatchObject({ code: 'IDENTITY_REJECTED', field: 'identity.method' });
    expect(await snapshot(agreementId)).toEqual(before);
    // The limit is per agreement and signer: the mediator's code lets the fisherman sign.
    const code = await issueCode(agreementId, (await getAgreement(agreementId)).requiredSigners[0].eligible[0].participantId);
    const signed = await ok(await sign(f.fishermanToken, agreementId, version, code));
    expect(signed.requiredSigners[0].signature).toMatchObject({ status: 'signed', identityMethod: 'one_time_code' });
    // Refused attempts after the cap are not counted again.
    expect(await identityFailures(agreementId)).toHaveLength(5);
  });

  it('five wrong one-time codes void the open code (the right one is then refused); a new code counts afresh and works', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    const fisherman = (await getAgreement(agreementId)).requiredSigners[0].eligible[0].participantId;
    const code = await issueCode(agreementId, fisherman);
    const right = (code as { code: string }).code;
    const wrong = { method: 'one_time_code' as const, code: right === '000000' ? '000001' : '000000' };
    for (let attempt = 1; attempt <= 5; attempt++) {
      const res = await sign(f.fishermanToken, agreementId, version, wrong);
      expect(res.statusCode).toBe(403);
      expect(json(res).error).toMatchObject({ code: 'IDENTITY_REJECTED', field: 'identity.code' });
    }
    expect(await identityFailures(agreementId)).toEqual([1, 2, 3, 4, 5].map((failures) => ({ method: 'one_time_code', failures, codeVoid: failures === 5 })));
    const voided = await sign(f.fishermanToken, agreementId, version, code);
    expect(voided.statusCode).toBe(403);
    expect(json(voided).error.message).toContain('too many wrong codes');
    const fresh = await issueCode(agreementId, fisherman);
    expect(await query(sql`select code_failures from signing_identity_failures where agreement_id = ${agreementId}`)).toEqual([{ code_failures: 0 }]);
    const signed = await ok(await sign(f.fishermanToken, agreementId, version, fresh));
    expect(signed.requiredSigners[0].signature).toMatchObject({ status: 'signed', identityMethod: 'one_time_code' });
  });
});

/** The identity misses audited for an agreement, oldest first. */
async function identityFailures(agreementId: string) {
  const rows = await query<{ data: { method: string; failures: number; codeVoid?: boolean } }>(
    sql`select data from audit_events where type = 'signature.identity_failed' and data->>'agreementId' = ${agreementId} order by seq`,
  );
  return rows.map(({ data: { method, failures, codeVoid } }) => ({ method, failures, ...(codeVoid === undefined ? {} : { codeVoid }) }));
}

describe('the mediator’s controls', () => {
  it('signing codes are issued only while the agreement is out for signature (409 otherwise, nothing written)', async () => {
    const f = await agreementFixture(world);
    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const before = await snapshot(created.id);
    const res = await mediator().post(`/api/agreements/${created.id}/signing-codes`, { participantId: f.agentParticipantId });
    expect(res.statusCode).toBe(409);
    expect(await snapshot(created.id)).toEqual(before);
    expect(await query(sql`select id from signing_codes where agreement_id = ${created.id}`)).toHaveLength(0);
  });

  it('withdrawing an agreement out for signature voids its signatures (audited); it can no longer be signed or changed', async () => {
    const { f, agreementId, version } = await agreementInSigning();
    await ok(await sign(f.fishermanToken, agreementId, version, fishermanIdentity));
    const withdrawn = await ok(await mediator().post(`/api/agreements/${agreementId}/transitions`, { to: 'withdrawn' }));
    expect(withdrawn.status).toBe('withdrawn');
    expect(live(await signatureRows(agreementId))).toHaveLength(0);
    expect(withdrawn.voidedSignatures).toHaveLength(1);
    expect((await auditTypes(f.caseId)).filter((e) => e.type === 'signature.voided' && e.data.agreementId === agreementId)).toHaveLength(1);
    const before = await snapshot(agreementId);
    expect((await mediator().post(`/api/agreements/${agreementId}/signing-codes`, { participantId: f.agentParticipantId })).statusCode).toBe(409);
    expect((await sign(f.fishermanToken, agreementId, version, fishermanIdentity)).statusCode).toBe(409);
    expect((await saveVersion(agreementId, f, { facts: '撤回后再修改。' })).statusCode).toBe(409);
    expect((await mediator().post(`/api/agreements/${agreementId}/comments`, { kind: 'comment', text: '撤回后评论' })).statusCode).toBe(409);
    expect(await snapshot(agreementId)).toEqual(before);
  });

  it('court staff neither see the draft before anything is filed (404) nor comment on it (403); the parties and the mediator do', async () => {
    const { f, agreementId } = await agreementInSigning();
    const before = await snapshot(agreementId);
    for (const cookie of [world.cookies.wenzhouJudge, world.cookies.ningboClerk]) {
      expect((await api(world.app, cookie).get(`/api/agreements/${agreementId}`)).statusCode).toBe(404);
      expect((await api(world.app, cookie).post(`/api/agreements/${agreementId}/comments`, { kind: 'comment', text: '法院的意见' })).statusCode).toBe(403);
    }
    expect(await snapshot(agreementId)).toEqual(before);
    const byParty = await ok(await asParticipant(f.fishermanToken).post(`/api/agreements/${agreementId}/comments`, { kind: 'change_request', text: '请把第一期提前。' }));
    expect(byParty.comments.map((c: { authorName: string; kind: string }) => [c.authorName, c.kind])).toEqual([['陈阿海', 'change_request']]);
  });
});
