/**
 * One agreement as the mediator works on it: its current version, signers, comments, versions
 * and diff, sealing and the judicial-confirmation application. Every action answers the whole
 * agreement, which replaces what is shown.
 */
import type { z } from 'zod';
import type { AgreementView, diffSchema, signingCodeSchema } from '../../../../shared/api/agreements.ts';
import { commentOnAgreement, diffAgreementVersions, fileConfirmation, getAgreement, issueSigningCode, transitionAgreement } from '../../lib/api.ts';

export type VersionDiff = z.infer<typeof diffSchema>;
export type SigningCode = z.infer<typeof signingCodeSchema>;
export type AgreementAction = 'signing' | 'drafting' | 'withdrawn' | 'comment' | 'file' | `code:${string}`;

/** While the platform seals a fully signed agreement, look again this often, this many times. */
const sealPollMs = 1500;
const sealPollTimes = 40;

export class AgreementState {
  readonly agreementId: string;
  view = $state<AgreementView | null>(null);
  loadError = $state<unknown>(null);
  /** The action running now, for its button's busy state. */
  busy = $state<AgreementAction | null>(null);
  failure = $state<{ action: AgreementAction; error: unknown } | null>(null);
  /** Codes issued in this page, by participant: shown once, to be read out to the signer. */
  codes = $state<Record<string, SigningCode>>({});
  diff = $state<VersionDiff | null>(null);
  diffLoading = $state(false);
  diffError = $state<unknown>(null);
  private readonly onchange: (view: AgreementView) => void;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private polls = 0;
  private disposed = false;

  constructor(agreementId: string, onchange: (view: AgreementView) => void) {
    this.agreementId = agreementId;
    this.onchange = onchange;
  }

  async load(): Promise<void> {
    this.loadError = null;
    try {
      this.set(await getAgreement(this.agreementId));
    } catch (error) {
      this.loadError = error;
    }
  }

  set(view: AgreementView): void {
    if (this.disposed) return;
    this.view = view;
    this.onchange(view);
    clearTimeout(this.pollTimer);
    if (view.status === 'signed' && this.polls < sealPollTimes) {
      this.polls++;
      this.pollTimer = setTimeout(() => void this.load(), sealPollMs);
    }
  }

  private async act(action: AgreementAction, call: () => Promise<AgreementView>): Promise<boolean> {
    if (this.busy) return false;
    this.busy = action;
    this.failure = null;
    try {
      this.set(await call());
      return true;
    } catch (error) {
      this.failure = { action, error };
      return false;
    } finally {
      this.busy = null;
    }
  }

  failureOf(action: AgreementAction): unknown {
    return this.failure?.action === action ? this.failure.error : null;
  }

  transition(to: 'signing' | 'drafting' | 'withdrawn'): Promise<boolean> {
    return this.act(to, () => transitionAgreement(this.agreementId, to));
  }

  comment(kind: 'comment' | 'change_request', text: string): Promise<boolean> {
    return this.act('comment', () => commentOnAgreement(this.agreementId, { kind, text }));
  }

  async issueCode(participantId: string): Promise<void> {
    const action = `code:${participantId}` as const;
    if (this.busy) return;
    this.busy = action;
    this.failure = null;
    try {
      this.codes = { ...this.codes, [participantId]: await issueSigningCode(this.agreementId, participantId) };
    } catch (error) {
      this.failure = { action, error };
    } finally {
      this.busy = null;
    }
  }

  /** Files the parties' joint application for judicial confirmation with the competent court. */
  fileForConfirmation(): Promise<boolean> {
    return this.act('file', async () => {
      await fileConfirmation(this.agreementId);
      return getAgreement(this.agreementId);
    });
  }

  async compare(from: number, to: number): Promise<void> {
    this.diffLoading = true;
    this.diffError = null;
    try {
      this.diff = await diffAgreementVersions(this.agreementId, from, to);
    } catch (error) {
      this.diffError = error;
    } finally {
      this.diffLoading = false;
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.pollTimer);
  }
}
