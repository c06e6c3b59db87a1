/**
 * Fault injection: the test's own PostgreSQL cluster is restarted (pg_ctl restart -m fast) or
 * has its connections cut (pg_terminate_backend) while a write is in the middle of its
 * transaction: a signature, an admission to the room, an upload, a seal. A lock taken by the
 * test holds the write at its insert or update until the fault lands. Each time: the caller gets
 * UNAVAILABLE (503 with Retry-After, or the same code in a socket ack) or, for the seal, a retry;
 * nothing of the interrupted write is left (rows and stored files as before); writes accepted
 * before are all there; and the next request succeeds with no restart of the service.
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { unclaimedFilesSettled } from '../../../server/modules/evidence/unclaimed-files.ts';
import { agreementFixture, collisionDraft, invitationHeader, nextSignerIp, signaturePngBase64, signAs } from '../../helpers/agreement-fixture.ts';
import { consentAudio, uploadConsent } from '../../helpers/consent-audio.ts';
import { type OwnPostgres, startOwnPostgres } from '../../helpers/own-postgres.ts';
import { connected, connectSocket, type TestSocket } from '../../helpers/socket-client.ts';
import { api, countFiles, createTestWorld, json, rowsOf, sampleResidentId, type TestWorld, worldState } from '../../helpers/test-app.ts';

let pg: OwnPostgres;
let world: TestWorld;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  pg = await startOwnPostgres();
  world = await createTestWorld({ databaseAdminUrl: pg.adminUrl, listen: true });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await world?.close();
  await pg?.stop();
}, 60_000);

/** Locks `table` on a connection of its own, so the app's next write to it waits in place. */
async function holdTable(table: string) {
  const holder = postgres(world.database.url, { max: 1, onnotice: () => {} });
  const connection = await holder.reserve();
  await connection`begin`;
  await connection.unsafe(`lock table ${table} in exclusive mode`);
  return async () => {
    connection.release();
    await holder.end({ timeout: 1 }).catch(() => {});
  };
}

/** Until a backend of the world's database waits on a lock (the write is in the middle). */
async function writeWaiting(timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = await pg.admin`select count(*)::int as n from pg_stat_activity where datname = ${world.database.name} and wait_event_type = 'Lock'`;
    if (row!.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no write reached the held table');
}

/** Runs `write` with `table` held, lands `fault` while the write waits, and returns its answer. */
async function interrupted<T>(table: string, fault: 'restart' | 'cut', write: () => Promise<T>): Promise<T> {
  const release = await holdTable(table);
  const answer = write();
  await writeWaiting();
  if (fault === 'restart') await pg.restart();
  else expect(await pg.cutConnections(world.database.name)).toBeGreaterThan(0);
  await release();
  return answer;
}

/** Rows and files once in-doubt files are settled and seals have run. */
async function settledState() {
  await unclaimedFilesSettled();
  return worldState(world);
}

function upload(cookie: string, caseId: string, bytes: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), 'statement.pdf');
  return world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: form, headers: { cookie } });
}
const pdf = (n: number) => Buffer.from(`%PDF-1.4\n% upload ${n}\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF`);

it('an upload cut off mid-transaction: 503 UNAVAILABLE with Retry-After, no row and no file left, the earlier upload kept, the next upload works', async () => {
  const f = await agreementFixture(world);
  expect((await upload(world.cookies.mediator, f.caseId, pdf(1))).statusCode).toBe(201);
  const before = await settledState();

  const res = await interrupted('evidence', 'cut', () => upload(world.cookies.mediator, f.caseId, pdf(2)));
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('2');
  expect(json(res).error).toMatchObject({ code: 'UNAVAILABLE' });
  expect(await settledState()).toEqual(before);

  // The service recovers by itself: the pool opens new connections.
  const again = await upload(world.cookies.mediator, f.caseId, pdf(2));
  expect(again.statusCode).toBe(201);
  expect(countFiles(world.filesDir)).toBe(before.files + 1);
}, 120_000);

it('an upload during a PostgreSQL restart: 503 UNAVAILABLE, no row and no file left, the earlier uploads kept, the next upload works', async () => {
  const f = await agreementFixture(world);
  expect((await upload(world.cookies.mediator, f.caseId, pdf(3))).statusCode).toBe(201);
  const before = await settledState();

  const res = await interrupted('evidence', 'restart', () => upload(world.cookies.mediator, f.caseId, pdf(4)));
  expect(res.statusCode).toBe(503);
  expect(res.headers['retry-after']).toBe('2');
  expect(json(res).error).toMatchObject({ code: 'UNAVAILABLE' });
  expect(await settledState()).toEqual(before);

  const again = await upload(world.cookies.mediator, f.caseId, pdf(4));
  expect(again.statusCode, again.body).toBe(201);
  expect(countFiles(world.filesDir)).toBe(before.files + 1);
}, 120_000);

it('a signature during a PostgreSQL restart: 503 UNAVAILABLE, no signature or image kept, the first party’s signature kept; signing again works and the agreement is sealed once', async () => {
  const f = await agreementFixture(world);
  const mediator = api(world.app, world.cookies.mediator);
  const created = await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f));
  expect(created.statusCode, created.body).toBe(201);
  const agreementId = json(created).id as string;
  const toSigning = await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' });
  expect(toSigning.statusCode, toSigning.body).toBe(200);
  expect((await signAs(world, f, agreementId, 'fisherman')).statusCode).toBe(200);
  const before = await settledState();

  // The agent's spoken consent and one-time code first; the restart lands on the signature itself.
  const current = json(await mediator.get(`/api/agreements/${agreementId}`)).currentVersion;
  const { code } = json(await mediator.post(`/api/agreements/${agreementId}/signing-codes`, { participantId: f.agentParticipantId }));
  const consentRecordingSha256 = await uploadConsent(world.app, f.agentToken, agreementId, consentAudio({ frequency: 660 }));
  const before2 = await settledState();
  const res = await interrupted('signatures', 'restart', () =>
    world.app.inject({
      method: 'POST',
      url: `/api/agreements/${agreementId}/sign`,
      remoteAddress: nextSignerIp(),
      headers: { ...invitationHeader(f.agentToken), 'user-agent': 'haiqiao-test/agent' },
      payload: { versionId: current.id, versionHash: current.sha256, consent: true, identity: { method: 'one_time_code', code }, signaturePng: signaturePngBase64(2), consentRecordingSha256 },
    }),
  );
  expect(res.statusCode).toBe(503);
  expect(json(res).error).toMatchObject({ code: 'UNAVAILABLE' });
  // No signature, no signature image, no status change: exactly as before the request.
  const after = await settledState();
  expect(after).toEqual(before2);
  expect(after.files).toBeGreaterThan(before.files); // the consent recording, accepted before, is kept
  expect(rowsOf<{ n: number }>(await world.database.db.execute(sql`select count(*)::int as n from signatures where agreement_id = ${agreementId}`))[0]!.n).toBe(1);

  const again = await signAs(world, f, agreementId, 'agent');
  expect(again.statusCode, again.body).toBe(200);
  await world.app.sealer.idle();
  const agreement = json(await mediator.get(`/api/agreements/${agreementId}`));
  expect(agreement.status).toBe('sealed');
  expect(rowsOf<{ n: number }>(await world.database.db.execute(sql`select count(*)::int as n from signatures where agreement_id = ${agreementId} and status = 'signed'`))[0]!.n).toBe(2);
}, 180_000);

it('a seal whose transaction is cut by a restart: the job is retried and the agreement is sealed exactly once, with one stored PDF', async () => {
  const f = await agreementFixture(world);
  const mediator = api(world.app, world.cookies.mediator);
  const agreementId = json(await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f))).id as string;
  const toSigning = await mediator.post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' });
  expect(toSigning.statusCode, toSigning.body).toBe(200);
  expect((await signAs(world, f, agreementId, 'fisherman')).statusCode).toBe(200);
  const filesBefore = countFiles(world.filesDir);

  // The last signature commits; the seal job then waits at its insert into documents.
  const release = await holdTable('documents');
  expect((await signAs(world, f, agreementId, 'agent')).statusCode).toBe(200);
  await writeWaiting();
  await pg.restart();
  await release();

  let agreement = json(await mediator.get(`/api/agreements/${agreementId}`));
  for (let i = 0; i < 120 && agreement.status !== 'sealed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    agreement = json(await mediator.get(`/api/agreements/${agreementId}`));
  }
  expect(agreement.status).toBe('sealed');
  await unclaimedFilesSettled();
  const documents = rowsOf<{ n: number }>(await world.database.db.execute(sql`select count(*)::int as n from documents where agreement_id = ${agreementId}`));
  expect(documents[0]!.n).toBe(1);
  // The second party's spoken consent and signature image, and one sealed PDF: nothing from the cut attempt.
  expect(countFiles(world.filesDir)).toBe(filesBefore + 3);
}, 180_000);

it('an admission cut off mid-transaction: the host gets an UNAVAILABLE ack, the person stays in the lobby, admitting again works', async () => {
  const f = await agreementFixture(world);
  const open = async (auth: Parameters<typeof connectSocket>[1]) => {
    const socket = connectSocket(world.baseUrl, auth);
    sockets.push(socket);
    await connected(socket);
    return socket;
  };
  const host = await open({ cookie: world.cookies.mediator });
  expect((await host.call('session:enter', { sessionId: f.sessionId as never })).ok).toBe(true);
  const fisherman = await open({ invitationToken: f.fishermanToken });
  const entered = await fisherman.call('session:enter', {});
  if (!entered.ok) throw new Error(entered.error.message);
  expect((await fisherman.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true })).ok).toBe(true);
  expect((await fisherman.call('identity:confirm', { method: 'id_last4', name: '陈阿海', last4: sampleResidentId.slice(-4) })).ok).toBe(true);
  expect(await fisherman.call('lobby:wait', {})).toMatchObject({ ok: true, data: { state: 'lobby' } });
  const before = await settledState();

  const ack = await interrupted('attendances', 'cut', () => host.call('host:admit', { peerId: entered.data.peerId }));
  expect(ack).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  expect(await settledState()).toEqual(before);

  const admitted = fisherman.next('attendance:changed', (p) => p.state === 'admitted');
  expect(await host.call('host:admit', { peerId: entered.data.peerId })).toEqual({ ok: true, data: {} });
  await admitted;
}, 120_000);
