/**
 * The right one-time code is confirmed in one statement, without the identity check's locked read
 * (room-record.ts confirmByCode): it must keep the limits the locked check keeps. Many copies of
 * the right code at once confirm once; an expired code is not taken, and counts as a miss.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { createTestWorld, rowsOf, type TestWorld } from '../../../helpers/test-app.ts';
import { roomFixture } from '../../../helpers/room-fixture.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];

async function enter(auth: Parameters<typeof connectSocket>[1], sessionId?: string) {
  const socket = connectSocket(world.baseUrl, auth);
  sockets.push(socket);
  await connected(socket);
  const entered = await socket.call('session:enter', sessionId ? { sessionId: sessionId as never } : {});
  if (!entered.ok) throw new Error(entered.error.message);
  return { socket, peerId: entered.data.peerId };
}

async function query<T>(statement: ReturnType<typeof sql>) {
  return rowsOf<T>(await world.database.db.execute(statement));
}

async function confirmedEvents(sessionId: string) {
  return (await query<{ type: string }>(sql`select type from audit_events where data->>'sessionId' = ${sessionId} and type = 'attendance.identity_confirmed'`)).length;
}

/** The owner in the lobby's identity step, with a one-time code the mediator issued them. */
async function ownerWithCode() {
  const f = await roomFixture(world);
  const host = await enter({ cookie: world.cookies.mediator }, f.sessionId);
  const agent = await enter({ invitationToken: f.ownerToken });
  const issued = await host.socket.call('host:issue-code', { peerId: agent.peerId });
  if (!issued.ok) throw new Error(issued.error.message);
  return { f, agent, code: issued.data.code };
}

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(async () => {
  await world?.close();
});

it('the right code sent many times at once is confirmed once, with one audit event', async () => {
  const { f, agent, code } = await ownerWithCode();
  const answers = await Promise.all([...Array(5)].map(() => agent.socket.call('identity:confirm', { method: 'one_time_code', code })));
  expect(answers.filter((a) => a.ok)).not.toHaveLength(0);
  expect(await confirmedEvents(f.sessionId)).toBe(1);
  const [row] = await query<{ identity_method: string; one_time_code_hash: string | null; verified: boolean }>(
    sql`select identity_method, one_time_code_hash, identity_verified_at is not null as verified from attendances where id = ${agent.peerId}`,
  );
  expect(row).toEqual({ identity_method: 'one_time_code', one_time_code_hash: null, verified: true });
});

it('an expired code is refused and counted as a miss; nothing is confirmed', async () => {
  const { f, agent, code } = await ownerWithCode();
  // Long past on the test app's clock (which is not the database's).
  await query(sql`update attendances set one_time_code_expires_at = timestamptz '2000-01-01 00:00+00' where id = ${agent.peerId}`);
  expect(await agent.socket.call('identity:confirm', { method: 'one_time_code', code })).toMatchObject({ ok: false, error: { code: 'IDENTITY_REJECTED' } });
  const [row] = await query<{ verified: boolean; one_time_code_failures: number }>(
    sql`select identity_verified_at is not null as verified, one_time_code_failures from attendances where id = ${agent.peerId}`,
  );
  expect(row).toEqual({ verified: false, one_time_code_failures: 1 });
  expect(await confirmedEvents(f.sessionId)).toBe(0);
});
