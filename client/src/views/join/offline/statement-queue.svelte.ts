/**
 * The upload queue of a party's offline statements and photos: each item goes up by itself when
 * the link returns (the `online` event, and retries with growing pauses, since a phone at sea can
 * say "online" with nothing getting through). An item is sent with its capture hash, time and
 * position; the server records a capture once, so a retry after a lost answer is answered with the
 * item already recorded, and an item is marked sent only on the server's answer.
 */
import { evidenceViewSchema } from '../../../../../shared/api/evidence.ts';
import { request } from '../../../lib/http.ts';
import { ApiError, invitationHeaders, resolvedJoin, resolveJoin } from '../../../lib/join-api.ts';
import { type CapturedItem, itemsOf, saveItem } from './capture-store.ts';

const firstPauseMs = 2_000;
const longestPauseMs = 60_000;

/** Worth trying again later: no link, a server busy or restarting, a limit on requests. */
const transient = (error: unknown) => !(error instanceof ApiError) || error.code === 'NETWORK' || error.status === 0 || error.status === 429 || error.status >= 500;

export class StatementQueue {
  readonly token: string;
  items = $state<CapturedItem[]>([]);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #failures = 0;
  readonly #online = () => {
    this.#failures = 0;
    void this.send();
  };

  constructor(token: string) {
    this.token = token;
  }

  /** Loads what is waiting from earlier visits and starts sending; returns the stop function. */
  start(): () => void {
    addEventListener('online', this.#online);
    void itemsOf(this.token).then((items) => {
      // A send cut off by a closed tab is waiting again (the server answers a repeat with the item it has).
      this.items = items.map((item) => (item.state === 'sending' ? { ...item, state: 'waiting' } : item));
      void this.send();
    });
    return () => {
      removeEventListener('online', this.#online);
      clearTimeout(this.#timer);
    };
  }

  async add(item: CapturedItem): Promise<void> {
    await saveItem(item);
    this.items = [...this.items, item];
    this.#failures = 0;
    void this.send();
  }

  /** Sends every waiting item, one at a time (a weak link carries one upload better than several). */
  async send(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    clearTimeout(this.#timer);
    try {
      for (const item of this.items) {
        if (item.state !== 'waiting') continue;
        await this.#update(item.id, { state: 'sending', attempts: item.attempts + 1 });
        try {
          await this.#upload(item);
          await this.#update(item.id, { state: 'sent', blob: null });
          this.#failures = 0;
        } catch (error) {
          if (transient(error)) {
            await this.#update(item.id, { state: 'waiting' });
            this.#failures++;
            break;
          }
          await this.#update(item.id, { state: 'refused', refusalCode: error instanceof ApiError ? error.code : 'INTERNAL', refusal: error instanceof Error ? error.message : String(error) });
        }
      }
    } finally {
      this.#running = false;
    }
    if (this.items.some((item) => item.state === 'waiting')) {
      const pause = Math.min(longestPauseMs, firstPauseMs * 2 ** Math.max(0, this.#failures - 1));
      this.#timer = setTimeout(() => void this.send(), pause * (0.75 + Math.random() / 2));
    }
  }

  async #upload(item: CapturedItem) {
    if (!item.blob) throw new ApiError('VALIDATION_FAILED', 'the recording is no longer on this phone');
    const context = resolvedJoin(this.token) ?? (await resolveJoin(this.token));
    const form = new FormData();
    form.append('capturedAt', item.capturedAt);
    form.append('captureSha256', item.sha256);
    if (item.latitude !== undefined && item.longitude !== undefined) {
      form.append('latitude', String(item.latitude));
      form.append('longitude', String(item.longitude));
    }
    form.append('file', item.blob, item.fileName);
    return request('POST', `/api/cases/${encodeURIComponent(context.case.id)}/evidence`, evidenceViewSchema, { body: form, headers: invitationHeaders(this.token) });
  }

  async #update(id: string, change: Partial<CapturedItem>) {
    const current = this.items.find((item) => item.id === id);
    if (!current) return;
    const next = { ...current, ...change };
    await saveItem($state.snapshot(next) as CapturedItem);
    this.items = this.items.map((item) => (item.id === id ? next : item));
  }
}
