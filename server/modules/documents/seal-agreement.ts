// Use case: seal a mediation agreement signed by everyone (a job queued by sealing-jobs.ts).
import { agreementDraftSchema, agreementMachine } from '../../../shared/domain/agreements.ts';
import { courts } from '../../../shared/domain/courts.ts';
import { disputeTypeLabels, seaAreaLabels } from '../../../shared/domain/labels.ts';
import { renderAgreementPdf } from '../../documents/agreement-pdf.ts';
import { beijingDate } from '../../documents/format.ts';
import { sealPdf } from '../../documents/seal-pdf.ts';
import { sha256Hex } from '../../security/tokens.ts';
import * as repo from '../agreements/agreements.repository.ts';
import { templateTitles } from '../agreements/render-agreement-text.ts';
import * as casesRepo from '../cases/cases.repository.ts';
import { moveCase } from '../cases/cases.service.ts';
import { listActiveParticipants } from '../sessions/sessions.repository.ts';
import { applyTransition } from '../transitions.ts';
import { queueInstalmentNotices } from '../notifications/notifications.service.ts';
import { discardUnrecorded } from '../evidence/unclaimed-files.ts';
import type { SealingDeps } from './sealing-deps.ts';

const identityLabels: Record<string, string> = {
  id_last4: '身份证号后四位及姓名核验',
  one_time_code: '调解员口述一次性验证码核验',
  staff_login: '工作人员账号登录',
};

const system = { kind: 'system' as const };

/**
 * Renders the agreement PDF with its signatures and the certificate page, seals it with the
 * center's certificate (timestamped when a TSA is configured), stores it, and in one transaction
 * records the document, moves the agreement to sealed, creates the obligations and starts the
 * follow-up. Idempotent: an agreement no longer `signed` is left alone.
 */
export async function sealAgreement({ ctx, seals, timestamp, changed }: SealingDeps, agreementId: string) {
  const withTime = timestamp ? { timestamp } : {};
  const agreement = await repo.findAgreement(ctx.db, agreementId);
  if (agreement?.status !== 'signed') return;
  const version = (await repo.findVersionById(ctx.db, agreement.currentVersionId!))!;
  const { case: caseRow, centerName } = (await casesRepo.findCase(ctx.db, agreement.caseId))!;
  const [parties, vessels, participants, live] = await Promise.all([
    casesRepo.listParties(ctx.db, caseRow.id),
    casesRepo.listVessels(ctx.db, caseRow.id),
    listActiveParticipants(ctx.db, caseRow.id),
    repo.liveSignatures(ctx.db, version.id),
  ]);
  const partyName = new Map(parties.map((p) => [p.id, p.name]));
  const roleOf = new Map(participants.map((p) => [p.id, p.role]));
  const signatures = [];
  for (const s of live.filter((x) => x.status === 'signed')) {
    signatures.push({
      signerName: s.signerName,
      signerRole: roleOf.get(s.signerParticipantId) === 'agent' ? '委托代理人' : '当事人',
      partyName: partyName.get(s.partyId) ?? '',
      signedAt: s.at.toISOString(),
      identityMethod: identityLabels[s.identityMethod ?? ''] ?? String(s.identityMethod),
      ip: s.ip,
      userAgent: s.userAgent,
      versionHash: s.versionHash,
      imagePng: new Uint8Array(await ctx.files.read(s.imageStorageKey!)),
      imageSha256: s.imageSha256!,
      consentRecordingSha256: s.consentRecordingSha256,
    });
  }
  const facts = [
    { label: '案号', value: caseRow.number },
    { label: '纠纷类型', value: disputeTypeLabels[caseRow.disputeType] },
    { label: '事发时间', value: beijingDate(caseRow.incidentAt.toISOString()) },
    { label: '事发海域', value: `${seaAreaLabels[caseRow.seaArea]}${caseRow.incidentLat !== null ? `（北纬${caseRow.incidentLat}°，东经${caseRow.incidentLon}°）` : ''}` },
    { label: '管辖法院', value: courts[caseRow.competentCourt].name },
    ...vessels.map((v) => ({ label: '涉案船舶', value: [v.name, v.registrationNumber && `登记号${v.registrationNumber}`, v.mmsi && `MMSI ${v.mmsi}`, v.portOfRegistry].filter(Boolean).join('，') })),
  ];
  const now = ctx.now();
  const seal = await seals.sealOf(caseRow.centerId);
  const sealOptions = { reason: '调解协议电子签章', location: centerName, name: seal.organisationName, signingTime: now, ...withTime };
  const sealCertificate = { holder: seal.organisationName, fingerprintSha256: seal.fingerprintSha256, test: seal.test };
  const unsealed = await renderAgreementPdf(
    { title: templateTitles[agreement.templateId], caseNumber: caseRow.number, centerName, facts, text: version.text, signatures, versionNumber: version.number, versionHash: version.sha256, generatedAt: now.toISOString(), sealCertificate },
    { seal: sealOptions },
  );
  const sealed = await sealPdf(unsealed, seal.signer, sealOptions);
  const storageKey = await ctx.files.put(sealed);
  try {
    await ctx.db.transaction(async (tx) => {
      const document = await repo.insertDocument(tx, { caseId: caseRow.id, agreementId, kind: 'sealed_agreement', versionHash: version.sha256, sha256: sha256Hex(sealed), byteSize: sealed.length, storageKey });
      // The sealed document is the move's record: document.sealed, not agreement.status_changed.
      await applyTransition(tx, {
        subject: 'agreement',
        machine: agreementMachine,
        from: 'signed',
        to: 'sealed',
        update: () => repo.updateAgreementWhereStatus(tx, agreementId, 'signed', { status: 'sealed', sealedDocumentId: document.id }),
        event: { type: 'document.sealed', caseId: caseRow.id, actor: system, data: { agreementId, documentId: document.id, sha256: document.sha256, versionHash: version.sha256 } },
      });
      const terms = agreementDraftSchema.parse({ templateId: agreement.templateId, terms: version.terms }).terms;
      const instalments = await repo.insertObligations(
        tx,
        terms.obligations.map((o, i) => ({ agreementId, caseId: caseRow.id, ordinal: i + 1, obligorPartyId: o.obligorPartyId, description: o.description, amountFen: o.amountFen ?? null, dueDate: o.dueDate })),
      );
      await queueInstalmentNotices(tx, ctx, caseRow.number, instalments);
      // Follow-up (回访) on fulfilment starts once the agreement is sealed.
      const current = (await casesRepo.findCase(tx, caseRow.id))!.case;
      if (current.status === 'settled') await moveCase(tx, current, 'following_up', system, { agreementId });
    });
  } catch (error) {
    await discardUnrecorded(ctx, storageKey, error);
    throw error;
  }
  changed(caseRow.id, agreementId);
}

