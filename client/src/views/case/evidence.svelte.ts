/** The case's evidence: loaded once for the evidence section and the agreement form (cited evidence). */
import type { EvidenceView } from '../../../../shared/api/evidence.ts';
import { listEvidence } from '../../lib/api.ts';
import { CaseItems } from './case-items.svelte.ts';

export class CaseEvidence extends CaseItems<EvidenceView> {
  constructor(caseId: string) {
    super(caseId, listEvidence);
  }

  upsert(item: EvidenceView): void {
    const index = this.items.findIndex((e) => e.id === item.id);
    if (index >= 0) this.items[index] = item;
    else this.items = [...this.items, item]; // oldest first, as the server lists them
  }

  find(id: string): EvidenceView | undefined {
    return this.items.find((e) => e.id === id);
  }
}
