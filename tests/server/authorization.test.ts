/**
 * Who may call which /api route, by role and by case. Every (route, role) pair is its own test.
 *
 * The fixture case belongs to the mediator's center and names the Ningbo court's Wenzhou tribunal,
 * but nothing has been filed yet, so: the mediator writes it; the court does not see it (issue 11
 * point 7), except a Xiamen judge the mediator invited to one of its sessions, who reads the case,
 * its sessions and the evidence shared with everyone, not the drafts nor the audit trail. Cases
 * with an application filed with the tribunal (`filed` rows) are read by court staff of the
 * tribunal (the Wenzhou judge and clerk) and of its parent court (the Ningbo clerk and judge), who
 * act on the application (clerks accept, judges rule); the other center's mediator and the
 * Xiamen court must not learn they exist; the admin manages accounts, not cases. The center's
 * head is a mediator of the center assigned to none of the fixture cases: like any colleague of
 * the assigned mediator, the head reads every case of the center (403 where only the assigned
 * mediators may act, after the lookup, since the head may read the case) and alone assigns.
 *
 * Routes that also accept an invitation (`Authorization: Invitation <token>`) are checked for
 * participants too: the party of the case, the lawyer acting for the other party, the appraiser,
 * an observer, a party of another case and a revoked invitation. A participant is refused by
 * role before any lookup (403, whatever the id); a party of another case finds nothing (404)
 * wherever a party may act; a revoked invitation is no credential at all (401).
 */
import { notifications, recordings } from '../../server/db/schema/index.ts';
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedP12 } from '../../server/documents/platform-certificate.ts';
import { createStaffUser } from '../../server/modules/admin/admin.service.ts';
import type { OrganisationId } from '../../shared/ids.ts';
import {
  agreementFixture,
  collisionDraft,
  invitationHeader,
  nextSignerIp,
  sealedAgreement,
  signAs,
  signaturePngBase64,
  type AgreementFixture,
} from '../helpers/agreement-fixture.ts';
import { consentAudio, sha256Of, uploadConsent } from '../helpers/consent-audio.ts';
import { api, createTestWorld, dataTables, json, login, sampleCase, tableCounts, testPassword, type TestWorld, worldState } from '../helpers/test-app.ts';

/** Court staff beyond the test world's accounts: the tribunal's clerk, the parent court's judge, a judge of the wrong court. */
const extraStaff = { wenzhouClerk: 'clerk', ningboJudge: 'judge', xiamenJudge: 'judge', invitedJudge: 'judge', head: 'mediator' } as const;
type StaffRole = 'anonymous' | keyof TestWorld['cookies'] | keyof typeof extraStaff | 'lawyer';
const staffRoles: StaffRole[] = ['anonymous', 'mediator', 'head', 'otherMediator', 'ningboClerk', 'wenzhouClerk', 'wenzhouJudge', 'ningboJudge', 'xiamenClerk', 'xiamenJudge', 'invitedJudge', 'admin', 'lawyer'];
/** Mediators of the fixture cases' center: the assigned one and the head (who reads them all). */
const ofTheCenter = (role: Role) => role === 'mediator' || role === 'head';
/** Court staff whose jurisdiction covers the fixture cases (the tribunal and its parent court): they read the filed ones. */
const courtOfTheCase: Role[] = ['ningboClerk', 'wenzhouClerk', 'wenzhouJudge', 'ningboJudge'];

/** What a participant of the case does there; the matrix also tries a party of another case and a revoked link. */
type Acting = 'party' | 'agent' | 'appraiser' | 'observer';
type ParticipantRole = Acting | 'otherCaseParty' | 'revokedInvitation';
const participantRoles: ParticipantRole[] = ['party', 'agent', 'appraiser', 'observer', 'otherCaseParty', 'revokedInvitation'];
type Role = StaffRole | ParticipantRole;
const isParticipant = (role: Role): role is ParticipantRole => (participantRoles as string[]).includes(role);

/**
 * public: no login needed; staff: any logged-in account; admin: admins only; caseList / caseCreate:
 * the case register; caseRead / caseWrite: routes scoped to one case (or its sessions, invitations,
 * agreements, obligations, documents and confirmation applications); participantOnly: a participant
 * acts for themselves (signing), staff never; appraiserOnly: the appointed appraiser; courtQueue:
 * any court's clerks and judges, each for their own court; clerkAction / judgeAction: the clerk /
 * judge of the competent court or its parent court; mediatorDesk: any mediator, for their center;
 * sessionInvite: invitations to a mediation session, the mediator's own (court staff who read the
 * case are refused by the session's kind, after the lookup); hearingInvite: invitations to the
 * court's confirmation hearing, by the court staff who read the case or by the center's mediator;
 * dashboard: center admins, the center's head and court staff, each for their own organisation's subtree;
 * outbox: a center's mediators and admins, for their own center's messages; outboxAction: the
 * same on one message (another center's does not exist for them); headAction: the center's head
 * (assigning a case's mediators); profileEdit: a mediator's own profile, or any of the center's by
 * its admin; centerPhoto: a mediator's photo, for the staff of that center; transferReceiver: the
 * mediators of the center a case was sent to (here the other center) accept or return it; the
 * sending center finds no such request (404), everyone else is refused by role.
 * Legal help (the lawyer is a staff account of the center, attached to its linked law firm):
 * legalAdmin: the center's admin records firms, lawyers and the duty roster; centerStaff: the
 * center's mediators, admins and lawyers read them (court staff are refused); legalDirectory: the
 * same, and parties (of any case of the center) choosing a lawyer or a slot; lawyerOnly: a lawyer
 * for themselves (slots, the case summary of their consultation); consultationList: lawyers,
 * mediators and parties, each their own; consultationRequest: a party by link, the mediator for
 * their case; consultationMove: the lawyer answers, the party or the mediator cancels.
 */
type Kind =
  | 'public'
  | 'staff'
  | 'admin'
  | 'caseList'
  | 'caseCreate'
  | 'caseRead'
  | 'caseWrite'
  | 'participantOnly'
  | 'appraiserOnly'
  | 'courtQueue'
  | 'clerkAction'
  | 'judgeAction'
  | 'mediatorDesk'
  | 'sessionInvite'
  | 'hearingInvite'
  | 'dashboard'
  | 'outbox'
  | 'transferReceiver'
  | 'outboxAction'
  | 'headAction'
  | 'profileEdit'
  | 'centerPhoto'

  | 'legalAdmin'
  | 'centerStaff'
  | 'legalDirectory'
  | 'lawyerOnly'
  | 'consultationList'
  | 'consultationRequest'
  | 'consultationMove';
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The invitation tokens of one case's participants. */
interface People {
  party: string;
  agent: string;
  appraiser: string;
  observer: string;
  revokedInvitation: string;
}

interface Call {
  url: string;
  payload?: unknown;
  headers?: Record<string, string>;
  /** The same call aimed at ids that do not exist: a refusal must not depend on existence. */
  ghostUrl?: string;
  /** Participants of the case the call is about (default: the fixture case's). */
  people?: People;
}

interface RouteSpec {
  method: Method;
  path: string;
  /** Tells apart rows of the same route on different objects (e.g. a hearing's session). */
  variant?: string;
  kind: Kind;
  /** Status of an allowed call. */
  ok: number;
  /**
   * Builds the call, creating fresh objects (as the mediator) when an allowed call would consume
   * them; a refused call may reuse a shared object in the same state, since it must change nothing.
   */
  call: (c: { role: Role; allowed: boolean }) => Promise<Call>;
  /** Whether an allowed call appends to the audit trail. */
  audited?: boolean;
  /** The call is about a case with an application filed with the tribunal: its court reads it. */
  filed?: true;
  /** Drafts, documents and the audit trail of the unfiled fixture case: hidden from the invited judge too. */
  hiddenFromInvited?: true;
  /** Extra checks of an allowed answer. */
  check?: (res: LightMyRequestResponse, role: Role) => void | Promise<void>;
  /**
   * For routes that accept an invitation: the participant roles allowed (others of the case get
   * 403). Routes without it take no invitation: a participant gets 401.
   */
  participants?: Acting[];
}

let world: TestWorld;
let cookies: Record<Exclude<StaffRole, 'anonymous'>, string>;
/** Legal help: the center's firm, its lawyer (logged in as `lawyer`, on duty all week) and a slot. */
let legal: { firmId: string; lawyerId: string; slotId: string };
let f: AgreementFixture;
let other: AgreementFixture;
let base: { caseId: string; caseTitle: string; partyId: string; vesselId: string; participantId: string; sessionId: string; invitationId: string; token: string; evidenceId: string; recordingId: string };
let basePeople: People;
/** A one-page PDF, uploaded as the fixture evidence and by the upload row. */
let samplePdf: Buffer;
let patchTargetId: string;
let unique = 0;
/** On the fixture case: two versions, out for signature, signed by the fisherman (not yet by the company). */
let shared: { agreementId: string; signatureId: string };
/** A sealed agreement (another case) with one instalment overdue, filed with the court. */
let sealed: { f: AgreementFixture; people: People; agreementId: string; documentId: string; pdf: Buffer; confirmationId: string };
/** Unfulfilled instalments of a sealed agreement with many, one per fulfil call. */
let instalments: string[];
/** The court's confirmation hearing on a case of the same court (a sealed agreement under review), its party and a link the mediator gave them. */
let hearing: { sessionId: string; participantId: string; invitationId: string };

const mediator = () => api(world.app, world.cookies.mediator);
const ghost = () => randomUUID();

async function expectStatus(res: LightMyRequestResponse, status: number) {
  if (res.statusCode !== status) throw new Error(`fixture call answered ${res.statusCode}: ${res.body}`);
  return json(res);
}

async function freshCase() {
  return expectStatus(await mediator().post('/api/cases', sampleCase), 201);
}
/** A fresh case handed over from the mediator's center to the other center, waiting there. */
async function freshTransfer() {
  const c = await freshCase();
  return expectStatus(await mediator().post(`/api/cases/${c.id}/transfers`, { kind: 'hand_over', toOrganisationId: world.orgs.otherCenter, note: '移交另一中心' }), 201);
}
/** One pending transfer that refused calls aim at (they must leave it pending). */
let pendingTransfer: { id: string } | undefined;
const sharedTransfer = async () => (pendingTransfer ??= await freshTransfer());
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
function appraisalForm() {
  const body = new FormData();
  body.append('consent', 'true');
  body.append('signaturePng', signaturePngBase64(5));
  body.append('file', new Blob([samplePdf as Uint8Array<ArrayBuffer>], { type: 'application/pdf' }), '鉴定意见书.pdf');
  return body;
}

/** Adds an appraiser and an observer to the case, and a party link that is then revoked. */
async function peopleOf(c: AgreementFixture): Promise<People> {
  const session = await freshSession(c.caseId);
  const tokenOf = async (participantId: string) => (await freshInvitation(session.id, participantId)).link.split('/j/')[1] as string;
  const appraiser = await expectStatus(await mediator().post(`/api/cases/${c.caseId}/participants`, { role: 'appraiser', displayName: '海事鉴定人' }), 201);
  const observer = await expectStatus(await mediator().post(`/api/cases/${c.caseId}/participants`, { role: 'observer', displayName: '旁听的村委会干部' }), 201);
  const party = (await expectStatus(await mediator().get(`/api/cases/${c.caseId}/participants`), 200)).items.find((p: { role: string }) => p.role === 'party');
  const revoked = await freshInvitation(session.id, party.id);
  await expectStatus(await mediator().post(`/api/invitations/${revoked.invitation.id}/revoke`), 200);
  return { party: c.fishermanToken, agent: c.agentToken, appraiser: await tokenOf(appraiser.id), observer: await tokenOf(observer.id), revokedInvitation: revoked.link.split('/j/')[1] };
}

// ---- agreements and applications, fresh or shared ----------------------------------------

async function draftAgreement(overrides: Record<string, unknown> = {}): Promise<string> {
  return (await expectStatus(await mediator().post(`/api/cases/${f.caseId}/agreements`, collisionDraft(f, overrides)), 201)).id;
}
async function currentVersion(agreementId: string): Promise<{ id: string; sha256: string }> {
  return (await expectStatus(await mediator().get(`/api/agreements/${agreementId}`), 200)).currentVersion;
}
async function agreementInSigning() {
  const id = await draftAgreement();
  await expectStatus(await mediator().post(`/api/agreements/${id}/transitions`, { to: 'signing' }), 200);
  return { id, version: await currentVersion(id) };
}
let sharedSigning: Promise<{ id: string; version: { id: string; sha256: string } }> | undefined;
/** A fresh agreement out for signature when the call will consume it, a shared one otherwise. */
function signingFor(allowed: boolean) {
  if (allowed) return agreementInSigning();
  sharedSigning ??= agreementInSigning();
  return sharedSigning;
}

async function filedConfirmation() {
  const { agreement } = await sealedAgreement(world);
  return (await expectStatus(await mediator().post(`/api/agreements/${agreement.id}/confirmation`, {}), 201)).id as string;
}
async function acceptedConfirmation() {
  const id = await filedConfirmation();
  await expectStatus(await api(world.app, world.cookies.ningboClerk).post(`/api/confirmations/${id}/accept`), 200);
  return id;
}
async function confirmationUnderReview() {
  const id = await acceptedConfirmation();
  await expectStatus(await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${id}/review`), 200);
  return id;
}
const memo = <T>(make: () => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => (value ??= make());
};
const sharedAccepted = memo(acceptedConfirmation);
const sharedUnderReview = memo(confirmationUnderReview);
// ---- consultations, fresh or shared ------------------------------------------------------

async function calledInConsultation(): Promise<string> {
  return (await expectStatus(await mediator().post('/api/consultations', { kind: 'called_in', caseId: f.caseId, lawyerId: legal.lawyerId }), 201)).id;
}
async function partyConsultation(): Promise<string> {
  const res = await world.app.inject({ method: 'POST', url: '/api/consultations', payload: { kind: 'on_duty' }, headers: invitationHeader(basePeople.party), remoteAddress: nextSignerIp() });
  return (await expectStatus(res, 201)).id;
}
async function acceptedConsultation(): Promise<string> {
  const id = await calledInConsultation();
  await expectStatus(await api(world.app, cookies.lawyer).post(`/api/consultations/${id}/transitions`, { to: 'accepted' }), 200);
  return id;
}

/** A shift of the fixture lawyer, one day each, far from the test clock (nothing depends on it). */
async function freshShift(): Promise<string> {
  const day = Date.parse('2027-01-01T00:00:00Z') + ++unique * 86_400_000;
  const shift = await api(world.app, world.cookies.admin).post('/api/legal/duty', { lawyerId: legal.lawyerId, startsAt: new Date(day).toISOString(), endsAt: new Date(day + 3_600_000).toISOString() });
  return (await expectStatus(shift, 201)).id;
}
const sharedShift = memo(freshShift);
const sharedSealed = memo(async () => (await sealedAgreement(world)).agreement.id as string);
const sharedPartyConsultation = memo(partyConsultation);

/** The center's head: a mediator of the fixture cases' center, assigned to none of them. */
let headId: string;
/** A real 1×1 PNG: the mediator's photo. */
const samplePng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
/** An SMS of the fixture case whose retries ran out (written as the delivery job leaves it). */
async function failedNotification() {
  const [row] = await world.database.db
    .insert(notifications)
    .values({
      caseId: base.caseId,
      participantId: base.participantId,
      kind: 'invitation',
      recipient: '13900000000',
      bodyCiphertext: world.app.ctx.cipher.encrypt('【海桥云调解】邀请链接'),
      dedupeKey: `failed:${++unique}`,
      sendAfter: world.clock.now,
      status: 'failed',
      attempts: 9,
      lastError: 'gateway unavailable (503)',
    })
    .returning();
  return row!.id;
}
const sharedFailed = memo(failedNotification);

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
  {
    method: 'GET',
    path: '/api/admin/organisations/:organisationId/seals',
    kind: 'admin',
    ok: 200,
    call: async () => ({ url: `/api/admin/organisations/${world.orgs.xiamen}/seals`, ghostUrl: `/api/admin/organisations/${ghost()}/seals` }),
    check: (res) => expect(Array.isArray(json(res).items)).toBe(true),
  },
  {
    method: 'POST',
    path: '/api/admin/organisations/:organisationId/seals',
    kind: 'admin',
    ok: 201,
    audited: true,
    call: async () => {
      const passphrase = `p${++unique}`;
      const p12Base64 = createSelfSignedP12(passphrase, { commonName: `厦门海事法院 ${unique}`, organization: '厦门海事法院' }, new Date()).toString('base64');
      return { url: `/api/admin/organisations/${world.orgs.xiamen}/seals`, payload: { p12Base64, passphrase }, ghostUrl: `/api/admin/organisations/${ghost()}/seals` };
    },
    check: (res) => expect(json(res)).toMatchObject({ source: 'uploaded', test: false, active: true }),
  },
  {
    method: 'GET',
    path: '/api/admin/organisations/:organisationId/recording-retention',
    kind: 'admin',
    ok: 200,
    call: async () => ({ url: `/api/admin/organisations/${world.orgs.center}/recording-retention`, ghostUrl: `/api/admin/organisations/${ghost()}/recording-retention` }),
  },
  {
    method: 'PUT',
    path: '/api/admin/organisations/:organisationId/recording-retention',
    kind: 'admin',
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/admin/organisations/${world.orgs.otherCenter}/recording-retention`, payload: { days: 1000 + ++unique }, ghostUrl: `/api/admin/organisations/${ghost()}/recording-retention` }),
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
    path: '/api/compensation/figures',
    kind: 'staff',
    ok: 200,
    call: async () => ({ url: '/api/compensation/figures' }),
    check: (res) => expect(json(res).items.filter((f: { province: string }) => f.province === 'zhejiang').length).toBeGreaterThanOrEqual(2),
  },
  {
    method: 'GET',
    path: '/api/notifications',
    kind: 'outbox',
    ok: 200,
    call: async () => ({ url: '/api/notifications' }),
    check: (res) => expect(Array.isArray(json(res).items)).toBe(true),
  },
  {
    method: 'PUT',
    path: '/api/admin/organisations/:organisationId/placement',
    kind: 'admin',
    ok: 200,
    audited: true,
    call: async () => {
      const org = await expectStatus(await api(world.app, world.cookies.admin).post('/api/admin/organisations', { kind: 'mediation_center', name: `测试村调解室${++unique}`, caseNumberPrefix: '村调' }), 201);
      return { url: `/api/admin/organisations/${org.id}/placement`, payload: { parentId: world.orgs.otherCenter, level: null }, ghostUrl: `/api/admin/organisations/${ghost()}/placement` };
    },
    check: (res) => expect(json(res).parentId).toBe(world.orgs.otherCenter),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/transfers',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/transfers`, ghostUrl: `/api/cases/${ghost()}/transfers` }),
    check: (res) => expect(json(res).holders[0].id).toBe(world.orgs.center),
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/transfers',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => {
      const c = await freshCase();
      return { url: `/api/cases/${c.id}/transfers`, payload: { kind: 'hand_over', toOrganisationId: world.orgs.otherCenter, note: '移交另一中心' }, ghostUrl: `/api/cases/${ghost()}/transfers` };
    },
    check: (res) => expect(json(res).status).toBe('requested'),
  },
  { method: 'GET', path: '/api/transfers/incoming', kind: 'mediatorDesk', ok: 200, call: async () => ({ url: '/api/transfers/incoming' }) },
  {
    method: 'POST',
    path: '/api/transfers/:transferId/accept',
    kind: 'transferReceiver',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const t = allowed ? await freshTransfer() : await sharedTransfer();
      return { url: `/api/transfers/${t.id}/accept`, ghostUrl: `/api/transfers/${ghost()}/accept` };
    },
    check: (res) => expect(json(res).status).toBe('accepted'),
  },
  {
    method: 'POST',
    path: '/api/transfers/:transferId/return',
    kind: 'transferReceiver',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const t = allowed ? await freshTransfer() : await sharedTransfer();
      return { url: `/api/transfers/${t.id}/return`, payload: { reason: '不属本中心管辖' }, ghostUrl: `/api/transfers/${ghost()}/return` };
    },
    check: (res) => expect(json(res).status).toBe('returned'),
  },
  {
    method: 'GET',
    path: '/api/dashboard',
    kind: 'dashboard',
    ok: 200,
    call: async () => ({ url: '/api/dashboard?from=2026-11-01&to=2026-11-22' }),
    check: (res) => expect(json(res).period).toEqual({ from: '2026-11-01', to: '2026-11-22' }),
  },
  {
    method: 'GET',
    path: '/api/dashboard/export.csv',
    kind: 'dashboard',
    ok: 200,
    call: async () => ({ url: '/api/dashboard/export.csv' }),
    check: (res) => expect(res.body.startsWith('\uFEFFfigure,key,value\r\n')).toBe(true),
  },
  {
    method: 'POST',
    path: '/api/admin/compensation/figures',
    kind: 'admin',
    ok: 201,
    audited: true,
    call: async () => ({
      url: '/api/admin/compensation/figures',
      payload: {
        province: 'fujian',
        year: 2024,
        urbanDisposableIncomeFen: 6_000_000,
        urbanDisposableIncomeSource: '福建省2024年国民经济和社会发展统计公报',
        urbanConsumptionFen: 3_800_000,
        urbanConsumptionSource: '福建省2024年国民经济和社会发展统计公报',
        averageWageFen: 11_000_000,
        averageWageSource: '福建省统计局 2024年城镇非私营单位就业人员年平均工资',
      },
    }),
    check: (res) => expect(json(res)).toMatchObject({ province: 'fujian', year: 2024, current: true }),
  },
  {
    method: 'GET',
    path: '/api/cases',
    kind: 'caseList',
    ok: 200,
    call: async () => ({ url: '/api/cases?pageSize=100' }),
    check: (res, role) => {
      const ids = json(res).items.map((c: { id: string }) => c.id);
      const seesIt = ofTheCenter(role) || role === 'invitedJudge';
      expect(ids.includes(base.caseId)).toBe(seesIt);
      // (The filed fixture cases share its title: only callers who see none of them can be checked by title.)
      if (!seesIt && !courtOfTheCase.includes(role)) expect(res.body).not.toContain(base.caseTitle);
      if (!seesIt) expect(res.body).not.toContain(base.caseId);
      // A case appears on the court's list once an application is filed with it.
      expect(ids.includes(sealed.f.caseId)).toBe(ofTheCenter(role) || courtOfTheCase.includes(role));
      // A mediator's own cases come first; the head and court staff have none.
      const mine = json(res).items.map((c: { mine: boolean }) => c.mine);
      expect(mine).toEqual([...mine].sort((a: boolean, b: boolean) => Number(b) - Number(a)));
      if (role !== 'otherMediator') expect(mine.includes(true)).toBe(role === 'mediator');
    },
  },
  {
    method: 'POST',
    path: '/api/cases',
    kind: 'caseCreate',
    ok: 201,
    audited: true,
    call: async () => ({ url: '/api/cases', payload: sampleCase }),
    check: (res, role) => expect(json(res).centerId).toBe(ofTheCenter(role) ? world.orgs.center : world.orgs.otherCenter),
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
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/audit`, ghostUrl: `/api/cases/${ghost()}/audit` }),
    check: (res) => expect(json(res).items[0].type).toBe('case.created'),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/audit/export/manifest.json',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/audit/export/manifest.json`, ghostUrl: `/api/cases/${ghost()}/audit/export/manifest.json` }),
    check: (res) => expect(json(res)).toMatchObject({ format: 'haiqiao-audit-export/1', caseId: base.caseId }),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/recordings',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/recordings`, ghostUrl: `/api/cases/${ghost()}/recordings` }),
    check: (res) => expect(json(res).items.map((r: { id: string }) => r.id)).toEqual([base.recordingId]),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/recordings/:recordingId/package',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/recordings/${base.recordingId}/package`, ghostUrl: `/api/cases/${base.caseId}/recordings/${ghost()}/package` }),
    check: (res) => expect(res.headers['content-type']).toBe('application/x-tar'),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/recordings/:recordingId/playback',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    audited: true,
    call: async () => {
      const range = '?from=2026-11-22T02:00:00.000Z&to=2026-11-22T02:00:02.000Z';
      return { url: `/api/cases/${base.caseId}/recordings/${base.recordingId}/playback${range}`, ghostUrl: `/api/cases/${base.caseId}/recordings/${ghost()}/playback${range}` };
    },
    check: (res) => expect(res.headers['content-type']).toBe('audio/webm'),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/recording-deletions',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/recording-deletions`, ghostUrl: `/api/cases/${ghost()}/recording-deletions` }),
    check: (res) => expect(Array.isArray(json(res).items)).toBe(true),
  },
  {
    method: 'DELETE',
    path: '/api/cases/:caseId/recordings/:recordingId',
    kind: 'caseWrite',
    ok: 204,
    audited: true,
    call: async ({ allowed }) => {
      // An allowed call deletes: a fresh stopped recording of the fixture's session each time.
      const recordingId = allowed
        ? (await world.database.db.insert(recordings).values({ sessionId: base.sessionId, caseId: base.caseId, state: 'stopped', startedAt: new Date(), stoppedAt: new Date(), updatedAt: new Date() }).returning())[0]!.id
        : base.recordingId;
      return { url: `/api/cases/${base.caseId}/recordings/${recordingId}`, payload: { reason: '测试删除录像' }, ghostUrl: `/api/cases/${ghost()}/recordings/${ghost()}` };
    },
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/audit/export/events.jsonl',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/audit/export/events.jsonl`, ghostUrl: `/api/cases/${ghost()}/audit/export/events.jsonl` }),
    check: (res) => expect(JSON.parse(res.body.split('\n')[0]!).type).toBe('case.created'),
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
    kind: 'sessionInvite',
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
    kind: 'sessionInvite',
    ok: 200,
    audited: true,
    call: async () => {
      const issued = await freshInvitation(base.sessionId, base.participantId);
      return { url: `/api/invitations/${issued.invitation.id}/revoke`, ghostUrl: `/api/invitations/${ghost()}/revoke` };
    },
    check: (res) => expect(json(res).state).toBe('revoked'),
  },
  // The same invitation routes on the court's confirmation hearing.
  {
    method: 'GET',
    path: '/api/sessions/:sessionId/invitations',
    variant: 'hearing',
    kind: 'caseRead',
    filed: true,
    ok: 200,
    call: async () => ({ url: `/api/sessions/${hearing.sessionId}/invitations`, ghostUrl: `/api/sessions/${ghost()}/invitations` }),
    check: (res) => expect(json(res).items.map((i: { id: string; sessionId: string }) => [i.id, i.sessionId])).toContainEqual([hearing.invitationId, hearing.sessionId]),
  },
  {
    method: 'POST',
    path: '/api/sessions/:sessionId/invitations',
    variant: 'hearing',
    kind: 'hearingInvite',
    ok: 201,
    audited: true,
    call: async () => ({
      url: `/api/sessions/${hearing.sessionId}/invitations`,
      payload: { participantId: hearing.participantId },
      ghostUrl: `/api/sessions/${ghost()}/invitations`,
    }),
    check: (res) => {
      expect(json(res).invitation).toMatchObject({ sessionId: hearing.sessionId, participantId: hearing.participantId, state: 'active' });
      expect(json(res).smsText).toContain('在线询问');
    },
  },
  {
    method: 'POST',
    path: '/api/invitations/:invitationId/revoke',
    variant: 'hearing',
    kind: 'hearingInvite',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const id = allowed ? (await freshInvitation(hearing.sessionId, hearing.participantId)).invitation.id : hearing.invitationId;
      return { url: `/api/invitations/${id}/revoke`, ghostUrl: `/api/invitations/${ghost()}/revoke` };
    },
    check: (res) => expect(json(res)).toMatchObject({ sessionId: hearing.sessionId, state: 'revoked' }),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/evidence',
    participants: ['party', 'agent', 'appraiser', 'observer'],
    kind: 'caseRead',
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/evidence`, ghostUrl: `/api/cases/${ghost()}/evidence` }),
    check: (res) => expect(json(res).items.map((e: { id: string }) => e.id)).toContain(base.evidenceId),
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/evidence',
    participants: ['party', 'agent', 'appraiser'],
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/evidence`, payload: evidenceForm(), ghostUrl: `/api/cases/${ghost()}/evidence` }),
    check: (res) => expect(json(res)).toMatchObject({ caseId: base.caseId, contentType: 'application/pdf', sha256: createHash('sha256').update(samplePdf).digest('hex') }),
  },
  {
    method: 'PATCH',
    path: '/api/evidence/:evidenceId',
    participants: [],
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
    participants: ['party', 'agent', 'appraiser', 'observer'],
    kind: 'caseRead',
    ok: 200,
    audited: true, // custody: every view is recorded
    call: async () => ({ url: `/api/evidence/${base.evidenceId}/content`, ghostUrl: `/api/evidence/${ghost()}/content` }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.rawPayload.equals(samplePdf)).toBe(true);
    },
  },
  {
    method: 'GET',
    path: '/api/evidence/:evidenceId/pages/:page',
    participants: ['party', 'agent', 'appraiser', 'observer'],
    kind: 'caseRead',
    ok: 200,
    audited: true, // custody: every view is recorded
    call: async () => ({ url: `/api/evidence/${base.evidenceId}/pages/1`, ghostUrl: `/api/evidence/${ghost()}/pages/1` }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.rawPayload.subarray(1, 4).toString('latin1')).toBe('PNG');
    },
  },
  {
    method: 'GET',
    path: '/api/evidence/:evidenceId/custody',
    participants: [],
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/evidence/${base.evidenceId}/custody`, ghostUrl: `/api/evidence/${ghost()}/custody` }),
    check: (res) => expect(json(res).items[0]).toMatchObject({ type: 'evidence.uploaded' }),
  },
  // ---- appraisal (云鉴定) -------------------------------------------------------------------
  {
    method: 'POST',
    path: '/api/cases/:caseId/appraisals',
    kind: 'appraiserOnly',
    participants: ['appraiser'],
    ok: 201,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/appraisals`, payload: appraisalForm(), ghostUrl: `/api/cases/${ghost()}/appraisals` }),
    check: async (res) => {
      const view = json(res);
      expect(view).toMatchObject({ caseId: base.caseId, kind: 'appraisal_report', sharedWith: 'all', sha256: createHash('sha256').update(samplePdf).digest('hex') });
      const statements = await world.database.db.execute(sql`select signature_sha256 from appraisal_statements where evidence_id = ${view.id}`);
      expect(JSON.stringify(statements)).toContain(createHash('sha256').update(Buffer.from(signaturePngBase64(5), 'base64')).digest('hex'));
    },
  },
  // ---- agreements: drafting and co-review ------------------------------------------------
  {
    method: 'POST',
    path: '/api/cases/:caseId/agreements/preview',
    kind: 'caseWrite',
    participants: [],
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/agreements/preview`, payload: collisionDraft(f), ghostUrl: `/api/cases/${ghost()}/agreements/preview` }),
    check: (res) => {
      expect(json(res).sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(json(res).text).toContain('人民币捌拾陆万元整');
    },
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/agreements',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async () => ({ url: `/api/cases/${base.caseId}/agreements`, payload: collisionDraft(f), ghostUrl: `/api/cases/${ghost()}/agreements` }),
    check: (res) => expect(json(res)).toMatchObject({ caseId: base.caseId, status: 'drafting', currentVersion: { number: 1 } }),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/agreements',
    kind: 'caseRead',
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/agreements`, ghostUrl: `/api/cases/${ghost()}/agreements` }),
    // A court only invited to a session is shown no drafts.
    check: (res, role) => expect(json(res).items.map((a: { id: string }) => a.id).includes(shared.agreementId)).toBe(role !== 'invitedJudge'),
  },
  {
    method: 'GET',
    path: '/api/agreements/:agreementId',
    kind: 'caseRead',
    hiddenFromInvited: true,
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/agreements/${shared.agreementId}`, ghostUrl: `/api/agreements/${ghost()}` }),
    check: (res) => expect(json(res)).toMatchObject({ id: shared.agreementId, caseId: base.caseId, status: 'signing', currentVersion: { number: 2 } }),
  },
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/versions',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const id = allowed ? await draftAgreement() : (await signingFor(false)).id;
      return { url: `/api/agreements/${id}/versions`, payload: collisionDraft(f, { facts: `修订后的事实陈述第${++unique}稿：乙方货轮与甲方渔船在南麂列岛海域碰撞。` }), ghostUrl: `/api/agreements/${ghost()}/versions` };
    },
    check: (res) => expect(json(res).currentVersion.number).toBe(2),
  },
  {
    method: 'GET',
    path: '/api/agreements/:agreementId/diff',
    kind: 'caseRead',
    hiddenFromInvited: true,
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/agreements/${shared.agreementId}/diff?from=1&to=2`, ghostUrl: `/api/agreements/${ghost()}/diff?from=1&to=2` }),
    check: (res) => {
      const changes: { kind: string; text: string }[] = json(res).changes;
      expect(changes.filter((c) => c.kind === 'added').map((c) => c.text).join('')).toContain('第二稿');
    },
  },
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/comments',
    kind: 'caseWrite',
    participants: ['party', 'agent'],
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/agreements/${shared.agreementId}/comments`, payload: { kind: 'change_request', text: '第二期付款时间请提前一个月。' }, ghostUrl: `/api/agreements/${ghost()}/comments` }),
    check: (res) => expect(json(res).comments.at(-1)).toMatchObject({ kind: 'change_request', text: '第二期付款时间请提前一个月。', versionNumber: 2 }),
  },
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/transitions',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({ url: `/api/agreements/${allowed ? await draftAgreement() : shared.agreementId}/transitions`, payload: { to: 'signing' }, ghostUrl: `/api/agreements/${ghost()}/transitions` }),
    check: (res) => expect(json(res).status).toBe('signing'),
  },
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/signing-codes',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/agreements/${shared.agreementId}/signing-codes`, payload: { participantId: f.agentParticipantId }, ghostUrl: `/api/agreements/${ghost()}/signing-codes` }),
    check: (res) => expect(json(res).code).toMatch(/^\d{6}$/),
  },
  // ---- e-signatures: participants sign for themselves -------------------------------------
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/sign',
    kind: 'participantOnly',
    participants: ['party', 'agent'],
    ok: 200,
    audited: true,
    call: async ({ role, allowed }) => {
      const { id, version } = await signingFor(allowed);
      const identity =
        role === 'agent'
          ? { method: 'one_time_code', code: (await expectStatus(await mediator().post(`/api/agreements/${id}/signing-codes`, { participantId: f.agentParticipantId }), 200)).code }
          : { method: 'id_last4', name: '陈阿海', last4: '002X' };
      // An allowed signer has uploaded their spoken consent first; a refused call names any hash.
      const consentRecordingSha256 = allowed ? await uploadConsent(world.app, basePeople[role as 'party' | 'agent'], id) : sha256Of(consentAudio());
      return {
        url: `/api/agreements/${id}/sign`,
        payload: { versionId: version.id, versionHash: version.sha256, consent: true, identity, signaturePng: signaturePngBase64(3), consentRecordingSha256 },
        ghostUrl: `/api/agreements/${ghost()}/sign`,
      };
    },
    check: (res, role) => {
      const party = role === 'agent' ? f.companyPartyId : f.fishermanPartyId;
      const signer = json(res).requiredSigners.find((r: { partyId: string }) => r.partyId === party);
      expect(signer.signature).toMatchObject({ status: 'signed', identityMethod: role === 'agent' ? 'one_time_code' : 'id_last4' });
      expect(json(res).status).toBe('signing'); // the other side has not signed
    },
  },
  {
    method: 'PUT',
    path: '/api/agreements/:agreementId/consent-recordings/:sha256',
    kind: 'participantOnly',
    participants: ['party', 'agent'],
    ok: 201,
    audited: true,
    call: async ({ allowed }) => {
      const { id } = await signingFor(allowed);
      const audio = consentAudio();
      return {
        url: `/api/agreements/${id}/consent-recordings/${sha256Of(audio)}`,
        payload: audio,
        headers: { 'content-type': 'audio/webm;codecs=opus' },
        ghostUrl: `/api/agreements/${ghost()}/consent-recordings/${sha256Of(audio)}`,
      };
    },
    check: (res) => expect(json(res)).toMatchObject({ sha256: sha256Of(consentAudio()), contentType: 'audio/webm' }),
  },
  {
    method: 'GET',
    path: '/api/agreements/:agreementId/signatures/:signatureId/consent-recording',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    audited: true,
    call: async () => ({
      url: `/api/agreements/${shared.agreementId}/signatures/${shared.signatureId}/consent-recording`,
      ghostUrl: `/api/agreements/${ghost()}/signatures/${ghost()}/consent-recording`,
    }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('audio/webm');
      expect(res.rawPayload.equals(consentAudio({ frequency: 440 }))).toBe(true);
    },
  },
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/decline',
    kind: 'participantOnly',
    participants: ['party', 'agent'],
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const { id, version } = await signingFor(allowed);
      return { url: `/api/agreements/${id}/decline`, payload: { versionId: version.id, versionHash: version.sha256, reason: '赔偿金额过低，不能接受。' }, ghostUrl: `/api/agreements/${ghost()}/decline` };
    },
    check: (res) => expect(json(res).requiredSigners.some((r: { signature: { status: string } | null }) => r.signature?.status === 'declined')).toBe(true),
  },
  {
    method: 'GET',
    path: '/api/agreements/:agreementId/signatures/:signatureId/image',
    kind: 'caseRead',
    hiddenFromInvited: true,
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/agreements/${shared.agreementId}/signatures/${shared.signatureId}/image`, ghostUrl: `/api/agreements/${ghost()}/signatures/${ghost()}/image` }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.rawPayload.equals(Buffer.from(signaturePngBase64(1), 'base64'))).toBe(true);
    },
  },
  // ---- judicial confirmation (司法确认) ------------------------------------------------------
  {
    method: 'POST',
    path: '/api/agreements/:agreementId/confirmation',
    kind: 'caseWrite',
    ok: 201,
    audited: true,
    call: async ({ allowed }) => ({ url: `/api/agreements/${allowed ? (await sealedAgreement(world)).agreement.id : await sharedSealed()}/confirmation`, ghostUrl: `/api/agreements/${ghost()}/confirmation` }),
    check: (res) => expect(json(res)).toMatchObject({ status: 'filed', courtCode: 'ningbo.wenzhou', acceptBy: { daysLeft: 3 }, ruleBy: null }),
  },
  {
    method: 'GET',
    path: '/api/court/confirmations',
    kind: 'courtQueue',
    ok: 200,
    call: async () => ({ url: '/api/court/confirmations' }),
    check: (res, role) => {
      const ids = json(res).items.map((i: { id: string }) => i.id);
      expect(ids.includes(sealed.confirmationId)).toBe(courtOfTheCase.includes(role));
    },
  },
  {
    method: 'GET',
    path: '/api/confirmations/:confirmationId',
    kind: 'caseRead',
    filed: true,
    ok: 200,
    call: async () => ({ url: `/api/confirmations/${sealed.confirmationId}`, ghostUrl: `/api/confirmations/${ghost()}` }),
    check: (res) => expect(json(res)).toMatchObject({ id: sealed.confirmationId, agreementId: sealed.agreementId, status: 'filed' }),
  },
  {
    method: 'POST',
    path: '/api/confirmations/:confirmationId/accept',
    kind: 'clerkAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({ url: `/api/confirmations/${allowed ? await filedConfirmation() : sealed.confirmationId}/accept`, ghostUrl: `/api/confirmations/${ghost()}/accept` }),
    check: (res) => expect(json(res)).toMatchObject({ status: 'accepted', ruleBy: { daysLeft: 15 } }),
  },
  {
    method: 'POST',
    path: '/api/confirmations/:confirmationId/not-accept',
    kind: 'clerkAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({
      url: `/api/confirmations/${allowed ? await filedConfirmation() : sealed.confirmationId}/not-accept`,
      payload: { reason: '申请材料不齐全，请补正后再申请。' },
      ghostUrl: `/api/confirmations/${ghost()}/not-accept`,
    }),
    check: (res) => expect(json(res).status).toBe('not_accepted'),
  },
  {
    method: 'POST',
    path: '/api/confirmations/:confirmationId/review',
    kind: 'judgeAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({ url: `/api/confirmations/${allowed ? await acceptedConfirmation() : await sharedAccepted()}/review`, ghostUrl: `/api/confirmations/${ghost()}/review` }),
    check: (res) => expect(json(res).status).toBe('under_review'),
  },
  {
    method: 'POST',
    path: '/api/confirmations/:confirmationId/extend',
    kind: 'judgeAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({
      url: `/api/confirmations/${allowed ? await confirmationUnderReview() : await sharedUnderReview()}/extend`,
      payload: { reason: '案情复杂，需要补充调查。' },
      ghostUrl: `/api/confirmations/${ghost()}/extend`,
    }),
    check: (res) => expect(json(res)).toMatchObject({ extended: true, ruleBy: { daysLeft: 25 } }),
  },
  {
    method: 'POST',
    path: '/api/confirmations/:confirmationId/hearing',
    kind: 'judgeAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({
      url: `/api/confirmations/${allowed ? await confirmationUnderReview() : await sharedUnderReview()}/hearing`,
      payload: { scheduledAt: '2026-11-25T02:00:00Z', durationMinutes: 30 },
      ghostUrl: `/api/confirmations/${ghost()}/hearing`,
    }),
    check: (res) => expect(json(res).hearingSessionId).toMatch(/^[0-9a-f-]{36}$/),
  },
  {
    method: 'POST',
    path: '/api/confirmations/:confirmationId/decide',
    kind: 'judgeAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({
      url: `/api/confirmations/${allowed ? await confirmationUnderReview() : await sharedUnderReview()}/decide`,
      payload: { decision: 'confirmed', reason: '协议系双方真实意思表示。' },
      ghostUrl: `/api/confirmations/${ghost()}/decide`,
    }),
    check: (res) => expect(json(res)).toMatchObject({ status: 'confirmed', rulingNumber: expect.stringMatching(/^（2026）浙72民特\d+号$/) }),
  },
  // ---- follow-up (回访) ----------------------------------------------------------------------
  {
    method: 'GET',
    path: '/api/cases/:caseId/obligations',
    kind: 'caseRead',
    filed: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${sealed.f.caseId}/obligations`, ghostUrl: `/api/cases/${ghost()}/obligations` }),
    check: (res) => expect(json(res).items.map((o: { dueDate: string; overdue: boolean }) => [o.dueDate, o.overdue])).toEqual([['2026-11-01', true], ['2027-03-31', false]]),
  },
  {
    method: 'POST',
    path: '/api/obligations/:obligationId/fulfil',
    kind: 'caseWrite',
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/obligations/${instalments.shift()}/fulfil`, payload: { note: '已转账' }, ghostUrl: `/api/obligations/${ghost()}/fulfil` }),
    check: (res) => expect(json(res).items.filter((o: { fulfilledAt: string | null }) => o.fulfilledAt).length).toBeGreaterThanOrEqual(1),
  },
  {
    method: 'GET',
    path: '/api/follow-up/overdue',
    kind: 'mediatorDesk',
    ok: 200,
    call: async () => ({ url: '/api/follow-up/overdue' }),
    check: (res, role) => {
      const cases = json(res).items.map((o: { caseId: string }) => o.caseId);
      expect(cases.includes(sealed.f.caseId)).toBe(ofTheCenter(role));
    },
  },
  // ---- legal help on demand ------------------------------------------------------------------
  {
    method: 'GET',
    path: '/api/legal/firms',
    kind: 'centerStaff',
    ok: 200,
    call: async () => ({ url: '/api/legal/firms' }),
    check: (res, role) => expect(json(res).items.map((x: { id: string }) => x.id).includes(legal.firmId)).toBe(role !== 'otherMediator'),
  },
  {
    method: 'POST',
    path: '/api/legal/firms',
    kind: 'legalAdmin',
    ok: 201,
    audited: true,
    call: async () => ({ url: '/api/legal/firms', payload: { name: `福建海峡律师事务所${++unique}` } }),
  },
  {
    method: 'GET',
    path: '/api/legal/lawyers',
    kind: 'legalDirectory',
    participants: ['party'],
    ok: 200,
    call: async () => ({ url: '/api/legal/lawyers' }),
    check: (res) => expect(res.body).not.toContain('13900009999'),
  },
  {
    method: 'POST',
    path: '/api/legal/lawyers',
    kind: 'legalAdmin',
    ok: 201,
    audited: true,
    call: async () => ({
      url: '/api/legal/lawyers',
      payload: { lawFirmId: legal.firmId, username: `newlawyer${++unique}`, displayName: '新律师', password: testPassword, phone: '13900008888', licenceNumber: '13303201910123457' },
    }),
  },
  {
    method: 'GET',
    path: '/api/legal/duty',
    kind: 'centerStaff',
    ok: 200,
    call: async () => ({ url: '/api/legal/duty?from=2026-11-20T00:00:00%2B08:00&to=2026-11-27T00:00:00%2B08:00' }),
  },
  {
    method: 'POST',
    path: '/api/legal/duty',
    kind: 'legalAdmin',
    ok: 201,
    audited: true,
    call: async () => ({ url: '/api/legal/duty', payload: { lawyerId: legal.lawyerId, startsAt: '2026-12-01T08:00:00+08:00', endsAt: '2026-12-01T17:00:00+08:00' } }),
  },
  {
    method: 'DELETE',
    path: '/api/legal/duty/:dutyShiftId',
    kind: 'legalAdmin',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const id = allowed ? await freshShift() : await sharedShift();
      return { url: `/api/legal/duty/${id}`, ghostUrl: `/api/legal/duty/${ghost()}` };
    },
  },
  {
    method: 'POST',
    path: '/api/legal/lawyers/:lawyerId/slots',
    kind: 'legalAdmin',
    ok: 201,
    audited: true,
    call: async () => ({
      url: `/api/legal/lawyers/${legal.lawyerId}/slots`,
      payload: { startsAt: new Date(Date.parse('2026-12-05T01:00:00Z') + ++unique * 3_600_000).toISOString(), durationMinutes: 30 },
      ghostUrl: `/api/legal/lawyers/${ghost()}/slots`,
    }),
    check: (res) => expect(json(res).lawyerId).toBe(legal.lawyerId),
  },
  {
    method: 'GET',
    path: '/api/legal/slots',
    kind: 'legalDirectory',
    participants: ['party'],
    ok: 200,
    call: async () => ({ url: '/api/legal/slots' }),
    check: (res, role) => expect(json(res).items.map((x: { id: string }) => x.id).includes(legal.slotId)).toBe(role !== 'otherMediator'),
  },
  {
    method: 'POST',
    path: '/api/legal/slots',
    kind: 'lawyerOnly',
    ok: 201,
    audited: true,
    call: async () => ({ url: '/api/legal/slots', payload: { startsAt: new Date(Date.parse('2026-12-02T01:00:00Z') + ++unique * 3_600_000).toISOString(), durationMinutes: 30 } }),
  },
  {
    method: 'GET',
    path: '/api/consultations',
    kind: 'consultationList',
    participants: ['party'],
    ok: 200,
    call: async () => ({ url: '/api/consultations' }),
  },
  {
    method: 'POST',
    path: '/api/consultations',
    kind: 'consultationRequest',
    participants: ['party'],
    ok: 201,
    audited: true,
    call: async ({ role }) => ({
      url: '/api/consultations',
      payload: isParticipant(role) ? { kind: 'on_duty', question: '赔偿标准' } : { kind: 'called_in', caseId: f.caseId, lawyerId: legal.lawyerId },
    }),
  },
  {
    method: 'POST',
    path: '/api/consultations/:consultationId/transitions',
    kind: 'consultationMove',
    participants: ['party'],
    ok: 200,
    audited: true,
    call: async ({ role, allowed }) => {
      const id = allowed ? await (role === 'party' ? partyConsultation() : calledInConsultation()) : await sharedPartyConsultation();
      return { url: `/api/consultations/${id}/transitions`, payload: { to: role === 'lawyer' ? 'accepted' : 'cancelled' }, ghostUrl: `/api/consultations/${ghost()}/transitions` };
    },
  },
  {
    method: 'GET',
    path: '/api/consultations/:consultationId/summary',
    kind: 'lawyerOnly',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      const id = allowed ? await acceptedConsultation() : await sharedPartyConsultation();
      return { url: `/api/consultations/${id}/summary`, ghostUrl: `/api/consultations/${ghost()}/summary` };
    },
    check: (res) => expect(json(res).caseNumber).toEqual(expect.any(String)),
  },
  // ---- sealed documents ---------------------------------------------------------------------
  {
    method: 'GET',
    path: '/api/cases/:caseId/documents',
    kind: 'caseRead',
    filed: true,
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/cases/${sealed.f.caseId}/documents`, ghostUrl: `/api/cases/${ghost()}/documents`, people: sealed.people }),
    check: (res) => expect(json(res).items.map((d: { id: string; kind: string }) => [d.id, d.kind])).toEqual([[sealed.documentId, 'sealed_agreement']]),
  },
  {
    method: 'GET',
    path: '/api/documents/:documentId/pdf',
    kind: 'caseRead',
    filed: true,
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/documents/${sealed.documentId}/pdf`, ghostUrl: `/api/documents/${ghost()}/pdf`, people: sealed.people }),
    check: (res) => {
      expect(res.headers['content-type']).toBe('application/pdf');
      expect(res.rawPayload.equals(sealed.pdf)).toBe(true);
    },
  },
  {
    method: 'POST',
    path: '/api/documents/verify',
    kind: 'public',
    ok: 200,
    call: async () => ({ url: '/api/documents/verify', payload: sealed.pdf, headers: { 'content-type': 'application/pdf' } }),
    check: (res) => expect(json(res)).toMatchObject({ authentic: true, document: { id: sealed.documentId, kind: 'sealed_agreement', agreementId: sealed.agreementId } }),
  },
  // ---- assigned and chosen mediators, profiles, the outbox's re-send -------------------------
  {
    method: 'GET',
    path: '/api/cases/:caseId/mediators',
    kind: 'caseRead',
    hiddenFromInvited: true,
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/mediators`, ghostUrl: `/api/cases/${ghost()}/mediators` }),
    check: (res, role) => expect(json(res)).toMatchObject({ lead: { staffUserId: world.staffIds.mediator, role: 'lead' }, mayAssign: role === 'head' }),
  },
  {
    method: 'PUT',
    path: '/api/cases/:caseId/mediators',
    kind: 'headAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      // A fresh case for the head, so the fixture case keeps its lead.
      const caseId = allowed ? (await freshCase()).id : base.caseId;
      return { url: `/api/cases/${caseId}/mediators`, payload: { leadId: world.staffIds.mediator, coMediatorIds: [headId], expectedLeadId: world.staffIds.mediator }, ghostUrl: `/api/cases/${ghost()}/mediators` };
    },
    check: (res) => expect(json(res).coMediators).toEqual([expect.objectContaining({ staffUserId: headId, role: 'co' })]),
  },
  {
    method: 'GET',
    path: '/api/cases/:caseId/mediator-roster',
    kind: 'participantOnly',
    participants: ['party', 'agent'],
    ok: 200,
    call: async () => ({ url: `/api/cases/${base.caseId}/mediator-roster`, ghostUrl: `/api/cases/${ghost()}/mediator-roster` }),
    check: (res) => expect(json(res).mediators.map((m: { staffUserId: string }) => m.staffUserId)).toEqual(expect.arrayContaining([world.staffIds.mediator, headId])),
  },
  {
    method: 'POST',
    path: '/api/cases/:caseId/mediator-choice',
    kind: 'participantOnly',
    participants: ['party', 'agent'],
    ok: 200,
    audited: true,
    call: async ({ allowed }) => {
      // A fresh case (its first session not yet live) for each choice that will be stored.
      if (!allowed) return { url: `/api/cases/${base.caseId}/mediator-choice`, payload: { staffUserId: headId }, ghostUrl: `/api/cases/${ghost()}/mediator-choice` };
      const g = await agreementFixture(world);
      return { url: `/api/cases/${g.caseId}/mediator-choice`, payload: { staffUserId: headId }, people: { ...basePeople, party: g.fishermanToken, agent: g.agentToken } };
    },
    check: (res) => expect(json(res)).toMatchObject({ open: true, chosenStaffUserId: headId }),
  },
  {
    method: 'GET',
    path: '/api/mediators',
    kind: 'outbox',
    ok: 200,
    call: async () => ({ url: '/api/mediators' }),
    check: (res) => expect(json(res).items.length).toBeGreaterThanOrEqual(1),
  },
  {
    method: 'PUT',
    path: '/api/mediators/:staffUserId/profile',
    kind: 'profileEdit',
    ok: 200,
    audited: true,
    call: async () => ({
      url: `/api/mediators/${world.staffIds.mediator}/profile`,
      payload: { dialects: ['minnan', 'putonghua'], specialities: ['collision'], introduction: `第${++unique}次修改` },
      ghostUrl: `/api/mediators/${ghost()}/profile`,
    }),
    check: (res) => expect(json(res)).toMatchObject({ staffUserId: world.staffIds.mediator, dialects: ['minnan', 'putonghua'] }),
  },
  {
    method: 'PUT',
    path: '/api/mediators/:staffUserId/photo',
    kind: 'profileEdit',
    ok: 200,
    audited: true,
    call: async () => ({ url: `/api/mediators/${world.staffIds.mediator}/photo`, payload: samplePng, headers: { 'content-type': 'image/png' }, ghostUrl: `/api/mediators/${ghost()}/photo` }),
    check: (res) => expect(json(res).photoUrl).toMatch(/^\/api\/mediators\//),
  },
  {
    method: 'GET',
    path: '/api/mediators/:staffUserId/photo',
    kind: 'centerPhoto',
    ok: 200,
    call: async () => ({ url: `/api/mediators/${world.staffIds.mediator}/photo`, ghostUrl: `/api/mediators/${ghost()}/photo` }),
    check: (res) => expect(res.headers['content-type']).toBe('image/png'),
  },
  {
    method: 'POST',
    path: '/api/notifications/:notificationId/resend',
    kind: 'outboxAction',
    ok: 200,
    audited: true,
    call: async ({ allowed }) => ({ url: `/api/notifications/${allowed ? await failedNotification() : await sharedFailed()}/resend`, ghostUrl: `/api/notifications/${ghost()}/resend` }),
    // Delivered by the job (the outbox provider keeps it) before the next test takes its snapshot.
    check: async () => world.app.notifier.idle(),
  },
];

const lawyerRefusedKinds: ReadonlySet<Kind> = new Set<Kind>(['caseList', 'caseRead', 'caseWrite', 'sessionInvite', 'hearingInvite', 'transferReceiver']);

/** The answer a staff member (or nobody) must get from a route. */
function staffStatus(route: RouteSpec, role: StaffRole): number {
  if (route.kind === 'public') return route.ok;
  if (role === 'anonymous') return 401;
  const isCourt = role.endsWith('Clerk') || role.endsWith('Judge');
  const ofCenter = role === 'mediator' || role === 'head' || role === 'otherMediator' || role === 'admin' || role === 'lawyer';
  // A lawyer sees a case only through a consultation (its own routes): every case route refuses
  // the role before any lookup, and the compensation figures belong to case work.
  if (role === 'lawyer' && lawyerRefusedKinds.has(route.kind)) return 403;
  switch (route.kind) {
    case 'staff':
      return role === 'lawyer' && route.path.startsWith('/api/compensation/') ? 403 : route.ok;
    case 'admin':
      return role === 'admin' ? route.ok : 403;
    case 'caseList':
      return role === 'admin' ? 403 : route.ok;
    case 'caseCreate':
      return ofTheCenter(role) || role === 'otherMediator' ? route.ok : 403;
    case 'caseRead':
      if (ofTheCenter(role)) return route.ok;
      if (route.filed && courtOfTheCase.includes(role)) return route.ok;
      if (role === 'invitedJudge' && !route.filed && !route.hiddenFromInvited) return route.ok;
      return role === 'admin' ? 403 : 404;
    case 'caseWrite':
      if (role === 'mediator') return route.ok;
      // Another center's case looks nonexistent; everyone else (the head, who reads the case but is
      // not assigned to it, after the lookup) is refused by role, so the answer does not depend on
      // the case either.
      return role === 'otherMediator' ? 404 : 403;
    case 'participantOnly':
    case 'appraiserOnly':
      return 403;
    case 'courtQueue':
      return isCourt ? route.ok : 403;
    case 'clerkAction':
      // The other court's clerk does not see the application; everyone else is refused by role.
      if (role === 'ningboClerk' || role === 'wenzhouClerk') return route.ok;
      return role === 'xiamenClerk' ? 404 : 403;
    case 'judgeAction':
      if (role === 'wenzhouJudge' || role === 'ningboJudge') return route.ok;
      return role === 'xiamenJudge' || role === 'invitedJudge' ? 404 : 403;
    case 'mediatorDesk':
      return ofTheCenter(role) || role === 'otherMediator' ? route.ok : 403;
    case 'sessionInvite':
      if (role === 'mediator') return route.ok;
      // The invited judge, who reads the case, is refused by the session's kind, and the head, who
      // reads it too, for not being assigned; for anyone else it does not exist.
      if (role === 'invitedJudge' || role === 'head') return 403;
      return role === 'admin' ? 403 : 404;
    case 'hearingInvite':
      if (role === 'mediator' || courtOfTheCase.includes(role)) return route.ok;
      return role === 'admin' || role === 'head' ? 403 : 404;
    case 'dashboard':
      // The center's head (a mediator flagged center_head) watches it too; other mediators do not.
      return role === 'admin' || role === 'head' || isCourt ? route.ok : 403;
    case 'outbox':
      return isCourt || role === 'lawyer' ? 403 : route.ok;
    case 'transferReceiver':
      if (role === 'otherMediator') return route.ok;
      // The sending center's mediators (the head too) find no such request to accept.
      return role === 'mediator' || role === 'head' ? 404 : 403;
    case 'outboxAction':
      if (isCourt || role === 'lawyer') return 403;
      return role === 'otherMediator' ? 404 : route.ok;
    case 'headAction':
      return role === 'head' ? route.ok : 403;
    case 'profileEdit':
      return role === 'mediator' || role === 'admin' ? route.ok : 403;
    case 'centerPhoto':
      return ofTheCenter(role) || role === 'admin' || role === 'lawyer' ? route.ok : 404;
    case 'legalAdmin':
      return role === 'admin' ? route.ok : 403;
    case 'centerStaff':
    case 'legalDirectory':
      return ofCenter ? route.ok : 403;
    case 'lawyerOnly':
      return role === 'lawyer' ? route.ok : 403;
    case 'consultationList':
      return role === 'mediator' || role === 'head' || role === 'otherMediator' || role === 'lawyer' ? route.ok : 403;
    case 'consultationRequest':
      if (role === 'mediator') return route.ok;
      return role === 'otherMediator' ? 404 : 403;
    case 'consultationMove':
      if (role === 'mediator' || role === 'head' || role === 'lawyer') return route.ok;
      return role === 'otherMediator' ? 404 : 403;
  }
}

/**
 * Callers refused after the lookup, by what they are allowed to read: the court staff of the case
 * may read a mediation session and its invitations, so a 403 for its kind tells them nothing they
 * do not know; an id that does not exist is plainly 404 for them.
 */
const refusedAfterLookup = (route: RouteSpec, role: Role) =>
  (route.kind === 'sessionInvite' && role === 'invitedJudge') || (role === 'head' && ['caseWrite', 'sessionInvite', 'hearingInvite'].includes(route.kind));

/** The answer a participant (by invitation) must get from a route. */
function participantStatus(route: RouteSpec, role: ParticipantRole): number {
  if (role === 'revokedInvitation' || !route.participants) return 401;
  // A party of another case of the same center: the center's directory, their own list and request.
  if (role === 'otherCaseParty' && (route.kind === 'legalDirectory' || route.kind === 'consultationList' || route.kind === 'consultationRequest')) return route.ok;
  if (role === 'otherCaseParty') return route.participants.includes('party') ? 404 : 403;
  return route.participants.includes(role) ? route.ok : 403;
}

const expectedStatus = (route: RouteSpec, role: Role) => (isParticipant(role) ? participantStatus(route, role) : staffStatus(route, role));

const errorCodeOf: Record<number, string> = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

/** Participant rows: every participant role for routes that take an invitation; one party for the rest (401). */
function rolesFor(route: RouteSpec): Role[] {
  if (route.kind === 'public') return staffRoles;
  return [...staffRoles, ...(route.participants ? participantRoles : (['party'] as const))];
}

const matrix = routes.flatMap((route) =>
  rolesFor(route).map((role) => {
    const status = expectedStatus(route, role);
    return { title: `${route.method} ${route.path}${route.variant ? ` (${route.variant})` : ''} as ${role} → ${status}`, route, role, status };
  }),
);

function credentials(role: Role, people: People): Record<string, string> {
  if (role === 'anonymous') return {};
  if (role === 'otherCaseParty') return invitationHeader(other.fishermanToken);
  if (isParticipant(role)) return invitationHeader(people[role]);
  return { cookie: cookies[role] };
}

/** Everything a request could change: every row of every table, and the stored files. */
const state = () => worldState(world);
const auditCount = (s: Awaited<ReturnType<typeof state>>) => Number(s.tables.audit_events!.split(':')[0]);

beforeAll(async () => {
  world = await createTestWorld();
  const orgOf = { wenzhouClerk: world.orgs.wenzhouTribunal, ningboJudge: world.orgs.ningbo, xiamenJudge: world.orgs.xiamen, invitedJudge: world.orgs.xiamen, head: world.orgs.center };
  const extraIds = {} as Record<keyof typeof extraStaff, string>;
  const extra = {} as Record<keyof typeof extraStaff, string>;
  for (const [index, [key, role]] of Object.entries(extraStaff).entries()) {
    const name = key as keyof typeof extraStaff;
    extraIds[name] = (await createStaffUser(world.database.db, null, { organisationId: orgOf[name] as OrganisationId, username: name.toLowerCase(), displayName: name, role, password: testPassword, centerHead: name === 'head' })).id;
    extra[name] = await login(world.app, name.toLowerCase(), testPassword, `198.51.100.${50 + index}`);
  }
  // Legal help: the center's firm and lawyer (on duty the whole week of the test clock), logged in as `lawyer`.
  const admin = api(world.app, world.cookies.admin);
  const firm = await expectStatus(await admin.post('/api/legal/firms', { name: '浙江海泰律师事务所' }), 201);
  const lawyer = await expectStatus(
    await admin.post('/api/legal/lawyers', { lawFirmId: firm.id, username: 'lawyer', displayName: '值班律师', password: testPassword, phone: '13900009999', licenceNumber: '13303201910123456' }),
    201,
  );
  await expectStatus(await admin.post('/api/legal/duty', { lawyerId: lawyer.id, startsAt: '2026-11-19T00:00:00+08:00', endsAt: '2026-11-26T00:00:00+08:00' }), 201);
  const lawyerCookie = await login(world.app, 'lawyer', testPassword, '198.51.100.70');
  const slot = await expectStatus(await api(world.app, lawyerCookie).post('/api/legal/slots', { startsAt: '2026-11-23T10:00:00+08:00', durationMinutes: 30 }), 201);
  legal = { firmId: firm.id, lawyerId: lawyer.id, slotId: slot.id };
  cookies = { ...world.cookies, ...extra, lawyer: lawyerCookie };
  headId = extraIds.head;
  // The mediator's photo, which the center's staff may fetch.
  await expectStatus(await world.app.inject({ method: 'PUT', url: `/api/mediators/${world.staffIds.mediator}/photo`, headers: { cookie: world.cookies.mediator, 'content-type': 'image/png' }, payload: samplePng }), 200);

  const doc = await PDFDocument.create();
  doc.addPage().drawText('Haiqiao evidence', { font: await doc.embedFont(StandardFonts.Helvetica), x: 50, y: 700 });
  samplePdf = Buffer.from(await doc.save());

  // The fixture case, in mediation: the fisherman, the company's lawyer (authorised to sign), an
  // appraiser and an observer, each with a link; a further party participant with a session link.
  f = await agreementFixture(world);
  other = await agreementFixture(world);
  basePeople = await peopleOf(f);
  const c = await expectStatus(await mediator().get(`/api/cases/${f.caseId}`), 200);
  const participant = await freshParticipant(f.caseId, f.fishermanPartyId);
  const session = await freshSession(f.caseId);
  const issued = await freshInvitation(session.id, participant.id);
  base = {
    caseId: f.caseId,
    caseTitle: c.title,
    partyId: f.fishermanPartyId,
    vesselId: f.vesselId,
    participantId: participant.id,
    sessionId: session.id,
    invitationId: issued.invitation.id,
    token: issued.link.split('/j/')[1],
    evidenceId: (await freshEvidence(f.caseId)).id,
    // A stopped recording of the session (no segments): what the staff desk lists and packs.
    recordingId: (await world.database.db.insert(recordings).values({ sessionId: session.id, caseId: f.caseId, state: 'stopped', startedAt: new Date(), stoppedAt: new Date(), updatedAt: new Date() }).returning())[0]!.id,
  };
  // A Xiamen judge the mediator invites to the fixture case's session, by their account.
  const invitedJudge = await expectStatus(await mediator().post(`/api/cases/${f.caseId}/participants`, { role: 'judge', displayName: '受邀法官', staffUserId: extraIds.invitedJudge }), 201);
  await freshInvitation(session.id, invitedJudge.id);

  const agreementId = await draftAgreement();
  await expectStatus(await mediator().post(`/api/agreements/${agreementId}/versions`, collisionDraft(f, { facts: '第二稿：2026年10月1日凌晨，乙方货轮在南麂列岛海域与甲方渔船碰撞，甲方渔船倾覆。' })), 200);
  await expectStatus(await mediator().post(`/api/agreements/${agreementId}/transitions`, { to: 'signing' }), 200);
  const signed = await expectStatus(await signAs(world, f, agreementId, 'fisherman'), 200);
  shared = { agreementId, signatureId: signed.requiredSigners.find((r: { partyId: string }) => r.partyId === f.fishermanPartyId).signature.id };

  const sealedCase = await sealedAgreement(world, (sf) => ({
    obligations: [
      { obligorPartyId: sf.companyPartyId, description: '向甲方支付第一期赔偿款', amountFen: 50_000_000, dueDate: '2026-11-01' },
      { obligorPartyId: sf.companyPartyId, description: '向甲方支付第二期赔偿款', amountFen: 36_000_000, dueDate: '2027-03-31' },
    ],
  }));
  const pdf = await world.app.inject({ method: 'GET', url: sealedCase.agreement.sealedDocument.url });
  const filed = await expectStatus(await mediator().post(`/api/agreements/${sealedCase.agreement.id}/confirmation`, {}), 201);
  sealed = {
    f: sealedCase.f,
    people: await peopleOf(sealedCase.f),
    agreementId: sealedCase.agreement.id,
    documentId: sealedCase.agreement.sealedDocument.id,
    pdf: pdf.rawPayload,
    confirmationId: filed.id,
  };

  const many = await sealedAgreement(world, (sf) => ({
    obligations: Array.from({ length: 20 }, (_, i) => ({ obligorPartyId: sf.companyPartyId, description: `第${i + 1}期赔偿款`, amountFen: 4_300_000, dueDate: `2027-${String((i % 12) + 1).padStart(2, '0')}-15` })),
  }));
  instalments = (await expectStatus(await mediator().get(`/api/cases/${many.f.caseId}/obligations`), 200)).items.map((o: { id: string }) => o.id);

  const reviewed = await confirmationUnderReview();
  const scheduled = await expectStatus(
    await api(world.app, world.cookies.wenzhouJudge).post(`/api/confirmations/${reviewed}/hearing`, { scheduledAt: '2026-11-25T02:00:00Z', durationMinutes: 30 }),
    200,
  );
  const hearingParty = (await expectStatus(await mediator().get(`/api/cases/${scheduled.caseId}/participants`), 200)).items.find((p: { role: string }) => p.role === 'party');
  hearing = { sessionId: scheduled.hearingSessionId, participantId: hearingParty.id, invitationId: (await freshInvitation(scheduled.hearingSessionId, hearingParty.id)).invitation.id };

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

  it('watches every table a request can write (all but the staff login sessions)', async () => {
    const result = await world.database.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
    const tables = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { table_name: string }[];
    expect(tables.map((t) => t.table_name).filter((t) => t !== 'staff_sessions').sort()).toEqual([...dataTables].sort());
  });

  for (const { title, route, role, status } of matrix) it(title, async () => {
    const call = await route.call({ role, allowed: status < 400 });
    const headers = { ...call.headers, ...credentials(role, call.people ?? basePeople) };
    // Each request from its own address: signing and verification are rate limited per address.
    const send = (url: string) =>
      world.app.inject({ method: route.method, url, remoteAddress: nextSignerIp(), headers, ...(call.payload === undefined ? {} : { payload: call.payload as object }) });
    const before = await state();
    const res = await send(call.url);
    expect(res.statusCode, res.body).toBe(status);
    if (status >= 400) {
      expect(json(res).error.code).toBe(errorCodeOf[status]);
      expect(res.body).not.toContain(base.caseTitle);
      if (call.ghostUrl && refusedAfterLookup(route, role)) {
        const ghostRes = await send(call.ghostUrl);
        expect(ghostRes.statusCode).toBe(404);
        expect(json(ghostRes).error.code).toBe('NOT_FOUND');
      } else if (call.ghostUrl) {
        // The same request on ids that do not exist gets the same answer: no existence oracle.
        const ghostRes = await send(call.ghostUrl);
        expect(ghostRes.statusCode).toBe(res.statusCode);
        expect(json(ghostRes).error).toEqual(json(res).error);
      }
      // Nothing written, nothing updated, no file left behind.
      expect(await state()).toEqual(before);
    } else {
      await route.check?.(res, role);
      const after = await state();
      if (route.audited) expect(auditCount(after)).toBeGreaterThan(auditCount(before));
      else expect(after.tables).toEqual(before.tables);
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

  // The limit is keyed on the client's address: X-Forwarded-For, which the client writes, is only
  // trusted from configured proxies (none here), so claiming a new address each time does not help.
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
