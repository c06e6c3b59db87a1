/**
 * A list that belongs to one case (evidence, agreements, obligations), loaded from the server:
 * `loaded` once it has answered, `error` while the last try failed (the list stays as it was).
 */
export class CaseItems<T> {
  readonly caseId: string;
  items = $state<T[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);
  readonly #fetch: (caseId: string) => Promise<{ items: T[] }>;

  constructor(caseId: string, fetch: (caseId: string) => Promise<{ items: T[] }>) {
    this.caseId = caseId;
    this.#fetch = fetch;
  }

  async load(): Promise<void> {
    this.error = null;
    try {
      this.items = (await this.#fetch(this.caseId)).items;
      this.loaded = true;
      this.loadedNow();
    } catch (error) {
      this.error = error;
    }
  }

  /** What a list does right after each successful load (nothing, unless it says otherwise). */
  protected loadedNow(): void {}
}
