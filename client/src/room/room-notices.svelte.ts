import type { MessageKey } from '../lib/i18n.svelte.ts';

export interface Notice {
  id: number;
  key: MessageKey;
  params?: Record<string, string | number>;
  tone: 'info' | 'warn' | 'error';
  /** Offered next to the notice. */
  action?: 'video-back';
}

/** Short notices over the room (a message key each, so both languages say it), and the last failed action. */
export class RoomNotices {
  list = $state.raw<Notice[]>([]);
  /** The last failed action, shown as a notice (its text comes from the error code). */
  lastError = $state.raw<unknown>(null);
  #nextId = 0;

  /** Shows a notice (one per key: a newer one replaces it), for ttlMs or until dismissed when null. */
  notify(key: MessageKey, tone: Notice['tone'] = 'info', extra: Partial<Pick<Notice, 'params' | 'action'>> = {}, ttlMs: number | null = 8_000): number {
    const id = ++this.#nextId;
    this.list = [...this.list.filter((n) => n.key !== key), { id, key, tone, ...extra }];
    if (ttlMs !== null) setTimeout(() => this.dismiss(id), ttlMs);
    return id;
  }

  dismiss(id: number): void {
    this.list = this.list.filter((n) => n.id !== id);
  }

  dismissKey(key: MessageKey): void {
    this.list = this.list.filter((n) => n.key !== key);
  }

  failed(error: unknown): void {
    console.warn(error);
    this.lastError = error;
    this.notify('room.notice.actionFailed', 'error');
  }
}
