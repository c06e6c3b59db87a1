import { fileTypeFromBuffer } from 'file-type';
import { evidenceContentTypes, evidenceMaxBytes, voiceStatementLimits, type CustodyEntry, type EvidenceCapture, type EvidenceView } from '../../../shared/api/evidence.ts';
import { caseMachine } from '../../../shared/domain/cases.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { PdfPageOutOfRange, PdfTooCostly, PdfUnreadable, renderPdfPage } from '../../documents/pdf-page-image.ts';
import { AppError, conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { sha256Hex } from '../../security/tokens.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { findParty } from '../cases/cases.repository.ts';
import { asNotFound, loadCaseForCaller } from '../../access/case-loading.ts';
import { assertCaseWorker, assertMayReadCustody } from '../../access/roles.ts';
import { actorOf, type Caller } from '../../access/caller.ts';
import { actsAsMediator, defaultSharedWith, mayUpload, mayView } from '../../access/evidence-access.ts';
import { discardUnrecorded } from './unclaimed-files.ts';
import { ConsentAudioRejected, probeVoiceAudio } from '../agreements/consent-audio.ts';
import * as repo from './evidence.repository.ts';

const linkSeconds = 4 * 3600;
/** How far ahead of the server a phone's clock may run before its capture time counts as the future. */
const captureClockSkewMs = 5 * 60_000;

export function contentPath(id: string) {
  return `/api/evidence/${id}/content`;
}

/** Who a signed link is for (`s.<staff id>` or `p.<participant id>`): its uses are audited as theirs. */
export type ViewerKey = string;
export function viewerKey(caller: Caller): ViewerKey {
  return caller.kind === 'staff' ? `s.${caller.principal.staffUserId}` : `p.${caller.participant.participantId}`;
}
export function actorOfViewerKey(key: string | undefined) {
  const m = key ? /^([sp])\.([0-9a-f-]{36})$/.exec(key) : null;
  if (!m) return null;
  return m[1] === 's' ? { kind: 'staff' as const, staffUserId: m[2]! } : { kind: 'participant' as const, participantId: m[2]! };
}

/** The exact path a content link signs: the item, who it is for, and whether it downloads. */
export function signedContentPath(id: string, by: string | undefined, download: boolean) {
  const query = [by ? `by=${by}` : '', download ? 'download=1' : ''].filter(Boolean).join('&');
  return query ? `${contentPath(id)}?${query}` : contentPath(id);
}

export function pagePath(id: string, page: number) {
  return `/api/evidence/${id}/pages/${page}`;
}

function view(ctx: ServiceContext, row: Awaited<ReturnType<typeof repo.findEvidence>> & object, caller: Caller): EvidenceView {
  const e = row.evidence;
  const by = viewerKey(caller);
  return {
    id: e.id,
    caseId: e.caseId,
    kind: e.kind,
    fileName: e.fileName,
    contentType: e.contentType as EvidenceView['contentType'],
    byteSize: e.byteSize,
    sha256: e.sha256,
    description: e.description,
    sharedWith: e.sharedWith,
    uploadedBy: e.uploadedByStaffId ? { kind: 'staff', name: row.staffName ?? '' } : { kind: 'participant', name: row.participantName ?? '' },
    uploadedAt: e.uploadedAt.toISOString(),
    capture: e.capturedAt ? { capturedAt: e.capturedAt.toISOString(), latitude: e.captureLatitude, longitude: e.captureLongitude } : null,
    url: ctx.urls.sign(signedContentPath(e.id, by, false), linkSeconds),
    downloadUrl: ctx.urls.sign(signedContentPath(e.id, by, true), linkSeconds),
    appraisalStatement: row.statement?.text ? { text: row.statement.text, signedAt: row.statement.signedAt!.toISOString(), signatureSha256: row.statement.signatureSha256! } : null,
  };
}

/** Keeps only a plain base name: no paths, no control characters (nor bidi overrides that disguise an extension). */
function cleanFileName(name: string) {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, '').trim().slice(0, 200);
  return cleaned || 'upload';
}

export interface Upload {
  bytes: Buffer;
  fileName: string;
  truncated: boolean;
}

/** An upload the case already holds: the same capture (bytes and capture time) sent again by a phone whose first answer was lost. */
class AlreadyReceived extends Error {}

type UploadFields = { description?: string | undefined; sharedWith?: string | undefined; kind?: 'evidence' | 'appraisal_report'; capture?: EvidenceCapture | undefined };

export async function uploadEvidence(
  ctx: ServiceContext,
  caller: Caller,
  caseId: string,
  upload: Upload,
  fields: UploadFields,
  alongside?: (tx: Db, row: repo.EvidenceRow) => Promise<void>,
) {
  return (await receiveEvidence(ctx, caller, caseId, upload, fields, alongside)).view;
}

/**
 * Records an upload; `created` is false when it repeats a capture already recorded (store-and-forward
 * queues retry when an answer is lost): the earlier item is answered, nothing new is written.
 */
export async function receiveEvidence(

  ctx: ServiceContext,
  caller: Caller,
  caseId: string,
  upload: Upload,
  fields: UploadFields,
  /** Writes that belong to the same upload (an appraiser's signed statement), in its transaction. */
  alongside?: (tx: Db, row: repo.EvidenceRow) => Promise<void>,
) {
  if (!mayUpload(caller)) throw forbidden('your role cannot upload evidence');
  const caseRow = (await loadCaseForCaller(ctx.db, caller, caseId, 'write')).case;
  if (caseMachine.isTerminal(caseRow.status)) throw conflict(`the case is ${caseRow.status}; no new evidence`);
  if (upload.truncated || upload.bytes.length > evidenceMaxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `files may be at most ${evidenceMaxBytes / 1024 / 1024} MB`, 'file');
  if (upload.bytes.length === 0) throw invalid('file', 'the file is empty');
  const sha256 = sha256Hex(upload.bytes);
  const { capture } = fields;
  // Store-and-forward: the bytes must be those hashed on the phone, and captured before now (a phone clock may run a little fast).
  if (capture && capture.captureSha256 !== sha256) throw invalid('captureSha256', 'the file is not the one hashed at capture');
  if (capture && new Date(capture.capturedAt).getTime() > Date.now() + captureClockSkewMs) throw invalid('capturedAt', 'the capture time is in the future');
  if (capture) {
    const earlier = await repo.findCaptured(ctx.db, caseId, sha256, new Date(capture.capturedAt));
    if (earlier) return repeated(ctx, caller, earlier.id);
  }
  const contentType = await contentTypeOf(upload.bytes);
  const ownSide = defaultSharedWith(caller);
  const sharedWith = fields.sharedWith ?? ownSide;
  if (sharedWith !== 'all' && sharedWith !== 'mediator' && !(await findParty(ctx.db, caseId, sharedWith))) throw invalid('sharedWith', 'not a party of this case');
  // Only the mediator decides who beyond one's own side sees material.
  if (!actsAsMediator(caller) && sharedWith !== ownSide && sharedWith !== 'mediator') throw forbidden('you can share with your own side or the mediator only');
  const storageKey = await ctx.files.put(upload.bytes);
  let row: repo.EvidenceRow;
  try {
    row = await ctx.db.transaction(async (tx) => {
      const inserted = await repo.insertEvidenceOnce(tx, {
        caseId,
        kind: fields.kind ?? 'evidence',
        fileName: cleanFileName(upload.fileName),
        contentType,
        byteSize: upload.bytes.length,
        sha256,
        storageKey,
        capturedAt: capture ? new Date(capture.capturedAt) : null,
        captureLatitude: capture?.latitude ?? null,
        captureLongitude: capture?.longitude ?? null,
        description: fields.description ?? '',
        sharedWith,
        uploadedByStaffId: caller.kind === 'staff' ? caller.principal.staffUserId : null,
        uploadedByParticipantId: caller.kind === 'participant' ? caller.participant.participantId : null,
      });
      if (!inserted) throw new AlreadyReceived();
      await appendAuditEvent(tx, {
        type: 'evidence.uploaded',
        caseId,
        actor: actorOf(caller),
        data: { evidenceId: inserted.id, sha256: inserted.sha256, byteSize: inserted.byteSize, contentType: inserted.contentType, kind: inserted.kind, ...(inserted.capturedAt ? { capturedAt: inserted.capturedAt.toISOString() } : {}) },
      });
      await alongside?.(tx, inserted);
      return inserted;
    });
  } catch (error) {
    await discardUnrecorded(ctx, storageKey, error); // nothing half-written: no file without its row
    // The same capture recorded meanwhile by a concurrent retry: answered as a repeat.
    const earlier = error instanceof AlreadyReceived && capture ? await repo.findCaptured(ctx.db, caseId, sha256, new Date(capture.capturedAt)) : undefined;
    if (earlier) return repeated(ctx, caller, earlier.id);
    throw error;
  }
  // After the commit: a failure reading it back must not take the file of a recorded upload.
  return { view: view(ctx, (await repo.findEvidence(ctx.db, row.id))!, caller), created: true };
}

/** The earlier item of a repeated capture, when the caller is the one who sent it (else a conflict: no one else's item is answered). */
async function repeated(ctx: ServiceContext, caller: Caller, id: string) {
  const row = (await repo.findEvidence(ctx.db, id))!;
  const e = row.evidence;
  const own = caller.kind === 'staff' ? e.uploadedByStaffId === caller.principal.staffUserId : e.uploadedByParticipantId === caller.participant.participantId;
  if (!own) throw conflict('this capture is already in the case, uploaded by someone else');
  return { view: view(ctx, row, caller), created: false };
}

/** The type sniffed from the bytes; a recording (WebM, Ogg, MP4 all look alike to a sniffer) must be one audio stream, checked by ffprobe. */
async function contentTypeOf(bytes: Buffer): Promise<(typeof evidenceContentTypes)[number]> {
  const sniffed = await fileTypeFromBuffer(bytes);
  const unsupported = () => new AppError('UNSUPPORTED_MEDIA_TYPE', 'upload a photo (JPEG, PNG, WebP), a PDF or a voice recording (WebM, Ogg, MP4 audio)', 'file');
  if (!sniffed) throw unsupported();
  if ((evidenceContentTypes as readonly string[]).includes(sniffed.mime) && !sniffed.mime.startsWith('audio/')) return sniffed.mime as (typeof evidenceContentTypes)[number];
  if (!/^(audio|video)\/(webm|ogg|mp4)\b/.test(sniffed.mime) && !['audio/opus', 'audio/x-m4a', 'audio/aac'].includes(sniffed.mime)) throw unsupported();
  const audio = await probeVoiceAudio(bytes, voiceStatementLimits).catch((error: unknown) => {
    throw error instanceof ConsentAudioRejected ? invalid('file', error.message) : error;
  });
  return audio.contentType;
}

export async function listEvidence(ctx: ServiceContext, caller: Caller, caseId: string) {
  const { sharedOnly } = await loadCaseForCaller(ctx.db, caller, caseId, 'read');
  const rows = await repo.listForCase(ctx.db, caseId);
  return { items: rows.filter((r) => mayView(caller, r.evidence, sharedOnly)).map((r) => view(ctx, r, caller)) };
}

/** The stored item, when the caller (or a valid signed link) may see it. */
export async function evidenceFor(ctx: ServiceContext, caller: Caller | null, id: string, signed: boolean) {
  if (!signed && !caller) throw new AppError('UNAUTHENTICATED', 'log in or open your invitation link');
  const viewer = signed ? null : caller!;
  if (viewer) assertCaseWorker(viewer);
  const row = await repo.findEvidence(ctx.db, id);
  if (!row) throw notFound('evidence');
  if (viewer) {
    const { sharedOnly } = await loadCaseForCaller(ctx.db, viewer, row.evidence.caseId, 'read').catch(asNotFound('evidence'));
    if (!mayView(viewer, row.evidence, sharedOnly)) throw notFound('evidence');
  }
  return row.evidence;
}

export async function evidenceBytes(ctx: ServiceContext, row: repo.EvidenceRow) {
  return ctx.files.read(row.storageKey);
}

export async function evidencePage(ctx: ServiceContext, row: repo.EvidenceRow, page: number) {
  if (row.contentType !== 'application/pdf') {
    if (page !== 1) throw notFound('page');
    return { bytes: await ctx.files.read(row.storageKey), contentType: row.contentType };
  }
  // A page that could not be drawn is remembered, so asking again costs nothing.
  const refusal = previewRefusals.get(`${row.storageKey}#${page}`);
  if (refusal) throw refusal;
  try {
    const bytes = await ctx.files.readDerived(row.storageKey, `p${page}.png`, async () => renderPdfPage(await ctx.files.read(row.storageKey), page));
    return { bytes, contentType: 'image/png' };
  } catch (error) {
    const answer =
      error instanceof PdfPageOutOfRange
        ? notFound(`page ${page} (${error.message})`)
        : error instanceof PdfUnreadable || error instanceof PdfTooCostly
          ? new AppError('CANNOT_PREVIEW', `page ${page} cannot be previewed (${error.message}); download the original`)
          : null;
    if (!answer) throw error;
    previewRefusals.set(`${row.storageKey}#${page}`, answer);
    throw answer;
  }
}

/** Refused previews by file and page, oldest forgotten first. */
const previewRefusals = new (class extends Map<string, AppError> {
  override set(key: string, value: AppError) {
    if (this.size >= 10_000) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
})();

export async function shareEvidence(ctx: ServiceContext, caller: Caller, id: string, sharedWith: string) {
  // Refused by role before any lookup, so the answer does not depend on whether the item exists.
  if (!actsAsMediator(caller)) throw forbidden('only the mediator decides who sees evidence');
  const row = await repo.findEvidence(ctx.db, id);
  if (!row) throw notFound('evidence');
  await loadCaseForCaller(ctx.db, caller, row.evidence.caseId, 'write').catch(asNotFound('evidence'));
  if (sharedWith !== 'all' && sharedWith !== 'mediator' && !(await findParty(ctx.db, row.evidence.caseId, sharedWith))) throw invalid('sharedWith', 'not a party of this case');
  await ctx.db.transaction(async (tx) => {
    await repo.setSharedWith(tx, row.evidence.caseId, id, sharedWith);
    await appendAuditEvent(tx, { type: 'evidence.shared', caseId: row.evidence.caseId, actor: actorOf(caller), data: { evidenceId: id, from: row.evidence.sharedWith, to: sharedWith } });
  });
  return view(ctx, (await repo.findEvidence(ctx.db, id))!, caller);
}

/**
 * Custody: a view or download of the bytes is recorded, in its own transaction, before the
 * bytes are served: who (the caller, or whom the signed link was made for), when, which hash.
 */
export async function recordCustody(
  ctx: ServiceContext,
  row: repo.EvidenceRow,
  type: 'evidence.viewed' | 'evidence.downloaded',
  actor: ReturnType<typeof actorOf> | { kind: 'system' },
  extra: { page?: number; via: 'login' | 'signed_link' | 'room_link' },
) {
  await ctx.db.transaction(async (tx) => {
    await appendAuditEvent(tx, { type, caseId: row.caseId, actor, data: { evidenceId: row.id, sha256: row.sha256, ...extra } });
  });
}
export { actorOf as custodyActorOf };

/** For the live room: an item of the case the mediator may show, with a signed page link. */
export function evidenceLookup(ctx: ServiceContext) {
  return {
    async find(caseId: string, evidenceId: string) {
      const row = await repo.findEvidence(ctx.db, evidenceId);
      if (!row || row.evidence.caseId !== caseId) return undefined;
      return { fileName: row.evidence.fileName, contentType: row.evidence.contentType };
    },
    url: (evidenceId: string, page: number) => ctx.urls.sign(`${pagePath(evidenceId, page)}?by=room`, linkSeconds),
    /** The mediator showed the item to the joint room: recorded with who was there. */
    async recordShown(input: { caseId: string; evidenceId: string; page: number; sessionId: string; actor: { kind: 'staff'; staffUserId: string } | { kind: 'participant'; participantId: string }; audience: string[] }) {
      const row = await repo.findEvidence(ctx.db, input.evidenceId);
      if (!row || row.evidence.caseId !== input.caseId) return;
      await ctx.db.transaction(async (tx) => {
        await appendAuditEvent(tx, {
          type: 'evidence.shown',
          caseId: input.caseId,
          actor: input.actor,
          data: { evidenceId: input.evidenceId, sha256: row.evidence.sha256, page: input.page, sessionId: input.sessionId, audience: input.audience },
        });
      });
    },
  };
}

/** An item's chain of custody, from the audit trail (staff who may see the item only). */
export async function custodyOf(ctx: ServiceContext, caller: Caller, id: string) {
  assertMayReadCustody(caller);
  const row = await repo.findEvidence(ctx.db, id);
  if (!row) throw notFound('evidence');
  await loadCaseForCaller(ctx.db, caller, row.evidence.caseId, 'full').catch(asNotFound('evidence'));
  if (!mayView(caller, row.evidence)) throw notFound('evidence');
  const events = await repo.custodyEvents(ctx.db, row.evidence.caseId, id);
  return {
    evidenceId: id,
    sha256: row.evidence.sha256,
    items: events.map((e) => ({
      type: e.type as CustodyEntry['type'],
      at: e.occurredAt.toISOString(),
      actor: { kind: e.actor.kind, name: e.actorName ?? '' },
      sha256: typeof e.data.sha256 === 'string' ? e.data.sha256 : null,
      page: typeof e.data.page === 'number' ? e.data.page : null,
      audience: Array.isArray(e.data.audience) ? (e.data.audience as string[]) : null,
      seq: e.seq,
    })),
  };
}

