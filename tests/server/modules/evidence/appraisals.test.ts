/**
 * 云鉴定: the appointed appraiser files a report (PDF or image) with a signed statement of
 * truthfulness. The report becomes case evidence with its SHA-256, everyone in the case sees it
 * with the statement, an agreement can cite it, and a refused or failed filing leaves nothing.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appraisalStatementText } from '../../../../shared/api/agreements.ts';
import { agreementFixture, collisionDraft, invitationHeader, signaturePngBase64, type AgreementFixture } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, type TestWorld, worldState } from '../../../helpers/test-app.ts';

let world: TestWorld;
let f: AgreementFixture;
let appraiserToken: string;
let appraiserId: string;
let report: Buffer;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const mediator = () => api(world.app, world.cookies.mediator);

beforeAll(async () => {
  world = await createTestWorld();
  f = await agreementFixture(world);
  const appraiser = json(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'appraiser', displayName: '浙江海事司法鉴定中心 王工' }));
  appraiserId = appraiser.id;
  const session = json(await mediator().post(`/api/cases/${f.caseId}/sessions`, { title: '云鉴定', scheduledAt: '2026-11-26T02:00:00Z' }));
  appraiserToken = json(await mediator().post(`/api/sessions/${session.id}/invitations`, { participantId: appraiser.id })).link.split('/j/')[1];
  const doc = await PDFDocument.create();
  doc.addPage().drawText('Appraisal report: hull damage of ZHE-CANG-YU 01234', { font: await doc.embedFont(StandardFonts.Helvetica), x: 40, y: 700, size: 12 });
  report = Buffer.from(await doc.save());
});
afterAll(() => world?.close());

function form(parts: { file?: Buffer | string; name?: string; signaturePng?: string; consent?: string }) {
  const body = new FormData();
  if (parts.consent !== undefined) body.append('consent', parts.consent);
  if (parts.signaturePng !== undefined) body.append('signaturePng', parts.signaturePng);
  if (parts.file !== undefined) body.append('file', new Blob([typeof parts.file === 'string' ? parts.file : (parts.file as Uint8Array<ArrayBuffer>)]), parts.name ?? '船体损坏鉴定意见书.pdf');
  return body;
}

function upload(body: FormData, headers: Record<string, string> = invitationHeader(appraiserToken)) {
  return world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/appraisals`, payload: body, headers: { ...headers, 'user-agent': headers['user-agent'] ?? 'appraiser-laptop' }, remoteAddress: '198.18.7.7' });
}

const state = () => worldState(world);

describe('filing a report', () => {
  let reportId: string;

  it('201: the report is evidence of kind appraisal_report for everyone, with its SHA-256 and the signed statement (who, when, IP, signature hash), audited', async () => {
    const signature = signaturePngBase64(9);
    const res = await upload(form({ file: report, signaturePng: signature, consent: 'true' }));
    expect(res.statusCode, res.body).toBe(201);
    const view = json(res);
    reportId = view.id;
    expect(view).toMatchObject({
      caseId: f.caseId,
      kind: 'appraisal_report',
      contentType: 'application/pdf',
      sha256: sha256(report),
      sharedWith: 'all',
      uploadedBy: { kind: 'participant', name: '浙江海事司法鉴定中心 王工' },
      appraisalStatement: { text: appraisalStatementText, signatureSha256: sha256(Buffer.from(signature, 'base64')), signedAt: world.clock.now.toISOString() },
    });
    const [row] = (await world.database.db.execute(sql`select * from appraisal_statements where evidence_id = ${view.id}`)) as unknown as Record<string, unknown>[];
    expect(row).toMatchObject({ appraiser_participant_id: appraiserId, statement: appraisalStatementText, ip: '198.18.7.7', user_agent: 'appraiser-laptop' });
    const audit = json(await mediator().get(`/api/cases/${f.caseId}/audit`)).items as { type: string; data: Record<string, unknown> }[];
    expect(audit.find((e) => e.type === 'evidence.uploaded' && e.data.evidenceId === view.id)?.data).toMatchObject({ sha256: sha256(report), kind: 'appraisal_report' });
    expect(audit.find((e) => e.type === 'appraisal.statement_signed')?.data).toMatchObject({ evidenceId: view.id, reportSha256: sha256(report) });
  });

  it('the parties, the mediator and the court see it with the statement; an agreement cites it by name and hash', async () => {
    for (const list of [
      await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(f.fishermanToken) }),
      await world.app.inject({ method: 'GET', url: `/api/cases/${f.caseId}/evidence`, headers: invitationHeader(f.agentToken) }),
      await mediator().get(`/api/cases/${f.caseId}/evidence`),
    ]) {
      const item = json(list).items.find((e: { id: string }) => e.id === reportId);
      expect(item).toMatchObject({ kind: 'appraisal_report', appraisalStatement: { text: appraisalStatementText } });
    }
    // The court sees it once an application is filed with it, not before (issue 11, point 7).
    expect((await api(world.app, world.cookies.wenzhouJudge).get(`/api/cases/${f.caseId}/evidence`)).statusCode).toBe(404);
    const created = await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f, { citedEvidenceIds: [reportId] }));
    expect(created.statusCode, created.body).toBe(201);
    expect(json(created).currentVersion.text).toContain(`鉴定报告《船体损坏鉴定意见书.pdf》（SHA-256：${sha256(report)}）`);
  });

  it('an image report is accepted too', async () => {
    const png = Buffer.from(signaturePngBase64(4), 'base64');
    const res = await upload(form({ file: png, name: '现场照片.png', signaturePng: signaturePngBase64(9), consent: 'true' }));
    expect(res.statusCode, res.body).toBe(201);
    expect(json(res)).toMatchObject({ contentType: 'image/png', kind: 'appraisal_report' });
  });
});

describe('refused filings write nothing and keep no file', () => {
  it.each([
    ['no statement made (consent missing)', { file: 'report', signaturePng: 'sig' }, 400, 'consent'],
    ['consent not "true"', { file: 'report', signaturePng: 'sig', consent: 'yes' }, 400, 'consent'],
    ['no signature', { file: 'report', consent: 'true' }, 400, 'signaturePng'],
    ['a signature that is not a PNG', { file: 'report', signaturePng: Buffer.from('%PDF-1.7 no image here').toString('base64'), consent: 'true' }, 400, 'signaturePng'],
    ['no report file', { signaturePng: 'sig', consent: 'true' }, 400, 'file'],
    ['a text file named .pdf', { file: 'plain text, not a report at all', signaturePng: 'sig', consent: 'true' }, 415, 'file'],
  ] as const)('%s → %i on %s', async (_what, parts, status, field) => {
    const before = await state();
    const res = await upload(
      form({
        ...(parts as { file?: string; signaturePng?: string; consent?: string }),
        ...('file' in parts ? { file: parts.file === 'report' ? report : parts.file } : {}),
        ...('signaturePng' in parts ? { signaturePng: parts.signaturePng === 'sig' ? signaturePngBase64(9) : parts.signaturePng } : {}),
      }),
    );
    expect(res.statusCode, res.body).toBe(status);
    expect(json(res).error.field).toBe(field);
    expect(await state()).toEqual(before);
  });

  it('if the statement cannot be stored, the report is not stored either (one transaction)', async () => {
    // A fault injected into the database: the statement insert fails for this user agent.
    await world.database.db.execute(sql.raw(`
      create function fail_statement() returns trigger language plpgsql as $$
      begin if new.user_agent = 'inject-failure' then raise exception 'injected failure'; end if; return new; end $$;
      create trigger fail_statement before insert on appraisal_statements for each row execute function fail_statement();`));
    try {
      const before = await state();
      const res = await upload(form({ file: report, signaturePng: signaturePngBase64(9), consent: 'true' }), { ...invitationHeader(appraiserToken), 'user-agent': 'inject-failure' });
      expect(res.statusCode).toBe(500);
      expect(await state()).toEqual(before);
    } finally {
      await world.database.db.execute(sql.raw('drop trigger fail_statement on appraisal_statements; drop function fail_statement();'));
    }
  });

  it('a party, the lawyer, the mediator or court staff cannot file an appraisal (403), nothing written', async () => {
    const before = await state();
    for (const headers of [invitationHeader(f.fishermanToken), invitationHeader(f.agentToken), { cookie: world.cookies.mediator }, { cookie: world.cookies.wenzhouJudge }]) {
      const res = await upload(form({ file: report, signaturePng: signaturePngBase64(9), consent: 'true' }), headers);
      expect(res.statusCode).toBe(403);
    }
    expect(await state()).toEqual(before);
  });
});
