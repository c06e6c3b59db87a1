/** The case's evidence: loaded once for the evidence section and the agreement form (cited evidence). */
import type { EvidenceView } from '../../../../shared/api/evidence';
import { listEvidence } from '../../lib/api';

export class CaseEvidence {
  readonly caseId: string;
  items = $state<EvidenceView[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);

  constructor(caseId: string) {
    this.caseId = caseId;
  }

  async load(): Promise<void> {
    this.error = null;
    try {
      this.items = (await listEvidence(this.caseId)).items;
      this.loaded = true;
    } catch (error) {
      this.error = error;
    }
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
