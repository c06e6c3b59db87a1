import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

const bin = process.env.HAIQIAO_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of the test's own (initdb into a temporary directory, a free port), so a
 * fault test can restart it or cut its connections without touching the shared server.
 * PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.
 */
export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres, for createTestWorld({ databaseAdminUrl }). */
  adminUrl: string;
  /** pg_ctl restart -m fast: every connection is closed, the server is back when this resolves. */
  restart(): Promise<void>;
  /** pg_terminate_backend on every other connection to `database`; returns how many were cut. */
  cutConnections(database: string): Promise<number>;
  /** Runs SQL on an admin connection of its own (for locks that hold a write in place). */
  admin: postgres.Sql;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Runs a PostgreSQL program (as `postgres` when root); async, so the app in this process keeps running meanwhile. */
async function run(command: string, args: string[]) {
  const asRoot = process.getuid?.() === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, command), ...args]] : [path.join(bin, command), args];
  await promisify(execFile)(file, argv, { timeout: 60_000 });
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-own-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  const data = path.join(dir, 'data');
  const port = await freePort();
  await run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=60`;
  const ctl = (...args: string[]) => run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '60', ...args]);
  await ctl('start');
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = postgres(adminUrl, { max: 2, onnotice: () => {} });
  return {
    adminUrl,
    admin,
    async restart() {
      await ctl('restart', '-m', 'fast');
    },
    async cutConnections(database) {
      const rows = await admin`select pg_terminate_backend(pid) as cut from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
      return rows.filter((r) => r.cut).length;
    },
    async stop() {
      await admin.end({ timeout: 1 }).catch(() => {});
      await ctl('stop', '-m', 'immediate');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
