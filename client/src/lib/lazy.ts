/**
 * A chunk loaded on demand: `importOnce(() => import('./X.svelte'))` downloads it on the first
 * call and hands every later call the same promise; after a failed download (a weak link) the
 * next call tries again instead of repeating the failure.
 */
export function importOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () =>
    (pending ??= load().catch((error: unknown) => {
      pending = null;
      throw error;
    }));
}
