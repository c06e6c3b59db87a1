/**
 * Spoken consent at signing (issue 9 point 2): after the read-aloud the signer says their consent
 * and the phone uploads the recording before the signature. The upload is idempotent by SHA-256
 * (a weak link retries it freely); `signAgreement` accepts a signature only with a stored,
 * unbound recording of that signer for that version whose hash it names, and binds the two.
 * Staff of the case play it back; every playback is a custody event.
 */
import type { ConsentRecording } from '../../../shared/api/agreements.ts';
import { agreementDraftSchema } from '../../../shared/domain/agreements.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { conflict, forbidden, invalid, notFound } from '../../errors.ts';
import { sha256Hex } from '../../security/tokens.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import { actorOf, type Caller } from '../../access/caller.ts';
import * as repo from './agreements.repository.ts';
import { agreementFor, partyToSignFor } from './agreements.service.ts';
import { ConsentAudioRejected, probeConsentAudio } from './consent-audio.ts';
import * as consentRepo from './consent.repository.ts';

type ParticipantCaller = Caller & { kind: 'participant' };

const viewOf = (row: consentRepo.ConsentRecordingRow): ConsentRecording => ({
  sha256: row.sha256,
  byteSize: row.byteSize,
  durationMs: row.durationMs,
  contentType: row.contentType as ConsentRecording['contentType'],
});

/** The version this caller would sign now and the party they sign for, or the 4xx that says why not. */
async function signingTarget(db: Db, caller: ParticipantCaller, agreementId: string, lock: boolean) {
  const agreement = (lock ? await repo.lockAgreement(db, agreementId) : await repo.findAgreement(db, agreementId))!;
  if (agreement.status !== 'signing') throw conflict(`the agreement is ${agreement.status}; consent is recorded while it is out for signature`);
  const version = (await repo.findVersionById(db, agreement.currentVersionId!))!;
  const terms = agreementDraftSchema.parse({ templateId: agreement.templateId, terms: version.terms }).terms;
  const partyId = partyToSignFor(caller, terms);
  if ((await repo.liveSignatures(db, version.id)).some((s) => s.partyId === partyId)) throw conflict('this party has already answered this version');
  return { agreement, version, partyId };
}

/** Stores the signer's spoken consent for the current version; the same bytes again answer with the stored one. */
export async function uploadConsentRecording(ctx: ServiceContext, caller: Caller, agreementId: string, sha256: string, bytes: Buffer) {
  // Staff are refused before any lookup: the answer must not depend on the agreement existing.
  if (caller.kind !== 'participant') throw forbidden('the signer records their own consent; staff cannot');
  await agreementFor(ctx, caller, agreementId, 'read');
  const target = await signingTarget(ctx.db, caller, agreementId, false);
  if (sha256Hex(bytes) !== sha256) throw invalid('sha256', 'the recording’s SHA-256 differs from the one in the address: it was damaged on the way, send it again');
  const participantId = caller.participant.participantId;
  const stored = await consentRepo.findRecording(ctx.db, target.version.id, participantId, sha256);
  if (stored) return { recording: viewOf(stored), created: false };
  const audio = await probeConsentAudio(bytes).catch((error: unknown) => {
    throw error instanceof ConsentAudioRejected ? invalid('recording', error.message) : error;
  });
  const key = await ctx.files.put(bytes);
  try {
    const result = await ctx.db.transaction(async (tx) => {
      const { agreement, version, partyId } = await signingTarget(tx, caller, agreementId, true);
      if (version.id !== target.version.id) throw conflict('the agreement has a newer version: read it and record your consent again');
      const row = await consentRepo.insertRecording(tx, {
        caseId: agreement.caseId,
        agreementId,
        versionId: version.id,
        participantId,
        sha256,
        byteSize: bytes.length,
        durationMs: audio.durationMs,
        contentType: audio.contentType,
        storageKey: key,
      });
      // A retry that crossed the first upload on a slow link: that one is stored, this one is not needed.
      if (!row) return { row: (await consentRepo.findRecording(tx, version.id, participantId, sha256))!, created: false };
      await appendAuditEvent(tx, {
        type: 'signature.consent_recorded',
        caseId: agreement.caseId,
        actor: actorOf(caller),
        data: { agreementId, versionHash: version.sha256, partyId, sha256, durationMs: audio.durationMs, byteSize: bytes.length, contentType: audio.contentType },
      });
      return { row, created: true };
    });
    if (!result.created) await ctx.files.remove(key);
    return { recording: viewOf(result.row), created: result.created };
  } catch (error) {
    await ctx.files.remove(key);
    throw error;
  }
}

/** The recording bound to a signature, for staff of the case; the playback is recorded (custody) once the bytes are read. */
export async function playConsentRecording(ctx: ServiceContext, caller: Caller, agreementId: string, signatureId: string) {
  if (caller.kind !== 'staff') throw forbidden('the consent recording is played by staff of the case');
  await agreementFor(ctx, caller, agreementId, 'read');
  const row = await consentRepo.recordingOfSignature(ctx.db, agreementId, signatureId);
  if (!row) throw notFound('consent recording');
  const bytes = await ctx.files.read(row.storageKey);
  await ctx.db.transaction(async (tx) => {
    await appendAuditEvent(tx, { type: 'signature.consent_played', caseId: row.caseId, actor: actorOf(caller), data: { agreementId, signatureId, sha256: row.sha256 } });
  });
  return { bytes, contentType: row.contentType };
}
