/**
 * Who may call which /api route, by role and by case. Every (route, role) pair is its own test.
 *
 * The fixture case belongs to the mediator's center and is filed with the Ningbo court's Wenzhou
 * tribunal, so: the mediator writes it, the Ningbo clerk (parent court) and the Wenzhou judge
 * (tribunal) read it, the other center's mediator and the Xiamen clerk must not learn it exists,
 * and the admin manages accounts, not cases.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createTestWorld, json, login, sampleCase, tableCounts, testPassword, type TestWorld } from '../helpers/test-app';

type Role = 'anonymous' | keyof TestWorld['cookies'];
const roles: Role[] = ['anonymous', 'mediator', 'otherMediator', 'ningboClerk', 'wenzhouJudge', 'xiamenClerk', 'admin'];

/**
 * public: no login needed; staff: any logged-in account; admin: admins only; caseList / caseCreate:
 * the case register; caseRead / caseWrite: routes scoped to one case (or its sessions and invitations).
 */
type Kind = 'public' | 'staff' | 'admin' | 'caseList' | 'caseCreate' | 'caseRead' | 'caseWrite';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Call {
  url: string;
  payload?: unknown;
  /** The same call aimed at ids that do not exist: a refusal must not depend on existence. */
  ghostUrl?: string;
}

interface RouteSpec {
  method: Method;
  path: string;
  kind: Kind;
  /** Status of an allowed call. */
  ok: number;
  /** Builds the call, creating fresh objects (as the mediator) when the call would consume them. */
  call: () => Promise<Call>;
  /** Whether an allowed call appends to the audit trail. */
  audited?: boolean;
  /** Extra checks of an allowed answer. */
  check?: (res: LightMyRequestResponse, role: Role) => void | Promise<void>;
}

let world: TestWorld;
let base: { caseId: string; caseTitle: string; partyId: string; vesselId: string; participantId: string; sessionId: string; invitationId: string; token: string; evidenceId: string };
/** A one-page PDF, uploaded as the fixture evidence and by the upload row. */
let samplePdf: Buffer;
let patchTargetId: string;
let unique = 0;

const mediator = () => api(world.app, world.cookies.mediator);
const ghost = () => randomUUID();

async function expectStatus(res: LightMyRequestResponse, status: number) {
  if (res.statusCode !== status) throw new Error(`fixture call answered ${res.statusCode}: ${res.body}`);
  return json(res);
}

async function freshCase() {
  return expectStatus(await mediator().post('/api/cases', sampleCase), 201);
}
async function freshParticipant(caseId: string, partyId: string) {
  return expectStatus(await mediator().post(`/api/cases/${caseId}/participants`, { role: 'party', displayName: '陈阿海', partyId }), 201);
}
async function freshSession(caseId: string) {
  return expectStatus(await mediator().post(`/api/cases/${caseId}/sessions`, { title: '第一次调解', scheduledAt: '2026-11-25T09:00:00+08:00' }), 201);
}
async function freshInvitation(sessionId: string, participantId: string) {
  return expectStatus(await mediator().post(`/api/sessions/${sessionId}/invitations`, { participantId }), 201);
}
function evidenceForm() {
  const body = new FormData();
  body.append('description', '事故现场照片');
  body.append('file', new Blob([samplePdf as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), '现场.pdf');
  return body;
}
async function freshEvidence(caseId: string) {
  return expectStatus(await world.app.inject({ method: 'POST', url: `/api/cases/${caseId}/evidence`, payload: evidenceForm(), headers: { cookie: world.cookies.mediator } }), 201);
}

const routes: RouteSpec[] = [
  { method: 'GET', path: '/api/health', kind: 'public', ok: 200, call: async () => ({ url: '/api/health' }) },
  {
    method: 'POST',
    path: '/api/auth/login',
    kind: 'public',
    ok: 200,
    call: async () => ({ url: '/api/auth/login', payload: { username: 'mediator', password: testPassword } }),
    check: (res) => expect(json(res).username).toBe('mediator'),
  },
  {
    method: 'POST',
    path: '/api/join/resolve',
    kind: 'public',
    ok: 200,
    audited: true,
    call: async () => ({ url: '/api/join/resolve', payload: { token: base.token } }),
    check: (res) => expect(json(res).participant.id).toBe(base.participantId),
  },
  {
    method: 'GET',
    path: '/api/auth/me',
    kind: 'staff',
    ok: 200,
    call: async () => ({ url: '/api/auth/me' }),
    check: (res, role) => expect(json(res).username).toBe(role.toLowerCase()),
  },
  {
    method: 'GET',
    path: '/api/admin/organisations',
    kind: 'admin',
    ok: 200,
    call: async () => ({ url: '/api/admin/organisations' }),
    check: (res) => expect(json(res).items.length).toBeGreaterThanOrEqual(5),
  },
  {
    method: 'POST',
    path: '/api/admin/organisations',
    kind: 'admin',
    ok: 201,
    audited: true,
    call: async () => ({ url: '/api/admin/organisations', payload: { kind: 'mediation_center', name: `测试调解中心${++unique}`, caseNumberPrefix: '测调' } }),
  },
  { method: 'GET', path: '/api/admin/staff-users', kind: 'admin', ok: 200, call: async () => ({ url: '/api/admin/staff-users' }) },
  {
    method: 'POST',
    path: '/api/admin/staff-users',
    kind: 'admin',
    ok: 201,
    audited: true,
    call: async () => ({
      url: '/api/admin/staff-users',
      payload: { organisationId: world.orgs.center, username: `newmediator${++unique}`, displayName: '新调解员', role: 'mediator', password: testPassword },
    }),
  },
  {
    method: 'PATCH',
    path: '/api/admin/staff-users/:staffUserId',
    kind: 'admin',
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/admin/staff-users/${patchTargetId}`, payload: { displayName: `改名${++unique}` }, ghostUrl: `/api/admin/staff-users/${ghost()}` }),
  },
  {
    method: 'GET',
    path: '/api/admin/audit/verify',
    kind: 'admin',
    ok: 200,
    call: async () => ({ url: '/api/admin/audit/verify' }),
    check: (res) => expect(json(res)).toMatchObject({ ok: true, firstBroken: null }),
  },
  {
    method: 'GET',
    path: '/api/cases',
    kind: 'caseList',
    ok: 200,
    call: async () => ({ url: '/api/cases?pageSize=100' }),
    check: (res, role) => {
      const ids = json(res).items.map((c: { id: string }) => c.id);
      const seesIt = role === 'mediator' || role === 'ningboClerk' || role === 'wenzhouJudge';
      expect(ids.includes(base.caseId)).toBe(seesIt);
      if (!seesIt) expect(res.body).not.toContain(base.caseTitle);
    },
  },
  {
    method: 'POST',
    path: '/api/cases',
    kind: 'caseCreate',
    ok: 201,
    audited: true,
    call: async () => ({ url: '/api/cases', payload: sampleCase }),
    check: (res, role) => expect(json(res).centerId).toBe(role === 'mediator' ? world.orgs.center : world.orgs.otherCenter),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}`, ghostUrl: `/api/cases/${ghost()}` }),
    check: (res) => {
      // Every reader sees the whole case, parties in the order they were registered.
      expect(json(res)).toMatchObject({ id: base.caseId, competentCourt: 'ningbo.wenzhou', partyNames: ['陈阿海', '福鼎远洋运输有限公司'] });
      expect(json(res).parties.map((p: { name: string }) => p.name)).toEqual(['陈阿海', '福鼎远洋运输有限公司']);
    },
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/sessions',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/sessions`, ghostUrl: `/api/cases/${ghost()}/sessions` }),
    check: (res) => expect(json(res).items.map((s: { id: string }) => s.id)).toContain(base.sessionId),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/participants',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/participants`, ghostUrl: `/api/cases/${ghost()}/participants` }),
    check: (res) => expect(json(res).items.map((p: { id: string }) => p.id)).toContain(base.participantId),
  },
  {
    method: 'GET',
    path: '/api/sessions/:sessionId',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/sessions/${base.sessionId}`, ghostUrl: `/api/sessions/${ghost()}` }),
    check: (res) => expect(json(res).id).toBe(base.sessionId),
  },
  {
    method: 'GET',
    path: '/api/sessions/:sessionId/invitations',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/sessions/${base.sessionId}/invitations`, ghostUrl: `/api/sessions/${ghost()}/invitations` }),
    check: (res) => {
      expect(json(res).items.map((i: { id: string }) => i.id)).toContain(base.invitationId);
      expect(res.body).not.toContain(base.token);
    },
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/audit',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/audit`, ghostUrl: `/api/cases/${ghost()}/audit` }),
    check: (res) => expect(json(res).items[0].type).toBe('case.created'),
  },
  {
    method: 'PATCH',
    path: '/api/cases/:caseId',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}`, payload: { title: '标题已修改的案件' }, ghostUrl: `/api/cases/${ghost()}` };
    },
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/transitions',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}/transitions`, payload: { to: 'screening' }, ghostUrl: `/api/cases/${ghost()}/transitions` };
    },
    check: (res) => expect(json(res).status).toBe('screening'),
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/parties',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/parties`, payload: { kind: 'person', name: '新当事人' }, ghostUrl: `/api/cases/${ghost()}/parties` }),
  },
  {
    method: 'PUT',
    path: '/api/cases/:caseId/parties/:partyId',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}/parties/${c.parties[1].id}`, payload: { kind: 'organisation', name: '改名后的公司' }, ghostUrl: `/api/cases/${ghost()}/parties/${ghost()}` };
    },
  },
  {
    method: 'DELETE',
    path: '/api/cases/:caseId/parties/:partyId',
    kind: 'caseWrite',
    ok: 204,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}/parties/${c.parties[1].id}`, ghostUrl: `/api/cases/${ghost()}/parties/${ghost()}` };
    },
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/vessels',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/vessels`, payload: { name: '闽福鼎货0088', mmsi: '413000088' }, ghostUrl: `/api/cases/${ghost()}/vessels` }),
  },
  {
    method: 'PUT',
    path: '/api/cases/:caseId/vessels/:vesselId',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}/vessels/${c.vessels[0].id}`, payload: { name: '浙苍渔01234', mmsi: '412345679' }, ghostUrl: `/api/cases/${ghost()}/vessels/${ghost()}` };
    },
  },
  {
    method: 'DELETE',
    path: '/api/cases/:caseId/vessels/:vesselId',
    kind: 'caseWrite',
    ok: 204,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}/vessels/${c.vessels[0].id}`, ghostUrl: `/api/cases/${ghost()}/vessels/${ghost()}` };
    },
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/participants',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({
      url: `/api/cases/${base.caseId}/participants`,
      payload: { role: 'appraiser', displayName: '海事鉴定人' },
      ghostUrl: `/api/cases/${ghost()}/participants`,
    }),
  },
  {
    method: 'DELETE',
    path: '/api/cases/:caseId/participants/:participantId',
    kind: 'caseWrite',
    ok: 204,
    audited: true,
    call: async () => {
      const p = await freshParticipant(base.caseId, base.partyId);
      return { url: `/api/cases/${base.caseId}/participants/${p.id}`, ghostUrl: `/api/cases/${ghost()}/participants/${ghost()}` };
    },
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/sessions',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({
      url: `/api/cases/${base.caseId}/sessions`,
      payload: { title: '补充调解', scheduledAt: '2026-11-26T09:00:00+08:00' },
      ghostUrl: `/api/cases/${ghost()}/sessions`,
    }),
  },
  {
    method: 'POST',
    path: '/api/sessions/:sessionId/transitions',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const s = await freshSession(base.caseId);
      return { url: `/api/sessions/${s.id}/transitions`, payload: { to: 'lobby' }, ghostUrl: `/api/sessions/${ghost()}/transitions` };
    },
    check: (res) => expect(json(res).status).toBe('lobby'),
  },
  {
    method: 'POST',
    path: '/api/sessions/:sessionId/invitations',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({
      url: `/api/sessions/${base.sessionId}/invitations`,
      payload: { participantId: base.participantId },
      ghostUrl: `/api/sessions/${ghost()}/invitations`,
    }),
  },
  {
    method: 'POST',
    path: '/api/invitations/:invitationId/revoke',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const issued = await freshInvitation(base.sessionId, base.participantId);
      return { url: `/api/invitations/${issued.invitation.id}/revoke`, ghostUrl: `/api/invitations/${ghost()}/revoke` };
    },
    check: (res) => expect(json(res).state).toBe('revoked'),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/evidence',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/evidence`, ghostUrl: `/api/cases/${ghost()}/evidence` }),
    check: (res) => expect(json(res).items.map((e: { id: string }) => e.id)).toContain(base.evidenceId),
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/evidence',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/evidence`, payload: evidenceForm(), ghostUrl: `/api/cases/${ghost()}/evidence` }),
    check: (res) => expect(json(res)).toMatchObject({ caseId: base.caseId, contentType: 'application/pdf', sha256: createHash('sha256').update(samplePdf).digest('hex') }),
  },
  {
    method: 'PATCH',
    path: '/api/evidence/:evidenceId',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => {
      const e = await freshEvidence(base.caseId);
      return { url: `/api/evidence/${e.id}`, payload: { sharedWith: 'mediator' }, ghostUrl: `/api/evidence/${ghost()}` };
    },
    check: (res) => expect(json(res).sharedWith).toBe('mediator'),
  },
  {
    method: 'GET',
    path: '/api/evidence/:evidenceId/content',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/evidence/${base.evidenceId}/content`, ghostUrl: `/api/evidence/${ghost()}/content` }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.rawPayload.equals(samplePdf)).toBe(true);
    },
  },
  {
    method: 'GET',
    path: '/api/evidence/:evidenceId/pages/:page',
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/evidence/${base.evidenceId}/pages/1`, ghostUrl: `/api/evidence/${ghost()}/pages/1` }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.rawPayload.subarray(1, 4).toString('latin1')).toBe('PNG');
    },
  },
];

/** The answer each role must get from a route. */
function expectedStatus(route: RouteSpec, role: Role): number {
  if (route.kind === 'public') return route.ok;
  if (role === 'anonymous') return 401;
  switch (route.kind) {
    case 'staff':
      return route.ok;
    case 'admin':
      return role === 'admin' ? route.ok : 403;
    case 'caseList':
      return role === 'admin' ? 403 : route.ok;
    case 'caseCreate':
      return role === 'mediator' || role === 'otherMediator' ? route.ok : 403;
    case 'caseRead':
      if (role === 'mediator' || role === 'ningboClerk' || role === 'wenzhouJudge') return route.ok;
      return role === 'admin' ? 403 : 404;
    case 'caseWrite':
      if (role === 'mediator') return route.ok;
      // Another center's case looks nonexistent; everyone else is refused by role, before any
      // lookup, so the answer does not depend on the case either.
      return role === 'otherMediator' ? 404 : 403;
  }
}

const errorCodeOf: Record<number, string> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

const matrix = routes.flatMap((route) =>
  roles.map((role) => {
    const status = expectedStatus(route, role);
    return { title: `${route.method} ${route.path} as ${role} → ${status}`, route, role, status };
  }),
);

beforeAll(async () => {
  world = await createTestWorld();
  const doc = await PDFDocument.create();
  doc.addPage().drawText('Haiqiao evidence', { font: await doc.embedFont(StandardFonts.Helvetica), x: 50, y: 700 });
  samplePdf = Buffer.from(await doc.save());
  const c = await freshCase();
  const participant = await freshParticipant(c.id, c.parties[0].id);
  const session = await freshSession(c.id);
  const issued = await freshInvitation(session.id, participant.id);
  base = {
    caseId: c.id,
    caseTitle: c.title,
    partyId: c.parties[0].id,
    vesselId: c.vessels[0].id,
    participantId: participant.id,
    sessionId: session.id,
    invitationId: issued.invitation.id,
    token: issued.link.split('/j/')[1],
    evidenceId: (await freshEvidence(c.id)).id,
  };
  const target = await api(world.app, world.cookies.admin).post('/api/admin/staff-users', {
    organisationId: world.orgs.otherCenter,
    username: 'patchtarget',
    displayName: '待修改账户',
    role: 'mediator',
    password: testPassword,
  });
  patchTargetId = (await expectStatus(target, 201)).id;
});
afterAll(() => world?.close());

describe('route × role matrix', () => {
  it('covers every /api route the app registers', () => {
    const spec = world.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const registered = Object.entries(spec.paths)
      .filter(([path]) => path.startsWith('/api/'))
      .flatMap(([path, methods]) =>
        Object.keys(methods)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      );
    const covered = new Set(routes.map((r) => `${r.method} ${r.path}`));
    covered.add('POST /api/auth/logout'); // tested on its own below: it ends the caller's session
    // A new route fails here until it has a row in the matrix.
    expect(registered.filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !registered.includes(r))).toEqual([]);
  });

  it.each(matrix)('$title', async ({ route, role, status }) => {
    const cookie = role === 'anonymous' ? undefined : world.cookies[role];
    const call = await route.call();
    const before = await tableCounts(world.database);
    const res = await world.app.inject({
      method: route.method,
      url: call.url,
      ...(call.payload === undefined ? {} : { payload: call.payload as object }),
      headers: cookie ? { cookie } : {},
    });
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) {
      expect(json(res).error.code).toBe(errorCodeOf[status]);
      expect(res.body).not.toContain(base.caseTitle);
      if (call.ghostUrl) {
        // The same request on ids that do not exist gets the same answer: no existence oracle.
        const ghostRes = await world.app.inject({
          method: route.method,
          url: call.ghostUrl,
          ...(call.payload === undefined ? {} : { payload: call.payload as object }),
          headers: cookie ? { cookie } : {},
        });
        expect(ghostRes.statusCode).toBe(res.statusCode);
        expect(json(ghostRes).error).toEqual(json(res).error);
      }
      expect(await tableCounts(world.database)).toEqual(before);
    } else {
      await route.check?.(res, role);
      const after = await tableCounts(world.database);
      if (route.audited) expect(after.audit_events!).toBeGreaterThan(before.audit_events!);
      else expect(after).toEqual(before);
    }
  });
});

describe('sessions and cookies', () => {
  it('a deactivated account’s existing session stops working at once', async () => {
    const admin = api(world.app, world.cookies.admin);
    const created = await expectStatus(
      await admin.post('/api/admin/staff-users', { organisationId: world.orgs.center, username: 'leaving', displayName: '将离职', role: 'mediator', password: testPassword }),
      201,
    );
    const cookie = await login(world.app, 'leaving', testPassword);
    expect((await api(world.app, cookie).get('/api/auth/me')).statusCode).toBe(200);
    expect((await api(world.app, cookie).get('/api/cases')).statusCode).toBe(200);

    const deactivated = await admin.patch(`/api/admin/staff-users/${created.id}`, { active: false });
    expect(deactivated.statusCode).toBe(200);
    expect(json(deactivated).active).toBe(false);

    const me = await api(world.app, cookie).get('/api/auth/me');
    expect(me.statusCode).toBe(401);
    expect(json(me).error.code).toBe('UNAUTHENTICATED');
    const before = await tableCounts(world.database);
    expect((await api(world.app, cookie).post('/api/cases', sampleCase)).statusCode).toBe(401);
    expect(await tableCounts(world.database)).toEqual(before);
    // …and it cannot log in again.
    const again = await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'leaving', password: testPassword } });
    expect(again.statusCode).toBe(401);
  });

  it('logout ends the session on the server: replaying the old cookie is 401', async () => {
    const cookie = await login(world.app, 'mediator', testPassword);
    expect((await api(world.app, cookie).get('/api/auth/me')).statusCode).toBe(200);
    const token = cookie.split('=')[1]!;
    const sessionsBefore = await world.database.db.execute(sql`select count(*)::int as n from staff_sessions`);

    const out = await api(world.app, cookie).post('/api/auth/logout');
    expect(out.statusCode).toBe(200);
    const cleared = out.cookies.find((c) => c.name === 'hq_session');
    expect(cleared?.value).toBe('');

    const replay = await world.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `hq_session=${token}` } });
    expect(replay.statusCode).toBe(401);
    expect(json(replay).error.code).toBe('UNAUTHENTICATED');
    const sessionsAfter = await world.database.db.execute(sql`select count(*)::int as n from staff_sessions`);
    expect((sessionsAfter as unknown as { n: number }[])[0]!.n).toBe((sessionsBefore as unknown as { n: number }[])[0]!.n - 1);
    // Other sessions of the same account are untouched.
    expect((await api(world.app, world.cookies.mediator).get('/api/auth/me')).statusCode).toBe(200);
  });

  it('the session cookie is HttpOnly and SameSite, and carries an opaque 256-bit token', async () => {
    const res = await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'wenzhoujudge', password: testPassword } });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'hq_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toMatch(/^(Lax|Strict)$/);
    expect(cookie.path).toBe('/');
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const header = String(res.headers['set-cookie']);
    expect(header).toMatch(/HttpOnly/i);
    expect(header).toMatch(/SameSite=(Lax|Strict)/i);
    // The token itself is not stored, only its hash.
    const stored = await world.database.db.execute(sql`select token_hash from staff_sessions`);
    expect(JSON.stringify(stored)).not.toContain(cookie.value);
  });

  it('a wrong password and an unknown user get the same 401 answer', async () => {
    const wrong = await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'mediator', password: 'not the password at all' } });
    const unknown = await world.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody-here', password: testPassword } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(json(wrong).error.code).toBe('UNAUTHENTICATED');
    expect(json(wrong)).toEqual(json(unknown));
    expect(wrong.cookies.find((c) => c.name === 'hq_session')).toBeUndefined();
  });

  it('a forged or over-long cookie is simply anonymous', async () => {
    for (const value of ['x'.repeat(43), 'A'.repeat(500), '']) {
      const res = await world.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: `hq_session=${value}` } });
      expect(res.statusCode).toBe(401);
    }
  });
});

describe('login rate limit', () => {
  let limited: TestWorld;
  beforeAll(async () => {
    limited = await createTestWorld({ loginRatePerMinute: 3 });
  });
  afterAll(() => limited?.close());

  it('refuses the 4th login attempt within a minute with 429 RATE_LIMITED', async () => {
    const attempt = (password: string) => limited.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'mediator', password } });
    expect((await attempt('wrong password 1')).statusCode).toBe(401);
    expect((await attempt('wrong password 2')).statusCode).toBe(401);
    expect((await attempt(testPassword)).statusCode).toBe(200);
    const fourth = await attempt(testPassword);
    expect(fourth.statusCode).toBe(429);
    expect(json(fourth).error.code).toBe('RATE_LIMITED');
    expect(fourth.cookies.find((c) => c.name === 'hq_session')).toBeUndefined();
    // Other routes are not limited by it.
    expect((await api(limited.app, limited.cookies.mediator).get('/api/auth/me')).statusCode).toBe(200);
  });

  // Known issue (see report): server/app.ts sets `trustProxy: true`, so the address the limit is
  // keyed on is the left-most X-Forwarded-For entry, which the client writes. Each attempt can
  // claim a new address. When trustProxy is narrowed to the real proxy, this test starts passing.
  it('a client cannot get around the limit by sending a different X-Forwarded-For each time', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const res = await limited.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': `203.0.113.${i}` },
        payload: { username: 'mediator', password: `guess ${i}` },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toContain(429);
  });
});
