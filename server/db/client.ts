import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { withReadRetry } from './read-retry.ts';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** A database or a transaction: repositories accept either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  /** The PostgreSQL server's URL (driver 'postgres'), for components with pools of their own (the job queue). */
  url?: string;
  /** The embedded database itself (driver 'pglite'), which allows no second connection. */
  pglite?: PGlite;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

export interface DatabaseOptions {
  /** postgres://… for a PostgreSQL server; otherwise an embedded PGlite database in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir?: string;
  /** Postgres pool size. */
  max?: number;
}

/** Opens the database and applies every pending migration from migrations/. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  let database: Database;
  if (options.databaseUrl) {
    const client = postgres(options.databaseUrl, { max: options.max ?? 10, onnotice: () => {} });
    const db = drizzlePostgres(withReadRetry(client), { schema });
    await migratePostgres(db, { migrationsFolder });
    database = { db: db as unknown as Db, driver: 'postgres', url: options.databaseUrl, ping: () => ping(db as unknown as Db), close: () => client.end({ timeout: 5 }) };
  } else {
    const dir = path.resolve(options.dataDir ?? 'data', 'pglite');
    fs.mkdirSync(dir, { recursive: true });
    const client = new PGlite(dir);
    const db = drizzlePglite(client, { schema });
    await migratePglite(db, { migrationsFolder });
    database = { db: db as unknown as Db, driver: 'pglite', pglite: client, ping: () => ping(db as unknown as Db), close: () => client.close() };
  }
  return database;
}

async function ping(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
