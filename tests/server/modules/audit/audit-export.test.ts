/**
 * The per-case audit export (JSON Lines + manifest) and its offline check
 * (`npm run audit:check-export`): exported, it checks out; one changed byte fails at that row.
 * With a real TSA (openssl ts behind HTTP) the manifest carries the anchor that pins the export;
 * with --tsa-trust, an export rewritten and re-stamped by another TSA of the same names fails.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTsaTrustList } from '../../../../server/documents/tsa-trust.ts';
import { anchorAuditHead, anchorMessage } from '../../../../server/modules/audit/anchoring.ts';
import { hashOf } from '../../../../server/modules/audit/audit-hash.ts';
import { checkAuditExport } from '../../../../server/modules/audit/export-check.ts';
import { createTimestamper } from '../../../../server/security/timestamp-authority.ts';
import { api, createTestWorld, json, sampleCase, type TestWorld } from '../../../helpers/test-app.ts';
import { startTestTsa, type TestTsa } from '../../../helpers/tsa.ts';

const run = promisify(execFile);
let world: TestWorld;
let tsa: TestTsa;
let dir: string;
let caseId: string;

const mediator = () => api(world.app, world.cookies.mediator);

async function exportCase(id = caseId) {
  const manifestRes = await mediator().get(`/api/cases/${id}/audit/export/manifest.json`);
  expect(manifestRes.statusCode).toBe(200);
  const manifest = json(manifestRes);
  const eventsRes = await mediator().get(`/api/cases/${id}/audit/export/events.jsonl?upToSeq=${manifest.upToSeq}`);
  expect(eventsRes.statusCode).toBe(200);
  expect(eventsRes.headers['content-type']).toContain('application/x-ndjson');
  return { manifest, events: eventsRes.body };
}

async function checkCli(manifest: unknown, events: string | Buffer, ...flags: string[]) {
  const folder = await mkdtemp(path.join(dir, 'export-'));
  await writeFile(path.join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(folder, 'events.jsonl'), events);
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'audit:check-export', '--', folder, ...flags], { cwd: process.cwd(), timeout: 30_000, env: { ...process.env, DATABASE_URL: 'postgres://nowhere.invalid/none' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-audit-export-'));
  tsa = await startTestTsa();
  world = await createTestWorld();
  const c = json(await mediator().post('/api/cases', sampleCase));
  caseId = c.id;
  // Another case's events interleave: they appear as links only.
  const other = json(await mediator().post('/api/cases', { ...sampleCase, title: '另一案件' }));
  await mediator().post(`/api/cases/${caseId}/transitions`, { to: 'screening' });
  await mediator().patch(`/api/cases/${other.id}`, { claimedAmountFen: 1_000 });
  await mediator().patch(`/api/cases/${caseId}`, { claimedAmountFen: 90_000_000 });
  await mediator().post(`/api/cases/${caseId}/parties`, { kind: 'person', name: '补充当事人' });
  await mediator().post(`/api/cases/${other.id}/parties`, { kind: 'person', name: '他案当事人' });
  await mediator().post(`/api/cases/${caseId}/vessels`, { name: '闽霞渔0001', mmsi: '412000111' });
});
afterAll(async () => {
  await world?.close();
  await tsa?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('per-case audit export', () => {
  it('holds each event whole (id, prevHash, hash…) and other cases’ events as links only', async () => {
    const { manifest, events } = await exportCase();
    const rows = events.trim().split('\n').map((l: string) => JSON.parse(l));
    expect(rows.length).toBe(manifest.rows);
    const own = rows.filter((r: { link?: boolean }) => !r.link);
    expect(own.length).toBe(manifest.caseEvents);
    expect(own.length).toBeGreaterThanOrEqual(5);
    expect(own[0]).toMatchObject({ type: 'case.created', caseId, id: expect.any(String), prevHash: expect.stringMatching(/^[0-9a-f]{64}$/), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const links = rows.filter((r: { link?: boolean }) => r.link);
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const link of links) expect(Object.keys(link).sort()).toEqual(['hash', 'link', 'prevHash', 'seq']);
    expect(events).not.toContain('他案当事人');
    expect(manifest.anchors).toEqual([]);
  });

  it('checks out offline (the npm script, no database), and the same export twice is byte-identical', async () => {
    const { manifest, events } = await exportCase();
    const again = await mediator().get(`/api/cases/${caseId}/audit/export/events.jsonl?upToSeq=${manifest.upToSeq}`);
    expect(again.body).toBe(events);
    expect(checkAuditExport(events, manifest)).toMatchObject({ ok: true, firstBroken: null, caseEvents: manifest.caseEvents });
    const cli = await checkCli(manifest, events);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`audit export intact: ${manifest.rows} rows, ${manifest.caseEvents} events of case`);
  });

  it('one changed byte fails the check at that row', async () => {
    const { manifest, events } = await exportCase();
    const lines = events.split('\n');
    // One letter of the changed field's name in the case's update event: claimedAmountFen → ClaimedAmountFen.
    const target = lines.findIndex((l: string) => l.includes('"case.updated"') && l.includes(caseId));
    expect(target).toBeGreaterThan(0);
    const at = lines[target]!.indexOf('"claimedAmountFen"') + 1;
    expect(at).toBeGreaterThan(0);
    lines[target] = `${lines[target]!.slice(0, at)}C${lines[target]!.slice(at + 1)}`;
    const tampered = lines.join('\n');
    expect(Buffer.byteLength(tampered)).toBe(Buffer.byteLength(events));
    const seq = JSON.parse(lines[target]!).seq;
    expect(checkAuditExport(tampered, manifest).firstBroken).toMatchObject({ line: target + 1, seq, problem: 'hash_mismatch' });
    const cli = await checkCli(manifest, tampered);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`audit export BROKEN at line ${target + 1} (seq ${seq}): hash_mismatch`);
  });

  it('a dropped row and a changed link are caught where they are', async () => {
    const { manifest, events } = await exportCase();
    const lines = events.trim().split('\n');
    const dropped = `${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`;
    expect(checkAuditExport(dropped, manifest).firstBroken).toMatchObject({ line: 3, problem: 'sequence_gap' });
    const linkAt = lines.findIndex((l) => l.includes('"link":true'));
    const link = JSON.parse(lines[linkAt]!);
    lines[linkAt] = JSON.stringify({ ...link, hash: 'f'.repeat(64) });
    expect(checkAuditExport(`${lines.join('\n')}\n`, manifest).firstBroken).toMatchObject({ line: linkAt + 2, problem: 'previous_hash_mismatch' });
  });

  it('with a TSA anchor after the case’s last event, the manifest carries it and the check verifies it', async () => {
    const anchor = await anchorAuditHead(world.database.db, createTimestamper({ url: tsa.url }));
    expect(anchor).not.toBeNull();
    const { manifest, events } = await exportCase();
    expect(manifest.anchors).toHaveLength(1);
    expect(manifest.lastSeq).toBe(anchor!.seq);
    const result = checkAuditExport(events, manifest);
    expect(result).toMatchObject({ ok: true, anchoredUntil: { seq: anchor!.seq } });
    const cli = await checkCli(manifest, events);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`timestamped: events up to seq ${anchor!.seq} existed by`);
    // A manifest whose anchor names another head fails.
    const forged = { ...manifest, anchors: [{ ...manifest.anchors[0], headHash: 'a'.repeat(64) }] };
    expect(checkAuditExport(events, forged).firstBroken).toMatchObject({ problem: 'anchor_hash_mismatch' });
  });

  it('with --tsa-trust the anchor’s TSA is checked; without it the check says it was not', async () => {
    const { manifest, events } = await exportCase();
    expect(manifest.anchors).toHaveLength(1);
    expect(checkAuditExport(events, manifest, parseTsaTrustList(tsa.caPem))).toMatchObject({ ok: true, tsaTrustChecked: true });
    expect(checkAuditExport(events, manifest)).toMatchObject({ ok: true, tsaTrustChecked: false });
    const trusted = await checkCli(manifest, events, '--tsa-trust', tsa.caFile);
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stdout).toContain('TSA trusted: issued by the trust list');
    const unchecked = await checkCli(manifest, events);
    expect(unchecked.code, unchecked.stderr).toBe(0);
    expect(unchecked.stdout).toContain('TSA NOT checked against a trust list (pass --tsa-trust <pem>)');
    const missing = await checkCli(manifest, events, '--tsa-trust', path.join(dir, 'no-such.pem'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the TSA trust file');
  });

  it('an export rewritten and re-stamped by another TSA with the same names passes a believing check, not the trust list', async () => {
    const { manifest, events } = await exportCase();
    const anchorSeq = manifest.anchors[0].seq;
    // Change what the case's update says it changed, recompute every later hash (links cannot be recomputed from
    // the export, so they get any hash that chains), then stamp the new head with the forger's TSA.
    const rows = events.trim().split('\n').map((l: string) => JSON.parse(l));
    const at = rows.findIndex((r: { type?: string; caseId?: string }) => r.type === 'case.updated' && r.caseId === caseId);
    expect(at).toBeGreaterThan(0);
    expect(rows[at].data.fields).toEqual(['claimedAmountFen']);
    rows[at].data = { ...rows[at].data, fields: ['title'] };
    for (let i = at; i < rows.length; i++) {
      const row = rows[i];
      row.prevHash = rows[i - 1].hash;
      row.hash = row.link
        ? createHash('sha256').update(`forged link ${row.seq} ${row.prevHash}`).digest('hex')
        : hashOf({ seq: row.seq, id: row.id, type: row.type, caseId: row.caseId, actor: row.actor, data: row.data, occurredAt: row.occurredAt, prevHash: row.prevHash });
    }
    const forgedEvents = `${rows.map((r: unknown) => JSON.stringify(r)).join('\n')}\n`;
    const forgedHead = rows.find((r: { seq: number }) => r.seq === anchorSeq).hash;
    const forger = await startTestTsa();
    try {
      const token = await createTimestamper({ url: forger.url })(anchorMessage(anchorSeq, forgedHead));
      const forged = {
        ...manifest,
        sha256: createHash('sha256').update(forgedEvents).digest('hex'),
        anchors: [{ ...manifest.anchors[0], headHash: forgedHead, token: token.toString('base64') }],
      };
      expect(checkAuditExport(forgedEvents, forged)).toMatchObject({ ok: true, firstBroken: null, anchoredUntil: { seq: anchorSeq } });
      const believing = await checkCli(forged, forgedEvents);
      expect(believing.code, believing.stderr).toBe(0);
      expect(believing.stdout).toContain('TSA NOT checked against a trust list');

      expect(checkAuditExport(forgedEvents, forged, parseTsaTrustList(tsa.caPem)).firstBroken).toMatchObject({ line: 0, seq: anchorSeq, problem: 'anchor_tsa_untrusted' });
      const cli = await checkCli(forged, forgedEvents, '--tsa-trust', tsa.caFile);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`audit export BROKEN at the anchor at seq ${anchorSeq}: anchor_tsa_untrusted`);
      expect(cli.stderr).toContain('Haiqiao test time-stamping authority');
    } finally {
      await forger.close();
    }
  });

  it('is for those who may read the case: another center’s mediator gets 404', async () => {
    const res = await api(world.app, world.cookies.otherMediator).get(`/api/cases/${caseId}/audit/export/manifest.json`);
    expect(res.statusCode).toBe(404);
  });
});
