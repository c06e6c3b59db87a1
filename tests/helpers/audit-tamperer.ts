import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';

const run = promisify(execFile);

/**
 * A superuser connection to a test database that gets around the audit table's append-only
 * trigger, as someone with the database's keys could; it keeps a copy of the chain so that each
 * test can put it back.
 */
export function auditTamperer(databaseUrl: string) {
  const superuser = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  /** Runs `change` with the append-only trigger disabled. */
  const tamper = (change: (tx: postgres.TransactionSql) => Promise<unknown>) =>
    superuser.begin(async (tx) => {
      await tx`alter table audit_events disable trigger audit_events_no_update_or_delete`;
      await change(tx);
      await tx`alter table audit_events enable trigger audit_events_no_update_or_delete`;
    });
  return {
    superuser,
    tamper,
    /** Keeps the chain as it is now, for restore(). */
    keep: () => superuser`create table audit_backup as select * from audit_events`,
    /** Puts the chain back exactly as it was kept. */
    restore: () =>
      tamper(async (tx) => {
        await tx`delete from audit_events`;
        await tx`insert into audit_events select * from audit_backup`;
      }),
    end: () => superuser.end(),
  };
}

/** `npm run audit:verify` against a test database (with HAIQIAO_TSA_TRUST_FILE when given): its exit code and output. */
export async function runAuditVerifyCli(databaseUrl: string, tsaTrustFile?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, HAIQIAO_MEDIA_WORKERS: '0', LOG_LEVEL: 'silent' };
  if (tsaTrustFile) env.HAIQIAO_TSA_TRUST_FILE = tsaTrustFile;
  else delete env.HAIQIAO_TSA_TRUST_FILE;
  try {
    const { stdout, stderr } = await run(process.execPath, ['server/modules/audit/verify-cli.ts'], { env, cwd: process.cwd(), timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}
