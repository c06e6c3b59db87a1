/**
 * A participant's view of the case evidence: what they may see (with the SHA-256 recorded at
 * upload), and their own uploads — photos straight from the phone's camera, documents, or an
 * appraiser's report with a signed statement. Limits are checked before a long upload starts;
 * the server still sniffs the content and has the last word.
 */
import type { EvidenceView } from '../../../shared/api/evidence.ts';
import { ApiError } from '../lib/http.ts';
import { listEvidence, uploadAppraisal, uploadEvidence } from './evidence-api.ts';
import type { Caller } from './participant-api.ts';


export class EvidenceDesk {
  readonly caller: Caller;
  readonly caseId: string;
  items = $state.raw<EvidenceView[]>([]);
  loaded = $state(false);
  loadError = $state.raw<unknown>(null);
  /** 0..1 while uploading, null otherwise. */
  progress = $state<number | null>(null);
  uploadError = $state.raw<unknown>(null);
  /** The id of the item just uploaded, highlighted in the list. */
  justAdded = $state<string | null>(null);
  #abort: AbortController | null = null;

  constructor(caller: Caller, caseId: string) {
    this.caller = caller;
    this.caseId = caseId;
  }

  async load(): Promise<void> {
    this.loadError = null;
    try {
      this.items = (await listEvidence(this.caller, this.caseId)).items;
    } catch (error) {
      this.loadError = error;
    } finally {
      this.loaded = true;
    }
  }

  get uploading(): boolean {
    return this.progress !== null;
  }

  #added(view: EvidenceView): void {
    this.items = [view, ...this.items.filter((i) => i.id !== view.id)];
    this.justAdded = view.id;
  }

  async upload(file: File, description: string): Promise<boolean> {
    return this.#run(() => uploadEvidence(this.caller, this.caseId, file, description, (f) => (this.progress = f), this.#abort!.signal));
  }

  async uploadReport(file: File, signaturePng: string): Promise<boolean> {
    return this.#run(() => uploadAppraisal(this.caller, this.caseId, file, signaturePng, (f) => (this.progress = f), this.#abort!.signal));
  }

  async #run(send: () => Promise<EvidenceView>): Promise<boolean> {
    if (this.uploading) return false;
    this.uploadError = null;
    this.justAdded = null;
    this.progress = 0;
    this.#abort = new AbortController();
    try {
      this.#added(await send());
      return true;
    } catch (error) {
      this.uploadError = error;
      return false;
    } finally {
      this.progress = null;
      this.#abort = null;
    }
  }

  cancel(): void {
    this.#abort?.abort();
  }

  dispose(): void {
    this.cancel();
  }
}

export const isCancelled = (error: unknown) => error instanceof ApiError && error.code === 'NETWORK' && error.message === 'upload cancelled';
