import { describe, expect, it } from 'vitest';
import {
  diffRows,
  draftFromValues,
  draftValuesFromTerms,
  emptyPerson,
  newDraftValues,
  obligationsTotalFen,
  type CaseContext,
  type DraftValues,
} from '../../client/src/views/case/agreement-form.ts';
import { agreementDraftSchema, templateIds } from '../../shared/domain/agreements.ts';
import { fieldIssuesOf } from '../../shared/errors.ts';

const fisherman = '0b5d9a57-64a4-4f6e-9d0a-3f0e8d1c2a11';
const company = '1c6e0b68-75b5-4a7f-8e1b-4a1f9e2d3b22';
const vessel = '2d7f1c79-86c6-4b80-9f2c-5b2a0f3e4c33';
const lawyer = '3e802d8a-97d7-4c91-a03d-6c3b1a4f5d44';
const evidence = '4f913e9b-a8e8-4da2-b14e-7d4c2b5a6e55';

const context: CaseContext = {
  parties: [{ id: fisherman }, { id: company }],
  vessels: [{ id: vessel }],
  agents: [{ participantId: lawyer, forPartyId: company }],
  incidentAt: '2026-09-30T19:00:00.000Z',
  incidentDescription: '货轮碰撞渔船。',
};

/** A collision draft as a mediator would fill it in. */
function filledCollision(): DraftValues {
  const v = newDraftValues('collision_injury', context);
  v.agents[0]!.included = true;
  v.agents[0]!.maySign = true;
  v.facts = '2026年10月1日凌晨，乙方所属货轮与甲方渔船发生碰撞。';
  v.persons = [{ ...emptyPerson(), name: '陈阿海', medicalYuan: '120,000', lostIncomeYuan: '40000.5' }];
  v.vesselLossYuan = '700000';
  v.obligations[0]!.description = '向甲方支付第一期赔偿款';
  v.obligations[0]!.amountYuan = '¥500,000';
  v.obligations[0]!.dueDate = '2026-12-31';
  v.citedEvidenceIds = [evidence];
  v.otherClauses = [{ key: 1, text: '乙方承担本次调解的鉴定费用。' }];
  return v;
}

describe('a new draft', () => {
  it('starts from the case: 甲 is the first party, 乙 the second, every vessel, the facts and the incident time', () => {
    const v = newDraftValues('collision_injury', context);
    expect(v.partiesA).toEqual([fisherman]);
    expect(v.partiesB).toEqual([company]);
    expect(v.vesselIds).toEqual([vessel]);
    expect(v.facts).toBe('货轮碰撞渔船。');
    expect(v.collisionAt).toBe('2026-10-01T03:00'); // Beijing time
    expect(v.obligations).toHaveLength(1);
    expect(v.obligations[0]!.obligorPartyId).toBe(company);
    expect(v.agents).toEqual([{ participantId: lawyer, forPartyId: company, included: false, maySign: false }]);
    expect(v.confidential).toBe(true);
    expect(v.applyForConfirmation).toBe(true);
  });
});

describe('draftFromValues', () => {
  it('turns a filled collision form into terms the shared schema accepts, amounts in integer fen', () => {
    const { draft, errors } = draftFromValues(filledCollision());
    expect(errors).toEqual({});
    const parsed = agreementDraftSchema.parse(draft);
    expect(parsed.templateId).toBe('collision_injury');
    const terms = parsed.terms as Extract<typeof parsed, { templateId: 'collision_injury' }>['terms'];
    expect(terms.collisionAt).toBe('2026-10-01T03:00:00+08:00');
    expect(terms.persons).toEqual([
      { name: '陈阿海', outcome: 'injury', medicalFen: 12_000_000, lostIncomeFen: 4_000_050, disabilityCompensationFen: 0, funeralFen: 0, deathCompensationFen: 0, dependentsFen: 0, mentalDamageFen: 0 },
    ]);
    expect(terms.vesselLossFen).toBe(70_000_000);
    expect(terms.otherLossFen).toBe(0);
    expect(terms.obligations).toEqual([{ obligorPartyId: company, description: '向甲方支付第一期赔偿款', amountFen: 50_000_000, dueDate: '2026-12-31' }]);
    expect(terms.agents).toEqual([{ participantId: lawyer, forPartyId: company, maySign: true }]);
    expect(terms.citedEvidenceIds).toEqual([evidence]);
    expect(terms.otherClauses).toEqual(['乙方承担本次调解的鉴定费用。']);
  });

  it('leaves agents out unless they are included, and an empty obligation amount out (an act, not a payment)', () => {
    const v = filledCollision();
    v.agents[0]!.included = false;
    v.obligations[0]!.amountYuan = '';
    const { draft, errors } = draftFromValues(v);
    expect(errors).toEqual({});
    const terms = agreementDraftSchema.parse(draft).terms;
    expect(terms.agents).toEqual([]);
    expect(terms.obligations[0]!.amountFen).toBeUndefined();
    expect(JSON.parse(JSON.stringify(draft)).terms.obligations[0]).not.toHaveProperty('amountFen');
  });

  it('records amounts and times it cannot read at the path the server would name', () => {
    const v = filledCollision();
    v.obligations[0]!.amountYuan = '12.345';
    v.persons[0]!.funeralYuan = '一万';
    v.collisionAt = '2026-10-01';
    expect(draftFromValues(v).errors).toEqual({
      'terms.obligations.0.amountFen': 'validation.amount',
      'terms.persons.0.funeralFen': 'validation.amount',
      'terms.collisionAt': 'validation.dateTime',
    });
  });

  it('leaves empty required fields to the schema, whose issues carry the same paths as the server’s 400', () => {
    const v = filledCollision();
    v.facts = '   ';
    v.obligations[0]!.dueDate = '';
    v.obligations[0]!.obligorPartyId = '';
    v.collisionAt = '';
    const { draft, errors } = draftFromValues(v);
    expect(errors).toEqual({});
    const result = agreementDraftSchema.safeParse(draft);
    expect(result.success).toBe(false);
    const fields = fieldIssuesOf(result.error!).map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['terms.facts', 'terms.obligations.0.dueDate', 'terms.obligations.0.obligorPartyId', 'terms.collisionAt']));
  });

  it('converts gear, crew and catches, checking whole numbers and decimals', () => {
    const gear = newDraftValues('fishing_gear_damage', context);
    gear.facts = '拖网作业刮坏定置网。';
    gear.obligations[0] = { ...gear.obligations[0]!, description: '赔偿渔具损失', amountYuan: '6000', dueDate: '2027-01-15' };
    gear.gear = [{ key: 1, kind: '定置网', quantity: '２０', unitPriceYuan: '300' }];
    const g = agreementDraftSchema.parse(draftFromValues(gear).draft);
    expect(g.terms).toMatchObject({ gear: [{ kind: '定置网', quantity: 20, unitPriceFen: 30_000 }] });
    gear.gear[0]!.quantity = '2.5';
    expect(draftFromValues(gear).errors).toEqual({ 'terms.gear.0.quantity': 'validation.wholeNumber' });

    const crew = newDraftValues('crew_wages', context);
    crew.facts = '拖欠船员工资。';
    crew.obligations[0] = { ...crew.obligations[0]!, description: '支付拖欠工资', amountYuan: '36000', dueDate: '2027-01-15' };
    crew.crew = [{ key: 1, name: '王二', fromMonth: '2026-03', toMonth: '2026-08', unpaidYuan: '36000' }];
    expect(agreementDraftSchema.parse(draftFromValues(crew).draft).terms).toMatchObject({ crew: [{ name: '王二', fromMonth: '2026-03', toMonth: '2026-08', unpaidFen: 3_600_000 }] });

    const sale = newDraftValues('catch_sale', context);
    sale.facts = '收购带鱼未付款。';
    sale.obligations[0] = { ...sale.obligations[0]!, description: '支付货款', amountYuan: '1,234.5', dueDate: '2027-01-15' };
    sale.catches = [{ key: 1, species: '带鱼', weightKg: '1,250.5', pricePerKgYuan: '28.6' }];
    expect(agreementDraftSchema.parse(draftFromValues(sale).draft).terms).toMatchObject({ catches: [{ species: '带鱼', weightKg: 1250.5, pricePerKgFen: 2860 }] });
    sale.catches[0]!.weightKg = '一吨';
    expect(draftFromValues(sale).errors).toEqual({ 'terms.catches.0.weightKg': 'validation.number' });
  });

  it('sends only the chosen template’s own items', () => {
    const v = filledCollision();
    v.templateId = 'general';
    const parsed = agreementDraftSchema.parse(draftFromValues(v).draft);
    expect(parsed.templateId).toBe('general');
    expect(parsed.terms).not.toHaveProperty('persons');
    expect(parsed.terms).not.toHaveProperty('gear');
  });
});

describe('draftValuesFromTerms', () => {
  it('round-trips every template: values → terms → values → the same terms', () => {
    for (const templateId of templateIds) {
      const v = filledCollision();
      v.templateId = templateId;
      v.gear = [{ key: 1, kind: '流刺网', quantity: '3', unitPriceYuan: '1500.5' }];
      v.crew = [{ key: 2, name: '王二', fromMonth: '2026-01', toMonth: '2026-02', unpaidYuan: '8000' }];
      v.catches = [{ key: 3, species: '小黄鱼', weightKg: '80', pricePerKgYuan: '30' }];
      const first = agreementDraftSchema.parse(draftFromValues(v).draft);
      const back = draftValuesFromTerms(templateId, first.terms, context);
      const second = agreementDraftSchema.parse(draftFromValues(back).draft);
      expect(second, templateId).toEqual(first);
    }
  });

  it('shows zero amounts as empty inputs and keeps agents of the case that the terms do not name', () => {
    const terms = agreementDraftSchema.parse(draftFromValues({ ...filledCollision(), agents: [] }).draft).terms;
    const back = draftValuesFromTerms('collision_injury', terms, context);
    expect(back.persons[0]!.funeralYuan).toBe('');
    expect(back.persons[0]!.medicalYuan).toBe('120000');
    expect(back.persons[0]!.lostIncomeYuan).toBe('40000.50');
    expect(back.obligations[0]!.amountYuan).toBe('500000');
    expect(back.agents).toEqual([{ participantId: lawyer, forPartyId: company, included: false, maySign: false }]);
  });
});

describe('helpers', () => {
  it('adds up the obligations in fen, ignoring what is not an amount', () => {
    const v = filledCollision();
    v.obligations.push({ key: 9, obligorPartyId: company, description: '第二期', amountYuan: '360000.01', dueDate: '2027-03-31' });
    v.obligations.push({ key: 10, obligorPartyId: company, description: '赔礼道歉', amountYuan: '', dueDate: '2027-03-31' });
    v.obligations.push({ key: 11, obligorPartyId: company, description: '乱填', amountYuan: 'abc', dueDate: '2027-03-31' });
    expect(obligationsTotalFen(v)).toBe(86_000_001);
  });

  it('splits the server’s diff parts into one row per line', () => {
    expect(
      diffRows([
        { kind: 'same', text: '标题\n案号\n' },
        { kind: 'removed', text: '金额一\n' },
        { kind: 'added', text: '金额二\n新增一行\n' },
        { kind: 'same', text: '结尾' },
      ]),
    ).toEqual([
      { kind: 'same', text: '标题' },
      { kind: 'same', text: '案号' },
      { kind: 'removed', text: '金额一' },
      { kind: 'added', text: '金额二' },
      { kind: 'added', text: '新增一行' },
      { kind: 'same', text: '结尾' },
    ]);
  });
});
