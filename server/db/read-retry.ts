// After PostgreSQL restarts or cuts connections, postgres.js can hand a query to a pooled
// connection whose server side is already gone (it fails with 57P01 or CONNECTION_CLOSED). A
// read outside a transaction never changed anything, so it is safely tried again on a fresh
// connection; writes (in transactions) are not retried here: their callers get UNAVAILABLE.
import type postgres from 'postgres';
import { isDatabaseUnavailable } from '../infrastructure-errors.ts';

const attempts = 3;
// A SELECT can still write: a WITH holding an UPDATE/INSERT/DELETE, or a call of audit_append()
// (audit.repository.ts changeAudited): those are never tried twice.
const writes = (query: string) => /^\s*with\s[\s\S]*?\b(update|insert\s+into|delete\s+from)\s/i.test(query) || /\baudit_append\(/i.test(query);
const isRead = (query: string) => /^\s*(select|with\s[\s\S]*?\)\s*select)\s/i.test(query) && !writes(query);

async function retried<T>(query: string, run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isRead(query) || !isDatabaseUnavailable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The client with its top-level `unsafe` (drizzle's path for queries outside transactions) retrying reads. */
export function withReadRetry(client: postgres.Sql): postgres.Sql {
  const unsafe = client.unsafe.bind(client) as (query: string, params?: unknown[], options?: object) => postgres.PendingQuery<postgres.Row[]>;
  const retryingUnsafe = (query: string, params?: unknown[], options?: object) => ({
    // biome-ignore lint/suspicious/noThenProperty: drizzle awaits the query object, so the retrying stand-in for postgres.js PendingQuery must be thenable
    then: <A, B>(ok?: (rows: postgres.Row[]) => A, fail?: (error: unknown) => B) => retried(query, async () => await unsafe(query, params, options)).then(ok, fail),
    values: () => retried(query, async () => await unsafe(query, params, options).values()),
  });
  return new Proxy(client, { get: (target, key) => (key === 'unsafe' ? retryingUnsafe : Reflect.get(target, key)) });
}
