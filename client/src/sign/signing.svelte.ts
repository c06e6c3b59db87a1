/**
 * One participant signing one agreement on their phone: read the current version clause by
 * clause, confirm identity again, consent, sign by hand — or decline with a reason. The server is
 * the authority: every refusal it gives is shown, and a version that changed while the person was
 * reading (409), an answer already given, or a closed agreement sends them back to what is true
 * now. While the page is open the agreement is re-read now and then, so a new version or the
 * other side's signature and the sealed PDF appear without a reload.
 */
import { consentText, type AgreementView, type SignRequest } from '../../../shared/api/agreements.ts';
import { ApiError } from '../lib/http.ts';
import { resolveJoin } from '../lib/join-api.ts';
import { splitClauses, type Clause } from './clauses.ts';
import { ConsentRecorder } from './consent-recorder.svelte.ts';
import { declineAgreement, getAgreement, signAgreement, type Caller } from './participant-api.ts';
import { identityMethodFor, isStaleVersionError, myStanding, type MyStanding } from './signer-state.ts';

export type Step = 'read' | 'confirm' | 'decline' | 'done';
export type IdentityMethod = 'id_last4' | 'one_time_code';
export type InvitationProblem = 'expired' | 'revoked' | 'invalid';

/** Something to tell the person at the top of the page (message keys of sign.messages). */
export type FlowNotice =
  | { key: 'notice.versionChanged'; params: { n: number } }
  | { key: 'notice.alreadySigned' | 'notice.closedNow' | 'notice.signed' | 'notice.declined' | 'notice.sealedNow' };

export type SignFailure =
  | { kind: 'identity'; method: IdentityMethod; attempts: number; noIdOnFile: boolean }
  | { kind: 'rate_limited' }
  | { kind: 'other'; error: unknown };

const readingPollMs = 15_000;
const waitingPollMs = 4_000;

export class SigningFlow {
  readonly caller: Caller;
  readonly agreementId: string;
  readonly participantId: string;

  view = $state.raw<AgreementView | null>(null);
  loadError = $state.raw<unknown>(null);
  invitationProblem = $state<InvitationProblem | null>(null);
  step = $state<Step>('read');
  index = $state(0);
  /** The furthest clause the person has reached: signing opens after the last one. */
  furthest = $state(0);
  notice = $state.raw<FlowNotice | null>(null);

  identityMethod = $state<IdentityMethod>('id_last4');
  name = $state('');
  last4 = $state('');
  code = $state('');
  consent = $state(false);
  declineReason = $state('');
  busy = $state(false);
  failure = $state.raw<SignFailure | null>(null);
  failedAttempts = $state(0);
  /** Client-side checks before sending (message keys). */
  fieldErrors = $state<Partial<Record<'name' | 'last4' | 'code' | 'consent' | 'recording' | 'signature' | 'reason', string>>>({});
  /** The spoken consent, recorded after the read-aloud and uploaded before the signature. */
  readonly recorder = new ConsentRecorder();

  clauses = $derived<Clause[]>(this.view ? splitClauses(this.view.currentVersion.text) : []);
  standing = $derived.by<MyStanding | null>(() => (this.view ? myStanding(this.view, this.participantId) : null));
  readonly consentText = consentText;

  #timer: ReturnType<typeof setTimeout> | null = null;
  #disposed = false;
  #onVisible = () => {
    if (document.visibilityState === 'visible') void this.refresh();
  };

  constructor(caller: Caller, agreementId: string, participantId: string) {
    this.caller = caller;
    this.agreementId = agreementId;
    this.participantId = participantId;
  }

  async start(): Promise<void> {
    document.addEventListener('visibilitychange', this.#onVisible);
    await this.load();
  }

  dispose(): void {
    this.#disposed = true;
    this.recorder.dispose();
    if (this.#timer) clearTimeout(this.#timer);
    document.removeEventListener('visibilitychange', this.#onVisible);
  }

  async load(): Promise<void> {
    this.loadError = null;
    try {
      this.#apply(await getAgreement(this.caller, this.agreementId), true);
    } catch (error) {
      await this.#failedLoad(error);
    }
    this.#schedule();
  }

  /** Re-reads the agreement (poll, tab shown again); errors are kept quiet unless the link died. */
  async refresh(): Promise<void> {
    if (this.#disposed || this.busy) return;
    try {
      this.#apply(await getAgreement(this.caller, this.agreementId), false);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') await this.#failedLoad(error);
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#disposed || this.invitationProblem || !this.view) return;
    const view = this.view;
    const final = view.sealedDocument !== null || view.status === 'withdrawn' || view.status === 'set_aside';
    if (final) return;
    const waiting = this.step === 'done';
    this.#timer = setTimeout(() => void this.refresh(), waiting ? waitingPollMs : readingPollMs);
  }

  async #failedLoad(error: unknown): Promise<void> {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') {
      // The link stopped working while the page was open: find out why, in the join page's words.
      this.invitationProblem = await invitationProblemOf(this.caller);
      return;
    }
    this.loadError = error;
  }

  /** Takes a fresh snapshot; `initial` chooses the first step, later ones react to what changed. */
  #apply(view: AgreementView, initial: boolean): void {
    const before = this.view;
    this.view = view;
    const standing = myStanding(view, this.participantId);
    if (initial) {
      if (standing.kind === 'to_sign') this.identityMethod = identityMethodFor(standing.role);
      this.step = standing.kind === 'signed' || standing.kind === 'declined' ? 'done' : 'read';
      return;
    }
    if (!before) return;
    const versionChanged = before.currentVersion.sha256 !== view.currentVersion.sha256;
    if (this.step === 'read' || this.step === 'confirm' || this.step === 'decline') {
      if (versionChanged) {
        this.#backToReading();
        this.notice = { key: 'notice.versionChanged', params: { n: view.currentVersion.number } };
      } else if (standing.kind === 'signed' || standing.kind === 'declined') {
        this.step = 'done';
        this.notice = { key: 'notice.alreadySigned' };
      } else if (standing.kind === 'closed' && before.status === 'signing') {
        this.step = 'read';
        this.notice = { key: 'notice.closedNow' };
      }
    } else if (this.step === 'done') {
      if (view.sealedDocument && !before.sealedDocument) this.notice = { key: 'notice.sealedNow' };
      // A new version voids every signature: this person has to read and sign again.
      if (versionChanged && standing.kind !== 'signed' && standing.kind !== 'declined') {
        this.#backToReading();
        this.notice = { key: 'notice.versionChanged', params: { n: view.currentVersion.number } };
      }
    }
  }

  #backToReading(): void {
    this.step = 'read';
    this.index = 0;
    this.furthest = 0;
    this.consent = false;
    this.recorder.redo(); // consent to an older text is not consent to this one
    this.failure = null;
    this.fieldErrors = {};
  }

  // ---- reading -------------------------------------------------------------------------------

  goTo(index: number): void {
    const last = Math.max(0, this.clauses.length - 1);
    this.index = Math.min(Math.max(0, index), last);
    this.furthest = Math.max(this.furthest, this.index);
  }

  next(): void {
    this.goTo(this.index + 1);
  }

  previous(): void {
    this.goTo(this.index - 1);
  }

  get atLastClause(): boolean {
    return this.index >= this.clauses.length - 1;
  }

  get readAll(): boolean {
    return this.furthest >= this.clauses.length - 1;
  }

  dismissNotice(): void {
    this.notice = null;
  }

  /** From the last clause to identity, consent and signature. */
  toConfirm(): void {
    if (!this.readAll || this.standing?.kind !== 'to_sign') return;
    this.notice = null;
    this.step = 'confirm';
  }

  toDecline(): void {
    if (this.standing?.kind !== 'to_sign') return;
    this.notice = null;
    this.failure = null;
    this.step = 'decline';
  }

  backToText(): void {
    this.step = 'read';
    this.failure = null;
  }

  useMethod(method: IdentityMethod): void {
    this.identityMethod = method;
    this.failure = null;
    this.fieldErrors = {};
  }

  // ---- answering -----------------------------------------------------------------------------

  /** Sends the spoken consent; a link that stopped working meanwhile is explained as on load. */
  async useRecording(): Promise<void> {
    const refusal = await this.recorder.use(this.caller, this.agreementId);
    if (refusal instanceof ApiError && refusal.code === 'UNAUTHENTICATED') await this.#failedLoad(refusal);
  }

  /** Checks the form; on success returns the identity to send. */
  #identity(): SignRequest['identity'] | null {
    const errors: typeof this.fieldErrors = {};
    let identity: SignRequest['identity'];
    if (this.identityMethod === 'id_last4') {
      const name = this.name.trim();
      const last4 = this.last4.trim().toUpperCase();
      if (!name) errors.name = 'error.nameRequired';
      if (!/^[0-9]{3}[0-9X]$/.test(last4)) errors.last4 = 'error.last4Invalid';
      identity = { method: 'id_last4', name, last4 };
    } else {
      const code = this.code.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(code)) errors.code = 'error.codeInvalid';
      identity = { method: 'one_time_code', code };
    }
    if (!this.consent) errors.consent = 'error.consentRequired';
    if (!this.recorder.uploadedSha256) errors.recording = this.recorder.state === 'uploading' ? 'error.recordingUploading' : 'error.recordingRequired';
    this.fieldErrors = errors;
    return Object.keys(errors).length ? null : identity;
  }

  /** Sends the signature; `signature` is the pad's export (or the reason it is not one). */
  async sign(signature: { png: string } | { problem: 'empty' | 'too_small' }): Promise<void> {
    if (this.busy || !this.view) return;
    this.failure = null;
    const identity = this.#identity();
    if ('problem' in signature) this.fieldErrors = { ...this.fieldErrors, signature: signature.problem === 'empty' ? 'error.signatureEmpty' : 'error.signatureTooSmall' };
    if (!identity || 'problem' in signature) return;
    const version = this.view.currentVersion;
    const consentRecordingSha256 = this.recorder.uploadedSha256!;
    this.busy = true;
    try {
      const view = await signAgreement(this.caller, this.agreementId, { versionId: version.id, versionHash: version.sha256, consent: true, identity, signaturePng: signature.png, consentRecordingSha256 });
      this.view = view;
      this.step = 'done';
      this.notice = { key: 'notice.signed' };
    } catch (error) {
      await this.#refused(error, identity.method);
    } finally {
      this.busy = false;
    }
    this.#schedule();
  }

  async decline(): Promise<void> {
    if (this.busy || !this.view) return;
    this.failure = null;
    const reason = this.declineReason.trim();
    if (reason.length < 2) {
      this.fieldErrors = { reason: 'error.reasonRequired' };
      return;
    }
    this.fieldErrors = {};
    const version = this.view.currentVersion;
    this.busy = true;
    try {
      this.view = await declineAgreement(this.caller, this.agreementId, { versionId: version.id, versionHash: version.sha256, reason });
      this.step = 'done';
      this.notice = { key: 'notice.declined' };
    } catch (error) {
      await this.#refused(error, null);
    } finally {
      this.busy = false;
    }
    this.#schedule();
  }

  async #refused(error: unknown, method: IdentityMethod | null): Promise<void> {
    if (!(error instanceof ApiError)) {
      this.failure = { kind: 'other', error };
      return;
    }
    if (error.code === 'IDENTITY_REJECTED' && method) {
      const noIdOnFile = error.field === 'identity.method';
      if (noIdOnFile) this.identityMethod = 'one_time_code';
      else this.failedAttempts += 1;
      this.failure = { kind: 'identity', method, attempts: this.failedAttempts, noIdOnFile };
      return;
    }
    if (error.code === 'RATE_LIMITED') {
      this.failure = { kind: 'rate_limited' };
      return;
    }
    if (error.code === 'UNAUTHENTICATED') return this.#failedLoad(error);
    if (error.code === 'CONFLICT') {
      // The truth changed under the person: reload and let #apply say what happened.
      const stale = isStaleVersionError(error);
      try {
        const view = await getAgreement(this.caller, this.agreementId);
        const versionChanged = stale || view.currentVersion.sha256 !== this.view?.currentVersion.sha256;
        this.#apply(view, false);
        if (versionChanged && this.step !== 'done') {
          this.#backToReading();
          this.notice = { key: 'notice.versionChanged', params: { n: view.currentVersion.number } };
        } else if (this.step !== 'done' && this.standing?.kind !== 'to_sign') {
          this.step = 'read';
          this.notice = { key: 'notice.closedNow' };
        } else if (this.step !== 'done') {
          this.failure = { kind: 'other', error };
        }
      } catch (reload) {
        this.failure = { kind: 'other', error: reload };
      }
      return;
    }
    if (error.field === 'consentRecordingSha256') {
      // The server does not hold this recording for this version: record and send it again.
      this.recorder.redo();
      this.fieldErrors = { recording: 'error.recordingLost' };
      return;
    }
    if (error.field === 'identity.last4' || error.field === 'identity.name' || error.field === 'identity.code') {
      this.fieldErrors = { [error.field.slice('identity.'.length)]: 'error.fieldInvalid' };
    }
    this.failure = { kind: 'other', error };
  }
}

/** Why an invitation no longer works, asked the way the join page asks. */
async function invitationProblemOf(caller: Caller): Promise<InvitationProblem> {
  if (caller.kind !== 'participant') return 'invalid';
  try {
    await resolveJoin(caller.token);
    return 'invalid'; // resolves, yet the call was refused: treat as unusable
  } catch (error) {
    if (error instanceof ApiError && error.code === 'INVITATION_EXPIRED') return 'expired';
    if (error instanceof ApiError && error.code === 'INVITATION_REVOKED') return 'revoked';
    return 'invalid';
  }
}
