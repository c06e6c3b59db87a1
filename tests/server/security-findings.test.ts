/**
 * Issue 10's findings over HTTP, each replayed as it was found: the request that got a 500 (or got
 * through) then is answered now with a clear 4xx naming the problem, and every row of every table
 * and every stored file is as it was (worldState), not merely the row counts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PDFDocument, PDFName } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.ts';
import { previewLimits } from '../../server/documents/pdf-page-image.ts';
import { createIdNumberCipher } from '../../server/security/id-number-cipher.ts';
import { agreementFixture, collisionDraft, invitationHeader, type AgreementFixture } from '../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, ok, testPassword, type TestWorld, worldState } from '../helpers/test-app.ts';

let world: TestWorld;
let f: AgreementFixture;
let appraiserToken: string;
const mediator = () => api(world.app, world.cookies.mediator);
const guessing = { loginFailuresPerAccount: 3, loginLockSeconds: 2, tokenFailuresPerAddress: 4, tokenBlockSeconds: 2 };

beforeAll(async () => {
  world = await createTestWorld({ guessingLimits: guessing });
  f = await agreementFixture(world);
  const appraiser = json(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'appraiser', displayName: '浙江海事司法鉴定中心 王工' }));
  const session = json(await mediator().post(`/api/cases/${f.caseId}/sessions`, { title: '云鉴定', scheduledAt: '2026-11-26T02:00:00Z' }));
  appraiserToken = json(await mediator().post(`/api/sessions/${session.id}/invitations`, { participantId: appraiser.id })).link.split('/j/')[1];
});
afterAll(() => world?.close());

/** Sends what was found, expects the status (and code, field), and that nothing at all changed. */
async function refusedUnchanged(send: () => Promise<import('fastify').LightMyRequestResponse>, expected: { status: number; code: string; field?: string }) {
  const before = await worldState(world);
  const res = await send();
  expect(res.statusCode, res.body.slice(0, 300)).toBe(expected.status);
  expect(json(res).error.code).toBe(expected.code);
  if (expected.field) expect(json(res).error.field).toBe(expected.field);
  expect(await worldState(world)).toEqual(before);
  return json(res).error as { code: string; message: string; field?: string };
}

describe('finding 1: malformed multipart is a 400 naming the problem, not a 500', () => {
  const filePart = (boundary: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 a report\r\n`;
  const bodies: [string, string, string][] = [
    ['no boundary', 'multipart/form-data', `${filePart('B0undary')}--B0undary--\r\n`],
    ['an empty boundary', 'multipart/form-data; boundary=', `${filePart('B0undary')}--B0undary--\r\n`],
    ['a truncated body', 'multipart/form-data; boundary=B0undary', filePart('B0undary').slice(0, 120)],
    ['a body cut inside the part headers', 'multipart/form-data; boundary=B0undary', '--B0undary\r\nContent-Disposition: form-da'],
    ['a body that never closes', 'multipart/form-data; boundary=B0undary', filePart('B0undary')],
    ['another boundary in the body', 'multipart/form-data; boundary=AAAA', `${filePart('B0undary')}--B0undary--\r\n`],
  ];
  const uploads: [string, () => string, () => Record<string, string>][] = [
    ['evidence (a party)', () => `/api/cases/${f.caseId}/evidence`, () => invitationHeader(f.fishermanToken)],
    ['an appraisal report (the appraiser)', () => `/api/cases/${f.caseId}/appraisals`, () => invitationHeader(appraiserToken)],
  ];

  for (const [target, url, headers] of uploads) {
    it.each(bodies)(`${target} with %s → 400 on the file field`, async (_what, contentType, body) => {
      const error = await refusedUnchanged(() => world.app.inject({ method: 'POST', url: url(), headers: { ...headers(), 'content-type': contentType }, payload: body }), {
        status: 400,
        code: 'VALIDATION_FAILED',
        field: 'file',
      });
      expect(error.message).toMatch(/multipart|attach/);
    });
  }

  it('the message says what is wrong with the body', async () => {
    const res = await world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/evidence`, headers: { ...invitationHeader(f.fishermanToken), 'content-type': 'multipart/form-data' }, payload: 'x' });
    expect(json(res).error.message).toMatch(/malformed multipart\/form-data body \(.*[Bb]oundary/);
  });
});

describe('finding 4: a PDF that is too costly to draw gets "cannot preview", quickly and once', () => {
  it('a 100 kB PDF whose one page fills itself millions of times: 422 CANNOT_PREVIEW within the limits, then from memory', async () => {
    // ~50 MB of page-filling operators, deflated to about 100 kB: what took pdftoppm 30 s before.
    const doc = await PDFDocument.create();
    const page = doc.addPage([595, 842]);
    const stream = doc.context.flateStream(Buffer.from('0 0 595 842 re f\n'.repeat(3_000_000)));
    page.node.set(PDFName.of('Contents'), doc.context.register(stream));
    const bytes = Buffer.from(await doc.save());
    expect(bytes.length).toBeLessThan(200_000);
    const body = new FormData();
    body.append('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), 'bomb.pdf');
    const view = await ok(await world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(f.fishermanToken), payload: body }), 201);

    const before = await worldState(world);
    const started = Date.now();
    const first = await world.app.inject({ method: 'GET', url: `/api/evidence/${view.id}/pages/1`, headers: invitationHeader(f.fishermanToken) });
    const took = Date.now() - started;
    expect(first.statusCode, first.body).toBe(422);
    expect(json(first).error).toMatchObject({ code: 'CANNOT_PREVIEW', message: expect.stringContaining('download the original') });
    expect(took).toBeLessThan(previewLimits.renderTimeoutMs + 4_000);
    // Asked again: the refusal is remembered, nothing is rendered twice.
    const again = Date.now();
    const second = await world.app.inject({ method: 'GET', url: `/api/evidence/${view.id}/pages/1`, headers: invitationHeader(f.fishermanToken) });
    expect(second.statusCode).toBe(422);
    expect(Date.now() - again).toBeLessThan(500);
    expect(await worldState(world)).toEqual(before);
    // The original is still there to download.
    const original = await world.app.inject({ method: 'GET', url: `/api/evidence/${view.id}/content`, headers: invitationHeader(f.fishermanToken) });
    expect(original.rawPayload.equals(bytes)).toBe(true);
  }, 30_000);
});

describe('finding 5: every page carries a strict CSP and the security headers', () => {
  const clientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-csp-client-'));
  fs.writeFileSync(path.join(clientDir, 'index.html'), '<!doctype html><title>海桥</title><script type="module" src="/assets/app.js"></script>');
  afterAll(() => fs.rmSync(clientDir, { recursive: true, force: true }));
  const appWith = (publicUrl: string) => buildApp({ database: world.database, cipher: createIdNumberCipher(randomBytes(32)), media: null, publicUrl, clientDir });

  it('the app shell, the API docs and API answers: no inline script, no framing, no sniffing; HSTS with an https public URL', async () => {
    const app = await appWith('https://haiqiao.test');
    try {
      for (const url of ['/', '/cases/123', '/j/some-token', '/docs/', '/api/health']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBeLessThan(400);
        const csp = String(res.headers['content-security-policy']);
        expect(csp, url).toContain("script-src 'self'");
        expect(csp, url).not.toMatch(/script-src[^;]*'unsafe-(inline|eval)'/);
        expect(csp, url).toContain("frame-ancestors 'none'");
        expect(csp, url).toContain("object-src 'none'");
        expect(res.headers['x-frame-options'], url).toBe('DENY');
        expect(res.headers['x-content-type-options'], url).toBe('nosniff');
        expect(res.headers['referrer-policy'], url).toBe('no-referrer');
        expect(String(res.headers['strict-transport-security']), url).toMatch(/max-age=\d{7,}/);
      }
    } finally {
      await app.close();
    }
  });

  it('no HSTS when the public URL is plain http (a browser would then refuse the service)', async () => {
    const app = await appWith('http://192.168.1.20:3000');
    try {
      const res = await app.inject({ method: 'GET', url: '/' });
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    } finally {
      await app.close();
    }
  });
});

describe('finding 6: integers beyond their column or beyond exact money are 400, not 500', () => {
  let agreementId: string;
  beforeAll(async () => {
    agreementId = (await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201)).id;
  });

  it.each([
    ['to', 'from=1&to=99999999999'],
    ['from', 'from=99999999999&to=1'],
    ['to', 'from=1&to=2147483648'],
    ['to', `from=1&to=${2 ** 60}`],
  ])('GET /diff naming %s beyond a PostgreSQL integer (%s) → 400', async (field, query) => {
    await refusedUnchanged(() => mediator().get(`/api/agreements/${agreementId}/diff?${query}`), { status: 400, code: 'VALIDATION_FAILED', field });
  });

  const common = () => {
    const { collisionAt: _c, persons: _p, vesselLossFen: _v, otherLossFen: _o, ...terms } = collisionDraft(f).terms as Record<string, unknown>;
    return terms;
  };
  it.each([
    ['gear quantity × unit price beyond 2^53 fen', 'fishing_gear_damage', () => ({ gear: [{ kind: '流刺网', quantity: 100_000, unitPriceFen: 10_000_000_000_000 }] }), 'terms.gear.0.unitPriceFen'],
    ['gear subtotal just over the legal maximum', 'fishing_gear_damage', () => ({ gear: [{ kind: '流刺网', quantity: 2, unitPriceFen: 5_000_000_000_001 }] }), 'terms.gear.0.unitPriceFen'],
    ['catch weight × price beyond 2^53 fen', 'catch_sale', () => ({ catches: [{ species: '带鱼', weightKg: 10_000_000, pricePerKgFen: 10_000_000_000_000 }] }), 'terms.catches.0.pricePerKgFen'],
    [
      'obligations adding up beyond the legal maximum',
      'general',
      () => ({
        obligations: [
          { obligorPartyId: f.companyPartyId, description: '第一期', amountFen: 9_000_000_000_000, dueDate: '2026-12-31' },
          { obligorPartyId: f.companyPartyId, description: '第二期', amountFen: 9_000_000_000_000, dueDate: '2027-03-31' },
        ],
      }),
      'terms.obligations',
    ],
  ])('an agreement with %s → 400 naming the field', async (_what, templateId, terms, field) => {
    await refusedUnchanged(() => mediator().post(`/api/cases/${f.caseId}/agreements`, { templateId, terms: { ...common(), ...terms() } }), { status: 400, code: 'VALIDATION_FAILED', field });
  });

  it('amounts within the maximum are still accepted', async () => {
    const res = await mediator().post(`/api/cases/${f.caseId}/agreements`, { templateId: 'fishing_gear_damage', terms: { ...common(), gear: [{ kind: '流刺网', quantity: 2, unitPriceFen: 5_000_000_000_000 }] } });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('finding 7: guessing', () => {
  const loginFrom = (address: string, password: string) => world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password }, remoteAddress: address });

  it('wrong passwords for one account from many addresses lock it; the rightful user gets back in once the lock ends', async () => {
    // Each guess from its own address: the per-address limit alone let all of them through.
    for (let i = 1; i <= guessing.loginFailuresPerAccount; i++) expect((await loginFrom(`203.0.113.${i}`, `guess-${i}`)).statusCode).toBe(401);
    const before = await worldState(world);
    const locked = await loginFrom('203.0.113.50', 'guess-last');
    expect(locked.statusCode).toBe(429);
    expect(json(locked).error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('this account') });
    // While locked, even the right password is refused (otherwise guessing would go on).
    const rightful = await loginFrom('198.51.100.99', testPassword);
    expect(rightful.statusCode).toBe(429);
    expect(rightful.cookies.find((c) => c.name === 'hq_session')).toBeUndefined();
    expect(await worldState(world)).toEqual(before);
    // Other accounts are not affected.
    expect((await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'mediator', password: testPassword }, remoteAddress: '203.0.113.51' })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, guessing.loginLockSeconds * 1000 + 200));
    expect((await loginFrom('198.51.100.99', testPassword)).statusCode).toBe(200);
    // A success clears the count: one more wrong password is a plain 401 again.
    expect((await loginFrom('203.0.113.60', 'guess-again')).statusCode).toBe(401);
  });

  it('an admin setting a new password lifts the lock at once', async () => {
    const attempt = (password: string, address: string) => world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'xiamenclerk', password }, remoteAddress: address });
    for (let i = 1; i <= guessing.loginFailuresPerAccount; i++) expect((await attempt(`guess-${i}`, `203.0.113.${100 + i}`)).statusCode).toBe(401);
    expect((await attempt(testPassword, '198.51.100.98')).statusCode).toBe(429);
    const reset = await api(world.app, world.cookies.admin).patch(`/api/admin/staff-users/${world.staffIds.xiamenClerk}`, { password: 'a new password for the clerk' });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await attempt('a new password for the clerk', '198.51.100.98')).statusCode).toBe(200);
  });

  it('unknown invitation tokens from one address, over Authorization: Invitation and /join/resolve, get that address refused; others are not', async () => {
    const address = '192.0.2.77';
    const madeUp = () => randomBytes(32).toString('base64url');
    for (let i = 0; i < guessing.tokenFailuresPerAddress; i++) {
      const res =
        i % 2 === 0
          ? await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(madeUp()), remoteAddress: address })
          : await world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: madeUp() }, remoteAddress: address });
      expect(res.statusCode).toBeOneOf([401, 404]);
    }
    const before = await worldState(world);
    for (const send of [
      () => world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(madeUp()), remoteAddress: address }),
      () => world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: madeUp() }, remoteAddress: address }),
      // Now even a real token from that address waits.
      () => world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(f.fishermanToken), remoteAddress: address }),
      () => world.app.inject({ method: 'POST', url: '/api/join/resolve', payload: { token: f.fishermanToken }, remoteAddress: address }),
    ]) {
      const res = await send();
      expect(res.statusCode, res.body).toBe(429);
      expect(json(res).error.code).toBe('RATE_LIMITED');
    }
    expect(await worldState(world)).toEqual(before);
    expect((await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(f.fishermanToken), remoteAddress: '192.0.2.78' })).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, guessing.tokenBlockSeconds * 1000 + 200));
    expect((await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(f.fishermanToken), remoteAddress: address })).statusCode).toBe(200);
  });
});

describe('finding 7: a participant stands only for staff of the case’s own center, or for court staff as clerk or judge', () => {
  const link = (caseId: string, staffKey: string) =>
    mediator().post(`/api/cases/${caseId}/participants`, { role: 'mediator', displayName: '协助调解员', staffUserId: world.staffIds[staffKey] });
  const asCourt = (caseId: string, staffKey: string, role: 'judge' | 'clerk') =>
    mediator().post(`/api/cases/${caseId}/participants`, { role, displayName: '法院工作人员', staffUserId: world.staffIds[staffKey] });

  it.each(['otherMediator', 'ningboClerk', 'wenzhouJudge', 'xiamenClerk'])('linking %s as a mediator → 400 staffUserId', async (staffKey) => {
    await refusedUnchanged(() => link(f.caseId, staffKey), { status: 400, code: 'VALIDATION_FAILED', field: 'staffUserId' });
  });

  it('staff of the case’s own center can be linked', async () => {
    expect((await link(f.caseId, 'admin')).statusCode).toBe(201);
  });

  it('court staff only in their own role (a court invited by account sees only what is shared); another center’s staff never', async () => {
    expect((await asCourt(f.caseId, 'wenzhouJudge', 'judge')).statusCode).toBe(201);
    expect((await asCourt(f.caseId, 'xiamenClerk', 'clerk')).statusCode).toBe(201);
    await refusedUnchanged(() => asCourt(f.caseId, 'ningboClerk', 'judge'), { status: 400, code: 'VALIDATION_FAILED', field: 'staffUserId' });
    await refusedUnchanged(() => asCourt(f.caseId, 'otherMediator', 'judge'), { status: 400, code: 'VALIDATION_FAILED', field: 'staffUserId' });
    await refusedUnchanged(() => link(f.caseId, 'otherMediator'), { status: 400, code: 'VALIDATION_FAILED', field: 'staffUserId' });
  });
});

