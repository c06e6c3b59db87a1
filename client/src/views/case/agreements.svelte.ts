/** The agreements of a case, and which one the page has open (or a new draft). */
import type { z } from 'zod';
import type { agreementListSchema, AgreementView } from '../../../../shared/api/agreements';
import type { TemplateId } from '../../../../shared/domain/agreements';
import { listAgreements } from '../../lib/api';

export type AgreementListItem = z.infer<typeof agreementListSchema>['items'][number];

export class CaseAgreements {
  readonly caseId: string;
  items = $state<AgreementListItem[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);
  /** The agreement shown below the list, or the template of a new draft being written. */
  open = $state<{ kind: 'agreement'; id: string } | { kind: 'new'; templateId: TemplateId | null } | null>(null);

  constructor(caseId: string) {
    this.caseId = caseId;
  }

  /** Opens the latest agreement that is still alive, if none is open yet. */
  async load(): Promise<void> {
    this.error = null;
    try {
      this.items = (await listAgreements(this.caseId)).items;
      this.loaded = true;
      if (this.open === null) {
        const live = this.items.filter((a) => a.status !== 'withdrawn');
        const latest = live[live.length - 1];
        if (latest) this.open = { kind: 'agreement', id: latest.id };
      }
    } catch (error) {
      this.error = error;
    }
  }

  /** The list follows what an action on the open agreement returned. */
  upsert(view: AgreementView): void {
    const item: AgreementListItem = { id: view.id, title: view.title, status: view.status, templateId: view.templateId, versionNumber: view.currentVersion.number };
    const index = this.items.findIndex((a) => a.id === view.id);
    if (index >= 0) this.items[index] = item;
    else this.items = [...this.items, item];
  }
}
