/**
 * Amounts in fen written as figures and in capitals (大写), and the agreement text: the same
 * draft always renders to the same text and version hash, for every template; references to
 * anything outside the case are refused with the field at fault.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementDraftSchema, templateIds, type TemplateId } from '../../../../shared/domain/agreements.ts';
import { amountClause, amountFigures, amountInCapitals } from '../../../../server/modules/agreements/amount-in-words.ts';
import { agreementFixture, collisionDraft, invitationHeader, relogin, type AgreementFixture } from '../../../helpers/agreement-fixture.ts';
import { api, createTestWorld, json, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
let f: AgreementFixture;
let other: AgreementFixture;
let otherEvidenceId: string;
let ownEvidence: { id: string; sha256: string };
let thirdPartyId: string;

const mediator = () => api(world.app, world.cookies.mediator);
const preview = (draft: unknown, caseId = f.caseId) => mediator().post(`/api/cases/${caseId}/agreements/preview`, draft);

async function pdfBytes(text: string) {
  const doc = await PDFDocument.create();
  doc.addPage().drawText(text, { font: await doc.embedFont(StandardFonts.Helvetica), x: 50, y: 700 });
  return Buffer.from(await doc.save());
}

async function uploadEvidence(caseId: string, name: string) {
  const body = new FormData();
  body.append('file', new Blob([(await pdfBytes(name)) as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), `${name}.pdf`);
  const res = await world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: body, headers: { cookie: world.cookies.mediator } });
  expect(res.statusCode, res.body).toBe(201);
  return json(res) as { id: string; sha256: string };
}

beforeAll(async () => {
  world = await createTestWorld();
  f = await agreementFixture(world);
  other = await agreementFixture(world);
  otherEvidenceId = (await uploadEvidence(other.caseId, 'other-case')).id;
  ownEvidence = await uploadEvidence(f.caseId, 'appraisal');
  const third = await mediator().post(`/api/cases/${f.caseId}/parties`, { kind: 'person', name: '第三人' });
  expect(third.statusCode, third.body).toBe(201);
  thirdPartyId = json(third).id;
});
afterAll(() => world?.close());

describe('amountInCapitals (大写)', () => {
  it.each([
    [0, '人民币零元整', '0.00'],
    [5, '人民币伍分', '0.05'],
    [10, '人民币壹角整', '0.10'],
    [10_000_005, '人民币壹拾万元零伍分', '100,000.05'],
    [86_000_000, '人民币捌拾陆万元整', '860,000.00'],
    [100_010_010, '人民币壹佰万零壹佰元壹角整', '1,000,100.10'],
    [12_345_678_901, '人民币壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分', '123,456,789.01'],
    [10_000_000_000, '人民币壹亿元整', '100,000,000.00'],
  ] as const)('%i fen → %s (¥%s)', (fen, capitals, figures) => {
    expect(amountInCapitals(fen)).toBe(capitals);
    expect(amountFigures(fen)).toBe(figures);
    expect(amountClause(fen)).toBe(`人民币${figures}元（大写：${capitals}）`);
  });

  it('refuses what is not a whole, non-negative number of fen', () => {
    for (const bad of [-1, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) expect(() => amountInCapitals(bad)).toThrow(RangeError);
  });
});

/** A draft of each template over the fixture case, with one instalment to vary. */
function draftOf(templateId: TemplateId, firstAmountFen = 30_000_000): { templateId: TemplateId; terms: Record<string, unknown> } {
  const common = {
    partiesA: [f.fishermanPartyId],
    partiesB: [f.companyPartyId],
    agents: [{ participantId: f.agentParticipantId, forPartyId: f.companyPartyId, maySign: true }],
    vesselIds: [f.vesselId],
    facts: '双方就海上纠纷经调解达成如下协议。',
    obligations: [
      { obligorPartyId: f.companyPartyId, description: '向甲方支付第一期款项', amountFen: firstAmountFen, dueDate: '2026-12-31' },
      { obligorPartyId: f.companyPartyId, description: '向甲方支付第二期款项', amountFen: 5_000_000, dueDate: '2027-01-31' },
    ],
  };
  switch (templateId) {
    case 'collision_injury': {
      const d = collisionDraft(f);
      return { templateId, terms: { ...d.terms, obligations: common.obligations } };
    }
    case 'fishing_gear_damage':
      return { templateId, terms: { ...common, gear: [{ kind: '流刺网', quantity: 40, unitPriceFen: 85_000 }] } };
    case 'crew_wages':
      return { templateId, terms: { ...common, crew: [{ name: '王大海', fromMonth: '2026-03', toMonth: '2026-08', unpaidFen: 4_200_000 }] } };
    case 'catch_sale':
      return { templateId, terms: { ...common, catches: [{ species: '带鱼', weightKg: 1250.5, pricePerKgFen: 3_200 }] } };
    case 'general':
      return { templateId, terms: common };
  }
}

/** What each template writes about its own items (worked out by hand). */
const templateLines: Record<TemplateId, string[]> = {
  collision_injury: ['船舶碰撞人身损害赔偿调解协议书', '事故发生于2026年10月1日03时00分。', '医疗费人民币120,000.00元（大写：人民币壹拾贰万元整）'],
  fishing_gear_damage: ['渔具损害赔偿调解协议书', '流刺网40件（顶），单价人民币850.00元（大写：人民币捌佰伍拾元整），小计人民币34,000.00元（大写：人民币叁万肆仟元整）。'],
  crew_wages: ['船员劳务报酬纠纷调解协议书', '船员王大海自2026年03月至2026年08月未结清劳务报酬人民币42,000.00元（大写：人民币肆万贰仟元整）。'],
  catch_sale: ['渔获物买卖纠纷调解协议书', '带鱼1250.5千克，单价每千克人民币32.00元（大写：人民币叁拾贰元整），计人民币40,016.00元（大写：人民币肆万零壹拾陆元整）。'],
  general: ['海上纠纷调解协议书', '涉及各方：陈阿海、福鼎远洋运输有限公司。'],
};

/** The same object with its keys in reverse order, at every level. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
  return value;
}

describe.each(templateIds)('rendering the %s template', (templateId) => {
  it('is deterministic: the same draft twice gives identical text and version hash', async () => {
    const first = await preview(draftOf(templateId));
    expect(first.statusCode, first.body).toBe(200);
    const second = await preview(draftOf(templateId));
    expect(json(second)).toEqual(json(first));
    expect(json(first).sha256).toMatch(/^[0-9a-f]{64}$/);
    // …whatever the key order of the request and whatever the time.
    expect(json(await preview(reversedKeys(draftOf(templateId))))).toEqual(json(first));
    const saved = world.clock.now;
    world.clock.now = new Date(saved.getTime() + 400 * 86_400_000);
    try {
      // Staff sessions last hours: log in again at the later time.
      await relogin(world);
      expect(json(await preview(draftOf(templateId)))).toEqual(json(first));
    } finally {
      world.clock.now = saved;
    }
  });

  it('the hash is SHA-256 over the canonical JSON of template, terms (with defaults) and text', async () => {
    const draft = draftOf(templateId);
    const { text, sha256 } = json(await preview(draft));
    const parsed = agreementDraftSchema.parse(draft);
    const canonical = canonicalize({ templateId, terms: parsed.terms, text })!;
    expect(sha256).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('writes the amounts in figures and capitals and the template’s own items', async () => {
    const { text } = json(await preview(draftOf(templateId)));
    for (const line of templateLines[templateId]) expect(text).toContain(line);
    expect(text).toContain('福鼎远洋运输有限公司应于2026年12月31日前向甲方支付第一期款项，金额人民币300,000.00元（大写：人民币叁拾万元整）。');
    expect(text).toContain('以上款项合计人民币350,000.00元（大写：人民币叁拾伍万元整）。');
    expect(text).toContain('宁波海事法院温州法庭');
    expect(text).toContain('涉案船舶：浙苍渔01234（MMSI 412345678）');
  });

  it('changing one obligation changes the text and the hash', async () => {
    const base = json(await preview(draftOf(templateId)));
    const changed = json(await preview(draftOf(templateId, 30_000_001)));
    expect(changed.sha256).not.toBe(base.sha256);
    expect(changed.text).not.toBe(base.text);
    expect(changed.text).toContain('人民币300,000.01元（大写：人民币叁拾万元零壹分）');
    const moved = draftOf(templateId);
    (moved.terms.obligations as { dueDate: string }[])[1]!.dueDate = '2027-02-01';
    expect(json(await preview(moved)).sha256).not.toBe(base.sha256);
  });
});

describe('the saved version is the previewed one', () => {
  it('creating the agreement stores the same text and hash as the preview', async () => {
    const fresh = await agreementFixture(world);
    const draft = collisionDraft(fresh);
    const previewed = json(await preview(draft, fresh.caseId));
    const created = await mediator().post(`/api/cases/${fresh.caseId}/agreements`, draft);
    expect(created.statusCode, created.body).toBe(201);
    expect(json(created).currentVersion).toMatchObject({ number: 1, text: previewed.text, sha256: previewed.sha256 });
  });

  it('cited evidence appears with its SHA-256', async () => {
    const res = await preview({ templateId: 'general', terms: { ...draftOf('general').terms, citedEvidenceIds: [ownEvidence.id] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).text).toContain(`（SHA-256：${ownEvidence.sha256}）`);
  });
});

describe('references outside the agreement or the case', () => {
  const cases: [string, string, () => Record<string, unknown>][] = [
    ['a party of another case on side A', 'terms.partiesA.0', () => ({ partiesA: [other.fishermanPartyId] })],
    ['a party of another case on side B', 'terms.partiesB.1', () => ({ partiesB: [f.companyPartyId, other.companyPartyId] })],
    ['a vessel of another case', 'terms.vesselIds.1', () => ({ vesselIds: [f.vesselId, other.vesselId] })],
    ['an agent of another case', 'terms.agents.0.participantId', () => ({ agents: [{ participantId: other.agentParticipantId, forPartyId: f.companyPartyId, maySign: true }] })],
    ['an agent acting for another party', 'terms.agents.0.forPartyId', () => ({ agents: [{ participantId: f.agentParticipantId, forPartyId: f.fishermanPartyId, maySign: true }] })],
    ['evidence of another case', 'terms.citedEvidenceIds.0', () => ({ citedEvidenceIds: [otherEvidenceId] })],
    [
      'an obligor of another case',
      'terms.obligations.0.obligorPartyId',
      () => ({ obligations: [{ obligorPartyId: other.companyPartyId, description: '支付赔偿款', amountFen: 100, dueDate: '2026-12-31' }] }),
    ],
    [
      'an obligor of this case who is not a party to the agreement',
      'terms.obligations.0.obligorPartyId',
      () => ({ obligations: [{ obligorPartyId: thirdPartyId, description: '支付赔偿款', amountFen: 100, dueDate: '2026-12-31' }] }),
    ],
  ];

  it.each(cases)('%s → 400 naming %s', async (_title, field, overrides) => {
    const draft = collisionDraft(f, overrides());
    const previewed = await preview(draft);
    expect(previewed.statusCode, previewed.body).toBe(400);
    expect(json(previewed).error).toMatchObject({ code: 'VALIDATION_FAILED', field });
    // Saving is refused the same way and writes nothing.
    const listBefore = json(await mediator().get(`/api/cases/${f.caseId}/agreements`)).items.length;
    const created = await mediator().post(`/api/cases/${f.caseId}/agreements`, draft);
    expect(created.statusCode).toBe(400);
    expect(json(created).error.field).toBe(field);
    expect(json(await mediator().get(`/api/cases/${f.caseId}/agreements`)).items.length).toBe(listBefore);
  });

  it('the response never echoes another case’s names', async () => {
    const res = await preview(collisionDraft(f, { partiesA: [other.fishermanPartyId] }));
    expect(res.body).not.toContain('陈阿海');
  });
});

describe('who may preview', () => {
  it('only the case’s mediator: a participant, court staff and another center are refused', async () => {
    const draft = collisionDraft(f);
    const asFisherman = await world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/agreements/preview`, payload: draft, headers: invitationHeader(f.fishermanToken) });
    expect(asFisherman.statusCode).toBe(403);
    expect((await api(world.app, world.cookies.wenzhouJudge).post(`/api/cases/${f.caseId}/agreements/preview`, draft)).statusCode).toBe(403);
    expect((await api(world.app, world.cookies.otherMediator).post(`/api/cases/${f.caseId}/agreements/preview`, draft)).statusCode).toBe(404);
  });
});
