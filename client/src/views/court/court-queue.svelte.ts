/** The court's queue of confirmation applications, filtered by status (kept in the query string). */
import type { z } from 'zod';
import type { confirmationQueueItemSchema } from '../../../../shared/api/agreements.ts';
import { confirmationStatuses, type ConfirmationStatus } from '../../../../shared/domain/agreements.ts';
import { getCourtQueue } from '../../lib/api.ts';
import { router } from '../../lib/router.svelte.ts';
import { isOpen, queueOrder } from './court-format.ts';

export type QueueItem = z.infer<typeof confirmationQueueItemSchema>;
/** `open`: everything the court still has to act on (the default); `all`; or one status. */
export type QueueFilter = 'open' | 'all' | ConfirmationStatus;

function filterFrom(search: string): QueueFilter {
  const value = new URLSearchParams(search).get('status');
  if (value === 'all') return 'all';
  return value && (confirmationStatuses as readonly string[]).includes(value) ? (value as ConfirmationStatus) : 'open';
}

export class CourtQueueState {
  filter = $state<QueueFilter>('open');
  items = $state<QueueItem[] | null>(null);
  loading = $state(false);
  error = $state<unknown>(null);

  private requestSeq = 0;

  constructor(search: string) {
    this.filter = filterFrom(search);
  }

  async load(): Promise<void> {
    const seq = ++this.requestSeq;
    const filter = this.filter;
    this.loading = true;
    this.error = null;
    router.replaceQuery({ status: filter === 'open' ? undefined : filter });
    try {
      const { items } = await getCourtQueue(filter === 'open' || filter === 'all' ? undefined : filter);
      if (seq !== this.requestSeq) return;
      this.items = (filter === 'open' ? items.filter((i) => isOpen(i.status)) : items).sort(queueOrder);
    } catch (error) {
      if (seq === this.requestSeq) this.error = error;
    } finally {
      if (seq === this.requestSeq) this.loading = false;
    }
  }
}
