/**
 * The interpreter channel's stored parts, without media: an interpreter's language pair (only
 * theirs), and each listener's choice of what they hear of whom: parsed and checked, stored and
 * audited, shown to them and to the mediator only, restored after a room rebuild. (Who may
 * produce the channel and its caucus isolation, with a real worker: interpretation.test.ts.)
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoomState } from '../../../../shared/realtime.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, rowsOf, sampleResidentId, type TestWorld } from '../../../helpers/test-app.ts';
import { roomFixture, roomFixtureWithInterpreter } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];
const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

interface InRoom {
  socket: TestSocket;
  peerId: string;
  resumeToken: string;
}

async function hostIn(sessionId: string): Promise<InRoom> {
  const socket = open({ cookie: world.cookies.mediator });
  await connected(socket);
  const entered = await socket.call('session:enter', { sessionId: sessionId as never });
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken };
}

async function admitted(token: string, host: TestSocket, identity?: { name: string; last4: string }): Promise<InRoom> {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  expect((await socket.call('device-check:report', deviceCheck)).ok).toBe(true);
  if (identity) expect((await socket.call('identity:confirm', { method: 'id_last4', ...identity })).ok).toBe(true);
  else {
    const code = await host.call('host:issue-code', { peerId: entered.data.peerId });
    if (!code.ok) throw new Error(code.error.message);
    expect((await socket.call('identity:confirm', { method: 'one_time_code', code: code.data.code })).ok).toBe(true);
  }
  expect((await socket.call('lobby:wait', {})).ok).toBe(true);
  expect(await host.call('host:admit', { peerId: entered.data.peerId })).toEqual({ ok: true, data: {} });
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken };
}

const fixtureWithInterpreter = () => roomFixtureWithInterpreter(world);

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
}, 120_000);
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
});

describe('interpreter channel: language pairs and listening choices', () => {
  it('an interpreter participant needs a language pair; no one else has one', async () => {
    const f = await roomFixture(world);
    const mediator = api(world.app, world.cookies.mediator);
    const added = await mediator.post(`/api/cases/${f.caseId}/participants`, { role: 'interpreter', displayName: '林翻译', languagePair: { from: 'wenzhou', to: 'putonghua' } });
    expect(added.statusCode).toBe(201);
    expect(added.json().languagePair).toEqual({ from: 'wenzhou', to: 'putonghua' });
    const listed = json(await mediator.get(`/api/cases/${f.caseId}/participants`));
    expect(listed.items.find((p: { id: string }) => p.id === added.json().id).languagePair).toEqual({ from: 'wenzhou', to: 'putonghua' });
    const missing = await mediator.post(`/api/cases/${f.caseId}/participants`, { role: 'interpreter', displayName: '林翻译' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.field).toBe('languagePair');
    const same = await mediator.post(`/api/cases/${f.caseId}/participants`, { role: 'interpreter', displayName: '林翻译', languagePair: { from: 'minnan', to: 'minnan' } });
    expect(same.statusCode).toBe(400);
    expect(same.json().error.field).toBe('languagePair.to');
    const observer = await mediator.post(`/api/cases/${f.caseId}/participants`, { role: 'observer', displayName: '旁听', languagePair: { from: 'wenzhou', to: 'putonghua' } });
    expect(observer.statusCode).toBe(400);
  });


  it('a choice is parsed and checked: a known mode, about someone else present, from someone admitted', async () => {
    const f = await fixtureWithInterpreter();
    const host = await hostIn(f.sessionId);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    expect(await fisherman.socket.callRaw('interpretation:listen', { speakerPeerId: host.peerId, mode: 'loud' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'mode' } });
    expect(await fisherman.socket.call('interpretation:listen', { speakerPeerId: fisherman.peerId, mode: 'both' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'speakerPeerId' } });
    expect(await fisherman.socket.call('interpretation:listen', { speakerPeerId: '00000000-0000-4000-8000-000000000000', mode: 'both' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    // Someone not admitted (in the lobby) chooses nothing.
    const owner = open({ invitationToken: f.ownerToken });
    await connected(owner);
    expect((await owner.call('session:enter', {})).ok).toBe(true);
    expect(await owner.call('interpretation:listen', { speakerPeerId: host.peerId, mode: 'both' })).toMatchObject({ ok: false, error: { code: 'NOT_ADMITTED' } });
    const [row] = rowsOf<{ listening: Record<string, string> }>(await world.database.db.execute(sql`select listening from attendances where id = ${fisherman.peerId}`));
    expect(row!.listening).toEqual({});
  });

  it('a listener’s choice is stored and audited, shown to them and to the mediator only, and restored after a room rebuild', async () => {
    const f = await fixtureWithInterpreter();
    const host = await hostIn(f.sessionId);
    const fisherman = await admitted(f.fishermanToken, host.socket, { name: '陈阿海', last4: sampleResidentId.slice(-4) });
    const owner = await admitted(f.ownerToken, host.socket);
    const interpreter = await admitted(f.interpreterToken, host.socket);

    const hostSees = host.socket.next('room:state', (v) => v.peers.find((p) => p.peerId === fisherman.peerId)?.listening?.[host.peerId] === 'both');
    const ownerView = owner.socket.next('room:state', (v) => v.peers.some((p) => p.peerId === fisherman.peerId), 3_000).catch(() => null);
    expect(await fisherman.socket.call('interpretation:listen', { speakerPeerId: host.peerId, mode: 'both' })).toEqual({ ok: true, data: { listening: { [host.peerId]: 'both' } } });
    expect(await fisherman.socket.call('interpretation:listen', { speakerPeerId: owner.peerId, mode: 'interpretation' })).toEqual({
      ok: true,
      data: { listening: { [host.peerId]: 'both', [owner.peerId]: 'interpretation' } },
    });
    // The mediator's view says who listens to what, live; everyone sees the interpreter's pair.
    const seen = await hostSees;
    expect(seen.peers.find((p) => p.peerId === interpreter.peerId)!.languagePair).toEqual({ from: 'minnan', to: 'putonghua' });
    const latest = await host.socket.next('room:state', (v) => Object.keys(v.peers.find((p) => p.peerId === fisherman.peerId)?.listening ?? {}).length === 2);
    expect(latest.peers.find((p) => p.peerId === fisherman.peerId)!.listening).toEqual({ [host.peerId]: 'both', [owner.peerId]: 'interpretation' });
    // Another participant does not learn what the fisherman listens to.
    const other = (await ownerView) as RoomState | null;
    if (other) expect(other.peers.find((p) => p.peerId === fisherman.peerId)!.listening).toBeUndefined();
    // Back to the original: the entry goes.
    expect(await fisherman.socket.call('interpretation:listen', { speakerPeerId: owner.peerId, mode: 'original' })).toEqual({ ok: true, data: { listening: { [host.peerId]: 'both' } } });

    const [row] = rowsOf<{ listening: Record<string, string> }>(await world.database.db.execute(sql`select listening from attendances where id = ${fisherman.peerId}`));
    expect(row!.listening).toEqual({ [host.peerId]: 'both' });
    const audits = rowsOf<{ data: Record<string, string> }>(
      await world.database.db.execute(sql`select data from audit_events where type = 'attendance.listening_changed' and data->>'attendanceId' = ${fisherman.peerId} order by seq`),
    );
    expect(audits.map((a) => [a.data.speakerAttendanceId, a.data.mode])).toEqual([
      [host.peerId, 'both'],
      [owner.peerId, 'interpretation'],
      [owner.peerId, 'original'],
    ]);

    // A restart: the room is rebuilt from the database; the fisherman's choice comes back with them.
    for (const s of sockets.splice(0)) s.disconnect();
    await world.restart();
    const back = open({ resumeToken: fisherman.resumeToken });
    await connected(back);
    const view = back.next('room:state');
    expect((await back.call('session:enter', { resumeToken: fisherman.resumeToken })).ok).toBe(true);
    const restored = await view;
    expect(restored.peers.find((p) => p.peerId === fisherman.peerId)!.listening).toEqual({ [host.peerId]: 'both' });
    expect(restored.peers.find((p) => p.peerId === interpreter.peerId)?.languagePair ?? { from: 'minnan', to: 'putonghua' }).toEqual({ from: 'minnan', to: 'putonghua' });
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.get(interpreter.peerId)!.languagePair).toEqual({ from: 'minnan', to: 'putonghua' });
  });
});
