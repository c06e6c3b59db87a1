// Use case: issue the court's ruling (民事裁定书) on a decided application (a job queued by sealing-jobs.ts).
import { agreementDraftSchema } from '../../../shared/domain/agreements.ts';
import { courts } from '../../../shared/domain/courts.ts';
import { renderRulingPdf } from '../../documents/ruling-pdf.ts';
import { rulingDecisionText } from '../../documents/ruling-text.ts';
import { sealPdf } from '../../documents/seal-pdf.ts';
import { sha256Hex } from '../../security/tokens.ts';
import { findStaffUser } from '../admin/admin.repository.ts';
import * as repo from '../agreements/agreements.repository.ts';
import { templateTitles } from '../agreements/render-agreement-text.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import * as confirmationsRepo from '../confirmations/confirmations.repository.ts';
import { organisationsOfCourts } from '../seals/seals.repository.ts';
import { discardUnrecorded } from '../evidence/unclaimed-files.ts';
import type { SealingDeps } from './sealing-deps.ts';

const system = { kind: 'system' as const };

/**
 * Renders the ruling (wording in documents/ruling-text.ts), seals it with the deciding court's
 * certificate, stores it and attaches it to the application in one transaction. Idempotent: an
 * application with a ruling document, or not confirmed or rejected, is left alone.
 */
export async function issueRuling({ ctx, seals, timestamp, changed }: SealingDeps, confirmationId: string) {
  const withTime = timestamp ? { timestamp } : {};
  const row = await confirmationsRepo.findConfirmation(ctx.db, confirmationId);
  if (!row || row.rulingDocumentId || !row.rulingNumber || (row.status !== 'confirmed' && row.status !== 'rejected')) return;
  const agreement = (await repo.findAgreement(ctx.db, row.agreementId))!;
  const version = (await repo.findVersionById(ctx.db, agreement.currentVersionId!))!;
  const { case: caseRow, centerName } = (await casesRepo.findCase(ctx.db, row.caseId))!;
  const terms = agreementDraftSchema.parse({ templateId: agreement.templateId, terms: version.terms }).terms;
  const parties = await casesRepo.listParties(ctx.db, caseRow.id);
  const applicants = [...terms.partiesA, ...terms.partiesB].map((id) => parties.find((p) => p.id === id)!).map((p) => ({ name: p.name, ...(p.idNumberMasked ? { description: `证件号码${p.idNumberMasked}` } : {}) }));
  const staffName = async (id: string | null) => (id ? ((await findStaffUser(ctx.db, id))?.displayName ?? '') : '');
  const courtName = courts[row.courtCode].name;
  const decisionText = rulingDecisionText({
    decision: row.status,
    filedAt: row.filedAt.toISOString(),
    ...(row.acceptedAt ? { acceptedAt: row.acceptedAt.toISOString() } : {}),
    reason: row.reason,
    centerName,
    caseNumber: caseRow.number,
    versionHash: version.sha256,
  });
  const decidedAt = row.decidedAt!;
  // The deciding tribunal's own seal if it has an organisation here, else its court's (a
  // tribunal such as ningbo.wenzhou is part of the ningbo court, whose name its rulings carry).
  const codes = row.courtCode.split('.').map((_, i, parts) => parts.slice(0, parts.length - i).join('.'));
  const holders = await organisationsOfCourts(ctx.db, codes);
  const court = codes.map((code) => holders.find((h) => h.courtCode === code)).find(Boolean);
  if (!court) throw new Error(`no organisation holds court code ${row.courtCode} or its court: the ruling cannot be sealed with the court's certificate`);
  const seal = await seals.sealOf(court.id);
  const sealOptions = { reason: '民事裁定书电子签章', location: courtName, name: seal.organisationName, signingTime: decidedAt, ...withTime };
  const unsealed = await renderRulingPdf(
    {
      courtName,
      rulingNumber: row.rulingNumber,
      applicants,
      agreement: { caseNumber: caseRow.number, versionHash: version.sha256, title: templateTitles[agreement.templateId], centerName },
      text: decisionText,
      judgeName: await staffName(row.judgeId),
      clerkName: await staffName(row.clerkId),
      date: decidedAt.toISOString(),
      generatedAt: decidedAt.toISOString(),
      sealCertificate: { holder: seal.organisationName, fingerprintSha256: seal.fingerprintSha256, test: seal.test },
    },
    { seal: sealOptions },
  );
  const sealed = await sealPdf(unsealed, seal.signer, sealOptions);
  const storageKey = await ctx.files.put(sealed);
  try {
    await ctx.db.transaction(async (tx) => {
      const document = await repo.insertDocument(tx, { caseId: caseRow.id, agreementId: agreement.id, kind: 'ruling', versionHash: version.sha256, sha256: sha256Hex(sealed), byteSize: sealed.length, storageKey });
      if (!(await confirmationsRepo.attachRulingDocument(tx, confirmationId, document.id))) throw new Error('the ruling was issued meanwhile');
      await appendAuditEvent(tx, { type: 'document.sealed', caseId: caseRow.id, actor: system, data: { confirmationId, documentId: document.id, sha256: document.sha256, kind: 'ruling' } });
    });
  } catch (error) {
    await discardUnrecorded(ctx, storageKey, error);
    throw error;
  }
  changed(caseRow.id, agreement.id);
}

