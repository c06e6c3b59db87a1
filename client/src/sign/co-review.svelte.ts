/**
 * Co-review in the live room: the case's agreement as it stands now, re-read whenever the room
 * says it changed ('agreement:updated'), with a short notice of what changed (new version — and
 * the lines that changed —, comments, signatures) and a way to comment or ask for a change.
 */
import type { AgreementView } from '../../../shared/api/agreements.ts';
import { ApiError } from '../lib/http.ts';
import { addComment, diffVersions, getAgreement, listAgreements, type Caller } from './participant-api.ts';
import { changesBetween, type AgreementChange } from './signer-state.ts';

type Diff = Awaited<ReturnType<typeof diffVersions>>;

const noticeMs = 12_000;
/** Which agreement of the case is "the" agreement: the one being worked on, else the latest in force. */
const preference = ['signing', 'drafting', 'signed', 'sealed', 'set_aside'] as const;

export class CoReview {
  readonly caller: Caller;
  view = $state.raw<AgreementView | null>(null);
  loaded = $state(false);
  loadError = $state.raw<unknown>(null);
  /** What the last update changed, shown for a few seconds. */
  changes = $state.raw<AgreementChange[]>([]);
  changedAt = $state<number | null>(null);
  /** Lines of the newest version change, kept until the next one. */
  diff = $state.raw<Diff | null>(null);
  sending = $state(false);
  sendError = $state.raw<unknown>(null);
  #caseId: string | null = null;
  #noticeTimer: ReturnType<typeof setTimeout> | null = null;
  #loading: Promise<void> | null = null;
  #again = false;

  constructor(caller: Caller) {
    this.caller = caller;
  }

  async start(caseId: Promise<string>): Promise<void> {
    try {
      this.#caseId = await caseId;
    } catch (error) {
      this.loadError = error;
      this.loaded = true;
      return;
    }
    await this.reload();
  }

  /** A room event: re-read if it concerns this agreement (or if there was none yet). */
  updated(agreementId: string): void {
    if (!this.view || this.view.id === agreementId) void this.reload();
  }

  /** Re-reads; overlapping calls collapse into one more read after the current one. */
  reload(): Promise<void> {
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = this.#read().finally(() => {
      this.#loading = null;
      if (this.#again) {
        this.#again = false;
        void this.reload();
      }
    });
    return this.#loading;
  }

  async #read(): Promise<void> {
    if (!this.#caseId) return;
    try {
      let id = this.view?.id;
      if (!id) {
        const items = (await listAgreements(this.caller, this.#caseId)).items;
        const rank = (status: string) => {
          const i = (preference as readonly string[]).indexOf(status);
          return i < 0 ? preference.length : i;
        };
        id = [...items].sort((a, b) => rank(a.status) - rank(b.status) || b.versionNumber - a.versionNumber)[0]?.id;
      }
      if (!id) {
        this.loaded = true;
        return;
      }
      const next = await getAgreement(this.caller, id);
      this.#take(next);
      this.loadError = null;
    } catch (error) {
      // The agreement we showed may have gone (withdrawn and removed from view): start over.
      if (error instanceof ApiError && error.code === 'NOT_FOUND' && this.view) this.view = null;
      this.loadError = error;
    } finally {
      this.loaded = true;
    }
  }

  /** Takes a new snapshot and announces what changed (`ownComment`: not the comment just posted). */
  #take(next: AgreementView, ownComment = false): void {
    const before = this.view;
    this.view = next;
    if (!before || before.id !== next.id) return;
    const changes = changesBetween(before, next).filter((c) => !(ownComment && c.kind === 'comment'));
    if (!changes.length) return;
    this.changes = changes;
    this.changedAt = Date.now();
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
    this.#noticeTimer = setTimeout(() => {
      this.changes = [];
      this.#noticeTimer = null;
    }, noticeMs);
    const version = changes.find((c) => c.kind === 'version');
    if (version && version.kind === 'version') {
      diffVersions(this.caller, next.id, version.from, version.to).then(
        (diff) => (this.diff = diff),
        () => (this.diff = null),
      );
    }
  }

  dismiss(): void {
    this.changes = [];
  }

  /** Posts a comment or change request; the answer is the agreement with it. */
  async comment(kind: 'comment' | 'change_request', text: string): Promise<boolean> {
    if (!this.view || this.sending) return false;
    this.sending = true;
    this.sendError = null;
    try {
      // Our own comment needs no notice; other changes in the same answer do.
      this.#take(await addComment(this.caller, this.view.id, { kind, text }), true);
      return true;
    } catch (error) {
      this.sendError = error;
      return false;
    } finally {
      this.sending = false;
    }
  }

  dispose(): void {
    if (this.#noticeTimer) clearTimeout(this.#noticeTimer);
  }
}
