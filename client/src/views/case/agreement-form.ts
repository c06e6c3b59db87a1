/**
 * The agreement drafting form as plain values (strings exactly as typed) and the one place where
 * they become the template's typed terms: yuan text → integer fen, Beijing local time → ISO,
 * empty → "not given". Pure (no runes, no DOM), so it is unit-tested on its own; the editor keeps
 * these values in a $state and binds the inputs to them.
 */
import { templateIds, templateTermsSchemas, type TemplateId, type TemplateTerms } from '../../../../shared/domain/agreements.ts';
import { fromBeijingInput, toBeijingInput } from '../../../../shared/beijing-time.ts';
import { fenToYuanInput, parseYuanToFen } from '../../lib/money.ts';

export { templateIds, type TemplateId };

let nextKey = 1;
/** Stable keys for {#each} over rows that have no id. */
export const rowKey = (): number => nextKey++;

export interface ObligationValues {
  key: number;
  obligorPartyId: string;
  description: string;
  amountYuan: string;
  /** YYYY-MM-DD from <input type="date">. */
  dueDate: string;
}

export interface PersonValues {
  key: number;
  name: string;
  outcome: 'death' | 'injury';
  medicalYuan: string;
  lostIncomeYuan: string;
  disabilityCompensationYuan: string;
  funeralYuan: string;
  deathCompensationYuan: string;
  dependentsYuan: string;
  mentalDamageYuan: string;
}

export interface GearValues {
  key: number;
  kind: string;
  quantity: string;
  unitPriceYuan: string;
}

export interface CrewValues {
  key: number;
  name: string;
  /** YYYY-MM from <input type="month">. */
  fromMonth: string;
  toMonth: string;
  unpaidYuan: string;
}

export interface CatchValues {
  key: number;
  species: string;
  weightKg: string;
  pricePerKgYuan: string;
}

/** One row per agent of the case: whether the agreement names them, and whether they may sign. */
export interface AgentValues {
  participantId: string;
  forPartyId: string;
  included: boolean;
  maySign: boolean;
}

export interface ClauseValues {
  key: number;
  text: string;
}

export interface DraftValues {
  templateId: TemplateId;
  partiesA: string[];
  partiesB: string[];
  agents: AgentValues[];
  vesselIds: string[];
  facts: string;
  obligations: ObligationValues[];
  confidential: boolean;
  defaultClause: string;
  citedEvidenceIds: string[];
  applyForConfirmation: boolean;
  otherClauses: ClauseValues[];
  // collision_injury
  /** datetime-local value, Beijing time. */
  collisionAt: string;
  persons: PersonValues[];
  vesselLossYuan: string;
  otherLossYuan: string;
  // fishing_gear_damage
  gear: GearValues[];
  // crew_wages
  crew: CrewValues[];
  // catch_sale
  catches: CatchValues[];
}

/** The rows the template's own items start with (those that need at least one). */
export const emptyObligation = (obligorPartyId = ''): ObligationValues => ({ key: rowKey(), obligorPartyId, description: '', amountYuan: '', dueDate: '' });
export const emptyPerson = (): PersonValues => ({
  key: rowKey(),
  name: '',
  outcome: 'injury',
  medicalYuan: '',
  lostIncomeYuan: '',
  disabilityCompensationYuan: '',
  funeralYuan: '',
  deathCompensationYuan: '',
  dependentsYuan: '',
  mentalDamageYuan: '',
});
export const emptyGear = (): GearValues => ({ key: rowKey(), kind: '', quantity: '', unitPriceYuan: '' });
export const emptyCrew = (): CrewValues => ({ key: rowKey(), name: '', fromMonth: '', toMonth: '', unpaidYuan: '' });
export const emptyCatch = (): CatchValues => ({ key: rowKey(), species: '', weightKg: '', pricePerKgYuan: '' });
export const emptyClause = (): ClauseValues => ({ key: rowKey(), text: '' });

/** What of the case a new draft starts from. */
export interface CaseContext {
  parties: readonly { id: string }[];
  vessels: readonly { id: string }[];
  /** Agent participants and the party each acts for. */
  agents: readonly { participantId: string; forPartyId: string }[];
  incidentAt: string;
  incidentDescription: string;
}

/** A new draft: first party on side 甲, second on side 乙, every vessel, the case's own account of the facts. */
export function newDraftValues(templateId: TemplateId, context: CaseContext): DraftValues {
  const [first, second] = context.parties;
  return {
    templateId,
    partiesA: first ? [first.id] : [],
    partiesB: second ? [second.id] : [],
    agents: context.agents.map((a) => ({ participantId: a.participantId, forPartyId: a.forPartyId, included: false, maySign: false })),
    vesselIds: context.vessels.map((v) => v.id),
    facts: context.incidentDescription,
    obligations: [emptyObligation(second?.id ?? '')],
    confidential: true,
    defaultClause: '',
    citedEvidenceIds: [],
    applyForConfirmation: true,
    otherClauses: [],
    collisionAt: toBeijingInput(context.incidentAt),
    persons: [],
    vesselLossYuan: '',
    otherLossYuan: '',
    gear: [emptyGear()],
    crew: [emptyCrew()],
    catches: [emptyCatch()],
  };
}

/** Fen for an input: '' for an optional or zero-default amount that is zero, so the form stays uncluttered. */
const yuanOrBlank = (fen: number | undefined): string => (fen === undefined || fen === 0 ? '' : fenToYuanInput(fen));

/**
 * The values of a saved version, for editing it into the next one. `agents` of the case are
 * listed too (not included) so the mediator can add them; agents named in the terms who are no
 * longer in the case stay, so that the server can say what is wrong with them.
 */
export function draftValuesFromTerms(templateId: TemplateId, rawTerms: unknown, context: CaseContext): DraftValues {
  const base = newDraftValues(templateId, context);
  const parsed = templateTermsSchemas[templateId].safeParse(rawTerms);
  if (!parsed.success) return base;
  const t = parsed.data as TemplateTerms;
  const agents: AgentValues[] = t.agents.map((a) => ({ participantId: a.participantId, forPartyId: a.forPartyId, included: true, maySign: a.maySign }));
  for (const a of base.agents) if (!agents.some((x) => x.participantId === a.participantId)) agents.push(a);
  const values: DraftValues = {
    ...base,
    partiesA: [...t.partiesA],
    partiesB: [...t.partiesB],
    agents,
    vesselIds: [...t.vesselIds],
    facts: t.facts,
    obligations: t.obligations.map((o) => ({
      key: rowKey(),
      obligorPartyId: o.obligorPartyId,
      description: o.description,
      amountYuan: o.amountFen === undefined ? '' : fenToYuanInput(o.amountFen),
      dueDate: o.dueDate,
    })),
    confidential: t.confidential,
    defaultClause: t.defaultClause,
    citedEvidenceIds: [...t.citedEvidenceIds],
    applyForConfirmation: t.applyForConfirmation,
    otherClauses: t.otherClauses.map((text) => ({ key: rowKey(), text })),
  };
  switch (templateId) {
    case 'collision_injury': {
      const c = t as TemplateTerms<'collision_injury'>;
      values.collisionAt = toBeijingInput(c.collisionAt);
      values.persons = c.persons.map((p) => ({
        key: rowKey(),
        name: p.name,
        outcome: p.outcome,
        medicalYuan: yuanOrBlank(p.medicalFen),
        lostIncomeYuan: yuanOrBlank(p.lostIncomeFen),
        disabilityCompensationYuan: yuanOrBlank(p.disabilityCompensationFen),
        funeralYuan: yuanOrBlank(p.funeralFen),
        deathCompensationYuan: yuanOrBlank(p.deathCompensationFen),
        dependentsYuan: yuanOrBlank(p.dependentsFen),
        mentalDamageYuan: yuanOrBlank(p.mentalDamageFen),
      }));
      values.vesselLossYuan = yuanOrBlank(c.vesselLossFen);
      values.otherLossYuan = yuanOrBlank(c.otherLossFen);
      break;
    }
    case 'fishing_gear_damage':
      values.gear = (t as TemplateTerms<'fishing_gear_damage'>).gear.map((g) => ({ key: rowKey(), kind: g.kind, quantity: String(g.quantity), unitPriceYuan: fenToYuanInput(g.unitPriceFen) }));
      break;
    case 'crew_wages':
      values.crew = (t as TemplateTerms<'crew_wages'>).crew.map((c) => ({ key: rowKey(), name: c.name, fromMonth: c.fromMonth, toMonth: c.toMonth, unpaidYuan: fenToYuanInput(c.unpaidFen) }));
      break;
    case 'catch_sale':
      values.catches = (t as TemplateTerms<'catch_sale'>).catches.map((c) => ({ key: rowKey(), species: c.species, weightKg: String(c.weightKg), pricePerKgYuan: fenToYuanInput(c.pricePerKgFen) }));
      break;
    case 'general':
      break;
  }
  return values;
}

/** Message keys (of the shared locale) for what only the conversion can detect. */
export type ConversionError = 'validation.amount' | 'validation.dateTime' | 'validation.number' | 'validation.wholeNumber';

/** A request body as far as the form can tell; the shared agreementDraftSchema checks the rest. */
export interface DraftCandidate {
  templateId: TemplateId;
  terms: Record<string, unknown>;
}

export interface Conversion {
  draft: DraftCandidate;
  /** Field path (as the schema and server name it, e.g. "terms.obligations.0.amountFen") → message key. */
  errors: Record<string, ConversionError>;
}

/**
 * Form values → the draft the API takes. What cannot be converted is left out (undefined) and
 * recorded in `errors` at the field's path; everything else is left to the shared schema so the
 * messages match the server's.
 */
export function draftFromValues(v: DraftValues): Conversion {
  const errors: Record<string, ConversionError> = {};

  /** '' → `blank` (undefined: not given, or 0 for amounts that default to zero). */
  const fen = (text: string, path: string, blank: 0 | undefined): number | undefined => {
    const trimmed = text.trim();
    if (trimmed === '') return blank;
    const value = parseYuanToFen(trimmed);
    if (value === null) errors[path] = 'validation.amount';
    return value ?? undefined;
  };
  const whole = (text: string, path: string): number | undefined => {
    const trimmed = text.normalize('NFKC').trim();
    if (trimmed === '') return undefined;
    if (!/^\d+$/.test(trimmed)) {
      errors[path] = 'validation.wholeNumber';
      return undefined;
    }
    return Number(trimmed);
  };
  const decimal = (text: string, path: string): number | undefined => {
    const trimmed = text.normalize('NFKC').replace(/[,，\s]/g, '');
    if (trimmed === '') return undefined;
    if (!/^\d+(\.\d+)?$/.test(trimmed)) {
      errors[path] = 'validation.number';
      return undefined;
    }
    return Number(trimmed);
  };
  const given = (text: string): string | undefined => (text.trim() === '' ? undefined : text.trim());

  const common = {
    partiesA: [...v.partiesA],
    partiesB: [...v.partiesB],
    agents: v.agents.filter((a) => a.included).map((a) => ({ participantId: a.participantId, forPartyId: a.forPartyId, maySign: a.maySign })),
    vesselIds: [...v.vesselIds],
    facts: v.facts,
    obligations: v.obligations.map((o, i) => ({
      obligorPartyId: given(o.obligorPartyId),
      description: o.description,
      amountFen: fen(o.amountYuan, `terms.obligations.${i}.amountFen`, undefined),
      dueDate: given(o.dueDate),
    })),
    confidential: v.confidential,
    defaultClause: v.defaultClause,
    citedEvidenceIds: [...v.citedEvidenceIds],
    applyForConfirmation: v.applyForConfirmation,
    otherClauses: v.otherClauses.map((c) => c.text),
  };

  let terms: Record<string, unknown>;
  switch (v.templateId) {
    case 'collision_injury': {
      let collisionAt: string | undefined;
      if (v.collisionAt.trim() !== '') {
        collisionAt = fromBeijingInput(v.collisionAt) ?? undefined;
        if (!collisionAt) errors['terms.collisionAt'] = 'validation.dateTime';
      }
      const item = (i: number, name: string) => `terms.persons.${i}.${name}`;
      terms = {
        ...common,
        collisionAt,
        persons: v.persons.map((p, i) => ({
          name: p.name,
          outcome: p.outcome,
          medicalFen: fen(p.medicalYuan, item(i, 'medicalFen'), 0),
          lostIncomeFen: fen(p.lostIncomeYuan, item(i, 'lostIncomeFen'), 0),
          disabilityCompensationFen: fen(p.disabilityCompensationYuan, item(i, 'disabilityCompensationFen'), 0),
          funeralFen: fen(p.funeralYuan, item(i, 'funeralFen'), 0),
          deathCompensationFen: fen(p.deathCompensationYuan, item(i, 'deathCompensationFen'), 0),
          dependentsFen: fen(p.dependentsYuan, item(i, 'dependentsFen'), 0),
          mentalDamageFen: fen(p.mentalDamageYuan, item(i, 'mentalDamageFen'), 0),
        })),
        vesselLossFen: fen(v.vesselLossYuan, 'terms.vesselLossFen', 0),
        otherLossFen: fen(v.otherLossYuan, 'terms.otherLossFen', 0),
      };
      break;
    }
    case 'fishing_gear_damage':
      terms = {
        ...common,
        gear: v.gear.map((g, i) => ({
          kind: g.kind,
          quantity: whole(g.quantity, `terms.gear.${i}.quantity`),
          unitPriceFen: fen(g.unitPriceYuan, `terms.gear.${i}.unitPriceFen`, undefined),
        })),
      };
      break;
    case 'crew_wages':
      terms = {
        ...common,
        crew: v.crew.map((c, i) => ({
          name: c.name,
          fromMonth: given(c.fromMonth),
          toMonth: given(c.toMonth),
          unpaidFen: fen(c.unpaidYuan, `terms.crew.${i}.unpaidFen`, undefined),
        })),
      };
      break;
    case 'catch_sale':
      terms = {
        ...common,
        catches: v.catches.map((c, i) => ({
          species: c.species,
          weightKg: decimal(c.weightKg, `terms.catches.${i}.weightKg`),
          pricePerKgFen: fen(c.pricePerKgYuan, `terms.catches.${i}.pricePerKgFen`, undefined),
        })),
      };
      break;
    case 'general':
      terms = common;
      break;
  }
  return { draft: { templateId: v.templateId, terms }, errors };
}

/** The sum the obligations add up to (fen), for showing next to the form; invalid amounts count as 0. */
export function obligationsTotalFen(v: Pick<DraftValues, 'obligations'>): number {
  return v.obligations.reduce((sum, o) => sum + (parseYuanToFen(o.amountYuan.trim() || '0') ?? 0), 0);
}

/** Splits the server's line diff (parts that each hold several lines) into one row per line. */
export function diffRows(changes: readonly { kind: 'same' | 'added' | 'removed'; text: string }[]): { kind: 'same' | 'added' | 'removed'; text: string }[] {
  const rows: { kind: 'same' | 'added' | 'removed'; text: string }[] = [];
  for (const change of changes) {
    const lines = change.text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    for (const text of lines) rows.push({ kind: change.kind, text });
  }
  return rows;
}

/** The template a case's dispute type usually calls for (the mediator may choose another). */
export function suggestedTemplate(disputeType: string): TemplateId {
  switch (disputeType) {
    case 'collision':
    case 'injury_death':
      return 'collision_injury';
    case 'fishing_gear_damage':
      return 'fishing_gear_damage';
    case 'crew_wages':
      return 'crew_wages';
    case 'catch_price_sale':
      return 'catch_sale';
    default:
      return 'general';
  }
}
