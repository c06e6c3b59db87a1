/**
 * Issue 11, point 7: court staff see a case only once an application is filed with their court,
 * or when they are invited to a session of it; until then one side's evidence, the agreement
 * drafts, the documents and the audit trail stay hidden. The court cannot change once filed.
 */
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, collisionDraft, invitationHeader, sealedAgreement, type AgreementFixture } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, rowsOf, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let pdf: Buffer;
const mediator = () => api(world.app, world.cookies.mediator);
const judge = () => api(world.app, world.cookies.wenzhouJudge);
const clerk = () => api(world.app, world.cookies.ningboClerk);

beforeAll(async () => {
  world = await createTestWorld();
  const doc = await PDFDocument.create();
  doc.addPage().drawText('evidence', { font: await doc.embedFont(StandardFonts.Helvetica), x: 50, y: 700 });
  pdf = Buffer.from(await doc.save());
});
afterAll(() => world?.close());

function upload(caseId: string, headers: Record<string, string>, name: string) {
  const body = new FormData();
  body.append('description', name);
  body.append('file', new Blob([pdf as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), `${name}.pdf`);
  return world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: body, headers });
}

const listedIds = async (client: ReturnType<typeof api>) => json((await client.get('/api/cases?pageSize=100'))).items.map((c: { id: string }) => c.id) as string[];

describe('before anything is filed', () => {
  let f: AgreementFixture;
  let shared: string;
  let oneSide: string;
  let draftId: string;
  let sessionId: string;

  beforeAll(async () => {
    f = await agreementFixture(world);
    shared = json(await upload(f.caseId, { cookie: world.cookies.mediator }, '现场照片')).id;
    const own = await upload(f.caseId, invitationHeader(f.fishermanToken), '渔民自己的医疗票据');
    expect(own.statusCode).toBe(201);
    oneSide = json(own).id;
    expect(json(own).sharedWith).toBe(f.fishermanPartyId);
    draftId = json(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f))).id;
    sessionId = json(await mediator().get(`/api/cases/${f.caseId}/sessions`)).items[0].id;
  });

  it('the competent court’s staff do not see the case, in the list or by id', async () => {
    for (const court of [judge(), clerk()]) {
      expect(await listedIds(court)).not.toContain(f.caseId);
      for (const url of [`/api/cases/${f.caseId}`, `/api/cases/${f.caseId}/sessions`, `/api/cases/${f.caseId}/evidence`, `/api/evidence/${shared}/content`, `/api/agreements/${draftId}`, `/api/cases/${f.caseId}/audit`]) {
        const res = await court.get(url);
        expect(res.statusCode, url).toBe(404);
        expect(res.body).not.toContain('货轮碰撞渔船');
      }
    }
  });

  it('a judge invited to a session sees the case and the shared evidence, not one side’s evidence nor the drafts', async () => {
    const participant = await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'judge', displayName: '温州法庭法官', staffUserId: world.staffIds.wenzhouJudge });
    expect(participant.statusCode).toBe(201);
    // Added but not yet invited: still nothing.
    expect((await judge().get(`/api/cases/${f.caseId}`)).statusCode).toBe(404);
    const invitation = await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId: json(participant).id });
    expect(invitation.statusCode).toBe(201);

    expect(await listedIds(judge())).toContain(f.caseId);
    const view = await judge().get(`/api/cases/${f.caseId}`);
    expect(view.statusCode).toBe(200);
    expect(json(view)).toMatchObject({ id: f.caseId, applicationFiled: false });
    expect((await judge().get(`/api/cases/${f.caseId}/sessions`)).statusCode).toBe(200);
    expect((await judge().get(`/api/sessions/${sessionId}`)).statusCode).toBe(200);

    const evidence = json(await judge().get(`/api/cases/${f.caseId}/evidence`)).items.map((e: { id: string }) => e.id);
    expect(evidence).toEqual([shared]);
    expect((await judge().get(`/api/evidence/${shared}/content`)).statusCode).toBe(200);
    expect((await judge().get(`/api/evidence/${oneSide}/content`)).statusCode).toBe(404);
    expect((await judge().get(`/api/evidence/${oneSide}/pages/1`)).statusCode).toBe(404);

    expect(json(await judge().get(`/api/cases/${f.caseId}/agreements`)).items).toEqual([]);
    expect((await judge().get(`/api/agreements/${draftId}`)).statusCode).toBe(404);
    expect((await judge().get(`/api/cases/${f.caseId}/audit`)).statusCode).toBe(404);
    expect((await judge().get(`/api/cases/${f.caseId}/documents`)).statusCode).toBe(404);
    expect(json(await judge().get(`/api/cases/${f.caseId}/obligations`)).items).toEqual([]);
    // The invitation is the judge's own: the rest of the court still sees nothing.
    expect((await clerk().get(`/api/cases/${f.caseId}`)).statusCode).toBe(404);
    // Reading is all: the invited judge changes nothing.
    expect((await judge().patch(`/api/cases/${f.caseId}`, { title: '法官改的标题' })).statusCode).toBe(403);

    // Withdrawn: the case disappears again.
    expect((await mediator().post(`/api/invitations/${json(invitation).invitation.id}/revoke`)).statusCode).toBe(200);
    expect(await listedIds(judge())).not.toContain(f.caseId);
    expect((await judge().get(`/api/cases/${f.caseId}`)).statusCode).toBe(404);
  });

  it('only a clerk or judge account can be invited as the court', async () => {
    const before = await tableCounts(world.database);
    const res = await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'judge', displayName: '冒名法官', staffUserId: world.staffIds.ningboClerk });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.field).toBe('staffUserId');
    expect(await tableCounts(world.database)).toEqual(before);
  });

  it('the court can still be changed while nothing is filed', async () => {
    const res = await mediator().patch(`/api/cases/${f.caseId}`, { competentCourt: 'ningbo.taizhou' });
    expect(res.statusCode).toBe(200);
    expect(json(res).competentCourt).toBe('ningbo.taizhou');
    expect((await mediator().patch(`/api/cases/${f.caseId}`, { competentCourt: 'ningbo.wenzhou' })).statusCode).toBe(200);
  });
});

describe('once an application is filed', () => {
  let sealed: Awaited<ReturnType<typeof sealedAgreement>>;
  let oneSide: string;

  beforeAll(async () => {
    sealed = await sealedAgreement(world);
    oneSide = json(await upload(sealed.f.caseId, invitationHeader(sealed.f.fishermanToken), '渔民的票据')).id;
    expect((await clerk().get(`/api/cases/${sealed.f.caseId}`)).statusCode).toBe(404);
    expect(json(await mediator().get(`/api/cases/${sealed.f.caseId}`)).applicationFiled).toBe(false);
    const filed = await mediator().post(`/api/agreements/${sealed.agreement.id}/confirmation`, {});
    expect(filed.statusCode).toBe(201);
  });

  it('the court and its parent see the whole file; another court does not', async () => {
    for (const court of [judge(), clerk()]) {
      expect(await listedIds(court)).toContain(sealed.f.caseId);
      expect(json(await court.get(`/api/cases/${sealed.f.caseId}`)).applicationFiled).toBe(true);
      expect(json(await court.get(`/api/cases/${sealed.f.caseId}/evidence`)).items.map((e: { id: string }) => e.id)).toContain(oneSide);
      expect(json(await court.get(`/api/cases/${sealed.f.caseId}/agreements`)).items.map((a: { id: string }) => a.id)).toEqual([sealed.agreement.id]);
      expect((await court.get(`/api/cases/${sealed.f.caseId}/audit`)).statusCode).toBe(200);
    }
    const xiamen = api(world.app, world.cookies.xiamenClerk);
    expect(await listedIds(xiamen)).not.toContain(sealed.f.caseId);
    expect((await xiamen.get(`/api/cases/${sealed.f.caseId}`)).statusCode).toBe(404);
  });

  it('the competent court can no longer be changed: 409 naming the field, nothing written', async () => {
    const before = await tableCounts(world.database);
    const res = await mediator().patch(`/api/cases/${sealed.f.caseId}`, { competentCourt: 'xiamen.ningde' });
    expect(res.statusCode).toBe(409);
    expect(json(res).error).toMatchObject({ code: 'CONFLICT', field: 'competentCourt' });
    expect(await tableCounts(world.database)).toEqual(before);
    const row = rowsOf<{ competent_court: string }>(await world.database.db.execute(sql`select competent_court from cases where id = ${sealed.f.caseId}`));
    expect(row[0]!.competent_court).toBe('ningbo.wenzhou');
    // Naming the same court, or changing other facts, is still fine.
    expect((await mediator().patch(`/api/cases/${sealed.f.caseId}`, { competentCourt: 'ningbo.wenzhou', title: '货轮碰撞渔船（已申请确认）' })).statusCode).toBe(200);
  });

  it('a change of court racing a filing: one wins, and the application names the case’s final court', async () => {
    const race = await sealedAgreement(world);
    const [changed, filed] = await Promise.all([
      mediator().patch(`/api/cases/${race.f.caseId}`, { competentCourt: 'ningbo.taizhou' }),
      mediator().post(`/api/agreements/${race.agreement.id}/confirmation`, {}),
    ]);
    expect(filed.statusCode).toBe(201);
    expect([200, 409]).toContain(changed.statusCode);
    const caseRow = json(await mediator().get(`/api/cases/${race.f.caseId}`));
    const application = rowsOf<{ court_code: string }>(await world.database.db.execute(sql`select court_code from confirmations where case_id = ${race.f.caseId}`));
    expect(application.map((a) => a.court_code)).toEqual([caseRow.competentCourt]);
  });
});
