import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { type Database, migrationsFolder, openDatabase } from '../../server/db/client.ts';

const defaultAdminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The migrations' content (every file under migrations/, names included): a template is only used for the migrations it was made with. */
function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(migrationsFolder, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(migrationsFolder, file);
    if (!fs.statSync(full).isFile()) continue;
    hash.update(`${file}\0`).update(fs.readFileSync(full)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A database already migrated with the current migrations/, which new test databases are copied
 * from: running the 25 migrations took about 1.5 s per test file, a copy takes a fraction of it.
 * Made once per server and migrations content, by whichever test file comes first; several making
 * it at once is harmless (each builds under its own name and only one rename wins). Nobody stays
 * connected to it, as PostgreSQL requires of a template.
 */
async function migratedTemplate(admin: postgres.Sql, adminUrl: string): Promise<string> {
  const template = `haiqiao_template_${migrationsHash()}`;
  const exists = async () => (await admin`select 1 from pg_database where datname = ${template}`).length > 0;
  if (await exists()) return template;
  const building = `${template}_${randomBytes(4).toString('hex')}`;
  await admin.unsafe(`create database ${building}`);
  try {
    const database = await openDatabase({ databaseUrl: adminUrl.replace(/\/[^/]*$/, `/${building}`), max: 1 });
    await database.close();
    if (!(await exists())) await admin.unsafe(`alter database ${building} rename to ${template}`);
  } catch (error) {
    if (!(await exists())) throw error; // a rename lost to another file's is fine
  } finally {
    await admin.unsafe(`drop database if exists ${building} with (force)`);
  }
  return template;
}

/**
 * A fresh database on the real PostgreSQL server for one test file, migrated with the real
 * migrations (copied from a template that ran them, then checked by the migrator, which finds
 * nothing left to apply); `drop()` removes it. `adminUrl`: another server (a fault test's own
 * cluster), where the migrations run from scratch.
 */
export async function createTestDatabase(adminUrl = defaultAdminUrl): Promise<Database & { name: string; url: string; drop(): Promise<void> }> {
  const name = `haiqiao_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const shared = adminUrl === defaultAdminUrl;
  await admin.unsafe(shared ? `create database ${name} template ${await migratedTemplate(admin, adminUrl)}` : `create database ${name}`);
  // On the shared server, commits need not wait for the WAL to reach the disk: what another
  // session sees is the same, only a crash of that server could lose the last commits, and no
  // test crashes it (the fault tests run their own cluster, with fsync, and keep the default).
  if (shared) await admin.unsafe(`alter database ${name} set synchronous_commit = off`);
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
