/**
 * Durable room state: every kind of host decision is in PostgreSQL with its audit event, and a
 * restarted server (a new app instance on the same database) rebuilds the live room from there.
 * Identity failures and one-time-code guesses are counted in the database and capped; people a
 * rebuilt room brings back get the normal grace period.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoomState } from '../../../../shared/realtime.ts';
import { WorkerPool } from '../../../../server/media/worker-pool.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { createTestWorld, rowsOf, sampleResidentId, type TestWorld } from '../../../helpers/test-app.ts';
import { type RoomFixture, roomFixture } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
let pool: WorkerPool;
const sockets: TestSocket[] = [];
const graceMs = 1500;

function open(auth: Parameters<typeof connectSocket>[1]) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  return socket;
}

const deviceCheck = { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true };
const fishermanId = { name: '陈阿海', last4: sampleResidentId.slice(-4) };

type Fixture = RoomFixture;
const fixture = () => roomFixture(world);

async function hostIn(f: Fixture) {
  const host = open({ cookie: world.cookies.mediator });
  await connected(host);
  const entered = await host.call('session:enter', { sessionId: f.sessionId as never });
  if (!entered.ok) throw new Error(`host could not enter: ${entered.error.message}`);
  return { socket: host, peerId: entered.data.peerId };
}

async function enter(token: string) {
  const socket = open({ invitationToken: token });
  await connected(socket);
  const entered = await socket.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, peerId: entered.data.peerId, resumeToken: entered.data.resumeToken };
}

/** The fisherman through device check and identity into the room. */
async function fishermanAdmitted(f: Fixture, host: TestSocket) {
  const fisherman = await enter(f.fishermanToken);
  expect((await fisherman.socket.call('device-check:report', deviceCheck)).ok).toBe(true);
  expect(await fisherman.socket.call('identity:confirm', { method: 'id_last4', ...fishermanId })).toEqual({ ok: true, data: { verified: true } });
  expect(await fisherman.socket.call('lobby:wait', {})).toMatchObject({ ok: true, data: { state: 'lobby' } });
  expect(await host.call('host:admit', { peerId: fisherman.peerId })).toEqual({ ok: true, data: {} });
  return fisherman;
}

/** Everyone's connections end and a new app instance starts on the same database. */
async function restart() {
  for (const s of sockets.splice(0)) s.disconnect();
  await world.restart();
}

/** Back after the restart with the resume token; resolves with the entered result and first view. */
async function resume(resumeToken: string, invitationToken?: string) {
  const socket = open({ resumeToken, ...(invitationToken ? { invitationToken } : {}) });
  await connected(socket);
  const view = socket.next('room:state');
  const entered = await socket.call('session:enter', { resumeToken });
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, entered: entered.data, view: await view };
}

/** The host back after the restart (staff log in with their cookie, not a token). */
async function hostBack(f: Fixture) {
  const socket = open({ cookie: world.cookies.mediator });
  await connected(socket);
  const view = socket.next('room:state');
  const entered = await socket.call('session:enter', { sessionId: f.sessionId as never });
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, view: await view };
}

const peerIn = (view: RoomState, peerId: string) => view.peers.find((p) => p.peerId === peerId);

async function query<T>(statement: ReturnType<typeof sql>) {
  return rowsOf<T>(await world.database.db.execute(statement));
}

async function auditTypes(sessionId: string): Promise<string[]> {
  return (await query<{ type: string }>(sql`select type from audit_events where data->>'sessionId' = ${sessionId} order by seq`)).map((r) => r.type);
}

beforeAll(async () => {
  pool = await WorkerPool.start({ size: 1 });
  world = await createTestWorld({ media: pool, listen: true, reconnectGraceMs: graceMs });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
  pool?.close();
});

describe('host decisions survive a restart', () => {
  it('a caucus and who is in it: the separated party is back in the caucus, in the view and in the media router', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    const opened = await host.socket.call('host:caucus-open', { name: '渔民方' });
    if (!opened.ok) throw new Error(opened.error.message);
    const caucusId = opened.data.id;
    expect(await host.socket.call('host:move', { peerId: fisherman.peerId, space: caucusId })).toEqual({ ok: true, data: {} });

    await restart();

    const back = await resume(fisherman.resumeToken);
    expect(back.entered.state).toBe('admitted');
    expect(peerIn(back.view, fisherman.peerId)!.space).toBe(caucusId);
    expect(back.view.caucuses).toEqual([{ id: caucusId, name: '渔民方' }]);
    expect((await back.socket.call('media:start', {})).ok).toBe(true);
    const media = world.app.rooms.roomOf(f.sessionId)!.media!;
    expect(media.spaceOf(fisherman.peerId)).toBe(caucusId); // never in the joint room's media
    const hostView = (await hostBack(f)).view;
    // The host also learns whether each caucus is recorded.
    expect(hostView.caucuses).toEqual([{ id: caucusId, name: '渔民方', recorded: false }]);
    expect(peerIn(hostView, fisherman.peerId)).toMatchObject({ space: caucusId, state: 'admitted' });

    // Closing it is durable too: everyone back in the joint room, the caucus gone, after another restart.
    const host2 = (await hostBack(f)).socket;
    expect(await host2.call('host:caucus-close', { caucusId })).toEqual({ ok: true, data: {} });
    await restart();
    const again = await resume(fisherman.resumeToken);
    expect(peerIn(again.view, fisherman.peerId)!.space).toBe('joint');
    expect(again.view.caucuses).toEqual([]);
    expect(await auditTypes(f.sessionId)).toEqual(expect.arrayContaining(['room.caucus_opened', 'attendance.moved', 'room.caucus_closed']));
  });

  it('mute: a muted person is still muted, in the view and in the media router, until the host unmutes', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    expect(await host.socket.call('host:mute', { peerId: fisherman.peerId, kind: 'audio', muted: true })).toEqual({ ok: true, data: {} });

    await restart();

    const back = await resume(fisherman.resumeToken);
    expect(peerIn(back.view, fisherman.peerId)!.hostMuted).toEqual({ audio: true, video: false });
    expect((await back.socket.call('media:start', {})).ok).toBe(true);
    expect(world.app.rooms.roomOf(f.sessionId)!.media!.isHostMuted(fisherman.peerId, 'audio')).toBe(true);
    // Only the host lifts it, and that is durable too.
    const hostAgain = (await hostBack(f)).socket;
    expect(await hostAgain.call('host:mute', { peerId: fisherman.peerId, kind: 'audio', muted: false })).toEqual({ ok: true, data: {} });
    await restart();
    const unmuted = await resume(fisherman.resumeToken);
    expect(peerIn(unmuted.view, fisherman.peerId)!.hostMuted).toEqual({ audio: false, video: false });
    const types = await auditTypes(f.sessionId);
    expect(types.filter((t) => t === 'attendance.host_muted')).toHaveLength(2);
  });

  it('lock: a locked room keeps newcomers out of the lobby after the restart', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    expect(await host.socket.call('host:lock', { locked: true })).toEqual({ ok: true, data: {} });

    await restart();

    const hostView = (await hostBack(f)).view;
    expect(hostView.locked).toBe(true);
    const fisherman = await enter(f.fishermanToken);
    await fisherman.socket.call('device-check:report', deviceCheck);
    await fisherman.socket.call('identity:confirm', { method: 'id_last4', ...fishermanId });
    expect(await fisherman.socket.call('lobby:wait', {})).toMatchObject({ ok: false, error: { code: 'ROOM_LOCKED' } });
    expect(await auditTypes(f.sessionId)).toContain('room.lock_changed');
  });

  it('spotlight: the spotlit person is spotlit for everyone after the restart', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    expect(await host.socket.call('host:spotlight', { peerId: fisherman.peerId })).toEqual({ ok: true, data: {} });

    await restart();

    expect((await resume(fisherman.resumeToken)).view.spotlightPeerId).toBe(fisherman.peerId);
    expect((await hostBack(f)).view.spotlightPeerId).toBe(fisherman.peerId);
    expect(await auditTypes(f.sessionId)).toContain('room.spotlight_changed');
  });

  it('spotlight: someone spotlit who left and was admitted again is not spotlit after the restart', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    expect(await host.socket.call('host:spotlight', { peerId: fisherman.peerId })).toEqual({ ok: true, data: {} });
    expect(await fisherman.socket.call('room:leave', {})).toEqual({ ok: true, data: {} });
    const [saved] = await query<{ spotlight_attendance_id: string | null }>(sql`select spotlight_attendance_id from live_rooms where session_id = ${f.sessionId}`);
    expect(saved!.spotlight_attendance_id).toBeNull();
    // Back through the lobby (identity and device check are kept) and admitted again.
    const again = await enter(f.fishermanToken);
    expect(again.peerId).toBe(fisherman.peerId);
    expect(await again.socket.call('lobby:wait', {})).toMatchObject({ ok: true, data: { state: 'lobby' } });
    expect(await host.socket.call('host:admit', { peerId: fisherman.peerId })).toEqual({ ok: true, data: {} });

    await restart();

    expect((await resume(again.resumeToken)).view.spotlightPeerId).toBeNull();
    expect((await hostBack(f)).view.spotlightPeerId).toBeNull();
  });

  it('screen permission: granted stays granted, in the view and in the live room', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    expect(await host.socket.call('host:allow-screen', { peerId: fisherman.peerId, allowed: true })).toEqual({ ok: true, data: {} });

    await restart();

    const back = await resume(fisherman.resumeToken);
    expect(peerIn(back.view, fisherman.peerId)!.canShareScreen).toBe(true);
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.get(fisherman.peerId)!.canShareScreen).toBe(true);
    expect(await auditTypes(f.sessionId)).toContain('attendance.screen_permission_changed');
  });

  it('removal: someone removed stays out, with their link and with their resume token', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    expect(await host.socket.call('host:remove', { peerId: fisherman.peerId })).toEqual({ ok: true, data: {} });

    await restart();

    const withLink = await (async () => {
      const socket = open({ invitationToken: f.fishermanToken });
      await connected(socket);
      return socket.call('session:enter', {});
    })();
    expect(withLink).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // The resume token is refused already at the socket handshake.
    const socket = open({ resumeToken: fisherman.resumeToken });
    await expect(connected(socket)).rejects.toThrow('you may no longer join this session');
    socket.close();
    expect(peerIn((await hostBack(f)).view, fisherman.peerId)).toBeUndefined();
  });

  it('the admitted set: admitted people are back in the room, those in the lobby back in the lobby', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    const agent = await enter(f.ownerToken);
    await agent.socket.call('device-check:report', deviceCheck);
    const issued = await host.socket.call('host:issue-code', { peerId: agent.peerId });
    if (!issued.ok) throw new Error(issued.error.message);
    expect(await agent.socket.call('identity:confirm', { method: 'one_time_code', code: issued.data.code })).toEqual({ ok: true, data: { verified: true } });
    expect(await agent.socket.call('lobby:wait', {})).toMatchObject({ ok: true, data: { state: 'lobby' } });

    await restart();

    const hostView = (await hostBack(f)).view;
    expect(peerIn(hostView, fisherman.peerId)).toMatchObject({ state: 'admitted', connected: false });
    expect(peerIn(hostView, agent.peerId)).toMatchObject({ state: 'lobby', connected: false });
    expect((await resume(fisherman.resumeToken)).entered).toMatchObject({ state: 'admitted', identityMethod: null });
    expect((await resume(agent.resumeToken)).entered).toMatchObject({ state: 'lobby', identityMethod: null });
  });

  it('one-time code: a code issued before the restart still works after it', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const agent = await enter(f.ownerToken);
    const issued = await host.socket.call('host:issue-code', { peerId: agent.peerId });
    if (!issued.ok) throw new Error(issued.error.message);

    await restart();

    const back = await resume(agent.resumeToken, f.ownerToken);
    expect(back.entered.identityMethod).toBe('one_time_code');
    expect(await back.socket.call('identity:confirm', { method: 'one_time_code', code: issued.data.code })).toEqual({ ok: true, data: { verified: true } });
    expect(await auditTypes(f.sessionId)).toEqual(expect.arrayContaining(['attendance.code_issued', 'attendance.identity_confirmed']));
    // The code itself is never written down, only its hash.
    const events = await query<{ data: unknown }>(sql`select data from audit_events where type = 'attendance.code_issued'`);
    expect(JSON.stringify(events)).not.toContain(issued.data.code);
  });
});

describe('guesses are counted in the database and capped', () => {
  it('five wrong ID numbers leave only the one-time code, also after a restart', async () => {
    const f = await fixture();
    await hostIn(f);
    const fisherman = await enter(f.fishermanToken);
    for (let i = 4; i >= 1; i--) {
      expect(await fisherman.socket.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: '1234' })).toMatchObject({ ok: false, error: { message: expect.stringContaining(`${i} attempts left`) } });
    }
    expect(await fisherman.socket.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: '1234' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('too many') } });

    await restart();

    const back = await resume(fisherman.resumeToken, f.fishermanToken);
    expect(back.entered.identityMethod).toBe('one_time_code');
    // Even the right ID number is no longer taken.
    expect(await back.socket.call('identity:confirm', { method: 'id_last4', ...fishermanId })).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED', field: 'method' } });
    const [row] = await query<{ identity_failures: number }>(sql`select identity_failures from attendances where id = ${fisherman.peerId}`);
    expect(row!.identity_failures).toBe(5);
  });

  it('five wrong ID numbers at most, even sent all at once; then even the right digits are refused', async () => {
    const f = await fixture();
    await hostIn(f);
    const fisherman = await enter(f.fishermanToken);
    // Ten: as many as one connection may send before the socket gate steps in, so all reach the check.
    const wrong = [...Array(10)].map((_, i) => String(1000 + i));
    const answers = await Promise.all(wrong.map((last4) => fisherman.socket.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4 })));
    expect(answers.every((a) => !a.ok && a.error.code === 'IDENTITY_REJECTED')).toBe(true);
    const [row] = await query<{ identity_failures: number; identity_verified_at: Date | null }>(
      sql`select identity_failures, identity_verified_at from attendances where id = ${fisherman.peerId}`,
    );
    expect(row).toEqual({ identity_failures: 5, identity_verified_at: null });
    // Only five guesses were evaluated and counted: the rest found the route closed on the locked row.
    expect((await auditTypes(f.sessionId)).filter((t) => t === 'attendance.identity_failed')).toHaveLength(5);
    const again = await resume(fisherman.resumeToken, f.fishermanToken);
    expect(await again.socket.call('identity:confirm', { method: 'id_last4', ...fishermanId })).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED' } });
    expect((await auditTypes(f.sessionId)).filter((t) => t === 'attendance.identity_confirmed')).toHaveLength(0);
  });

  it('a one-time code survives five wrong guesses at most, even sent all at once; then the right code fails too until a new one is issued', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const agent = await enter(f.ownerToken);
    const issued = await host.socket.call('host:issue-code', { peerId: agent.peerId });
    if (!issued.ok) throw new Error(issued.error.message);
    const code = issued.data.code;
    const wrong = [...Array(12)].map((_, i) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'));
    const answers = await Promise.all(wrong.map((guess) => agent.socket.call('identity:confirm', { method: 'one_time_code', code: guess })));
    expect(answers.every((a) => !a.ok)).toBe(true);
    const [row] = await query<{ one_time_code_failures: number; one_time_code_hash: string | null }>(
      sql`select one_time_code_failures, one_time_code_hash from attendances where id = ${agent.peerId}`,
    );
    expect(row).toEqual({ one_time_code_failures: 5, one_time_code_hash: null });
    expect((await auditTypes(f.sessionId)).filter((t) => t === 'attendance.identity_failed')).toHaveLength(5);

    await restart();

    const back = await resume(agent.resumeToken, f.ownerToken);
    expect(await back.socket.call('identity:confirm', { method: 'one_time_code', code })).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED' } });
    const hostAgain = (await hostBack(f)).socket;
    const fresh = await hostAgain.call('host:issue-code', { peerId: agent.peerId });
    if (!fresh.ok) throw new Error(fresh.error.message);
    expect(await back.socket.call('identity:confirm', { method: 'one_time_code', code: fresh.data.code })).toEqual({ ok: true, data: { verified: true } });
  });
});

describe('people a rebuilt room brings back', () => {
  it('get the normal grace period: one who comes back in time keeps their place, one who does not has left', async () => {
    const f = await fixture();
    const host = await hostIn(f);
    const fisherman = await fishermanAdmitted(f, host.socket);
    const agent = await enter(f.ownerToken);
    await agent.socket.call('device-check:report', deviceCheck);

    await restart();

    const hostAgain = await hostBack(f); // the room is rebuilt now: both are held for them
    expect(peerIn(hostAgain.view, fisherman.peerId)).toMatchObject({ state: 'admitted', connected: false });
    expect(peerIn(hostAgain.view, agent.peerId)).toMatchObject({ state: 'joining', connected: false });
    await new Promise((r) => setTimeout(r, graceMs / 3));
    expect((await resume(fisherman.resumeToken)).entered.state).toBe('admitted');
    const gone = hostAgain.socket.next('room:state', (s) => !peerIn(s, agent.peerId), graceMs * 3);
    await gone;
    const [row] = await query<{ state: string }>(sql`select state from attendances where id = ${agent.peerId}`);
    expect(row!.state).toBe('left');
    await new Promise((r) => setTimeout(r, graceMs));
    // The one who came back is still in, connected.
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.get(fisherman.peerId)).toMatchObject({ state: 'admitted' });
    expect(world.app.rooms.roomOf(f.sessionId)!.peers.get(fisherman.peerId)!.socketId).not.toBeNull();
  });
});
