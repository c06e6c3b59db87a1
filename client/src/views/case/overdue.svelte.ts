/** Overdue obligations across the mediator's center, for the desk's home page and its case rows. */
import type { z } from 'zod';
import type { overdueListSchema } from '../../../../shared/api/agreements.ts';
import { listOverdueObligations } from '../../lib/api.ts';

export type OverdueItem = z.infer<typeof overdueListSchema>['items'][number];

export class OverdueList {
  items = $state<OverdueItem[]>([]);
  error = $state<unknown>(null);

  /** Overdue items per case id, for a flag on each case row. */
  byCase = $derived(
    this.items.reduce<Record<string, number>>((counts, item) => {
      counts[item.caseId] = (counts[item.caseId] ?? 0) + 1;
      return counts;
    }, {}),
  );

  async load(): Promise<void> {
    this.error = null;
    try {
      this.items = (await listOverdueObligations()).items;
    } catch (error) {
      this.error = error;
    }
  }
}
