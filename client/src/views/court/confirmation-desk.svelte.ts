/**
 * One confirmation application on the court desk: the application, its agreement (signed text,
 * signatures, sealed PDF), the case and its evidence, a scheduled hearing with the people the
 * court may invite to it, and the court's steps.
 */
import type { AgreementView } from '../../../../shared/api/agreements.ts';
import type { CaseView } from '../../../../shared/api/cases.ts';
import type { EvidenceView } from '../../../../shared/api/evidence.ts';
import { hearingInviteeRoles, type ParticipantView, type SessionView } from '../../../../shared/api/sessions.ts';
import { getAgreement, getCase, getConfirmation, getSession, listEvidence, listParticipants, type ConfirmationDetail } from '../../lib/api.ts';
import type { FormState } from '../../lib/form.svelte.ts';
import { ApiError } from '../../lib/http.ts';
import { courtErrorText } from './court-errors.ts';

/** The sealing queue issues the ruling PDF shortly after the decision; we look again for this long. */
const rulingPollMs = 1000;
const rulingPollTries = 30;

export type DeskPart = 'agreement' | 'case' | 'evidence' | 'hearing';

export class ConfirmationDesk {
  readonly id: string;
  confirmation = $state<ConfirmationDetail | null>(null);
  agreement = $state<AgreementView | null>(null);
  caseView = $state<CaseView | null>(null);
  evidence = $state<EvidenceView[] | null>(null);
  hearing = $state<SessionView | null>(null);
  /** With a hearing: the case's parties and their agents, whom the court invites to it. */
  invitees = $state<ParticipantView[] | null>(null);
  loadError = $state<unknown>(null);
  /** Parts that failed to load; the rest of the page still works. */
  failedParts = $state<DeskPart[]>([]);
  /** The last refused action (e.g. a 409 because someone else acted first), shown above the actions. */
  private actionErrorSource = $state<(() => string) | null>(null);
  /** Waiting for the sealed ruling after a decision. */
  rulingWait = $state<'idle' | 'waiting' | 'slow'>('idle');

  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(id: string) {
    this.id = id;
  }

  get actionError(): string | null {
    return this.actionErrorSource ? this.actionErrorSource() : null;
  }

  async load(): Promise<void> {
    this.loadError = null;
    try {
      const confirmation = await getConfirmation(this.id);
      this.confirmation = confirmation;
      this.failedParts = [];
      await Promise.all([this.loadAgreement(), this.loadCase(confirmation.caseId), this.loadEvidence(confirmation.caseId), this.loadHearing()]);
      this.watchRuling();
    } catch (error) {
      this.loadError = error;
    }
  }

  private async part(name: DeskPart, run: () => Promise<void>): Promise<void> {
    try {
      await run();
      this.failedParts = this.failedParts.filter((p) => p !== name);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') throw error;
      console.error(`court desk: ${name}`, error);
      if (!this.failedParts.includes(name)) this.failedParts = [...this.failedParts, name];
    }
  }

  private loadAgreement(): Promise<void> {
    return this.part('agreement', async () => {
      if (this.confirmation) this.agreement = await getAgreement(this.confirmation.agreementId);
    });
  }

  private loadCase(caseId: string): Promise<void> {
    return this.part('case', async () => {
      this.caseView = await getCase(caseId);
    });
  }

  private loadEvidence(caseId: string): Promise<void> {
    return this.part('evidence', async () => {
      this.evidence = (await listEvidence(caseId)).items;
    });
  }

  private loadHearing(): Promise<void> {
    return this.part('hearing', async () => {
      const c = this.confirmation;
      const sessionId = c?.hearingSessionId;
      if (!c || !sessionId) {
        this.hearing = null;
        this.invitees = null;
        return;
      }
      const [hearing, participants] = await Promise.all([getSession(sessionId), listParticipants(c.caseId)]);
      this.hearing = hearing;
      this.invitees = participants.items.filter((p) => hearingInviteeRoles.includes(p.role));
    });
  }

  /** Takes the server's answer to a step and refreshes what the step changes. */
  private async applied(updated: ConfirmationDetail): Promise<void> {
    const before = this.confirmation;
    this.confirmation = updated;
    const pending: Promise<void>[] = [];
    if (updated.hearingSessionId !== before?.hearingSessionId) pending.push(this.loadHearing());
    if (updated.status !== before?.status && !['filed', 'accepted', 'under_review'].includes(updated.status)) {
      // A ruling sets the agreement aside or makes the case enforceable.
      pending.push(this.loadAgreement(), this.loadCase(updated.caseId));
    }
    await Promise.all(pending);
    this.watchRuling();
  }

  /** Re-reads the application (after someone else acted on it). */
  async refresh(): Promise<void> {
    try {
      await this.applied(await getConfirmation(this.id));
    } catch (error) {
      this.loadError = error;
    }
  }

  /**
   * Runs one court step through the form that asked for it: field errors land on that form; a
   * refusal because of the application's state is shown above the actions and the page reloads
   * the application, since the form may no longer apply.
   */
  async act(form: FormState, labels: Record<string, string>, step: (id: string) => Promise<ConfirmationDetail>): Promise<boolean> {
    this.actionErrorSource = null;
    let failure: unknown = null;
    const updated = await form.run(async () => {
      try {
        return await step(this.id);
      } catch (error) {
        failure = error;
        throw error;
      }
    });
    if (updated) {
      await this.applied(updated);
      return true;
    }
    const error = failure;
    if (error instanceof ApiError && error.code === 'CONFLICT') {
      form.reset();
      this.actionErrorSource = () => courtErrorText(error);
      await this.refresh();
    } else if (error instanceof ApiError && error.code === 'VALIDATION_FAILED' && error.field && !(error.field in labels)) {
      form.setMessage(() => courtErrorText(error, labels));
    }
    return false;
  }

  /** After a confirming or rejecting ruling, looks again until the sealed ruling PDF is there. */
  private watchRuling(): void {
    clearTimeout(this.timer);
    const c = this.confirmation;
    const expected = c && (c.status === 'confirmed' || c.status === 'rejected') && !c.rulingDocument;
    if (!expected) {
      this.rulingWait = 'idle';
      return;
    }
    this.rulingWait = 'waiting';
    let tries = 0;
    const again = async () => {
      if (this.disposed) return;
      tries += 1;
      try {
        const next = await getConfirmation(this.id);
        if (this.disposed) return;
        this.confirmation = next;
        if (next.rulingDocument) {
          this.rulingWait = 'idle';
          return;
        }
      } catch {
        // keep trying a few times; a refresh button remains
      }
      if (tries >= rulingPollTries) this.rulingWait = 'slow';
      else this.timer = setTimeout(again, rulingPollMs);
    };
    this.timer = setTimeout(again, rulingPollMs);
  }

  /** A manual look for the ruling after polling gave up. */
  retryRuling(): void {
    void this.refresh();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}
