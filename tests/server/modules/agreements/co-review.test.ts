/**
 * Co-review in a live session: every change to an agreement (a new draft or version, a comment, a
 * status change, a signature or a refusal, sealing, a court ruling setting it aside) tells the
 * case's live rooms 'agreement:updated' — after its transaction has committed, so whoever reloads
 * on the event sees the change — and a refused change tells nobody.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { uploadConsent } from '../../../helpers/consent-audio.ts';
import { agreementFixture, collisionDraft, invitationHeader, nextSignerIp, signAs, signaturePngBase64, type AgreementFixture } from '../../../helpers/agreement-fixture.ts';
import { connected, connectSocket, type TestSocket } from '../../../helpers/socket-client.ts';
import { api, createTestWorld, json, ok, rowsOf, type TestWorld } from '../../../helpers/test-app.ts';

let world: TestWorld;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  world = await createTestWorld({ listen: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const s of sockets.splice(0)) s.disconnect();
});
afterAll(() => world?.close());

const mediator = () => api(world.app, world.cookies.mediator);


interface Seen {
  caseId: string;
  event: string;
  agreementId: string;
  /** Transactions still open when the notice went out (must be none: notices follow the commit). */
  openTransactions: number;
  /** What a reader asking at that moment finds. */
  state: Promise<{ status: string; versions: number; comments: number; signed: number; declined: number; documents: number }>;
}

/** Records every notice to live rooms, with the transactions open at that moment and what the database shows then. */
function watchNotices() {
  const db = world.app.ctx.db as unknown as { transaction: (...args: unknown[]) => Promise<unknown> };
  const original = db.transaction;
  let open = 0;
  vi.spyOn(db, 'transaction').mockImplementation(async (...args: unknown[]) => {
    open += 1;
    try {
      return await original.apply(db, args);
    } finally {
      open -= 1;
    }
  });
  const seen: Seen[] = [];
  vi.spyOn(world.app.rooms, 'notifyCase').mockImplementation((caseId, event, payload) => {
    const agreementId = (payload as { agreementId: string }).agreementId;
    seen.push({
      caseId,
      event,
      agreementId,
      openTransactions: open,
      state: world.database.db
        .execute(
          sql`select a.status,
                 (select count(*)::int from agreement_versions v where v.agreement_id = a.id) as versions,
                 (select count(*)::int from agreement_comments c where c.agreement_id = a.id) as comments,
                 (select count(*)::int from signatures s where s.agreement_id = a.id and s.status = 'signed') as signed,
                 (select count(*)::int from signatures s where s.agreement_id = a.id and s.status = 'declined') as declined,
                 (select count(*)::int from documents d where d.agreement_id = a.id) as documents
              from agreements a where a.id = ${agreementId}`,
        )
        .then((r) => rowsOf<Awaited<Seen['state']>>(r)[0]!),
    });
  });
  return seen;
}

/** Waits for the sealing queue, then returns (and clears) the notices so far, each with the state a reader saw. */
async function take(seen: Seen[]) {
  await world.app.sealer.idle();
  const taken = seen.splice(0);
  return Promise.all(taken.map(async (s) => ({ caseId: s.caseId, event: s.event, agreementId: s.agreementId, openTransactions: s.openTransactions, state: await s.state })));
}

const asParticipant = (token: string) => ({
  post: (url: string, payload: object) => world.app.inject({ method: 'POST', url, payload, headers: invitationHeader(token), remoteAddress: nextSignerIp() }),
});

describe('agreement:updated goes out after each commit', () => {
  it('draft, version, comments, sending for signature, a refusal, signatures, sealing and a ruling setting it aside: one notice each, no transaction open, the change visible', async () => {
    const f = await agreementFixture(world);
    const seen = watchNotices();
    const notice = (state: Partial<Awaited<Seen['state']>>) => ({ caseId: f.caseId, event: 'agreement:updated', agreementId: expect.any(String), openTransactions: 0, state: expect.objectContaining(state) });

    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const id = created.id as string;
    expect(await take(seen)).toEqual([notice({ status: 'drafting', versions: 1 })]);

    await ok(await mediator().post(`/api/agreements/${id}/versions`, collisionDraft(f, { facts: '第二稿：乙方货轮与甲方渔船在南麂列岛海域碰撞。' })));
    expect(await take(seen)).toEqual([notice({ versions: 2 })]);

    await ok(await mediator().post(`/api/agreements/${id}/comments`, { kind: 'comment', text: '请各方核对第二期付款日期。' }));
    await ok(await asParticipant(f.fishermanToken).post(`/api/agreements/${id}/comments`, { kind: 'change_request', text: '第一期希望提前到12月15日。' }));
    expect(await take(seen)).toEqual([notice({ comments: 1 }), notice({ comments: 2 })]);

    await ok(await mediator().post(`/api/agreements/${id}/transitions`, { to: 'signing' }));
    expect(await take(seen)).toEqual([notice({ status: 'signing' })]);

    const version = (await ok(await mediator().get(`/api/agreements/${id}`))).currentVersion;
    await ok(await asParticipant(f.fishermanToken).post(`/api/agreements/${id}/decline`, { versionId: version.id, versionHash: version.sha256, reason: '第二期付款期限过长。' }));
    expect(await take(seen)).toEqual([notice({ declined: 1 })]);

    // Revised, signed by both: each signature is a notice; sealing (after its own commit) one more.
    await ok(await mediator().post(`/api/agreements/${id}/versions`, collisionDraft(f, { facts: '第三稿：乙方货轮与甲方渔船在南麂列岛海域碰撞，双方协商一致。' })));
    await ok(await mediator().post(`/api/agreements/${id}/transitions`, { to: 'signing' }));
    expect(await take(seen)).toEqual([notice({ versions: 3, status: 'drafting', declined: 0 }), notice({ status: 'signing' })]);
    await ok(await signAs(world, f, id, 'fisherman'));
    expect(await take(seen)).toEqual([notice({ signed: 1 })]);
    await ok(await signAs(world, f, id, 'agent'));
    const signedAndSealed = await take(seen);
    expect(signedAndSealed).toEqual([notice({ signed: 2 }), notice({ status: 'sealed', documents: 1 })]);

    // The court returns it: set aside, mediation reopens.
    const filed = await ok(await mediator().post(`/api/agreements/${id}/confirmation`, {}), 201);
    await ok(await api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${filed.id}/accept`));
    await ok(await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${filed.id}/review`));
    expect(await take(seen)).toEqual([]);
    await ok(await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${filed.id}/decide`, { decision: 'returned', reason: '请补正船舶登记信息后重新协商。' }));
    expect(await take(seen)).toEqual([notice({ status: 'set_aside' })]);
    expect(new Set(signedAndSealed.map((s) => s.agreementId))).toEqual(new Set([id]));
  });

  it('a refused change tells nobody', async () => {
    const f = await agreementFixture(world);
    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    await ok(await mediator().post(`/api/agreements/${created.id}/transitions`, { to: 'signing' }));
    const version = (await ok(await mediator().get(`/api/agreements/${created.id}`))).currentVersion;
    const consentRecordingSha256 = await uploadConsent(world.app, f.fishermanToken, created.id);
    const seen = watchNotices();
    expect((await mediator().post(`/api/agreements/${created.id}/versions`, collisionDraft(f))).statusCode).toBe(409); // nothing changed
    const wrongDigits = await asParticipant(f.fishermanToken).post(`/api/agreements/${created.id}/sign`, {
      versionId: version.id,
      versionHash: version.sha256,
      consent: true,
      identity: { method: 'id_last4', name: '陈阿海', last4: '1234' },
      signaturePng: signaturePngBase64(),
      consentRecordingSha256,
    });
    expect(wrongDigits.statusCode).toBe(403);
    expect((await mediator().post(`/api/agreements/${created.id}/transitions`, { to: 'signing' })).statusCode).toBe(409);
    expect((await api(world.app, world.cookies.wenzhouJudge).post(`/api/agreements/${created.id}/comments`, { kind: 'comment', text: '法院意见' })).statusCode).toBe(403);
    expect(await take(seen)).toEqual([]);
  });
});

describe('in a live room', () => {
  function open(auth: Parameters<typeof connectSocket>[1]) {
    const socket = connectSocket(world.baseUrl, auth);
    sockets.push(socket);
    return socket;
  }

  /** A session of the case with fresh links for the fisherman and the company's lawyer. */
  async function liveSession(f: AgreementFixture) {
    const session = await ok(await mediator().post(`/api/cases/${f.caseId}/sessions`, { title: '协议共同审阅', scheduledAt: '2026-11-22T03:00:00Z' }), 201);
    const participants = (await ok(await mediator().get(`/api/cases/${f.caseId}/participants`))).items as { id: string; role: string }[];
    const link = async (role: string) =>
      (await ok(await mediator().post(`/api/sessions/${session.id}/invitations`, { participantId: participants.find((p) => p.role === role)!.id }), 201)).link.split('/j/')[1] as string;
    return { sessionId: session.id as string, fishermanToken: await link('party'), agentToken: await link('agent') };
  }

  async function hostIn(sessionId: string) {
    const host = open({ cookie: world.cookies.mediator });
    await connected(host);
    const entered = await host.call('session:enter', { sessionId: sessionId as never });
    if (!entered.ok) throw new Error(`host could not enter: ${JSON.stringify(entered.error)}`);
    return host;
  }

  /** Through device check and identity into the lobby; returns the socket and its peer id. */
  async function toLobby(token: string, identity: { method: 'id_last4'; name: string; last4: string } | { method: 'one_time_code'; code: string }) {
    const socket = open({ invitationToken: token });
    await connected(socket);
    const entered = await socket.call('session:enter', {});
    if (!entered.ok) throw new Error(entered.error.message);
    await socket.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true });
    const confirmed = await socket.call('identity:confirm', identity);
    if (!confirmed.ok) throw new Error(confirmed.error.message);
    const waiting = await socket.call('lobby:wait', {});
    if (!waiting.ok) throw new Error(waiting.error.message);
    return { socket, peerId: entered.data.peerId };
  }

  it('an admitted participant hears of a new version and sees it on reload; one waiting in the lobby and another case’s room hear nothing', async () => {
    const f = await agreementFixture(world);
    const live = await liveSession(f);
    const created = await ok(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f)), 201);
    const host = await hostIn(live.sessionId);
    const fisherman = await toLobby(live.fishermanToken, { method: 'id_last4', name: '陈阿海', last4: '002X' });
    const admitted = fisherman.socket.next('attendance:changed');
    expect(await host.call('host:admit', { peerId: fisherman.peerId })).toEqual({ ok: true, data: {} });
    expect(await admitted).toEqual({ state: 'admitted' });

    // The lawyer waits in the lobby (identity by the code the mediator reads out).
    const lawyer = open({ invitationToken: live.agentToken });
    await connected(lawyer);
    const lawyerEntered = await lawyer.call('session:enter', {});
    const lawyerPeer = lawyerEntered.ok ? lawyerEntered.data.peerId : '';
    await lawyer.call('device-check:report', { rttMs: 40, downKbps: 2000, upKbps: 900, hasCamera: true, hasMicrophone: true });
    const code = await host.call('host:issue-code', { peerId: lawyerPeer });
    await lawyer.call('identity:confirm', { method: 'one_time_code', code: code.ok ? code.data.code : '' });
    expect(await lawyer.call('lobby:wait', {})).toMatchObject({ ok: true });

    // Another case, its own live room with an admitted party.
    const otherCase = await agreementFixture(world);
    const otherLive = await liveSession(otherCase);
    const otherHost = await hostIn(otherLive.sessionId);
    const otherParty = await toLobby(otherLive.fishermanToken, { method: 'id_last4', name: '陈阿海', last4: '002X' });
    await otherHost.call('host:admit', { peerId: otherParty.peerId });

    const heard: string[] = [];
    lawyer.on('agreement:updated', () => heard.push('lawyer in the lobby'));
    otherParty.socket.on('agreement:updated', () => heard.push('another case'));

    const update = fisherman.socket.next('agreement:updated');
    await ok(await mediator().post(`/api/agreements/${created.id}/versions`, collisionDraft(f, { facts: '第二稿：乙方货轮与甲方渔船在南麂列岛海域碰撞。' })));
    expect(await update).toEqual({ agreementId: created.id });
    // Reloading on the event shows the new version.
    const reloaded = await world.app.inject({ method: 'GET', url: `/api/agreements/${created.id}`, headers: invitationHeader(live.fishermanToken) });
    expect(json(reloaded).currentVersion.number).toBe(2);

    const commented = fisherman.socket.next('agreement:updated');
    await ok(await world.app.inject({ method: 'POST', url: `/api/agreements/${created.id}/comments`, payload: { kind: 'comment', text: '同意第二稿。' }, headers: invitationHeader(live.fishermanToken) }));
    expect(await commented).toEqual({ agreementId: created.id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);
  });
});
