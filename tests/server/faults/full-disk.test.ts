/**
 * Full disk: uploads go to a 2 MB tmpfs. An upload the disk cannot hold is answered 507
 * STORAGE_FULL with nothing kept (no partial or temporary file, no row, no audit event); once
 * there is room, the next upload is stored. The handling sits in the file store (and the error
 * mapping), so every writer of files (signature images, sealed PDFs, later recordings) gets it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { agreementFixture } from '../../helpers/agreement-fixture.ts';
import { countFiles, createTestWorld, json, type TestWorld, worldState } from '../../helpers/test-app.ts';

let world: TestWorld;
let filesDir: string;

beforeAll(async () => {
  filesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'haiqiao-full-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', filesDir]);
  world = await createTestWorld({ filesDir });
}, 60_000);
afterAll(async () => {
  await world?.close();
  execFileSync('umount', [filesDir]);
  fs.rmSync(filesDir, { recursive: true, force: true });
});

function upload(caseId: string, bytes: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), 'survey.pdf');
  return world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: form, headers: { cookie: world.cookies.mediator } });
}
const pdfOf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(size, 0x20), Buffer.from('\n%%EOF')]);

/** Every entry under the files directory, temporary files included (countFiles counts them too). */
const entries = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((e) => fs.statSync(path.join(dir, e)).isFile());

it('an upload larger than the space left: 507 STORAGE_FULL, no partial file, nothing in the database; a smaller one afterwards is stored', async () => {
  const f = await agreementFixture(world);
  const before = await worldState(world);
  expect(before.files).toBe(0);

  const res = await upload(f.caseId, pdfOf(3 * 1024 * 1024));
  expect(res.statusCode).toBe(507);
  expect(json(res).error).toMatchObject({ code: 'STORAGE_FULL' });
  expect(entries(filesDir)).toEqual([]);
  expect(await worldState(world)).toEqual(before);

  const small = await upload(f.caseId, pdfOf(64 * 1024));
  expect(small.statusCode).toBe(201);
  expect(countFiles(filesDir)).toBe(1);
}, 60_000);

it('a disk filled by something else: the upload that no longer fits is refused the same way and the earlier file is intact', async () => {
  const f = await agreementFixture(world);
  const kept = entries(filesDir).map((e) => [e, fs.readFileSync(path.join(filesDir, e)).length]);
  const filler = path.join(filesDir, 'filler');
  // Fill what is left (writeFileSync stops with ENOSPC), then make room for nothing more.
  try {
    fs.writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  }
  try {
    const before = await worldState(world);
    const res = await upload(f.caseId, pdfOf(200 * 1024));
    expect(res.statusCode).toBe(507);
    expect(json(res).error.code).toBe('STORAGE_FULL');
    expect(await worldState(world)).toEqual(before);
    expect(entries(filesDir).filter((e) => e !== 'filler').map((e) => [e, fs.readFileSync(path.join(filesDir, e)).length])).toEqual(kept);
  } finally {
    fs.rmSync(filler, { force: true });
  }
}, 60_000);
