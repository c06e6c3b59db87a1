import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type Database, openDatabase } from '../../server/db/client.ts';

const defaultAdminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh database on the real PostgreSQL server for one test file, migrated with the real
 * migrations; `drop()` removes it. `adminUrl`: another server (a fault test's own cluster).
 */
export async function createTestDatabase(adminUrl = defaultAdminUrl): Promise<Database & { name: string; url: string; drop(): Promise<void> }> {
  const name = `haiqiao_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const database = await openDatabase({ databaseUrl: url, max: 5 });
  return {
    ...database,
    name,
    url,
    async drop() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
