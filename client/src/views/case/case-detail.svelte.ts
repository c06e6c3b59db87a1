/** Everything the case page shows: the case, its participants and sessions, loaded together. */
import type { CaseView, PartyView, VesselView } from '../../../../shared/api/cases.ts';
import type { ParticipantView, SessionView } from '../../../../shared/api/sessions.ts';
import { getCase, listParticipants, listSessions } from '../../lib/api.ts';

export class CaseDetail {
  readonly caseId: string;
  view = $state<CaseView | null>(null);
  participants = $state<ParticipantView[]>([]);
  sessions = $state<SessionView[]>([]);
  loadError = $state<unknown>(null);
  participantsError = $state<unknown>(null);
  sessionsError = $state<unknown>(null);

  constructor(caseId: string) {
    this.caseId = caseId;
  }

  /** Participants and sessions failing (e.g. not permitted) must not hide the case itself. */
  async load(): Promise<void> {
    this.loadError = null;
    const [view, participants, sessions] = await Promise.allSettled([
      getCase(this.caseId),
      listParticipants(this.caseId),
      listSessions(this.caseId),
    ]);
    if (view.status === 'rejected') {
      this.loadError = view.reason;
      return;
    }
    this.view = view.value;
    this.participantsError = participants.status === 'rejected' ? participants.reason : null;
    if (participants.status === 'fulfilled') this.participants = participants.value.items;
    this.sessionsError = sessions.status === 'rejected' ? sessions.reason : null;
    if (sessions.status === 'fulfilled') this.sessions = sortSessions(sessions.value.items);
  }

  async reloadCase(): Promise<void> {
    this.view = await getCase(this.caseId);
  }

  partyName(partyId: string | null): string | null {
    if (!partyId) return null;
    return this.view?.parties.find((party) => party.id === partyId)?.name ?? null;
  }

  upsertParty(party: PartyView): void {
    if (!this.view) return;
    const index = this.view.parties.findIndex((p) => p.id === party.id);
    if (index >= 0) this.view.parties[index] = party;
    else this.view.parties.push(party);
  }

  upsertVessel(vessel: VesselView): void {
    if (!this.view) return;
    const index = this.view.vessels.findIndex((v) => v.id === vessel.id);
    if (index >= 0) this.view.vessels[index] = vessel;
    else this.view.vessels.push(vessel);
  }

  upsertSession(session: SessionView): void {
    const others = this.sessions.filter((s) => s.id !== session.id);
    this.sessions = sortSessions([...others, session]);
  }
}

function sortSessions(sessions: SessionView[]): SessionView[] {
  return [...sessions].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
}
