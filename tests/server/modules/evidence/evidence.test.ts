/**
 * Evidence: uploads by staff and participants, content sniffing, limits, SHA-256 and audit at
 * upload, who sees what, signed links, and PDF pages rendered by poppler — all on the real
 * database, real files on disk and the real pdfinfo/pdftoppm.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { inflateSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { evidenceMaxBytes } from '../../../../shared/api/evidence.ts';
import { evidenceLookup } from '../../../../server/modules/evidence/evidence.service.ts';
import { createFileStorage } from '../../../../server/modules/evidence/file-storage.ts';
import { api, createTestWorld, json, sampleCase, tableCounts, type TestWorld } from '../../../helpers/test-app.ts';

const run = promisify(execFile);
const startTime = new Date('2026-11-22T02:00:00Z');
const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let world: TestWorld;
let caseId: string;
let partyA: string; // 陈阿海, the fisherman
let partyB: string; // 福鼎远洋运输有限公司, the ship owner
let otherCaseId: string;
/** Invitation tokens by participant. */
const tokens: Record<'partyA' | 'agentA' | 'agentB' | 'appraiser' | 'observer' | 'mediatorP' | 'foreign' | 'revoked', string> = {} as never;
const participantIds: Record<string, string> = {};
let revokedInvitationId: string;

/** Files made for the test. */
let pdf: Buffer; // two A4 pages, drawn differently
let png: Buffer;
let jpeg: Buffer;
let elf: Buffer;

const mediator = () => api(world.app, world.cookies.mediator);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const invitation = (who: keyof typeof tokens) => ({ authorization: `Invitation ${tokens[who]}` });
const staff = (who: keyof TestWorld['cookies']) => ({ cookie: world.cookies[who] });

function rows<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

async function expectStatus(res: LightMyRequestResponse, status: number) {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return json(res);
}

interface FilePart {
  bytes: Uint8Array;
  name: string;
  type?: string;
}

function form(file: FilePart | null, fields: Record<string, string> = {}, fileField = 'file') {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  if (file) body.append(fileField, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.type ?? 'application/octet-stream' }), file.name);
  return body;
}

function upload(headers: Record<string, string>, file: FilePart | null, fields: Record<string, string> = {}, options: { caseId?: string; fileField?: string } = {}) {
  return world.app.inject({ method: 'POST', url: `/api/cases/${options.caseId ?? caseId}/evidence`, payload: form(file, fields, options.fileField), headers });
}

function get(url: string, headers: Record<string, string> = {}) {
  return world.app.inject({ method: 'GET', url, headers });
}

async function list(headers: Record<string, string>) {
  return (await expectStatus(await get(`/api/cases/${caseId}/evidence`, headers), 200)).items as { id: string; sharedWith: string }[];
}

const visibleTo = async (headers: Record<string, string>, evidenceId: string) => (await list(headers)).some((e) => e.id === evidenceId);

async function auditEvents(type: string) {
  const res = await mediator().get(`/api/cases/${caseId}/audit`);
  return (json(res).items as { type: string; actor: Record<string, string>; data: Record<string, unknown> }[]).filter((e) => e.type === type);
}

/** Every file under the storage directory, with its size. */
async function storedFiles(dir = world.filesDir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.relative(world.filesDir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

async function storageKeyOf(evidenceId: string) {
  const [row] = rows<{ storage_key: string }>(await world.database.db.execute(sql`select storage_key from evidence where id = ${evidenceId}`));
  return row!.storage_key;
}

/** A refused upload must leave the database and the storage directory as they were. */
async function expectRefused(send: () => Promise<LightMyRequestResponse>, status: number, code: string, field?: string) {
  const counts = await tableCounts(world.database);
  const files = await storedFiles();
  const res = await send();
  expect(res.statusCode, res.body).toBe(status);
  expect(json(res).error.code).toBe(code);
  if (field) expect(json(res).error.field).toBe(field);
  expect(await tableCounts(world.database)).toEqual(counts);
  expect(await storedFiles()).toEqual(files);
  return res;
}

// ---- a small PNG reader (8-bit, non-interlaced), enough for pdftoppm's output ----

interface Image {
  width: number;
  height: number;
  /** Luminance 0..255 per pixel, row by row. */
  gray: Uint8Array;
}

function decodePng(bytes: Buffer): Image {
  expect(bytes.subarray(0, 8).equals(pngSignature)).toBe(true);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const bitDepth = data[8];
      const colorType = data[9]!;
      expect(bitDepth).toBe(8);
      expect(data[12]).toBe(0); // not interlaced
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType]!;
      expect(channels).toBeDefined();
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    gray[i] = channels >= 3 ? Math.round((pixels[p]! * 299 + pixels[p + 1]! * 587 + pixels[p + 2]! * 114) / 1000) : pixels[p]!;
  }
  return { width, height, gray };
}

/** Share of dark pixels (luminance < 100) inside a rectangle given in fractions of the image. */
function darkShare(image: Image, x0: number, y0: number, x1: number, y1: number) {
  let dark = 0;
  let total = 0;
  for (let y = Math.floor(y0 * image.height); y < Math.floor(y1 * image.height); y++) {
    for (let x = Math.floor(x0 * image.width); x < Math.floor(x1 * image.width); x++) {
      total++;
      if (image.gray[y * image.width + x]! < 100) dark++;
    }
  }
  return dark / total;
}

// ---- fixtures ----

/** Two A4 pages: page 1 has a black block in its top-left quarter, page 2 in its bottom-right. */
async function makePdf() {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const a4: [number, number] = [595.28, 841.89];
  const p1 = doc.addPage(a4);
  p1.drawRectangle({ x: 40, y: 841.89 / 2 + 40, width: 595.28 / 2 - 80, height: 841.89 / 2 - 80, color: rgb(0, 0, 0) });
  p1.drawText('Survey report - page 1', { x: 320, y: 300, size: 18, font });
  const p2 = doc.addPage(a4);
  p2.drawRectangle({ x: 595.28 / 2 + 40, y: 40, width: 595.28 / 2 - 80, height: 841.89 / 2 - 80, color: rgb(0, 0, 0) });
  p2.drawText('Hull damage - page 2', { x: 40, y: 700, size: 18, font });
  return Buffer.from(await doc.save());
}

/** A photo-like image rendered by poppler from a one-page PDF, as PNG or JPEG. */
async function makeImage(format: 'png' | 'jpeg') {
  const doc = await PDFDocument.create();
  const page = doc.addPage([200, 150]);
  page.drawRectangle({ x: 0, y: 0, width: 200, height: 150, color: rgb(0.1, 0.3, 0.6) });
  page.drawCircle({ x: 100, y: 75, size: 40, color: rgb(0.9, 0.8, 0.1) });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-evidence-fixture-'));
  try {
    await writeFile(path.join(dir, 'in.pdf'), await doc.save());
    await run('pdftoppm', [`-${format}`, '-r', '72', '-singlefile', path.join(dir, 'in.pdf'), path.join(dir, 'out')]);
    return await readFile(path.join(dir, `out.${format === 'png' ? 'png' : 'jpg'}`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function newParticipant(body: Record<string, unknown>, forCase = caseId) {
  return (await expectStatus(await mediator().post(`/api/cases/${forCase}/participants`, body), 201)).id as string;
}

async function invite(sessionId: string, participantId: string) {
  const issued = await expectStatus(await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId }), 201);
  return { token: (issued.link as string).split('/j/')[1]!, invitationId: issued.invitation.id as string };
}

beforeAll(async () => {
  world = await createTestWorld();
  [pdf, png, jpeg, elf] = await Promise.all([makePdf(), makeImage('png'), makeImage('jpeg'), readFile('/bin/true')]);

  const c = await expectStatus(await mediator().post('/api/cases', sampleCase), 201);
  caseId = c.id;
  partyA = c.parties[0].id;
  partyB = c.parties[1].id;
  const other = await expectStatus(await mediator().post('/api/cases', { ...sampleCase, title: '另一宗渔具损坏纠纷', disputeType: 'fishing_gear_damage' }), 201);
  otherCaseId = other.id;

  const session = (await expectStatus(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '第一次调解', scheduledAt: '2026-11-25T09:30:00+08:00' }), 201)).id;
  const otherSession = (await expectStatus(await mediator().post(`/api/cases/${otherCaseId}/sessions`, { title: '另案调解', scheduledAt: '2026-11-25T14:00:00+08:00' }), 201)).id;
  const people: [keyof typeof tokens, Record<string, unknown>, string][] = [
    ['partyA', { role: 'party', displayName: '陈阿海', partyId: partyA }, caseId],
    ['agentA', { role: 'agent', displayName: '林律师', representsPartyId: partyA }, caseId],
    ['agentB', { role: 'agent', displayName: '郑律师', representsPartyId: partyB }, caseId],
    ['appraiser', { role: 'appraiser', displayName: '海损鉴定人' }, caseId],
    ['observer', { role: 'observer', displayName: '旁听人' }, caseId],
    ['mediatorP', { role: 'mediator', displayName: '调解员（会中）' }, caseId],
    ['revoked', { role: 'party', displayName: '陈阿海家属', partyId: partyA }, caseId],
    ['foreign', { role: 'party', displayName: '林阿妹', partyId: other.parties[0].id }, otherCaseId],
  ];
  for (const [key, body, forCase] of people) {
    participantIds[key] = await newParticipant(body, forCase);
    const issued = await invite(forCase === caseId ? session : otherSession, participantIds[key]!);
    tokens[key] = issued.token;
    if (key === 'revoked') revokedInvitationId = issued.invitationId;
  }
  await expectStatus(await mediator().post(`/api/invitations/${revokedInvitationId}/revoke`), 200);
});
afterEach(() => {
  world.clock.now = startTime;
});
afterAll(() => world?.close());

// Uploaded in the first tests and used by later ones.
let mediatorPdf: { id: string; url: string; sha256: string };
let partyPhoto: { id: string; url: string };

describe('uploading', () => {
  it('the mediator uploads a PDF: 201, type sniffed from the bytes, SHA-256, uploader and time, an audit event', async () => {
    const before = Date.now();
    const files = await storedFiles();
    // The name and the declared type say JPEG; the bytes are a PDF.
    const res = await upload(staff('mediator'), { bytes: pdf, name: '船体照片.jpg', type: 'image/jpeg' }, { description: '浙苍渔01234 受损情况鉴定' });
    const after = Date.now();
    const view = await expectStatus(res, 201);
    expect(view).toMatchObject({
      caseId,
      kind: 'evidence',
      fileName: '船体照片.jpg',
      contentType: 'application/pdf',
      byteSize: pdf.length,
      sha256: sha256(pdf),
      description: '浙苍渔01234 受损情况鉴定',
      sharedWith: 'all',
      uploadedBy: { kind: 'staff', name: 'mediator' },
    });
    expect(view.sha256).toMatch(/^[0-9a-f]{64}$/);
    const uploadedAt = new Date(view.uploadedAt).getTime();
    expect(uploadedAt).toBeGreaterThanOrEqual(before - 2000);
    expect(uploadedAt).toBeLessThanOrEqual(after + 2000);
    // Made for the caller (by=…): every use of it is recorded as theirs (custody.test.ts).
    expect(view.url).toMatch(new RegExp(`^/api/evidence/${view.id}/content\\?by=s\\.${world.staffIds.mediator}&exp=\\d+&sig=[A-Za-z0-9_-]{43}$`));
    mediatorPdf = view;

    // The row records who uploaded, and exactly one new file holds exactly these bytes.
    const [row] = rows<Record<string, unknown>>(await world.database.db.execute(sql`select * from evidence where id = ${view.id}`));
    expect(row).toMatchObject({ uploaded_by_staff_id: world.staffIds.mediator, uploaded_by_participant_id: null, sha256: sha256(pdf) });
    const added = (await storedFiles()).filter((f) => !files.includes(f));
    expect(added).toEqual([row!.storage_key]);
    const onDisk = await readFile(path.join(world.filesDir, added[0]!));
    expect(onDisk.equals(pdf)).toBe(true);
    // Not readable by other local users.
    expect((await stat(path.join(world.filesDir, added[0]!))).mode & 0o077).toBe(0);

    const [event] = (await auditEvents('evidence.uploaded')).filter((e) => e.data.evidenceId === view.id);
    expect(event).toMatchObject({
      actor: { kind: 'staff', staffUserId: world.staffIds.mediator },
      data: { evidenceId: view.id, sha256: sha256(pdf), byteSize: pdf.length, contentType: 'application/pdf' },
    });

    expect((await list(staff('mediator'))).map((e) => e.id)).toContain(view.id);
  });

  it('a party uploads a photo: shared with its own side by default, and recorded as the participant', async () => {
    const view = await expectStatus(await upload(invitation('partyA'), { bytes: png, name: 'IMG_0042.png', type: 'image/png' }), 201);
    expect(view).toMatchObject({ contentType: 'image/png', sha256: sha256(png), sharedWith: partyA, uploadedBy: { kind: 'participant', name: '陈阿海' }, description: '' });
    partyPhoto = view;
    const [row] = rows<Record<string, unknown>>(await world.database.db.execute(sql`select * from evidence where id = ${view.id}`));
    expect(row).toMatchObject({ uploaded_by_participant_id: participantIds.partyA, uploaded_by_staff_id: null });
    const [event] = (await auditEvents('evidence.uploaded')).filter((e) => e.data.evidenceId === view.id);
    expect(event).toMatchObject({ actor: { kind: 'participant', participantId: participantIds.partyA }, data: { sha256: sha256(png) } });
  });

  it('the other side does not see it; the party’s own agent, the mediator and the court do', async () => {
    expect(await visibleTo(invitation('agentB'), partyPhoto.id)).toBe(false);
    expect(await visibleTo(invitation('observer'), partyPhoto.id)).toBe(false);
    expect(await visibleTo(invitation('appraiser'), partyPhoto.id)).toBe(false);
    for (const url of [`/api/evidence/${partyPhoto.id}/content`, `/api/evidence/${partyPhoto.id}/pages/1`]) {
      const res = await get(url, invitation('agentB'));
      expect(res.statusCode).toBe(404);
      expect(json(res).error.code).toBe('NOT_FOUND');
      // The same answer as for evidence that does not exist.
      expect(json(await get(url.replace(partyPhoto.id, randomUUID()), invitation('agentB'))).error).toEqual(json(res).error);
    }
    expect(await visibleTo(invitation('partyA'), partyPhoto.id)).toBe(true);
    expect(await visibleTo(invitation('agentA'), partyPhoto.id)).toBe(true);
    expect(await visibleTo(invitation('mediatorP'), partyPhoto.id)).toBe(true);
    expect(await visibleTo(staff('mediator'), partyPhoto.id)).toBe(true);
    // Nothing is filed with the court yet: it does not see the case at all (issue 11, point 7).
    expect((await get(`/api/cases/${caseId}/evidence`, staff('wenzhouJudge'))).statusCode).toBe(404);
    const own = await get(`/api/evidence/${partyPhoto.id}/content`, invitation('agentA'));
    expect(own.statusCode).toBe(200);
    expect(own.rawPayload.equals(png)).toBe(true);
    // Everyone in the case sees what is shared with all.
    for (const who of ['partyA', 'agentA', 'agentB', 'appraiser', 'observer', 'mediatorP'] as const) expect(await visibleTo(invitation(who), mediatorPdf.id)).toBe(true);
  });

  it('the mediator shares it with all: the other side sees it, and the change is audited', async () => {
    const before = await tableCounts(world.database);
    const res = await mediator().patch(`/api/evidence/${partyPhoto.id}`, { sharedWith: 'all' });
    expect((await expectStatus(res, 200)).sharedWith).toBe('all');
    expect((await tableCounts(world.database)).audit_events).toBe(before.audit_events! + 1);
    const [event] = (await auditEvents('evidence.shared')).filter((e) => e.data.evidenceId === partyPhoto.id);
    expect(event).toMatchObject({ actor: { kind: 'staff', staffUserId: world.staffIds.mediator }, data: { evidenceId: partyPhoto.id, from: partyA, to: 'all' } });

    expect(await visibleTo(invitation('agentB'), partyPhoto.id)).toBe(true);
    const content = await get(`/api/evidence/${partyPhoto.id}/content`, invitation('agentB'));
    expect(content.statusCode).toBe(200);
    expect(content.rawPayload.equals(png)).toBe(true);
  });

  it('a mediator in the room may share too; narrowing to the mediator hides it from the sides, not from its uploader', async () => {
    const res = await world.app.inject({ method: 'PATCH', url: `/api/evidence/${partyPhoto.id}`, payload: { sharedWith: 'mediator' }, headers: invitation('mediatorP') });
    expect((await expectStatus(res, 200)).sharedWith).toBe('mediator');
    const [event] = (await auditEvents('evidence.shared')).filter((e) => e.data.evidenceId === partyPhoto.id && e.data.to === 'mediator');
    expect(event?.actor).toEqual({ kind: 'participant', participantId: participantIds.mediatorP });
    expect(await visibleTo(invitation('agentB'), partyPhoto.id)).toBe(false);
    expect(await visibleTo(invitation('agentA'), partyPhoto.id)).toBe(false);
    expect(await visibleTo(invitation('partyA'), partyPhoto.id)).toBe(true); // their own upload
    expect(await visibleTo(invitation('mediatorP'), partyPhoto.id)).toBe(true);
    expect((await get(`/api/evidence/${partyPhoto.id}/content`, staff('ningboClerk'))).statusCode).toBe(404); // nothing filed with the court
  });

  it('only a mediator decides who sees evidence; a party id from another case is refused', async () => {
    const patch = (headers: Record<string, string>, sharedWith: string, id = partyPhoto.id) =>
      world.app.inject({ method: 'PATCH', url: `/api/evidence/${id}`, payload: { sharedWith }, headers });
    await expectRefused(() => patch(invitation('partyA'), 'all'), 403, 'FORBIDDEN');
    await expectRefused(() => patch(invitation('agentB'), 'all'), 403, 'FORBIDDEN');
    await expectRefused(() => patch(staff('ningboClerk'), 'all'), 403, 'FORBIDDEN');
    await expectRefused(() => patch(staff('otherMediator'), 'all'), 404, 'NOT_FOUND');
    await expectRefused(() => patch(invitation('foreign'), 'all'), 403, 'FORBIDDEN');
    const other = await world.app.inject({ method: 'GET', url: `/api/cases/${otherCaseId}`, headers: staff('mediator') });
    await expectRefused(() => patch(staff('mediator'), json(other).parties[0].id), 400, 'VALIDATION_FAILED', 'sharedWith');
    await expectRefused(() => patch(staff('mediator'), 'everyone'), 400, 'VALIDATION_FAILED');
    await expectRefused(() => patch(staff('mediator'), 'all', randomUUID()), 404, 'NOT_FOUND');
  });

  it('an agent’s upload belongs to the side it represents', async () => {
    const view = await expectStatus(await upload(invitation('agentB'), { bytes: jpeg, name: '航海日志.jpg', type: 'image/jpeg' }, { description: '货轮航海日志第12页' }), 201);
    expect(view).toMatchObject({ contentType: 'image/jpeg', sha256: sha256(jpeg), sharedWith: partyB, uploadedBy: { kind: 'participant', name: '郑律师' } });
    expect(await visibleTo(invitation('agentB'), view.id)).toBe(true);
    expect(await visibleTo(invitation('partyA'), view.id)).toBe(false);
    expect(await visibleTo(invitation('agentA'), view.id)).toBe(false);
    expect(await visibleTo(invitation('mediatorP'), view.id)).toBe(true);
    const content = await get(`/api/evidence/${view.id}/content`, invitation('agentB'));
    expect(content.headers['content-type']).toBe('image/jpeg');
    expect(content.rawPayload.equals(jpeg)).toBe(true);
  });

  it('an uploader may choose the audience; a party id of another case is refused and nothing is stored', async () => {
    const view = await expectStatus(await upload(invitation('partyA'), { bytes: png, name: 'for-mediator.png' }, { sharedWith: 'mediator' }), 201);
    expect(view.sharedWith).toBe('mediator');
    expect(await visibleTo(invitation('agentA'), view.id)).toBe(false);
    expect(await visibleTo(invitation('partyA'), view.id)).toBe(true);
    const other = json(await world.app.inject({ method: 'GET', url: `/api/cases/${otherCaseId}`, headers: staff('mediator') }));
    await expectRefused(() => upload(invitation('partyA'), { bytes: png, name: 'x.png' }, { sharedWith: other.parties[0].id }), 400, 'VALIDATION_FAILED', 'sharedWith');
    await expectRefused(() => upload(invitation('partyA'), { bytes: png, name: 'x.png' }, { sharedWith: 'everyone' }), 400, 'VALIDATION_FAILED', 'sharedWith');
    await expectRefused(() => upload(staff('mediator'), { bytes: png, name: 'x.png' }, { description: '长'.repeat(501) }), 400, 'VALIDATION_FAILED', 'description');
  });

  it('only the mediator shares beyond a side: a party cannot publish to all or hand material to the other side', async () => {
    const counts = await tableCounts(world.database);
    const partyB = json(await world.app.inject({ method: 'GET', url: `/api/cases/${caseId}`, headers: staff('mediator') })).parties[1].id;
    await expectRefused(() => upload(invitation('partyA'), { bytes: png, name: 'x.png' }, { sharedWith: 'all' }), 403, 'FORBIDDEN');
    await expectRefused(() => upload(invitation('partyA'), { bytes: png, name: 'x.png' }, { sharedWith: partyB }), 403, 'FORBIDDEN');
    expect(await tableCounts(world.database)).toEqual(counts);
    const shared = await expectStatus(await upload(staff('mediator'), { bytes: png, name: 'x.png' }, { sharedWith: partyB }), 201);
    expect(shared.sharedWith).toBe(partyB);
  });

  it('fields sent after the file are not lost', async () => {
    const body = new FormData();
    body.append('file', new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), 'after.png');
    body.append('description', '字段在文件之后');
    body.append('sharedWith', 'mediator');
    const view = await expectStatus(await world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: body, headers: staff('mediator') }), 201);
    expect(view).toMatchObject({ description: '字段在文件之后', sharedWith: 'mediator' });
  });

  it('store-and-forward: a photo taken offline keeps its capture time, position and capture-time hash', async () => {
    const capturedAt = new Date(Date.now() - 3 * 3600_000).toISOString();
    const view = await expectStatus(
      await upload(invitation('partyA'), { bytes: png, name: 'hull.png' }, { capturedAt, captureSha256: sha256(png), latitude: '27.4512', longitude: '121.0833' }),
      201,
    );
    expect(view.sha256).toBe(sha256(png));
    expect(view.capture).toEqual({ capturedAt, latitude: 27.4512, longitude: 121.0833 });
    expect(new Date(view.capture.capturedAt).getTime()).toBeLessThan(new Date(view.uploadedAt).getTime());
    // The mediator sees the same capture time against the upload time, and the audit event carries it.
    const seen = (await list(staff('mediator'))).find((e) => e.id === view.id) as unknown as { capture: unknown };
    expect(seen.capture).toEqual(view.capture);
    expect((await auditEvents('evidence.uploaded')).find((e) => e.data.evidenceId === view.id)!.data.capturedAt).toBe(capturedAt);
    // Without a position (Geolocation refused): both null.
    const laterAt = new Date(Date.now() - 2 * 3600_000).toISOString();
    const noPosition = await expectStatus(await upload(invitation('partyA'), { bytes: png, name: 'net.png' }, { capturedAt: laterAt, captureSha256: sha256(png) }), 201);
    expect(noPosition.capture).toEqual({ capturedAt: laterAt, latitude: null, longitude: null });
    // An ordinary upload has none.
    expect((await expectStatus(await upload(staff('mediator'), { bytes: png, name: 'plain.png' }), 201)).capture).toBeNull();
  });

  it('store-and-forward: other bytes than hashed, a future or missing capture time, or half a position → 400 naming the field, nothing stored', async () => {
    const capturedAt = new Date(Date.now() - 60_000).toISOString();
    const photo = { bytes: png, name: 'x.png' };
    await expectRefused(() => upload(invitation('partyA'), photo, { capturedAt, captureSha256: sha256(jpeg) }), 400, 'VALIDATION_FAILED', 'captureSha256');
    await expectRefused(() => upload(invitation('partyA'), photo, { capturedAt, captureSha256: 'ABC' }), 400, 'VALIDATION_FAILED', 'captureSha256');
    await expectRefused(() => upload(invitation('partyA'), photo, { capturedAt: new Date(Date.now() + 3600_000).toISOString(), captureSha256: sha256(png) }), 400, 'VALIDATION_FAILED', 'capturedAt');
    await expectRefused(() => upload(invitation('partyA'), photo, { capturedAt: 'yesterday', captureSha256: sha256(png) }), 400, 'VALIDATION_FAILED', 'capturedAt');
    await expectRefused(() => upload(invitation('partyA'), photo, { captureSha256: sha256(png) }), 400, 'VALIDATION_FAILED', 'capturedAt');
    await expectRefused(() => upload(invitation('partyA'), photo, { capturedAt, captureSha256: sha256(png), latitude: '27.45' }), 400, 'VALIDATION_FAILED', 'longitude');
    await expectRefused(() => upload(invitation('partyA'), photo, { capturedAt, captureSha256: sha256(png), latitude: '91', longitude: '121' }), 400, 'VALIDATION_FAILED', 'latitude');
  });

  it('store-and-forward: a capture sent again (its answer lost at sea) is answered with the item already recorded, 200, nothing new written', async () => {
    const capturedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const fields = { capturedAt, captureSha256: sha256(jpeg), latitude: '27.1', longitude: '120.9' };
    const first = await expectStatus(await upload(invitation('partyA'), { bytes: jpeg, name: 'nets.jpg' }, fields), 201);
    const counts = await tableCounts(world.database);
    const files = await storedFiles();
    // Twice more, once concurrently with a third: the same item each time.
    const again = await Promise.all([upload(invitation('partyA'), { bytes: jpeg, name: 'nets.jpg' }, fields), upload(invitation('partyA'), { bytes: jpeg, name: 'nets.jpg' }, fields)]);
    for (const res of again) expect((await expectStatus(res, 200)).id).toBe(first.id);
    expect(await tableCounts(world.database)).toEqual(counts);
    expect(await storedFiles()).toEqual(files);
    expect((await auditEvents('evidence.uploaded')).filter((e) => e.data.evidenceId === first.id)).toHaveLength(1);
    // Someone else sending the same capture learns nothing of the item: a conflict, nothing written.
    await expectRefused(() => upload(invitation('agentB'), { bytes: jpeg, name: 'nets.jpg' }, fields), 409, 'CONFLICT');
    // The same bytes captured at another time are another statement.
    const other = await expectStatus(await upload(invitation('partyA'), { bytes: jpeg, name: 'nets.jpg' }, { ...fields, capturedAt: new Date(Date.now() - 60_000).toISOString() }), 201);
    expect(other.id).not.toBe(first.id);
  });

  it('store-and-forward: a voice statement (Opus in WebM or Ogg) is evidence; a video or a broken recording is refused naming the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-voice-'));
    try {
      const make = async (name: string, args: string[]) => {
        await run('ffmpeg', ['-v', 'error', '-nostdin', ...args, path.join(dir, name)]);
        return readFile(path.join(dir, name));
      };
      const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libopus'];
      const webm = await make('voice.webm', tone);
      const ogg = await make('voice.ogg', tone);
      const video = await make('video.webm', ['-f', 'lavfi', '-i', 'testsrc=size=64x64:duration=1:rate=5', '-c:v', 'libvpx', '-b:v', '50k']);
      const capturedAt = new Date(Date.now() - 10 * 60_000).toISOString();
      const view = await expectStatus(await upload(invitation('partyA'), { bytes: webm, name: 'statement.webm', type: 'audio/webm' }, { capturedAt, captureSha256: sha256(webm) }), 201);
      expect(view).toMatchObject({ contentType: 'audio/webm', sha256: sha256(webm), capture: { capturedAt } });
      expect((await expectStatus(await upload(invitation('partyA'), { bytes: ogg, name: 'statement.ogg' }), 201)).contentType).toBe('audio/ogg');
      await expectRefused(() => upload(invitation('partyA'), { bytes: video, name: 'statement.webm', type: 'audio/webm' }), 400, 'VALIDATION_FAILED', 'file');
      await expectRefused(() => upload(invitation('partyA'), { bytes: webm.subarray(0, 60), name: 'cut.webm' }), 400, 'VALIDATION_FAILED', 'file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an appraiser uploads; their report is for everyone in the case', async () => {
    const view = await expectStatus(await upload(invitation('appraiser'), { bytes: pdf, name: '鉴定意见书.pdf', type: 'application/pdf' }), 201);
    expect(view).toMatchObject({ contentType: 'application/pdf', sharedWith: 'all', uploadedBy: { kind: 'participant', name: '海损鉴定人' } });
    expect(await visibleTo(invitation('observer'), view.id)).toBe(true);
    expect(await visibleTo(invitation('agentB'), view.id)).toBe(true);
  });

  it('an observer cannot upload (403), nor court staff or an admin', async () => {
    const file = { bytes: png, name: 'x.png', type: 'image/png' };
    await expectRefused(() => upload(invitation('observer'), file), 403, 'FORBIDDEN');
    await expectRefused(() => upload(staff('ningboClerk'), file), 403, 'FORBIDDEN');
    await expectRefused(() => upload(staff('wenzhouJudge'), file), 403, 'FORBIDDEN');
    await expectRefused(() => upload(staff('admin'), file), 403, 'FORBIDDEN');
  });

  it('another center’s mediator, or a participant of another case, gets 404 and learns nothing', async () => {
    const file = { bytes: png, name: 'x.png', type: 'image/png' };
    for (const headers of [staff('otherMediator'), invitation('foreign')]) {
      const refused = await expectRefused(() => upload(headers, file), 404, 'NOT_FOUND');
      const ghost = await upload(headers, file, {}, { caseId: randomUUID() });
      expect(ghost.statusCode).toBe(404);
      expect(json(ghost).error).toEqual(json(refused).error);
      const listed = await get(`/api/cases/${caseId}/evidence`, headers);
      expect(listed.statusCode).toBe(404);
      expect(listed.body).not.toContain(mediatorPdf.sha256);
      expect((await get(`/api/evidence/${mediatorPdf.id}/content`, headers)).statusCode).toBe(404);
      expect((await get(`/api/evidence/${mediatorPdf.id}/pages/1`, headers)).statusCode).toBe(404);
    }
    // The foreign participant's own case has none of this case's evidence.
    const theirs = await get(`/api/cases/${otherCaseId}/evidence`, invitation('foreign'));
    expect(json(theirs).items).toEqual([]);
  });

  it('no credentials, or a revoked invitation, is 401', async () => {
    await expectRefused(() => upload({}, { bytes: png, name: 'x.png' }), 401, 'UNAUTHENTICATED');
    await expectRefused(() => upload(invitation('revoked'), { bytes: png, name: 'x.png' }), 401, 'UNAUTHENTICATED');
    await expectRefused(() => upload({ authorization: `Invitation ${'A'.repeat(43)}` }, { bytes: png, name: 'x.png' }), 401, 'UNAUTHENTICATED');
    expect((await get(`/api/cases/${caseId}/evidence`)).statusCode).toBe(401);
    expect((await get(`/api/cases/${caseId}/evidence`, invitation('revoked'))).statusCode).toBe(401);
    expect((await get(`/api/evidence/${mediatorPdf.id}/content`)).statusCode).toBe(401);
  });
});

describe('refused files', () => {
  it('an executable or a text file named .pdf → 415 on field file, nothing stored', async () => {
    await expectRefused(() => upload(staff('mediator'), { bytes: elf, name: 'report.pdf', type: 'application/pdf' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'file');
    const text = Buffer.from('这不是PDF，只是改了扩展名的文本。\n'.repeat(50));
    await expectRefused(() => upload(invitation('partyA'), { bytes: text, name: 'statement.pdf', type: 'application/pdf' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'file');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await expectRefused(() => upload(staff('mediator'), { bytes: svg, name: 'photo.png', type: 'image/png' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'file');
    const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
    await expectRefused(() => upload(staff('mediator'), { bytes: html, name: 'photo.jpg', type: 'image/jpeg' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'file');
  });

  it('exactly 25 MB is accepted; one byte more → 413 on field file, nothing stored', async () => {
    const atLimit = Buffer.alloc(evidenceMaxBytes, 0x20);
    pdf.copy(atLimit); // a PDF followed by padding: still sniffed as PDF
    const view = await expectStatus(await upload(staff('mediator'), { bytes: atLimit, name: 'big.pdf' }), 201);
    expect(view).toMatchObject({ byteSize: evidenceMaxBytes, sha256: sha256(atLimit) });

    const over = Buffer.alloc(evidenceMaxBytes + 1, 0x20);
    pdf.copy(over);
    const res = await expectRefused(() => upload(staff('mediator'), { bytes: over, name: 'too-big.pdf' }), 413, 'PAYLOAD_TOO_LARGE', 'file');
    expect(json(res).error.message).toContain('25 MB');
  });

  it('an empty file → 400 on field file; no file at all, or under another name → 400', async () => {
    await expectRefused(() => upload(staff('mediator'), { bytes: new Uint8Array(0), name: 'empty.pdf' }), 400, 'VALIDATION_FAILED', 'file');
    await expectRefused(() => upload(staff('mediator'), null, { description: '忘了附文件' }), 400, 'VALIDATION_FAILED', 'file');
    await expectRefused(() => upload(staff('mediator'), { bytes: png, name: 'x.png' }, {}, { fileField: 'photo' }), 400, 'VALIDATION_FAILED', 'file');
  });

  it('a second file, or a flood of fields, is refused and nothing is stored', async () => {
    const twoFiles = form({ bytes: png, name: 'one.png' });
    twoFiles.append('file', new Blob([pdf as Uint8Array<ArrayBuffer>]), 'two.pdf');
    const res = await expectRefused(() => world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: twoFiles, headers: staff('mediator') }), 400, 'VALIDATION_FAILED');
    expect(json(res).error.message).toMatch(/files limit/);
    const manyFields = form({ bytes: png, name: 'one.png' }, Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`note${i}`, 'x'])));
    await expectRefused(() => world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: manyFields, headers: staff('mediator') }), 400, 'VALIDATION_FAILED');
  });

  it('a JSON body → 415', async () => {
    await expectRefused(() => mediator().post(`/api/cases/${caseId}/evidence`, { file: pdf.toString('base64'), fileName: 'x.pdf' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'file');
    // Refused before it is read: a large malformed JSON body is not parsed (that would answer 400).
    const junk = `{"file": "${'A'.repeat(4 * 1024 * 1024)}`;
    const headers = { ...staff('mediator'), 'content-type': 'application/json' };
    await expectRefused(() => world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: junk, headers }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'file');
    // Without credentials nothing is read either.
    await expectRefused(() => world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: junk, headers: { 'content-type': 'application/json' } }), 401, 'UNAUTHENTICATED');
  });
});

describe('file names', () => {
  /** A multipart body built by hand, so the file name reaches the server byte for byte. */
  async function uploadNamed(dispositionFileParam: string) {
    const boundary = `----haiqiao-${randomUUID()}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${dispositionFileParam}\r\nContent-Type: image/png\r\n\r\n`, 'utf8');
    const body = Buffer.concat([head, png, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    return world.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/evidence`,
      payload: body,
      headers: { ...staff('mediator'), 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
  }

  it.each([
    ['path segments', 'filename="../../etc/cron.d/船损.png"', '船损.png'],
    ['Windows path', 'filename="C:\\\\Users\\\\chen\\\\Desktop\\\\照片.png"', '照片.png'],
    ['control characters', 'filename="ph\x01o\x1bto\x7f.png"', 'photo.png'],
    ['encoded path, NUL, escape and C1 controls', "filename*=UTF-8''..%2F..%2Fvar%2Flib%2Fhaiqiao%2Fbad%00na%1Bme%C2%85.png", 'badname.png'],
    ['a bidi override that disguises the extension', "filename*=UTF-8''invoice%E2%80%AEgnp.pdf", 'invoicegnp.pdf'],
    ['nothing left', 'filename="\x01\x02"', 'upload'],
  ])('%s are cleaned', async (_title, param, expected) => {
    const view = await expectStatus(await uploadNamed(param), 201);
    expect(view.fileName).toBe(expected);
    const content = await get(`/api/evidence/${view.id}/content`, staff('mediator'));
    expect(content.statusCode).toBe(200);
    expect(String(content.headers['content-disposition'])).toBe(`inline; filename*=UTF-8''${encodeURIComponent(expected)}`);
    // The stored file lives under a generated key, not the name.
    expect(await storageKeyOf(view.id)).toMatch(/^[0-9a-f]{2}\/[0-9a-f-]{36}$/);
  });
});

describe('reading content', () => {
  it('returns the exact bytes with the sniffed type, sandboxed', async () => {
    const res = await get(`/api/evidence/${mediatorPdf.id}/content`, staff('mediator'));
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(pdf)).toBe(true);
    expect(sha256(res.rawPayload)).toBe(mediatorPdf.sha256);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(String(res.headers['content-security-policy'])).toMatch(/(^|;)\s*sandbox\b/);
    expect(String(res.headers['content-security-policy'])).toContain("default-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(String(res.headers['content-disposition'])).toMatch(/^inline; /);
    // Court staff read a case's evidence once an application is filed with them (court-visibility.test.ts); not before.
    for (const who of ['ningboClerk', 'xiamenClerk', 'otherMediator'] as const) expect((await get(`/api/evidence/${mediatorPdf.id}/content`, staff(who))).statusCode).toBe(404);
    expect((await get(`/api/evidence/${mediatorPdf.id}/content`, staff('admin'))).statusCode).toBe(403);
  });

  it('the signed url works without any credentials', async () => {
    const res = await get(mediatorPdf.url);
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(pdf)).toBe(true);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(String(res.headers['content-security-policy'])).toContain('sandbox');
    // A participant's list hands out working links too.
    const item = (await list(invitation('agentA'))).find((e) => e.id === mediatorPdf.id) as unknown as { url: string };
    expect((await get(item.url)).rawPayload.equals(pdf)).toBe(true);
  });

  it('a tampered, transplanted or expired link is refused with 401 and nothing is served', async () => {
    const url = new URL(mediatorPdf.url, 'https://haiqiao.test');
    const sig = url.searchParams.get('sig')!;
    const exp = Number(url.searchParams.get('exp'));
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    const attempts = [
      `${url.pathname}?exp=${exp}&sig=${flipped}`,
      `${url.pathname}?exp=${exp + 3600}&sig=${sig}`, // a longer life, same signature
      `${url.pathname}?exp=${exp}`,
      `${url.pathname}?sig=${sig}`,
      `${url.pathname}?exp=${exp}&sig=${sig}x`,
      `/api/evidence/${partyPhoto.id}/content?exp=${exp}&sig=${sig}`, // another item's link
      `/api/evidence/${mediatorPdf.id}/pages/1?exp=${exp}&sig=${sig}`, // a content link is not a page link
    ];
    for (const attempt of attempts) {
      const res = await get(attempt);
      expect(res.statusCode, attempt).toBe(401);
      expect(json(res).error.code).toBe('UNAUTHENTICATED');
      expect(res.body).not.toContain('%PDF');
    }
    // The link lives four hours on the server's clock.
    world.clock.now = new Date(startTime.getTime() + 4 * 3_600_000 - 1000);
    expect((await get(mediatorPdf.url)).statusCode).toBe(200);
    world.clock.now = new Date(startTime.getTime() + 4 * 3_600_000 + 1000);
    const expired = await get(mediatorPdf.url);
    expect(expired.statusCode).toBe(401);
    expect(expired.body).not.toContain('%PDF');
    // Whoever may see it can still read it with their own credentials, and gets a fresh link.
    expect((await get(mediatorPdf.url, staff('mediator'))).statusCode).toBe(200);
    const fresh = (await list(staff('mediator'))).find((e) => e.id === mediatorPdf.id) as unknown as { url: string };
    expect((await get(fresh.url)).statusCode).toBe(200);
  });

  it('unknown evidence is 404, a malformed id 400', async () => {
    expect((await get(`/api/evidence/${randomUUID()}/content`, staff('mediator'))).statusCode).toBe(404);
    expect((await get('/api/evidence/not-an-id/content', staff('mediator'))).statusCode).toBe(400);
  });
});

describe('pages', () => {
  const pageUrl = (id: string, page: number | string) => `/api/evidence/${id}/pages/${page}`;

  it('renders each PDF page to a PNG of that page', async () => {
    const res1 = await get(pageUrl(mediatorPdf.id, 1), staff('mediator'));
    const res2 = await get(pageUrl(mediatorPdf.id, 2), invitation('agentB'));
    for (const res of [res1, res2]) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.rawPayload.subarray(0, 8).equals(pngSignature)).toBe(true);
      expect(String(res.headers['content-security-policy'])).toContain('sandbox');
      expect(res.rawPayload.length).toBeGreaterThan(2000);
    }
    expect(res1.rawPayload.equals(res2.rawPayload)).toBe(false);
    const page1 = decodePng(res1.rawPayload);
    const page2 = decodePng(res2.rawPayload);
    // A4 at 110 dpi.
    for (const page of [page1, page2]) {
      expect(page.width).toBeGreaterThanOrEqual(905);
      expect(page.width).toBeLessThanOrEqual(912);
      expect(page.height).toBeGreaterThanOrEqual(1282);
      expect(page.height).toBeLessThanOrEqual(1290);
    }
    // Page 1's block is top-left, page 2's bottom-right: each image shows its own page.
    expect(darkShare(page1, 0.1, 0.1, 0.4, 0.4)).toBeGreaterThan(0.95);
    expect(darkShare(page1, 0.6, 0.6, 0.9, 0.9)).toBeLessThan(0.05);
    expect(darkShare(page2, 0.6, 0.6, 0.9, 0.9)).toBeGreaterThan(0.95);
    expect(darkShare(page2, 0.1, 0.1, 0.4, 0.4)).toBeLessThan(0.05);
  });

  it('a page past the end is 404, page 0 or a word is 400', async () => {
    const res = await get(pageUrl(mediatorPdf.id, 3), staff('mediator'));
    expect(res.statusCode).toBe(404);
    expect(json(res).error.code).toBe('NOT_FOUND');
    expect(json(res).error.message).toContain('2 page');
    expect((await get(pageUrl(mediatorPdf.id, 0), staff('mediator'))).statusCode).toBe(400);
    expect((await get(pageUrl(mediatorPdf.id, 'one'), staff('mediator'))).statusCode).toBe(400);
  });

  it('a second request is served from the derived file rendered the first time', async () => {
    const key = await storageKeyOf(mediatorPdf.id);
    const derived = path.join(world.filesDir, `${key}.p2.png`);
    const first = await get(pageUrl(mediatorPdf.id, 2), staff('mediator'));
    const cached = await readFile(derived);
    expect(cached.equals(first.rawPayload)).toBe(true);
    const mtime = (await stat(derived)).mtimeMs;
    // Replace the cached image: if the next answer is the replacement, it was not rendered again.
    const marker = await readFile(path.join(world.filesDir, `${key}.p1.png`));
    await writeFile(derived, marker);
    const second = await get(pageUrl(mediatorPdf.id, 2), staff('mediator'));
    expect(second.statusCode).toBe(200);
    expect(second.rawPayload.equals(marker)).toBe(true);
    await writeFile(derived, cached);
    expect((await stat(derived)).mtimeMs).toBeGreaterThanOrEqual(mtime);
  });

  it('concurrent first requests for the same page all succeed with the same image', async () => {
    const view = await expectStatus(await upload(staff('mediator'), { bytes: pdf, name: 'again.pdf' }), 201);
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(pageUrl(view.id, 2), staff('mediator'))));
    for (const res of answers) expect(res.statusCode, res.body).toBe(200);
    for (const res of answers) expect(res.rawPayload.equals(answers[0]!.rawPayload)).toBe(true);
    const key = await storageKeyOf(view.id);
    const leftovers = (await storedFiles()).filter((f) => f.startsWith(key) && f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('an oversized page is rendered at a bounded size, quickly', async () => {
    // A few hundred bytes declaring a 200-inch page: at 110 dpi that would be 22000 × 22000 pixels.
    const doc = await PDFDocument.create();
    doc.addPage([14400, 14400]).drawRectangle({ x: 0, y: 0, width: 7200, height: 7200, color: rgb(0, 0, 0) });
    const view = await expectStatus(await upload(staff('mediator'), { bytes: Buffer.from(await doc.save()), name: 'huge.pdf' }), 201);
    const started = Date.now();
    const res = await get(pageUrl(view.id, 1), staff('mediator'));
    expect(res.statusCode, res.body).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const image = decodePng(res.rawPayload);
    expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(2000);
    expect(Math.max(image.width, image.height)).toBeGreaterThanOrEqual(1990);
    // The black square fills the bottom-left quarter.
    expect(darkShare(image, 0.05, 0.55, 0.45, 0.95)).toBeGreaterThan(0.95);
    expect(darkShare(image, 0.55, 0.05, 0.95, 0.45)).toBeLessThan(0.05);
  });

  it('an image has one page: itself', async () => {
    const res = await get(pageUrl(partyPhoto.id, 1), invitation('partyA'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.equals(png)).toBe(true);
    expect((await get(pageUrl(partyPhoto.id, 2), invitation('partyA'))).statusCode).toBe(404);
  });

  it('page links for the room are signed per page and work without credentials', async () => {
    const links = evidenceLookup(world.app.ctx);
    const signed = await get(links.url(mediatorPdf.id, 2));
    expect(signed.statusCode).toBe(200);
    expect(signed.headers['content-type']).toBe('image/png');
    const url = new URL(links.url(mediatorPdf.id, 2), 'https://haiqiao.test');
    expect((await get(`${pageUrl(mediatorPdf.id, 1)}${url.search}`)).statusCode).toBe(401);
    expect((await get(pageUrl(mediatorPdf.id, 2))).statusCode).toBe(401);
    expect(await links.find(caseId, mediatorPdf.id)).toEqual({ fileName: '船体照片.jpg', contentType: 'application/pdf' });
    expect(await links.find(otherCaseId, mediatorPdf.id)).toBeUndefined();
  });

  it('a damaged PDF is stored (its bytes say PDF) but its pages are not a server fault', async () => {
    const damaged = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from('垃圾数据'.repeat(200))]);
    const view = await expectStatus(await upload(staff('mediator'), { bytes: damaged, name: 'damaged.pdf' }), 201);
    const res = await get(pageUrl(view.id, 1), staff('mediator'));
    // No image of it can exist: "cannot preview" with the reason, not a 500.
    expect(res.statusCode, res.body).toBe(422);
    expect(json(res).error).toMatchObject({ code: 'CANNOT_PREVIEW', message: expect.stringContaining('cannot be previewed') });
    // Nothing was cached for it.
    const key = await storageKeyOf(view.id);
    expect((await storedFiles()).filter((f) => f.startsWith(key))).toEqual([key]);
    // The original is still there to download.
    expect((await get(`/api/evidence/${view.id}/content`, staff('mediator'))).rawPayload.equals(damaged)).toBe(true);
  });
});

describe('storage', () => {
  it('many writers of the same derived file at once all succeed and leave no temporary files', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-storage-'));
    try {
      const storage = createFileStorage(dir);
      const key = await storage.put(pdf);
      const rendered = Buffer.from('rendered page');
      // Every maker finishes in the same tick, so every write starts before any rename.
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => storage.readDerived(key, 'p1.png', async () => rendered)));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill('fulfilled'));
      expect((await readFile(path.join(dir, `${key}.p1.png`))).equals(rendered)).toBe(true);
      const names = (await readdir(path.join(dir, key.slice(0, 2)))).sort();
      expect(names).toEqual([key.slice(3), `${key.slice(3)}.p1.png`]);
      expect(() => storage.read('../../etc/passwd')).toThrow('bad storage key');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('files outlive a restart of the server', async () => {
    await world.restart();
    const res = await get(`/api/evidence/${mediatorPdf.id}/content`, staff('mediator'));
    expect(res.statusCode).toBe(200);
    expect(sha256(res.rawPayload)).toBe(mediatorPdf.sha256);
  });

  it('every row has its file, and every original file has its row', async () => {
    const keys = rows<{ storage_key: string }>(await world.database.db.execute(sql`select storage_key from evidence`)).map((r) => r.storage_key);
    const originals = (await storedFiles()).filter((f) => /^[0-9a-f]{2}\/[0-9a-f-]{36}$/.test(f));
    expect(originals.sort()).toEqual([...keys].sort());
  });
});
