/**
 * Runs the fuzz engine (fuzz.ts) against a test world with one record of every kind, from every
 * kind of caller, over HTTP and over sockets; counts answers and collects every failure.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { agreementFixture, collisionDraft, invitationHeader, sealedAgreement } from '../../tests/helpers/agreement-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../tests/helpers/socket-client.ts';
import { api, createTestWorld, json, ok, rowsOf, type TestWorld, worldState } from '../../tests/helpers/test-app.ts';
import { clientEvents, type ClientEventName } from '../../shared/realtime.ts';
import { casesFor, type FuzzCaller, type FuzzFailure, operationsOf, schemaValidator, sendCase, socketPayloadsFor } from './fuzz.ts';

export interface FuzzWorld {
  world: TestWorld;
  ids: Record<string, string>;
  callers: FuzzCaller[];
  socketCallers: { name: string; auth: Parameters<typeof connectSocket>[1] }[];
}

/** A world with a record of every kind a path names (a sealed, filed agreement included). */
export async function createFuzzWorld(): Promise<FuzzWorld> {
  const world = await createTestWorld({
    listen: true,
    // Budgets out of the way: the fuzz is about answers to bad input, not about being throttled.
    guessingLimits: { tokenFailuresPerAddress: 1e9, loginFailuresPerAccount: 1e9 },
    socketLimits: { budgetScale: 1e6, refusalsBeforeDisconnect: 1e9, networkTestBytesPerMinute: 1e12 },
  });
  const mediator = api(world.app, world.cookies.mediator);
  const f = await agreementFixture(world);
  const sessions = (await ok(await mediator.get(`/api/cases/${f.caseId}/sessions`))).items;
  const sessionId = sessions[0].id as string;
  const invitations = (await ok(await mediator.get(`/api/sessions/${sessionId}/invitations`))).items;
  const form = new FormData();
  form.append('file', new Blob([Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF')]), 'x.pdf');
  const evidence = await world.app.inject({ method: 'POST', url: `/api/cases/${f.caseId}/evidence`, payload: form, headers: { cookie: world.cookies.mediator } });
  const draft = await ok(await mediator.post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
  const { agreement } = await sealedAgreement(world);
  const filed = await ok(await mediator.post(`/api/agreements/${agreement.id}/confirmation`, {}), 201);
  const db = world.database.db;
  const first = async (query: ReturnType<typeof sql>) => (rowsOf<{ id: string }>(await db.execute(query))[0]?.id ?? randomBytes(16).toString('hex'));
  const ids: Record<string, string> = {
    caseId: f.caseId,
    partyId: f.fishermanPartyId,
    vesselId: f.vesselId,
    sessionId,
    participantId: f.agentParticipantId,
    invitationId: invitations[0].id,
    evidenceId: evidence.statusCode === 201 ? json(evidence).id : await first(sql`select id from evidence limit 1`),
    agreementId: draft.id,
    signatureId: await first(sql`select id from signatures limit 1`),
    confirmationId: filed.id,
    obligationId: await first(sql`select id from obligations limit 1`),
    documentId: await first(sql`select id from documents limit 1`),
    staffUserId: world.staffIds.ningboClerk!,
  };
  const staff = (['mediator', 'otherMediator', 'ningboClerk', 'wenzhouJudge', 'admin'] as const).map((key) => ({ name: key, headers: { cookie: world.cookies[key] } }));
  const callers: FuzzCaller[] = [
    { name: 'anonymous', headers: {} },
    ...staff,
    { name: 'party', headers: invitationHeader(f.fishermanToken) },
    { name: 'agent', headers: invitationHeader(f.agentToken) },
    { name: 'made-up invitation', headers: invitationHeader(randomBytes(32).toString('base64url')) },
    { name: 'stale cookie', headers: { cookie: `hq_session=${randomBytes(32).toString('base64url')}` } },
  ];
  const socketCallers = [
    { name: 'mediator', auth: { cookie: world.cookies.mediator } },
    { name: 'other center', auth: { cookie: world.cookies.otherMediator } },
    { name: 'party', auth: { invitationToken: f.fishermanToken } },
    { name: 'agent', auth: { invitationToken: f.agentToken } },
  ];
  return { world, ids, callers, socketCallers };
}

export interface FuzzTally {
  sent: number;
  byStatus: Record<string, number>;
  byClass: Record<string, number>;
  operations: number;
  callers: number;
  failures: FuzzFailure[];
  slowestMs: number;
  /** Reads of evidence bytes that were served (2xx): each is rightly recorded as custody. */
  evidenceReads: number;
}

const tally = (): FuzzTally => ({ sent: 0, byStatus: {}, byClass: {}, operations: 0, callers: 0, failures: [], slowestMs: 0, evidenceReads: 0 });

/** The evidence routes that serve bytes and record who read them (custody). */
const evidenceRead = /^\/api\/evidence\/[^/?]+\/(content|pages\/[^/?]+)(\?|$)/;

/**
 * The world's state as the fuzz invariant sees it: every row of every table and the stored
 * files, except the custody records of evidence reads that were served (a hostile query string
 * on a read the caller may make is ignored, and the read is rightly recorded); those are counted
 * instead, so a run can check that each served read was recorded exactly once.
 */
export async function fuzzState(world: TestWorld) {
  const { tables, files } = await worldState(world);
  const other = rowsOf<{ n: number; d: string }>(
    await world.database.db.execute(
      sql.raw(`select count(*)::int as n, coalesce(md5(string_agg(md5(t::text), '' order by md5(t::text))), '') as d from audit_events t where type not in ('evidence.viewed', 'evidence.downloaded')`),
    ),
  )[0]!;
  const reads = rowsOf<{ n: number }>(await world.database.db.execute(sql.raw(`select count(*)::int as n from audit_events where type in ('evidence.viewed', 'evidence.downloaded')`)))[0]!.n;
  return { tables: { ...tables, audit_events: `${other.n}:${other.d}` }, files, evidenceReads: reads };
}

/** `perPair` payloads for every operation × caller. */
export async function fuzzHttp(fw: FuzzWorld, seed: number, perPair: number, timeoutMs = 15_000, onFailure?: (f: FuzzFailure) => void, onOperation?: (done: number, t: FuzzTally) => void): Promise<FuzzTally> {
  const t = tally();
  const operations = operationsOf(fw.world.app);
  const validate = schemaValidator();
  t.operations = operations.length;
  t.callers = fw.callers.length;
  for (const [o, op] of operations.entries()) {
    for (const [c, caller] of fw.callers.entries()) {
      for (const fuzzCase of casesFor(op, caller, fw.ids, seed * 1_000_003 + o * 101 + c, perPair, validate)) {
        const result = await sendCase(fw.world.app, fuzzCase, timeoutMs);
        t.sent++;
        t.byStatus[result.status] = (t.byStatus[result.status] ?? 0) + 1;
        t.byClass[fuzzCase.payloadClass] = (t.byClass[fuzzCase.payloadClass] ?? 0) + 1;
        t.slowestMs = Math.max(t.slowestMs, result.ms);
        if (fuzzCase.method === 'GET' && result.status >= 200 && result.status < 300 && evidenceRead.test(fuzzCase.url)) t.evidenceReads++;
        if (result.problem) {
          const shown = { ...fuzzCase, url: fuzzCase.url.slice(0, 300), payload: typeof fuzzCase.payload === 'string' ? fuzzCase.payload.slice(0, 300) : fuzzCase.payload?.subarray(0, 300) };
          t.failures.push({ case: shown, problem: result.problem.slice(0, 300) });
          onFailure?.(t.failures.at(-1)!);
        }
      }
    }
    onOperation?.(o + 1, t);
  }
  return t;
}

/** `perPair` payloads for every realtime event × socket caller; each must get a coded error ack. */
export async function fuzzSockets(fw: FuzzWorld, seed: number, perPair: number, timeoutMs = 10_000, onFailure?: (f: FuzzFailure) => void): Promise<FuzzTally> {
  const t = tally();
  const events = Object.keys(clientEvents) as ClientEventName[];
  t.operations = events.length;
  t.callers = fw.socketCallers.length;
  for (const [c, caller] of fw.socketCallers.entries()) {
    const socket: TestSocket = connectSocket(fw.world.baseUrl, caller.auth);
    await connected(socket);
    try {
      for (const [e, event] of events.entries()) {
        const payloads = socketPayloadsFor(event, seed * 7_919 + e * 31 + c, perPair);
        // A few at a time, as a busy client would send them.
        for (let i = 0; i < payloads.length; i += 8) {
          await Promise.all(
            payloads.slice(i, i + 8).map(async ({ payloadClass, payload }) => {
              const started = performance.now();
              const ack = await socket
                .timeout(timeoutMs)
                .emitWithAck(event, payload)
                .catch(() => null);
              t.sent++;
              t.slowestMs = Math.max(t.slowestMs, performance.now() - started);
              t.byClass[payloadClass] = (t.byClass[payloadClass] ?? 0) + 1;
              const code = (ack as { ok?: boolean; error?: { code?: string } } | null)?.error?.code ?? (ack === null ? 'no answer' : (ack as { ok?: boolean }).ok ? 'accepted' : 'no code');
              t.byStatus[code] = (t.byStatus[code] ?? 0) + 1;
              if (code === 'INTERNAL' || code === 'no answer' || code === 'no code' || code === 'accepted') {
                t.failures.push({ case: { operation: event, caller: caller.name, payloadClass, method: 'emit', url: '', headers: {}, payload: JSON.stringify(payload)?.slice(0, 300) }, problem: code });
                onFailure?.(t.failures.at(-1)!);
              }
            }),
          );
        }
        if (!socket.connected) {
          t.failures.push({ case: { operation: event, caller: caller.name, payloadClass: '-', method: 'emit', url: '', headers: {} }, problem: 'socket disconnected' });
          break;
        }
      }
    } finally {
      socket.disconnect();
    }
  }
  return t;
}

