import { createHash } from 'node:crypto';
import type { AssignMediators, MediatorProfileInput } from '../../../shared/api/mediators.ts';
import { choiceClosedBy, choosingRoles, type MediatorRole, maxPhotoBytes, type photoContentTypes } from '../../../shared/domain/mediators.ts';
import { type Principal, staffActor } from '../../access/principal.ts';
import { loadCase } from '../../access/case-loading.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../../errors.ts';
import type { ParticipantPrincipal } from '../invitations/invitations.service.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { findCase, lockCase, touchCase } from '../cases/cases.repository.ts';
import { addToOutbox, type NotificationEffects } from '../notifications/notifications.service.ts';
import * as repo from './mediators.repository.ts';

const photoLinkSeconds = 4 * 3600;
const photoPath = (staffUserId: string) => `/api/mediators/${staffUserId}/photo`;

/** Registering a case makes its creator the lead mediator (in the registration's transaction). */
export async function assignCreator(tx: Db, ctx: ServiceContext, p: Principal, caseId: string) {
  await repo.replaceAssignment(tx, caseId, [{ staffUserId: p.staffUserId, role: 'lead' }], ctx.now(), null);
  await appendAuditEvent(tx, { type: 'case.mediators_assigned', caseId, actor: staffActor(p), data: { lead: p.staffUserId, coMediators: [], previousLead: null, previousCoMediators: [] } });
}

async function choiceOpen(db: Db, caseId: string, lock = false) {
  return !choiceClosedBy(await repo.mediationSessionStatuses(db, caseId, lock));
}

async function caseMediatorsView(db: Db, p: Principal, caseId: string) {
  const [assigned, choices, open] = await Promise.all([repo.assignedTo(db, caseId), repo.choicesOn(db, caseId), choiceOpen(db, caseId)]);
  const lead = assigned.find((a) => a.role === 'lead') ?? null;
  return {
    lead,
    coMediators: assigned.filter((a) => a.role === 'co'),
    choices: choices.map((c) => ({ ...c, chosenAt: c.chosenAt.toISOString() })),
    choicesDiffer: new Set(choices.map((c) => c.staffUserId)).size > 1,
    choiceOpen: open,
    mayAssign: p.centerHead,
  };
}

/** Who mediates the case and what the parties chose: for the center's staff (and courts that read the file). */
export async function getCaseMediators(ctx: ServiceContext, p: Principal, caseId: string) {
  await loadCase(ctx.db, p, caseId, 'full');
  return caseMediatorsView(ctx.db, p, caseId);
}

const notice = (name: string, role: MediatorRole, kase: { number: string; title: string }) =>
  `【海桥云调解】${name}您好：中心指派您${role === 'lead' ? '主办' : '协办'}纠纷${kase.number}（${kase.title}），请登录海桥查看“我的案件”。`;

/**
 * The center's head assigns or reassigns: one lead, optional co-mediators, all active mediators of
 * the case's center. Conditional on the lead the head saw (`expectedLeadId`): two heads changing it
 * at once do not overwrite each other. Newly assigned mediators with a phone get an SMS through the
 * outbox, delivered after the commit.
 */
export async function assignMediators(ctx: ServiceContext, effects: NotificationEffects, p: Principal, caseId: string, input: AssignMediators) {
  if (p.role !== 'mediator' || !p.centerHead) throw forbidden('only the center’s head assigns mediators');
  const { view, queued } = await ctx.db.transaction(async (tx) => {
    const found = await loadCase(tx, p, caseId, 'read');
    if (found.case.centerId !== p.organisationId) throw forbidden('only the case’s own center assigns its mediators');
    await lockCase(tx, caseId);
    const before = await repo.assignedTo(tx, caseId);
    const previousLead = before.find((a) => a.role === 'lead')?.staffUserId ?? null;
    if (previousLead !== (input.expectedLeadId ?? null)) throw conflict('the case’s mediators changed meanwhile; reload and try again');
    const coMediatorIds = input.coMediatorIds ?? [];
    const valid = await repo.activeMediatorsOf(tx, found.case.centerId, [input.leadId, ...coMediatorIds]);
    if (!valid.has(input.leadId)) throw invalid('leadId', 'not an active mediator of the case’s center');
    const strayCo = coMediatorIds.findIndex((id) => !valid.has(id));
    if (strayCo >= 0) throw invalid(`coMediatorIds.${strayCo}`, 'not an active mediator of the case’s center');
    const rows = [{ staffUserId: input.leadId as string, role: 'lead' as const }, ...coMediatorIds.map((id) => ({ staffUserId: id as string, role: 'co' as const }))];
    await repo.replaceAssignment(tx, caseId, rows, ctx.now(), p.staffUserId);
    await touchCase(tx, caseId);
    await appendAuditEvent(tx, {
      type: 'case.mediators_assigned',
      caseId,
      actor: staffActor(p),
      data: { lead: input.leadId, coMediators: [...coMediatorIds], previousLead, previousCoMediators: before.filter((a) => a.role === 'co').map((a) => a.staffUserId) },
    });
    const ids: string[] = [];
    const had = new Map(before.map((a) => [a.staffUserId, a.role]));
    for (const row of rows) {
      if (had.get(row.staffUserId) === row.role) continue; // told already
      const [staff, profile] = await Promise.all([repo.findStaff(tx, row.staffUserId), repo.findProfile(tx, row.staffUserId)]);
      if (!profile?.phone || !staff) continue;
      const id = await addToOutbox(tx, ctx, {
        caseId,
        kind: 'mediator_assigned',
        to: profile.phone,
        body: notice(staff.displayName, row.role, found.case),
        dedupeKey: `mediator_assigned:${caseId}:${row.staffUserId}:${row.role}:${ctx.now().getTime()}`,
        sendAfter: ctx.now(),
      });
      if (id) ids.push(id);
    }
    return { view: await caseMediatorsView(tx, p, caseId), queued: ids };
  });
  effects.queued(queued);
  return view;
}

function rosterEntry(ctx: ServiceContext, row: Awaited<ReturnType<typeof repo.roster>>[number]) {
  return {
    staffUserId: row.id,
    displayName: row.displayName,
    photoUrl: row.profile?.photoStorageKey ? ctx.urls.sign(`${photoPath(row.id)}?v=${row.profile.photoSha256!.slice(0, 12)}`, photoLinkSeconds) : null,
    dialects: row.profile?.dialects ?? [],
    specialities: row.profile?.specialities ?? [],
    introduction: row.profile?.introduction ?? '',
    casesHandled: row.handled,
  };
}

function assertChooser(participant: ParticipantPrincipal) {
  if (!choosingRoles.includes(participant.role)) throw forbidden('only a party or its agent chooses a mediator');
}

/** The party's page: the center's roster, their own choice and whether choosing is still open. */
export async function partyRoster(ctx: ServiceContext, participant: ParticipantPrincipal, caseId: string) {
  assertChooser(participant);
  if (participant.caseId !== caseId) throw notFound('case');
  const found = (await findCase(ctx.db, caseId))!;
  const [rows, choice, open] = await Promise.all([repo.roster(ctx.db, found.case.centerId), repo.choiceOf(ctx.db, participant.participantId), choiceOpen(ctx.db, caseId)]);
  return { centerName: found.centerName, open, chosenStaffUserId: choice?.staffUserId ?? null, mediators: rows.map((r) => rosterEntry(ctx, r)) };
}

/**
 * A party (or its agent) chooses a mediator of the case's center, until a mediation session of
 * the case goes live. The session rows are share-locked while the choice is stored, so a session
 * going live at the same moment is ordered before (the choice is refused) or after (it stands).
 * Choosing again replaces one's own choice; each party's choice is kept and shown to the head.
 */
export async function chooseMediator(ctx: ServiceContext, participant: ParticipantPrincipal, caseId: string, staffUserId: string) {
  assertChooser(participant);
  if (participant.caseId !== caseId) throw notFound('case');
  await ctx.db.transaction(async (tx) => {
    const found = (await findCase(tx, caseId))!;
    if (!(await choiceOpen(tx, caseId, true))) throw new AppError('CONFLICT', 'the mediation has started: a mediator can no longer be chosen; speak to your mediator', 'staffUserId');
    if (!(await repo.activeMediatorsOf(tx, found.case.centerId, [staffUserId])).has(staffUserId)) throw invalid('staffUserId', 'not a mediator on this center’s roster');
    const previous = await repo.choiceOf(tx, participant.participantId);
    if (previous?.staffUserId === staffUserId) return;
    await repo.saveChoice(tx, { participantId: participant.participantId, caseId, staffUserId, chosenAt: ctx.now() });
    await appendAuditEvent(tx, {
      type: 'case.mediator_chosen',
      caseId,
      actor: { kind: 'participant', participantId: participant.participantId },
      data: { participantId: participant.participantId, staffUserId, previous: previous?.staffUserId ?? null },
    });
  });
  return partyRoster(ctx, participant, caseId);
}

// ---- profiles ------------------------------------------------------------------------------

function profileView(ctx: ServiceContext, row: Awaited<ReturnType<typeof repo.roster>>[number]) {
  return { ...rosterEntry(ctx, row), phone: row.profile?.phone ?? null, centerHead: row.centerHead };
}

/** The center's mediators with their profiles: for its mediators and admins. */
export async function listProfiles(ctx: ServiceContext, p: Principal) {
  if (p.organisationKind !== 'mediation_center') throw forbidden('profiles belong to a mediation center’s mediators');
  return { items: (await repo.roster(ctx.db, p.organisationId)).map((r) => profileView(ctx, r)) };
}

/** A mediator edits their own profile; an admin of the same center edits any of its mediators'. */
async function editableMediator(db: Db, p: Principal, staffUserId: string) {
  if (p.role === 'mediator' ? p.staffUserId !== staffUserId : p.role !== 'admin') throw forbidden('a mediator edits their own profile; an admin those of the center');
  const staff = await repo.findStaff(db, staffUserId);
  if (!staff || staff.organisationId !== p.organisationId || staff.role !== 'mediator') throw notFound('mediator');
  return staff;
}

async function profileOf(ctx: ServiceContext, db: Db, staffUserId: string, centerId: string) {
  const row = (await repo.roster(db, centerId)).find((r) => r.id === staffUserId);
  if (!row) throw notFound('mediator');
  return profileView(ctx, row);
}

export async function updateProfile(ctx: ServiceContext, p: Principal, staffUserId: string, input: MediatorProfileInput) {
  return ctx.db.transaction(async (tx) => {
    const staff = await editableMediator(tx, p, staffUserId);
    await repo.upsertProfile(tx, staffUserId, {
      dialects: input.dialects,
      specialities: input.specialities,
      introduction: input.introduction ?? '',
      phone: input.phone ?? null,
      updatedAt: ctx.now(),
    });
    await appendAuditEvent(tx, { type: 'mediator.profile_updated', actor: staffActor(p), data: { staffUserId, fields: Object.keys(input).sort() } });
    return profileOf(ctx, tx, staffUserId, staff.organisationId);
  });
}

/** Stores a photo (JPEG, PNG or WebP, recognised by its bytes, at most 2 MiB) for the roster. */
export async function putPhoto(ctx: ServiceContext, p: Principal, staffUserId: string, bytes: Buffer) {
  await editableMediator(ctx.db, p, staffUserId);
  const contentType = imageTypeOf(bytes);
  if (!contentType) throw invalid('photo', `a JPEG, PNG or WebP image of at most ${maxPhotoBytes} bytes`);
  const key = await ctx.files.put(bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    return await ctx.db.transaction(async (tx) => {
      const staff = await editableMediator(tx, p, staffUserId);
      await repo.upsertProfile(tx, staffUserId, { photoStorageKey: key, photoContentType: contentType, photoSha256: sha256, updatedAt: ctx.now() });
      await appendAuditEvent(tx, { type: 'mediator.photo_uploaded', actor: staffActor(p), data: { staffUserId, sha256, byteSize: bytes.length } });
      return profileOf(ctx, tx, staffUserId, staff.organisationId);
    });
  } catch (error) {
    await ctx.files.remove(key);
    throw error;
  }
}

/** The photo bytes, for a signed link (the roster's) or the center's staff. */
export async function readPhoto(ctx: ServiceContext, p: Principal | null, staffUserId: string) {
  const [staff, profile] = await Promise.all([repo.findStaff(ctx.db, staffUserId), repo.findProfile(ctx.db, staffUserId)]);
  if (p && staff?.organisationId !== p.organisationId) throw notFound('photo');
  if (!profile?.photoStorageKey) throw notFound('photo');
  return { bytes: await ctx.files.read(profile.photoStorageKey), contentType: profile.photoContentType! };
}

export const verifyPhotoLink = (ctx: ServiceContext, staffUserId: string, v: string | undefined, exp: unknown, sig: unknown) =>
  v !== undefined && ctx.urls.verify(`${photoPath(staffUserId)}?v=${v}`, exp, sig);

/** The image type from the bytes' signature, not from what the client claims. */
function imageTypeOf(bytes: Buffer): (typeof photoContentTypes)[number] | null {
  if (bytes.length === 0 || bytes.length > maxPhotoBytes) return null;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return null;
}
