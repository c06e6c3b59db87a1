/**
 * Trusted time for the audit chain: its head is timestamped by a real TSA (openssl ts behind
 * HTTP). A chain that was cut, or whose tail was rewritten consistently (every hash recomputed,
 * so the chain walk alone finds nothing), no longer matches the TSA's tokens; and a rewrite
 * re-stamped by a TSA of the forger's own (same names) fails the trust list (HAIQIAO_TSA_TRUST_FILE).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { asc } from 'drizzle-orm';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../../../server/db/schema/index.ts';
import { parseTsaTrustList } from '../../../../server/documents/tsa-trust.ts';
import { anchorAuditHead, anchorMessage, scheduleAnchoring, verifyAnchors } from '../../../../server/modules/audit/anchoring.ts';
import { hashOf } from '../../../../server/modules/audit/audit.repository.ts';
import { createTimestamper, type Timestamper } from '../../../../server/security/timestamp-authority.ts';
import { api, createTestWorld, json, sampleCase, type TestWorld } from '../../../helpers/test-app.ts';
import { auditTamperer, runAuditVerifyCli } from '../../../helpers/audit-tamperer.ts';
import { startTestTsa, type TestTsa } from '../../../helpers/tsa.ts';

const _run = promisify(execFile);
let world: TestWorld;
let tsa: TestTsa;
let stamp: Timestamper;
let superuser: postgres.Sql;
let tamperer: ReturnType<typeof auditTamperer>;

const mediator = () => api(world.app, world.cookies.mediator);

async function verify() {
  const res = await api(world.app, world.cookies.admin).get('/api/admin/audit/verify');
  expect(res.statusCode).toBe(200);
  return json(res);
}

async function head() {
  const rows = await world.database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
  return rows[rows.length - 1]!;
}

async function restore() {
  await tamperer.restore();
  expect((await verify()).ok).toBe(true);
}

/** As deployed: HAIQIAO_TSA_TRUST_FILE names the test TSA's CA (`trusted: false` runs without it). */
const verifyCli = (trusted = true) => runAuditVerifyCli(world.database.url, trusted ? tsa.caFile : undefined);

/** Changes one event before the anchor and recomputes every later hash, as someone with the database's keys could. */
async function rewriteChain() {
  const events = await world.database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
  const from = anchoredSeq - 2;
  let prevHash = events[from - 2]!.hash;
  const forged = events.slice(from - 1).map((e, i) => {
    const data = i === 0 ? { ...e.data, claimedAmountFen: 1 } : e.data;
    const row = { ...e, data, prevHash };
    const next = { ...row, hash: hashOf(row) };
    prevHash = next.hash;
    return next;
  });
  await tamperer.tamper(async (tx) => {
    for (const e of forged) await tx`update audit_events set data = ${tx.json(e.data as postgres.JSONValue)}, prev_hash = ${e.prevHash}, hash = ${e.hash} where seq = ${e.seq}`;
  });
  return forged;
}

let anchoredSeq = 0;

beforeAll(async () => {
  tsa = await startTestTsa();
  stamp = createTimestamper({ url: tsa.url });
  world = await createTestWorld({ tsaTrust: parseTsaTrustList(tsa.caPem) });
  tamperer = auditTamperer(world.database.url);
  superuser = tamperer.superuser;
  const c = json(await mediator().post('/api/cases', sampleCase));
  await mediator().post(`/api/cases/${c.id}/transitions`, { to: 'screening' });
  await mediator().patch(`/api/cases/${c.id}`, { claimedAmountFen: 90_000_000 });
  const anchor = await anchorAuditHead(world.database.db, stamp);
  anchoredSeq = anchor!.seq;
  // Events after the anchor: the tail that is not yet pinned.
  await mediator().post(`/api/cases/${c.id}/parties`, { kind: 'person', name: '补充当事人' });
  await mediator().post(`/api/cases/${c.id}/vessels`, { name: '闽霞渔0001', mmsi: '412000111' });
  await tamperer.keep();
});
afterAll(async () => {
  await tamperer?.end();
  await world?.close();
  await tsa?.close();
});

describe('anchoring the audit head', () => {
  it('stamps the head once; the verification reports the anchor, its time and the TSA', async () => {
    expect(anchoredSeq).toBeGreaterThan(10);
    const result = await verify();
    expect(result).toMatchObject({ ok: true, firstBroken: null, anchors: { checked: 1, firstBroken: null, latest: { seq: anchoredSeq }, tsaTrustChecked: true } });
    expect(result.anchors.tsaSubjects[0]).toContain('Haiqiao test time-stamping authority');
    expect(Math.abs(Date.parse(result.anchors.latest.tsaTime) - Date.now())).toBeLessThan(120_000);
  });

  it('the scheduler stamps a new head and leaves an unchanged one alone', async () => {
    const served = tsa.served();
    const scheduled = scheduleAnchoring(world.database.db, stamp, 200, { error: () => {} });
    const deadline = Date.now() + 10_000;
    while ((await verify()).anchors.checked < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 600)); // more ticks, same head
    await scheduled.stop();
    const result = await verify();
    expect(result.anchors).toMatchObject({ checked: 2, firstBroken: null, latest: { seq: (await head()).seq } });
    expect(tsa.served()).toBe(served + 1);
    await superuser`delete from audit_anchors where seq <> ${anchoredSeq}`;
  });

  it('the CLI reports the anchors, and whether their TSA was checked against a trust list', async () => {
    const cli = await verifyCli();
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`events up to seq ${anchoredSeq} existed by`);
    expect(cli.stdout).toContain('TSA checked against the trust list: ');
    expect(cli.stdout).toContain('Haiqiao test TSA root CA');
    const unchecked = await verifyCli(false);
    expect(unchecked.code, unchecked.stderr).toBe(0);
    expect(unchecked.stdout).toContain('TSA NOT checked against a trust list (set HAIQIAO_TSA_TRUST_FILE)');
  });
});

describe('a cut or rewritten tail is detected', () => {
  it('cut: the events from the anchored one on are gone; the chain walk alone finds nothing, the anchor does', async () => {
    await tamperer.tamper((tx) => tx`delete from audit_events where seq >= ${anchoredSeq - 1}`);
    const result = await verify();
    expect(result.firstBroken).toBeNull(); // a shorter chain is still a chain
    expect(result).toMatchObject({ ok: false, anchors: { firstBroken: { seq: anchoredSeq, reason: 'anchored_event_missing' } } });
    const cli = await verifyCli();
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`audit anchor BROKEN at seq ${anchoredSeq}: anchored_event_missing`);
    await restore();
  });

  it('rewrite: one event before the anchor is changed and every later hash recomputed; the anchor no longer matches', async () => {
    await rewriteChain();
    const result = await verify();
    expect(result.firstBroken).toBeNull(); // consistently rewritten
    expect(result).toMatchObject({ ok: false, anchors: { firstBroken: { seq: anchoredSeq, reason: 'anchored_hash_mismatch' } } });
    await restore();
  });

  it('a forged anchor (its head hash changed to fit a rewrite) fails the TSA token', async () => {
    await superuser`update audit_anchors set head_hash = ${'a'.repeat(64)} where seq = ${anchoredSeq}`;
    expect((await verify()).anchors.firstBroken).toEqual({ seq: anchoredSeq, reason: 'anchor_token_invalid' });
    await superuser`update audit_anchors set head_hash = (select hash from audit_events where seq = ${anchoredSeq}) where seq = ${anchoredSeq}`;
    expect((await verify()).ok).toBe(true);
  });
});

describe('a rewrite re-stamped by another TSA with the same names', () => {
  let forger: TestTsa;
  beforeAll(async () => {
    forger = await startTestTsa();
  });
  afterAll(async () => {
    await forger?.close();
  });

  it('is intact to a check that believes any TSA, and untrusted to the live verify and the CLI given the trust list', async () => {
    const [original] = await superuser<{ token: string; head_hash: string }[]>`select token, head_hash from audit_anchors where seq = ${anchoredSeq}`;
    const forged = await rewriteChain();
    const forgedHead = forged.find((e) => e.seq === anchoredSeq)!.hash;
    const token = await createTimestamper({ url: forger.url })(anchorMessage(anchoredSeq, forgedHead));
    await superuser`update audit_anchors set head_hash = ${forgedHead}, token = ${token.toString('base64')} where seq = ${anchoredSeq}`;
    try {
      // Without a trust list the forgery passes everything: the chain walks, the token verifies, the names match.
      const believing = await verifyAnchors(world.database.db);
      expect(believing).toMatchObject({ checked: 1, firstBroken: null, tsaTrustChecked: false });
      expect(believing.tsaSubjects[0]).toContain('Haiqiao test time-stamping authority');
      const believingCli = await verifyCli(false);
      expect(believingCli.code, believingCli.stderr).toBe(0);
      expect(believingCli.stdout).toContain('TSA NOT checked against a trust list');

      const result = await verify();
      expect(result.firstBroken).toBeNull(); // consistently rewritten
      expect(result).toMatchObject({ ok: false, anchors: { firstBroken: { seq: anchoredSeq, reason: 'anchor_tsa_untrusted' }, tsaTrustChecked: true } });
      const cli = await verifyCli();
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`audit anchor BROKEN at seq ${anchoredSeq}: anchor_tsa_untrusted`);
    } finally {
      await superuser`update audit_anchors set head_hash = ${original!.head_hash}, token = ${original!.token} where seq = ${anchoredSeq}`;
      await restore();
    }
    expect((await verify()).anchors).toMatchObject({ checked: 1, firstBroken: null, tsaTrustChecked: true });
  });
});
