import { randomInt } from 'node:crypto';
import canonicalize from 'canonicalize';
import { diffLines } from 'diff';
import { fileTypeFromBuffer } from 'file-type';
import { consentText, type SignRequest, type AgreementView } from '../../../shared/api/agreements.ts';
import { agreementDraftSchema, agreementMachine, signatureMachine, type AgreementDraft, type AgreementStatus } from '../../../shared/domain/agreements.ts';
import type { AuditActor } from '../../../shared/audit-events.ts';
import { daysLeft, deadlineAfter, limits } from '../../../shared/beijing-time.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { type AppError, conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { hashToken, sha256Hex } from '../../security/tokens.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import { asNotFound, loadCase, loadCaseForCaller } from '../../access/case-loading.ts';
import { type AgreementNeed, assertAgreementRoleMay } from '../../access/roles.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import { confirmationSummary } from '../confirmations/confirmation-views.ts';
import { latestConfirmation } from '../confirmations/confirmations.repository.ts';
import { actorOf, type Caller } from '../../access/caller.ts';
import { moveCaseIfAllowed } from '../cases/cases.service.ts';
import { listForCase as listEvidence } from '../evidence/evidence.repository.ts';
import { discardUnrecorded } from '../evidence/unclaimed-files.ts';
import { listActiveParticipants } from '../sessions/sessions.repository.ts';
import { applyTransition, refusedTransition, staleTransition } from '../transitions.ts';
import * as repo from './agreements.repository.ts';
import * as consentRepo from './consent.repository.ts';
import { checkSigningIdentity } from './signing-identity.ts';
import * as identityRepo from './signing-identity.repository.ts';
import { renderAgreementText, RenderReferenceError, templateTitles, type RenderContext } from './render-agreement-text.ts';

const signingCodeMinutes = 15;
/** Side effects that run after a commit: tell live rooms, start sealing. */
export interface AgreementEffects {
  changed(caseId: string, agreementId: string): void;
  signedByAll(agreementId: string): void;
}

// ---- access (the rules are in server/access) --------------------------------------------

/** The case, for an agreement call (drafts are not for a court only invited to a session: it needs the whole file). */
async function caseFor(ctx: ServiceContext, caller: Caller, caseId: string, need: AgreementNeed) {
  assertAgreementRoleMay(caller, need);
  return (await loadCaseForCaller(ctx.db, caller, caseId, need === 'read' ? 'full' : 'write')).case;
}

export async function agreementFor(ctx: ServiceContext, caller: Caller, agreementId: string, need: AgreementNeed) {
  assertAgreementRoleMay(caller, need);
  const agreement = await repo.findAgreement(ctx.db, agreementId);
  if (!agreement) throw notFound('agreement');
  const caseRow = await caseFor(ctx, caller, agreement.caseId, need).catch(asNotFound('agreement'));
  return { agreement, caseRow };
}

// ---- drafting ----------------------------------------------------------------------------

async function renderContext(db: Db, caseRow: casesRepo.CaseRow): Promise<RenderContext> {
  const [parties, vessels, participants, evidence] = await Promise.all([
    casesRepo.listParties(db, caseRow.id),
    casesRepo.listVessels(db, caseRow.id),
    listActiveParticipants(db, caseRow.id),
    listEvidence(db, caseRow.id),
  ]);
  return {
    caseNumber: caseRow.number,
    competentCourt: caseRow.competentCourt,
    parties: new Map(parties.map((p) => [p.id, { name: p.name, kind: p.kind, idNumberMasked: p.idNumberMasked }])),
    vessels: new Map(vessels.map((v) => [v.id, v])),
    agents: new Map(participants.filter((p) => p.role === 'agent').map((p) => [p.id, { name: p.displayName, representsPartyId: p.representsPartyId }])),
    evidence: new Map(evidence.map((e) => [e.evidence.id, e.evidence])),
  };
}

/** Checks every reference in the terms against the case, then renders text and hash. */
function composeVersion(draft: AgreementDraft, context: RenderContext) {
  const t = draft.terms;
  // Every reference must be to this case: the error names the exact field at fault.
  for (const side of ['partiesA', 'partiesB'] as const) {
    t[side].forEach((id, i) => {
      if (!context.parties.has(id)) throw invalid(`terms.${side}.${i}`, 'not a party of this case');
    });
  }
  t.vesselIds.forEach((id, i) => {
    if (!context.vessels.has(id)) throw invalid(`terms.vesselIds.${i}`, 'not a vessel of this case');
  });
  t.citedEvidenceIds.forEach((id, i) => {
    if (!context.evidence.has(id)) throw invalid(`terms.citedEvidenceIds.${i}`, 'not evidence of this case');
  });
  const sides = new Set([...t.partiesA, ...t.partiesB]);
  if (sides.size !== t.partiesA.length + t.partiesB.length) throw invalid('terms.partiesB', 'a party cannot be on both sides or twice');
  t.obligations.forEach((o, i) => {
    if (!sides.has(o.obligorPartyId)) throw invalid(`terms.obligations.${i}.obligorPartyId`, 'must be one of the agreement’s parties');
  });
  t.agents.forEach((a, i) => {
    const agent = context.agents.get(a.participantId) as { representsPartyId?: string | null } | undefined;
    if (!agent) throw invalid(`terms.agents.${i}.participantId`, 'not an agent of this case');
    if (agent.representsPartyId !== a.forPartyId || !sides.has(a.forPartyId)) throw invalid(`terms.agents.${i}.forPartyId`, 'the agent does not act for that party');
  });
  let text: string;
  try {
    text = renderAgreementText(draft, context);
  } catch (error) {
    if (error instanceof RenderReferenceError) throw invalid('terms', error.message);
    throw error;
  }
  const canonical = canonicalize({ templateId: draft.templateId, terms: draft.terms, text })!;
  return { text, sha256: sha256Hex(canonical) };
}

export async function previewAgreement(ctx: ServiceContext, caller: Caller, caseId: string, draft: AgreementDraft) {
  const caseRow = await caseFor(ctx, caller, caseId, 'write');
  return composeVersion(draft, await renderContext(ctx.db, caseRow));
}

export async function createAgreement(ctx: ServiceContext, effects: AgreementEffects, p: Principal, caseId: string, draft: AgreementDraft) {
  const caller: Caller = { kind: 'staff', principal: p };
  const created = await ctx.db.transaction(async (tx) => {
    const caseRow = await caseFor({ ...ctx, db: tx }, caller, caseId, 'write');
    if (caseRow.status !== 'mediating') throw conflict(`agreements are drafted while the case is mediating (it is ${caseRow.status})`);
    const { text, sha256 } = composeVersion(draft, await renderContext(tx, caseRow));
    const agreement = await repo.insertAgreement(tx, { caseId, templateId: draft.templateId, createdBy: p.staffUserId });
    const version = await repo.insertVersion(tx, { agreementId: agreement.id, number: 1, terms: draft.terms as Record<string, unknown>, text, sha256, createdByStaffId: p.staffUserId });
    await repo.updateAgreementWhereStatus(tx, agreement.id, 'drafting', { currentVersionId: version.id });
    await appendAuditEvent(tx, { type: 'agreement.drafted', caseId, actor: staffActor(p), data: { agreementId: agreement.id, templateId: draft.templateId, versionHash: sha256 } });
    return agreement;
  });
  effects.changed(caseId, created.id);
  return getAgreement(ctx, caller, created.id);
}

/** Saves a new immutable version; any signature of an earlier version is void. */
export async function saveVersion(ctx: ServiceContext, effects: AgreementEffects, p: Principal, agreementId: string, draft: AgreementDraft) {
  const caller: Caller = { kind: 'staff', principal: p };
  const { agreement } = await agreementFor(ctx, caller, agreementId, 'write');
  await ctx.db.transaction(async (tx) => {
    const locked = (await repo.lockAgreement(tx, agreementId))!;
    if (locked.status !== 'drafting' && locked.status !== 'signing') throw conflict(`the agreement is ${locked.status} and can no longer change`);
    if (draft.templateId !== locked.templateId) throw invalid('templateId', 'a new version keeps the agreement’s template');
    const caseRow = (await casesRepo.findCase(tx, locked.caseId))!.case;
    const { text, sha256 } = composeVersion(draft, await renderContext(tx, caseRow));
    const previous = (await repo.latestVersion(tx, agreementId))!;
    if (previous.sha256 === sha256) throw conflict('nothing changed since the last version');
    const version = await repo.insertVersion(tx, { agreementId, number: previous.number + 1, terms: draft.terms as Record<string, unknown>, text, sha256, createdByStaffId: p.staffUserId });
    const voided = await voidLiveSignatures(tx, locked, staffActor(p), ctx.now(), version.number);
    // Signing goes back to drafting (a transition); drafting stays drafting (a new version is not a status change).
    const update = () => repo.updateAgreementWhereStatus(tx, agreementId, locked.status, { currentVersionId: version.id, status: 'drafting' });
    const event = { type: 'agreement.version_saved', caseId: locked.caseId, actor: staffActor(p), data: { agreementId, number: version.number, versionHash: sha256, voidedSignatures: voided } } as const;
    if (locked.status === 'signing') {
      await applyTransition(tx, { subject: 'agreement', machine: agreementMachine, from: locked.status, to: 'drafting', update, event });
    } else {
      if (!(await update())) throw staleTransition('agreement');
      await appendAuditEvent(tx, event);
    }
  });
  effects.changed(agreement.caseId, agreementId);
  return getAgreement(ctx, caller, agreementId);
}

/**
 * Voids each live signature of the agreement through the signature table (signed | declined →
 * voided), each with its audit event; `byVersion` when a new version is the reason. Returns how many.
 */
async function voidLiveSignatures(tx: Db, agreement: { id: string; caseId: string }, actor: AuditActor, at: Date, byVersion?: number) {
  const live = await repo.lockLiveSignatures(tx, agreement.id);
  for (const s of live) {
    await applyTransition(tx, {
      subject: 'signature',
      machine: signatureMachine,
      from: s.status,
      to: 'voided',
      update: () => repo.voidSignature(tx, s.id, s.status, at),
      event: { type: 'signature.voided', caseId: agreement.caseId, actor, data: { agreementId: agreement.id, signatureId: s.id, partyId: s.partyId, was: s.status, ...(byVersion === undefined ? {} : { byVersion }) } },
    });
  }
  return live.length;
}

export async function transitionAgreement(ctx: ServiceContext, effects: AgreementEffects, p: Principal, agreementId: string, to: 'signing' | 'drafting' | 'withdrawn') {
  const caller: Caller = { kind: 'staff', principal: p };
  const { agreement } = await agreementFor(ctx, caller, agreementId, 'write');
  await ctx.db.transaction(async (tx) => {
    const locked = (await repo.lockAgreement(tx, agreementId))!;
    if (!agreementMachine.canTransition(locked.status, to)) throw refusedTransition('agreement', locked.status, to);
    // Taken back for revision, or withdrawn: no signature of it stays live.
    if (to === 'drafting' || to === 'withdrawn') {
      await voidLiveSignatures(tx, locked, staffActor(p), ctx.now());
    }
    await moveAgreement(tx, locked, to, staffActor(p));
  });
  effects.changed(agreement.caseId, agreementId);
  return getAgreement(ctx, caller, agreementId);
}

export async function diffVersions(ctx: ServiceContext, caller: Caller, agreementId: string, from: number, to: number) {
  await agreementFor(ctx, caller, agreementId, 'read');
  const [a, b] = await Promise.all([repo.findVersion(ctx.db, agreementId, from), repo.findVersion(ctx.db, agreementId, to)]);
  if (!a) throw notFound(`version ${from}`);
  if (!b) throw notFound(`version ${to}`);
  const changes = diffLines(a.text, b.text).map((part) => ({ kind: part.added ? ('added' as const) : part.removed ? ('removed' as const) : ('same' as const), text: part.value }));
  return { from, to, changes };
}

export async function addComment(ctx: ServiceContext, effects: AgreementEffects, caller: Caller, agreementId: string, input: { kind: 'comment' | 'change_request'; text: string }) {
  const { agreement } = await agreementFor(ctx, caller, agreementId, 'comment');
  const authorName = caller.kind === 'staff' ? caller.principal.displayName : caller.participant.displayName;
  await ctx.db.transaction(async (tx) => {
    // Under the agreement's lock: the comment belongs to the version current at commit.
    const locked = (await repo.lockAgreement(tx, agreementId))!;
    if (locked.status !== 'drafting' && locked.status !== 'signing') throw conflict(`the agreement is ${locked.status}; comments are closed`);
    await repo.insertComment(tx, {
      agreementId,
      versionId: locked.currentVersionId!,
      kind: input.kind,
      text: input.text,
      authorName,
      authorStaffId: caller.kind === 'staff' ? caller.principal.staffUserId : null,
      authorParticipantId: caller.kind === 'participant' ? caller.participant.participantId : null,
    });
    await appendAuditEvent(tx, { type: 'agreement.comment_added', caseId: agreement.caseId, actor: actorOf(caller), data: { agreementId, kind: input.kind } });
  });
  effects.changed(agreement.caseId, agreementId);
  return getAgreement(ctx, caller, agreementId);
}

// ---- reading -----------------------------------------------------------------------------

export async function listAgreements(ctx: ServiceContext, caller: Caller, caseId: string) {
  assertAgreementRoleMay(caller, 'read');
  if (caller.kind === 'staff' && (await loadCase(ctx.db, caller.principal, caseId, 'read')).access === 'invited') return { items: [] };
  await caseFor(ctx, caller, caseId, 'read');
  const rows = await repo.listForCase(ctx.db, caseId);
  const items = [];
  for (const a of rows) {
    const version = await repo.findVersionById(ctx.db, a.currentVersionId!);
    items.push({ id: a.id, title: templateTitles[a.templateId], status: a.status, templateId: a.templateId, versionNumber: version?.number ?? 1 });
  }
  return { items };
}

interface Eligible {
  participantId: string;
  name: string;
  role: 'party' | 'agent';
}

/** Each party on either side must sign, itself or through an agent the terms authorise. */
async function requiredSigners(db: Db, caseId: string, terms: AgreementDraft['terms']) {
  const [parties, participants] = await Promise.all([casesRepo.listParties(db, caseId), listActiveParticipants(db, caseId)]);
  const names = new Map(parties.map((p) => [p.id, p.name]));
  return [...terms.partiesA.map((id) => ({ id, side: 'A' as const })), ...terms.partiesB.map((id) => ({ id, side: 'B' as const }))].map(({ id, side }) => {
    const eligible: Eligible[] = [
      ...participants.filter((p) => p.role === 'party' && p.partyId === id).map((p) => ({ participantId: p.id, name: p.displayName, role: 'party' as const })),
      ...terms.agents
        .filter((a) => a.forPartyId === id && a.maySign)
        .flatMap((a) => participants.filter((p) => p.id === a.participantId).map((p) => ({ participantId: p.id, name: p.displayName, role: 'agent' as const }))),
    ];
    return { partyId: id, partyName: names.get(id) ?? '', side, eligible };
  });
}

function signatureView(s: repo.SignatureRow, recordings: Map<string, { sha256: string; durationMs: number }>) {
  return {
    id: s.id,
    status: s.status,
    signerName: s.signerName,
    signerParticipantId: s.signerParticipantId,
    versionHash: s.versionHash,
    identityMethod: s.identityMethod,
    at: s.at.toISOString(),
    declineReason: s.declineReason,
    imageSha256: s.imageSha256,
    consentRecording: recordings.get(s.id) ?? null,
  };
}

export async function getAgreement(ctx: ServiceContext, caller: Caller, agreementId: string): Promise<AgreementView> {
  const { agreement, caseRow } = await agreementFor(ctx, caller, agreementId, 'read');
  const db = ctx.db;
  const [version, versions, comments, signatures, confirmation, sealed, consentRecordings] = await Promise.all([
    repo.findVersionById(db, agreement.currentVersionId!),
    repo.listVersions(db, agreementId),
    repo.listComments(db, agreementId),
    repo.allSignatures(db, agreementId),
    latestConfirmation(db, agreementId),
    agreement.sealedDocumentId ? repo.findDocument(db, agreement.sealedDocumentId) : Promise.resolve(undefined),
    consentRepo.boundRecordingsOf(db, agreementId),
  ]);
  const recordings = new Map(consentRecordings.flatMap((r) => (r.signatureId ? [[r.signatureId, { sha256: r.sha256, durationMs: r.durationMs }] as const] : [])));
  const terms = agreementDraftSchema.parse({ templateId: agreement.templateId, terms: version!.terms }).terms;
  const numberOf = new Map(versions.map((v) => [v.id, v.number]));
  const live = signatures.filter((s) => s.status !== 'voided' && s.versionId === version!.id);
  const signers = (await requiredSigners(db, agreement.caseId, terms)).map((r) => {
    const s = live.find((x) => x.partyId === r.partyId);
    return { ...r, signature: s ? signatureView(s, recordings) : null };
  });
  const now = ctx.now();
  const applyBy = agreement.effectiveAt ? deadlineAfter(agreement.effectiveAt, limits.applyForConfirmationDays) : null;
  return {
    id: agreement.id,
    caseId: agreement.caseId,
    caseNumber: caseRow.number,
    templateId: agreement.templateId,
    title: templateTitles[agreement.templateId],
    status: agreement.status,
    currentVersion: { id: version!.id, number: version!.number, sha256: version!.sha256, text: version!.text, terms: version!.terms, createdAt: version!.createdAt.toISOString() },
    versions: versions.map((v) => ({ number: v.number, sha256: v.sha256, createdAt: v.createdAt.toISOString() })),
    requiredSigners: signers,
    voidedSignatures: signatures.filter((s) => s.status === 'voided').map((s) => signatureView(s, recordings)),
    comments: comments.map((c) => ({ id: c.id, versionNumber: numberOf.get(c.versionId) ?? 0, kind: c.kind, text: c.text, authorName: c.authorName, createdAt: c.createdAt.toISOString() })),
    effectiveAt: agreement.effectiveAt?.toISOString() ?? null,
    applyBy: applyBy ? { at: applyBy.toISOString(), daysLeft: daysLeft(applyBy, now) } : null,
    sealedDocument: sealed ? { id: sealed.id, sha256: sealed.sha256, byteSize: sealed.byteSize, url: ctx.urls.sign(`/api/documents/${sealed.id}/pdf`, 4 * 3600) } : null,
    confirmation: confirmation ? confirmationSummary(ctx, confirmation) : null,
  };
}

// ---- signing -----------------------------------------------------------------------------

/** A six-digit code the mediator reads out, for a signer who cannot confirm with an ID number. */
export async function issueSigningCode(ctx: ServiceContext, p: Principal, agreementId: string, participantId: string) {
  const { agreement } = await agreementFor(ctx, { kind: 'staff', principal: p }, agreementId, 'write');
  // A code is only good for signing: none while the text may still change or once it is settled.
  if (agreement.status !== 'signing') throw conflict(`the agreement is ${agreement.status}; codes are issued while it is out for signature`);
  const participants = await listActiveParticipants(ctx.db, agreement.caseId);
  if (!participants.some((x) => x.id === participantId)) throw invalid('participantId', 'not a participant of this case');
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expiresAt = new Date(ctx.now().getTime() + signingCodeMinutes * 60_000);
  await ctx.db.transaction(async (tx) => {
    await repo.insertSigningCode(tx, { agreementId, participantId, codeHash: hashToken(`${agreementId}:${participantId}:${code}`), expiresAt });
    await identityRepo.resetCodeFailures(tx, agreementId, participantId, ctx.now());
    await appendAuditEvent(tx, { type: 'agreement.signing_code_issued', caseId: agreement.caseId, actor: staffActor(p), data: { agreementId, participantId } });
  });
  return { code, expiresAt: expiresAt.toISOString() };
}

interface RequestMeta {
  ip: string;
  userAgent: string;
}

/** The party a participant may sign for under these terms, or a 403. */
export function partyToSignFor(caller: Caller, terms: AgreementDraft['terms']): string {
  if (caller.kind !== 'participant') throw forbidden('parties sign for themselves; staff cannot sign');
  const p = caller.participant;
  const sides = [...terms.partiesA, ...terms.partiesB];
  if (p.role === 'party' && p.partyId && sides.includes(p.partyId)) return p.partyId;
  const authorised = terms.agents.find((a) => a.participantId === p.participantId && a.maySign);
  if (p.role === 'agent' && authorised) return authorised.forPartyId;
  throw forbidden('you are not a signer of this agreement');
}

async function decodeSignatureImage(base64: string) {
  const bytes = Buffer.from(base64, 'base64');
  const type = await fileTypeFromBuffer(bytes);
  if (type?.mime !== 'image/png') throw invalid('signaturePng', 'must be a PNG image');
  if (bytes.length < 100) throw invalid('signaturePng', 'the signature is empty');
  return bytes;
}

/** The signer's stored, unbound spoken consent with this hash for this version, or a 400 naming the field. */
async function consentRecordingToBind(tx: Db, versionId: string, participantId: string, sha256: string) {
  const row = await consentRepo.findRecording(tx, versionId, participantId, sha256);
  if (!row || row.signatureId) throw invalid('consentRecordingSha256', 'no spoken consent with this SHA-256 was received from you for this version: record it and upload it first');
  return row;
}

/** Reads the current version and checks the request is for it (signatures bind to a hash). */
async function lockedForSigning(tx: Db, agreementId: string, versionId: string, versionHash: string) {
  const agreement = (await repo.lockAgreement(tx, agreementId))!;
  if (agreement.status !== 'signing') throw conflict(agreement.status === 'drafting' ? 'the agreement is being revised; wait for the new version' : `the agreement is ${agreement.status}`);
  const version = (await repo.findVersionById(tx, agreement.currentVersionId!))!;
  if (version.id !== versionId || version.sha256 !== versionHash) throw conflict('the agreement has a newer version: read it before signing');
  return { agreement, version, terms: agreementDraftSchema.parse({ templateId: agreement.templateId, terms: version.terms }).terms };
}

export async function signAgreement(ctx: ServiceContext, effects: AgreementEffects, caller: Caller, agreementId: string, request: SignRequest, meta: RequestMeta) {
  // Staff are refused before any lookup: the answer must not depend on the agreement existing.
  if (caller.kind !== 'participant') throw forbidden('parties sign for themselves; staff cannot sign');
  await agreementFor(ctx, caller, agreementId, 'read');
  const image = await decodeSignatureImage(request.signaturePng);
  const imageKey = await ctx.files.put(image);
  let completed = false;
  let caseId = '';
  let refused: AppError | null = null;
  try {
    refused = await ctx.db.transaction(async (tx) => {
      const { agreement, version, terms } = await lockedForSigning(tx, agreementId, request.versionId, request.versionHash);
      caseId = agreement.caseId;
      const partyId = partyToSignFor(caller, terms);
      const live = await repo.liveSignatures(tx, version.id);
      const existing = live.find((s) => s.partyId === partyId);
      if (existing) throw conflict(existing.status === 'signed' ? 'already signed for this party' : 'this party has declined; the mediator must revise the agreement');
      const recording = await consentRecordingToBind(tx, version.id, caller.participant.participantId, request.consentRecordingSha256);
      // A wrong answer is counted (committed with this transaction), then the signature refused.
      const identityRefused = await checkSigningIdentity(tx, ctx, agreement, caller, request.identity);
      if (identityRefused) return identityRefused;
      const at = ctx.now();
      const signature = await repo.insertSignature(tx, {
        agreementId,
        versionId: version.id,
        versionHash: version.sha256,
        partyId,
        signerParticipantId: caller.participant.participantId,
        signerName: caller.participant.displayName,
        status: 'signed',
        identityMethod: request.identity.method,
        consentText,
        imageStorageKey: imageKey,
        imageSha256: sha256Hex(image),
        consentRecordingSha256: recording.sha256,
        ip: meta.ip,
        userAgent: meta.userAgent.slice(0, 500),
        at,
      });
      await appendAuditEvent(tx, {
        type: 'signature.signed',
        caseId: agreement.caseId,
        actor: actorOf(caller),
        data: { agreementId, signatureId: signature.id, partyId, versionHash: version.sha256, identityMethod: request.identity.method, imageSha256: signature.imageSha256, consentRecordingSha256: recording.sha256 },
      });
      if (!(await consentRepo.bindRecording(tx, recording.id, signature.id))) throw conflict('the consent recording was used meanwhile; sign again');
      const required = await requiredSigners(tx, agreement.caseId, terms);
      const signedParties = new Set([...live.filter((s) => s.status === 'signed').map((s) => s.partyId), partyId]);
      if (required.every((r) => signedParties.has(r.partyId))) {
        await markSignedByAll(tx, agreement, version.sha256, at, actorOf(caller));
        completed = true;
      }
      return null;
    });
  } catch (error) {
    await discardUnrecorded(ctx, imageKey, error);
    throw error;
  }
  if (refused) {
    await discardUnrecorded(ctx, imageKey, refused);
    throw refused;
  }
  effects.changed(caseId, agreementId);
  if (completed) effects.signedByAll(agreementId);
  return getAgreement(ctx, caller, agreementId);
}

/** The last signature makes the agreement binding: it takes effect and the case is settled. */
async function markSignedByAll(tx: Db, agreement: repo.AgreementRow, versionHash: string, at: Date, actor: AuditActor) {
  await moveAgreement(tx, { id: agreement.id, caseId: agreement.caseId, status: 'signing' }, 'signed', actor, { effectiveAt: at }, { versionHash });
  const caseRow = (await casesRepo.findCase(tx, agreement.caseId))!.case;
  await moveCaseIfAllowed(tx, caseRow, 'settled', actor, { agreementId: agreement.id });
}

/** The one place an agreement changes status: table check, conditional update, audit event. */
export function moveAgreement(tx: Db, current: { id: string; caseId: string; status: AgreementStatus }, to: AgreementStatus, actor: AuditActor, values: Partial<repo.AgreementRow> = {}, why: { versionHash?: string; confirmationId?: string } = {}) {
  const from = current.status;
  return applyTransition(tx, {
    subject: 'agreement',
    machine: agreementMachine,
    from,
    to,
    update: () => repo.updateAgreementWhereStatus(tx, current.id, from, { ...values, status: to }),
    event: { type: 'agreement.status_changed', caseId: current.caseId, actor, data: { agreementId: current.id, from, to, ...why } },
  });
}

export async function declineAgreement(ctx: ServiceContext, effects: AgreementEffects, caller: Caller, agreementId: string, request: { versionId: string; versionHash: string; reason: string }, meta: RequestMeta) {
  if (caller.kind !== 'participant') throw forbidden('parties answer for themselves; staff cannot decline');
  await agreementFor(ctx, caller, agreementId, 'read');
  let caseId = '';
  await ctx.db.transaction(async (tx) => {
    const { agreement, version, terms } = await lockedForSigning(tx, agreementId, request.versionId, request.versionHash);
    caseId = agreement.caseId;
    const partyId = partyToSignFor(caller, terms);
    if ((await repo.liveSignatures(tx, version.id)).some((s) => s.partyId === partyId)) throw conflict('this party has already answered this version');
    const signature = await repo.insertSignature(tx, {
      agreementId,
      versionId: version.id,
      versionHash: version.sha256,
      partyId,
      signerParticipantId: (caller as Caller & { kind: 'participant' }).participant.participantId,
      signerName: (caller as Caller & { kind: 'participant' }).participant.displayName,
      status: 'declined',
      declineReason: request.reason,
      ip: meta.ip,
      userAgent: meta.userAgent.slice(0, 500),
      at: ctx.now(),
    });
    await appendAuditEvent(tx, { type: 'signature.declined', caseId: agreement.caseId, actor: actorOf(caller), data: { agreementId, signatureId: signature.id, partyId, versionHash: version.sha256 } });
  });
  effects.changed(caseId, agreementId);
  return getAgreement(ctx, caller, agreementId);
}

