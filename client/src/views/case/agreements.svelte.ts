/** The agreements of a case, and which one the page has open (or a new draft). */
import type { z } from 'zod';
import type { agreementListSchema, AgreementView } from '../../../../shared/api/agreements.ts';
import type { TemplateId } from '../../../../shared/domain/agreements.ts';
import { listAgreements } from '../../lib/api.ts';
import { CaseItems } from './case-items.svelte.ts';

export type AgreementListItem = z.infer<typeof agreementListSchema>['items'][number];

export class CaseAgreements extends CaseItems<AgreementListItem> {
  /** The agreement shown below the list, or the template of a new draft being written. */
  open = $state<{ kind: 'agreement'; id: string } | { kind: 'new'; templateId: TemplateId | null } | null>(null);

  constructor(caseId: string) {
    super(caseId, listAgreements);
  }

  /** Opens the latest agreement that is still alive, if none is open yet. */
  protected override loadedNow(): void {
    if (this.open !== null) return;
    const live = this.items.filter((a) => a.status !== 'withdrawn');
    const latest = live[live.length - 1];
    if (latest) this.open = { kind: 'agreement', id: latest.id };
  }

  /** The list follows what an action on the open agreement returned. */
  upsert(view: AgreementView): void {
    const item: AgreementListItem = { id: view.id, title: view.title, status: view.status, templateId: view.templateId, versionNumber: view.currentVersion.number };
    const index = this.items.findIndex((a) => a.id === view.id);
    if (index >= 0) this.items[index] = item;
    else this.items = [...this.items, item];
  }
}
