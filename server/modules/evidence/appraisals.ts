import { fileTypeFromBuffer } from 'file-type';
import { appraisalStatementText } from '../../../shared/api/agreements.ts';
import type { ServiceContext } from '../../context.ts';
import { forbidden, invalid } from '../../errors.ts';
import { sha256Hex } from '../../security/tokens.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { Caller } from '../../access/caller.ts';
import { insertAppraisalStatement } from './appraisals.repository.ts';
import { type Upload, uploadEvidence } from './evidence.service.ts';
import { discardUnrecorded } from './unclaimed-files.ts';

/** Only the appointed appraiser (by invitation) files an appraisal report. */
export function assertAppraiser(caller: Caller): asserts caller is Extract<Caller, { kind: 'participant' }> {
  if (caller.kind !== 'participant' || caller.participant.role !== 'appraiser') throw forbidden('only the appointed appraiser files an appraisal report');
}

/**
 * 云鉴定: an appraiser files a report with a signed statement of truthfulness. The report is
 * case evidence (kind appraisal_report, shared with all) that an agreement can cite by hash.
 */
export async function uploadAppraisal(ctx: ServiceContext, caller: Caller, caseId: string, report: Upload, statement: { signaturePng: string; consent: boolean }, meta: { ip: string; userAgent: string }) {
  assertAppraiser(caller);
  if (!statement.consent) throw invalid('consent', 'the appraiser must make the statement');
  const image = Buffer.from(statement.signaturePng, 'base64');
  if ((await fileTypeFromBuffer(image))?.mime !== 'image/png' || image.length < 100) throw invalid('signaturePng', 'a PNG of the handwritten signature');
  const imageKey = await ctx.files.put(image);
  try {
    // The report, its signed statement and both audit events commit together or not at all.
    return await uploadEvidence(ctx, caller, caseId, report, { kind: 'appraisal_report', sharedWith: 'all', description: appraisalStatementText }, async (tx, row) => {
      await insertAppraisalStatement(tx, {
        evidenceId: row.id,
        appraiserParticipantId: caller.participant.participantId,
        statement: appraisalStatementText,
        signatureImageKey: imageKey,
        signatureSha256: sha256Hex(image),
        ip: meta.ip,
        userAgent: meta.userAgent.slice(0, 500),
        signedAt: ctx.now(),
      });
      await appendAuditEvent(tx, {
        type: 'appraisal.statement_signed',
        caseId,
        actor: { kind: 'participant', participantId: caller.participant.participantId },
        data: { evidenceId: row.id, reportSha256: row.sha256, signatureSha256: sha256Hex(image) },
      });
    });
  } catch (error) {
    await discardUnrecorded(ctx, imageKey, error);
    throw error;
  }
}
