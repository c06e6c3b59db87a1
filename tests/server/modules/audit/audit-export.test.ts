/**
 * The per-case audit export (JSON Lines + manifest) and its offline check
 * (`npm run audit:check-export`): exported, it checks out; one changed byte fails at that row.
 * With a real TSA (openssl ts behind HTTP) the manifest carries the anchor that pins the export.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorAuditHead } from '../../../../server/modules/audit/anchoring.ts';
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

async function checkCli(manifest: unknown, events: string | Buffer) {
  const folder = await mkdtemp(path.join(dir, 'export-'));
  await writeFile(path.join(folder, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(path.join(folder, 'events.jsonl'), events);
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'audit:check-export', '--', folder], { cwd: process.cwd(), timeout: 30_000, env: { ...process.env, DATABASE_URL: 'postgres://nowhere.invalid/none' } });
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

  it('is for those who may read the case: another center’s mediator gets 404', async () => {
    const res = await api(world.app, world.cookies.otherMediator).get(`/api/cases/${caseId}/audit/export/manifest.json`);
    expect(res.statusCode).toBe(404);
  });
});
