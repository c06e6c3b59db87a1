/**
 * Sealing as background jobs on two nodes sharing one PostgreSQL database: a seal whose first
 * try fails (a real database error, raised by a trigger on the first insert of a document) is
 * retried by the queue without any restart, and the agreement ends sealed exactly once: one
 * document, one audit event, one stored PDF, one successful insert, even when both nodes are
 * asked to seal it again while the retry waits.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreementFixture, collisionDraft, signAs } from '../../helpers/agreement-fixture.ts';
import { api, countFiles, createTestWorld, ok, rowsOf, type TestWorld } from '../../helpers/test-app.ts';
import type { App } from '../../../server/app.ts';

let world: TestWorld;
let nodeB: App;

async function one<T>(query: ReturnType<typeof sql>): Promise<T> {
  return rowsOf<T>(await world.database.db.execute(query))[0]!;
}

beforeAll(async () => {
  world = await createTestWorld();
  nodeB = await world.addNode();
  await world.database.db.execute(sql.raw(`
    create sequence seal_attempts;
    create function fail_first_seal() returns trigger language plpgsql as $$
    begin
      -- sequences are not rolled back with the failing transaction: only the first try fails
      if nextval('seal_attempts') = 1 then raise exception 'injected fault: the sealed document could not be recorded'; end if;
      return new;
    end $$;
    create trigger fail_first_seal before insert on documents for each row execute function fail_first_seal();
  `));
}, 120_000);
afterAll(() => world?.close());

describe('a seal that fails the first time', () => {
  it('is retried by the job queue and completes exactly once with two nodes running', async () => {
    const f = await agreementFixture(world);
    const mediator = api(world.app, world.cookies.mediator);
    const agreementId = (await ok(await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201)).id as string;
    await ok(await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' }));
    const filesBefore = countFiles(world.filesDir);
    for (const who of ['fisherman', 'agent'] as const) expect((await signAs(world, f, agreementId, who)).statusCode).toBe(200);

    // The first try has failed (the trigger fired) and nothing of it was kept.
    const deadline = Date.now() + 30_000;
    while ((await one<{ n: string }>(sql`select last_value as n from seal_attempts`)).n === '1' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // Both nodes are now asked to seal it again, at once, while the queued retry waits for its time.
    await Promise.all([world.app.sealer.sealAgreement(agreementId), nodeB.sealer.sealAgreement(agreementId), world.app.sealer.resumePending(), nodeB.sealer.resumePending()]);

    let status = '';
    for (const until = Date.now() + 90_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
      status = (await one<{ status: string }>(sql`select status from agreements where id = ${agreementId}`)).status;
      if (status === 'sealed') break;
    }
    expect(status).toBe('sealed');
    await Promise.all([world.app.sealer.idle(), nodeB.sealer.idle()]);

    const attempts = Number((await one<{ n: string }>(sql`select last_value as n from seal_attempts`)).n);
    expect(attempts).toBe(2);
    expect((await one<{ n: number }>(sql`select count(*)::int as n from documents where agreement_id = ${agreementId} and kind = 'sealed_agreement'`)).n).toBe(1);
    expect((await one<{ n: number }>(sql`select count(*)::int as n from audit_events where type = 'document.sealed' and data->>'agreementId' = ${agreementId}`)).n).toBe(1);
    // The job that sealed it is the one that failed first. Asks that came while it waited for its
    // retry were folded into it; one that came after it had finished found nothing left to do.
    const jobs = rowsOf<{ state: string; retry_count: number }>(await world.database.db.execute(sql`select state, retry_count from pgboss.job where name = 'seal-agreement' and singleton_key = ${agreementId} order by created_on`));
    expect(jobs[0]).toEqual({ state: 'completed', retry_count: 1 });
    expect(jobs.every((j) => j.state === 'completed')).toBe(true);
    // Two signature images, two spoken-consent recordings and one sealed PDF: the failed try's file was removed.
    expect(countFiles(world.filesDir)).toBe(filesBefore + 5);

    const document = await one<{ storage_key: string }>(sql`select storage_key from documents where agreement_id = ${agreementId}`);
    const pdf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-sealed-')), 'agreement.pdf');
    fs.copyFileSync(path.join(world.filesDir, document.storage_key), pdf);
    expect(execFileSync('pdfsig', [pdf], { encoding: 'utf8' })).toContain('Signature is Valid');
  }, 180_000);
});
