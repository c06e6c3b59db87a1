/**
 * Editable drafts of a case, its parties and vessels. Inputs hold strings exactly as typed; the
 * conversion to API bodies (fen, ISO time, omitted empties) happens in one place, here.
 */
import type { CaseView, PartyView, VesselView } from '../../../../shared/api/cases.ts';
import type { CaseStatus, DisputeType, Province, SeaArea } from '../../../../shared/domain/cases.ts';
import type { CourtCode } from '../../../../shared/domain/courts.ts';
import type { IdType } from '../../../../shared/domain/id-numbers.ts';
import type { PartyKind } from '../../../../shared/domain/parties.ts';
import type { CaseCreate, CaseUpdate, NewCaseVessel, PartyInput, VesselInput } from '../../lib/api.ts';
import { fromBeijingInput, toBeijingInput } from '../../../../shared/beijing-time.ts';
import type { FormState } from '../../lib/form.svelte.ts';
import { fenToYuanInput, parseYuanToFen } from '../../lib/money.ts';

let nextKey = 1;
/** Stable keys for {#each} over drafts that have no server id yet. */
const newKey = () => nextKey++;

/** An empty input means "not given": the schemas use optional fields, not empty strings. */
const given = (value: string): string | undefined => (value.trim() === '' ? undefined : value.trim());

export class PartyDraft {
  readonly key = newKey();
  kind = $state<PartyKind>('person');
  name = $state('');
  idType = $state<IdType | ''>('');
  idNumber = $state('');
  phone = $state('');
  address = $state('');

  static fromView(party: PartyView): PartyDraft {
    const draft = new PartyDraft();
    draft.kind = party.kind;
    draft.name = party.name;
    draft.idType = party.idType ?? '';
    draft.phone = party.phone ?? '';
    draft.address = party.address ?? '';
    // idNumber stays empty: the server only ever sends the masked form, and empty keeps the stored one.
    return draft;
  }

  toInput(): PartyInput {
    return {
      kind: this.kind,
      name: this.name.trim(),
      idType: this.idType || undefined,
      idNumber: given(this.idNumber),
      phone: given(this.phone),
      address: given(this.address),
    };
  }
}

export class VesselDraft {
  readonly key = newKey();
  name = $state('');
  registrationNumber = $state('');
  mmsi = $state('');
  portOfRegistry = $state('');
  /** The owner: a party id on an existing case, a party position on a new one; '' for none. */
  owner = $state('');

  static fromView(vessel: VesselView): VesselDraft {
    const draft = new VesselDraft();
    draft.name = vessel.name;
    draft.registrationNumber = vessel.registrationNumber ?? '';
    draft.mmsi = vessel.mmsi ?? '';
    draft.portOfRegistry = vessel.portOfRegistry ?? '';
    draft.owner = vessel.ownerPartyId ?? '';
    return draft;
  }

  private fields() {
    return {
      name: this.name.trim(),
      registrationNumber: given(this.registrationNumber),
      mmsi: given(this.mmsi),
      portOfRegistry: given(this.portOfRegistry),
    };
  }

  toInput(): VesselInput {
    return { ...this.fields(), ownerPartyId: this.owner || undefined };
  }

  toNewCaseInput(): NewCaseVessel {
    return { ...this.fields(), ownerPartyIndex: this.owner === '' ? undefined : Number(this.owner) };
  }
}

type CaseFacts = Required<Pick<CaseUpdate, 'title' | 'disputeType' | 'incidentAt' | 'incidentPosition' | 'seaArea' | 'incidentDescription' | 'provinces' | 'claimedAmountFen' | 'competentCourt'>>;

export class CaseDraft {
  title = $state('');
  disputeType = $state<DisputeType | ''>('');
  incidentAt = $state('');
  lat = $state('');
  lon = $state('');
  seaArea = $state<SeaArea | ''>('');
  description = $state('');
  provinces = $state<Province[]>([]);
  amountYuan = $state('');
  court = $state<CourtCode | ''>('');
  parties = $state<PartyDraft[]>([]);
  vessels = $state<VesselDraft[]>([]);

  static fromView(view: CaseView): CaseDraft {
    const draft = new CaseDraft();
    draft.title = view.title;
    draft.disputeType = view.disputeType;
    draft.incidentAt = toBeijingInput(view.incidentAt);
    draft.lat = view.incidentPosition ? String(view.incidentPosition.lat) : '';
    draft.lon = view.incidentPosition ? String(view.incidentPosition.lon) : '';
    draft.seaArea = view.seaArea;
    draft.description = view.incidentDescription;
    draft.provinces = [...view.provinces];
    draft.amountYuan = fenToYuanInput(view.claimedAmountFen);
    draft.court = view.competentCourt;
    return draft;
  }

  addParty(): void {
    this.parties.push(new PartyDraft());
  }

  /** Removes a party and re-points vessel owners, which refer to parties by position. */
  removeParty(index: number): void {
    this.parties.splice(index, 1);
    for (const vessel of this.vessels) {
      if (vessel.owner === '') continue;
      const owner = Number(vessel.owner);
      if (owner === index) vessel.owner = '';
      else if (owner > index) vessel.owner = String(owner - 1);
    }
  }

  addVessel(): void {
    this.vessels.push(new VesselDraft());
  }

  removeVessel(index: number): void {
    this.vessels.splice(index, 1);
  }

  /**
   * The facts as API values. Conversions that the schemas cannot check (yuan text → fen, local
   * time → ISO, half a position) record their own field errors on `form`; the rest is left to
   * the shared schema so the messages match what the server would say.
   */
  facts(form: FormState): CaseFacts {
    const incidentAt = fromBeijingInput(this.incidentAt);
    if (incidentAt === null) form.setFieldError('incidentAt', 'validation.dateTime');

    let claimedAmountFen = parseYuanToFen(this.amountYuan);
    if (claimedAmountFen === null) form.setFieldError('claimedAmountFen', 'validation.amount');

    let incidentPosition: CaseFacts['incidentPosition'] = null;
    const lat = this.lat.trim();
    const lon = this.lon.trim();
    if (lat !== '' || lon !== '') {
      if (lat === '' || lon === '') {
        form.setFieldError(lat === '' ? 'incidentPosition.lat' : 'incidentPosition.lon', 'validation.positionPair');
      } else {
        incidentPosition = { lat: Number(lat), lon: Number(lon) };
        if (Number.isNaN(incidentPosition.lat)) form.setFieldError('incidentPosition.lat', 'validation.number');
        if (Number.isNaN(incidentPosition.lon)) form.setFieldError('incidentPosition.lon', 'validation.number');
      }
    }

    return {
      title: this.title,
      disputeType: (this.disputeType || undefined) as DisputeType,
      incidentAt: incidentAt ?? '',
      incidentPosition,
      seaArea: (this.seaArea || undefined) as SeaArea,
      incidentDescription: this.description,
      provinces: [...this.provinces],
      claimedAmountFen: claimedAmountFen ?? 0,
      competentCourt: (this.court || undefined) as CourtCode,
    };
  }

  createBody(form: FormState): CaseCreate {
    return {
      ...this.facts(form),
      parties: this.parties.map((party) => party.toInput()),
      vessels: this.vessels.map((vessel) => vessel.toNewCaseInput()),
    };
  }

  /** Only the facts that differ from `original`, so the audit trail records real changes. */
  updateBody(form: FormState, original: CaseView): Partial<CaseFacts> {
    const facts = this.facts(form);
    const changed: Partial<CaseFacts> = {};
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    if (facts.title.trim() !== original.title) changed.title = facts.title;
    if (facts.disputeType !== original.disputeType) changed.disputeType = facts.disputeType;
    if (new Date(facts.incidentAt).getTime() !== new Date(original.incidentAt).getTime()) changed.incidentAt = facts.incidentAt;
    if (!same(facts.incidentPosition, original.incidentPosition)) changed.incidentPosition = facts.incidentPosition;
    if (facts.seaArea !== original.seaArea) changed.seaArea = facts.seaArea;
    if (facts.incidentDescription.trim() !== original.incidentDescription) changed.incidentDescription = facts.incidentDescription;
    if (!same([...facts.provinces].sort(), [...original.provinces].sort())) changed.provinces = facts.provinces;
    if (facts.claimedAmountFen !== original.claimedAmountFen) changed.claimedAmountFen = facts.claimedAmountFen;
    if (facts.competentCourt !== original.competentCourt) changed.competentCourt = facts.competentCourt;
    return changed;
  }
}

/** Statuses whose transition ends the case or a session: ask before doing it. */
export const finalCaseStatuses: readonly CaseStatus[] = ['closed', 'failed', 'declined', 'withdrawn'];
