/**
 * Evidence custody: every view, download and in-room showing of an item is in the audit trail
 * (who, when, which hash), and the item's custody history lists them. The room is real
 * (socket.io, the mediator and a party admitted); the links are the signed ones the app hands out.
 */
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { roomFixture } from '../../../helpers/room-fixture.ts';
import { api, createTestWorld, json, sampleResidentId, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];
let caseId: string;
let sessionId: string;
let fishermanToken: string;
let evidenceId: string;
let png: Buffer;

const mediator = () => api(world.app, world.cookies.mediator);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const get = (url: string, headers: Record<string, string> = {}) => world.app.inject({ method: 'GET', url, headers });
const custody = async () => json(await mediator().get(`/api/evidence/${evidenceId}/custody`));

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
  const image = new PNG({ width: 40, height: 30 });
  image.data.fill(200);
  png = PNG.sync.write(image);
  ({ caseId, sessionId, fishermanToken } = await roomFixture(world));
  const body = new FormData();
  body.append('description', '渔网照片');
  body.append('sharedWith', 'all');
  body.append('file', new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }), '渔网.png');
  const uploaded = await world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: body, headers: { cookie: world.cookies.mediator } });
  expect(uploaded.statusCode).toBe(201);
  evidenceId = json(uploaded).id;
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
});

describe('evidence custody', () => {
  it('starts with the upload', async () => {
    const history = await custody();
    expect(history.sha256).toBe(sha256(png));
    expect(history.items).toEqual([expect.objectContaining({ type: 'evidence.uploaded', actor: { kind: 'staff', name: 'mediator' }, sha256: sha256(png) })]);
  });

  it('a view and a download through the mediator’s links are recorded as the mediator’s, with the hash', async () => {
    const item = json(await mediator().get(`/api/cases/${caseId}/evidence`)).items[0];
    const viewed = await get(item.url);
    expect(viewed.statusCode).toBe(200);
    expect(viewed.headers['content-disposition']).toMatch(/^inline/);
    const downloaded = await get(item.downloadUrl);
    expect(downloaded.statusCode).toBe(200);
    expect(downloaded.headers['content-disposition']).toMatch(/^attachment/);
    expect(downloaded.rawPayload.equals(png)).toBe(true);
    const items = (await custody()).items;
    expect(items.slice(-2)).toEqual([
      expect.objectContaining({ type: 'evidence.viewed', actor: { kind: 'staff', name: 'mediator' }, sha256: sha256(png) }),
      expect.objectContaining({ type: 'evidence.downloaded', actor: { kind: 'staff', name: 'mediator' }, sha256: sha256(png) }),
    ]);
  });

  it('a party’s view through their invitation is recorded as theirs', async () => {
    const item = json(await get(`/api/cases/${caseId}/evidence`, { authorization: `Invitation ${fishermanToken}` })).items[0];
    expect((await get(item.url)).statusCode).toBe(200);
    expect((await custody()).items.at(-1)).toMatchObject({ type: 'evidence.viewed', actor: { kind: 'participant', name: '陈阿海' } });
  });

  it('a link cannot be passed off as someone else’s: changing whom it is for breaks its signature, and nothing is recorded', async () => {
    const item = json(await mediator().get(`/api/cases/${caseId}/evidence`)).items[0];
    const before = (await custody()).items.length;
    const forged = item.url.replace(/by=s\.[0-9a-f-]+/, `by=s.${world.staffIds.otherMediator}`);
    expect(forged).not.toBe(item.url);
    expect((await get(forged)).statusCode).toBe(401);
    expect((await custody()).items.length).toBe(before);
  });

  it('showing it in the live room is recorded with who showed it and who was in the room', async () => {
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    const entered = await host.call('session:enter', { sessionId: sessionId as never });
    expect(entered.ok, JSON.stringify(entered)).toBe(true);
    const party = open({ invitationToken: fishermanToken });
    await connected(party);
    const joined = await party.call('session:enter', {});
    if (!joined.ok) throw new Error(joined.error.message);
    expect((await party.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true })).ok).toBe(true);
    expect((await party.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: sampleResidentId.slice(-4) })).ok).toBe(true);
    expect((await party.call('lobby:wait', {})).ok).toBe(true);
    expect((await host.call('host:admit', { peerId: joined.data.peerId })).ok).toBe(true);

    const onScreen = party.next('room:state', (s) => s.evidence?.evidenceId === evidenceId);
    const shown = await host.call('host:show-evidence', { evidenceId: evidenceId as never, page: 1 });
    expect(shown.ok, JSON.stringify(shown)).toBe(true);
    const history = (await custody()).items;
    const last = history.at(-1);
    expect(last).toMatchObject({ type: 'evidence.shown', actor: { kind: 'staff', name: 'mediator' }, sha256: sha256(png), page: 1 });
    expect(last.audience).toEqual(expect.arrayContaining(['陈阿海']));
    // The room's page link, fetched by each person in the room, is not recorded again per viewer:
    // the showing covers it.
    const { url } = (await onScreen).evidence!;
    expect((await get(url)).statusCode).toBe(200);
    expect((await custody()).items.length).toBe(history.length);
  });

  it('the custody history is for staff who may see the item', async () => {
    expect((await get(`/api/evidence/${evidenceId}/custody`, { authorization: `Invitation ${fishermanToken}` })).statusCode).toBe(403);
    expect((await api(world.app, world.cookies.otherMediator).get(`/api/evidence/${evidenceId}/custody`)).statusCode).toBe(404);
    expect((await api(world.app, world.cookies.admin).get(`/api/evidence/${evidenceId}/custody`)).statusCode).toBe(403);
    expect((await api(world.app, world.cookies.admin).get('/api/admin/audit/verify')).json()).toMatchObject({ ok: true });
  });
});
