// Hot statements built once per database with drizzle's prepare(), their values as placeholders.
// Two costs go: drizzle building the SQL text on every call (in the join storm's profile, a
// fifth of the server's time), and with postgres.js a second round trip: a statement that is not
// prepared is sent as Parse + Describe first, and its Bind + Execute only once PostgreSQL has
// answered with the parameter types; a prepared one is described once per connection, then sent
// in one write.
import { sql } from 'drizzle-orm';
import type { Db } from './client.ts';

const byDatabase = new WeakMap<Db, Map<string, unknown>>();

/**
 * The statement `key` for this database, built by `build` on first use. `db` should be the
 * database, not a transaction: a statement prepared on a transaction runs on its connection only
 * (correct, but built again for every transaction).
 */
export function preparedFor<T>(db: Db, key: string, build: () => T): T {
  let statements = byDatabase.get(db);
  if (!statements) {
    statements = new Map();
    byDatabase.set(db, statements);
  }
  if (!statements.has(key)) statements.set(key, build());
  return statements.get(key) as T;
}

/** The keys of `values` that are set (not undefined), sorted. */
export function definedKeys(values: object): string[] {
  return Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key)
    .sort();
}

/**
 * The shape of a row's values (an insert's or an update's set): its columns, a null one marked,
 * since a null is written as such in the statement (a placeholder would hand it to the column's
 * encoder). One prepared statement per shape.
 */
export function valuesShape(values: object): string[] {
  return definedKeys(values).map((column) => (values[column as keyof typeof values] === null ? `${column}=null` : column));
}

/** Values of a shape for insert or set(), each from the placeholder `v_<column>` (see placeholderValues). */
export function valuesFromPlaceholders<T>(shape: string[]): T {
  const entries = shape.map((entry) => (entry.endsWith('=null') ? [entry.slice(0, -5), null] : [entry, sql.placeholder(`v_${entry}`)]));
  // drizzle's types allow no placeholder in set(), but it takes one there too (encoded with its column).
  return Object.fromEntries(entries) as T;
}

/** What fills valuesFromPlaceholders' placeholders. */
export function placeholderValues(values: object): Record<string, unknown> {
  return Object.fromEntries(definedKeys(values).map((column) => [`v_${column}`, values[column as keyof typeof values]]));
}
