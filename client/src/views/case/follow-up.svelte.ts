/** The obligations of the case's agreement in force, and recording their fulfilment. */
import type { z } from 'zod';
import type { obligationViewSchema } from '../../../../shared/api/agreements';
import { listObligations, recordFulfilment } from '../../lib/api';

export type ObligationView = z.infer<typeof obligationViewSchema>;

export class FollowUp {
  readonly caseId: string;
  items = $state<ObligationView[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);

  constructor(caseId: string) {
    this.caseId = caseId;
  }

  async load(): Promise<void> {
    this.error = null;
    try {
      this.items = (await listObligations(this.caseId)).items;
      this.loaded = true;
    } catch (error) {
      this.error = error;
    }
  }

  async fulfil(obligationId: string, note: string): Promise<void> {
    this.items = (await recordFulfilment(obligationId, note)).items;
  }

  get allFulfilled(): boolean {
    return this.items.length > 0 && this.items.every((o) => o.fulfilledAt !== null);
  }

  get overdueCount(): number {
    return this.items.filter((o) => o.overdue).length;
  }
}
