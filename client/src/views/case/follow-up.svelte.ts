/** The obligations of the case's agreement in force, and recording their fulfilment. */
import type { z } from 'zod';
import type { obligationViewSchema } from '../../../../shared/api/agreements.ts';
import { listObligations, recordFulfilment } from '../../lib/api.ts';
import { CaseItems } from './case-items.svelte.ts';

export type ObligationView = z.infer<typeof obligationViewSchema>;

export class FollowUp extends CaseItems<ObligationView> {
  constructor(caseId: string) {
    super(caseId, listObligations);
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
