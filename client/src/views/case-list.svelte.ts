/** Search, filter and paging of the case list; mirrored in the query string so Back keeps them. */
import type { CaseList } from '../../../shared/api/cases.ts';
import { caseStatuses, type CaseStatus } from '../../../shared/domain/cases.ts';
import { listCases } from '../lib/api.ts';
import { router } from '../lib/router.svelte.ts';

export const pageSize = 20;

export class CaseListState {
  q = $state('');
  status = $state<CaseStatus | ''>('');
  page = $state(1);
  result = $state<CaseList | null>(null);
  loading = $state(false);
  error = $state<unknown>(null);

  pages = $derived(this.result ? Math.max(1, Math.ceil(this.result.total / pageSize)) : 1);

  /** Guards against an older, slower answer overwriting a newer one. */
  private requestSeq = 0;

  constructor(search: string) {
    const params = new URLSearchParams(search);
    this.q = params.get('q') ?? '';
    const status = params.get('status');
    this.status = status && (caseStatuses as readonly string[]).includes(status) ? (status as CaseStatus) : '';
    this.page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  }

  async load(): Promise<void> {
    const seq = ++this.requestSeq;
    this.loading = true;
    this.error = null;
    router.replaceQuery({ q: this.q.trim(), status: this.status, page: this.page > 1 ? this.page : undefined });
    try {
      const result = await listCases({ q: this.q.trim() || undefined, status: this.status || undefined, page: this.page, pageSize });
      if (seq === this.requestSeq) this.result = result;
    } catch (error) {
      if (seq === this.requestSeq) this.error = error;
    } finally {
      if (seq === this.requestSeq) this.loading = false;
    }
  }

  search(): Promise<void> {
    this.page = 1;
    return this.load();
  }

  goTo(page: number): Promise<void> {
    this.page = Math.min(Math.max(1, page), this.pages);
    return this.load();
  }
}
