import { and, eq, inArray, isNull } from 'drizzle-orm';
import { agreementDraftSchema, agreementMachine } from '../../../shared/domain/agreements';
import { courts } from '../../../shared/domain/courts';
import { disputeTypeLabels, seaAreaLabels } from '../../../shared/domain/labels';
import type { ServiceContext } from '../../context';
import { agreements, confirmations, organisations, staffUsers } from '../../db/schema';
import { renderAgreementPdf } from '../../documents/agreement-pdf';
import { beijingDate } from '../../documents/format';
import { renderRulingPdf } from '../../documents/ruling-pdf';
import { sealPdf } from '../../documents/seal-pdf';
import type { JobQueue } from '../../jobs/job-queue';
import type { Timestamper } from '../../security/timestamp-authority';
import { sha256Hex } from '../../security/tokens';
import type { SealRegistry } from '../seals/seals.service';
import { appendAuditEvent } from '../audit/audit.repository';
import * as casesRepo from '../cases/cases.repository';
import { moveCase } from '../cases/cases.service';
import * as confirmationsRepo from '../confirmations/confirmations.repository';
import { listActiveParticipants } from '../sessions/sessions.repository';
import { applyTransition } from '../transitions';
import * as repo from './agreements.repository';
import { discardUnrecorded } from '../evidence/unclaimed-files';
import { templateTitles } from './render-agreement-text';

const identityLabels: Record<string, string> = {
  id_last4: '身份证号后四位及姓名核验',
  one_time_code: '调解员口述一次性验证码核验',
  staff_login: '工作人员账号登录',
};

const system = { kind: 'system' as const };

/** A seal that fails (a full disk, the database restarting) is tried again after 5 s, 10 s, 20 s … up to 10 min, 20 times. */
const sealRetry = { retryLimit: 20, retryDelaySeconds: 5, retryDelayMaxSeconds: 600, expireInSeconds: 300 };

/**
 * Sealing runs as background jobs (server/jobs) queued after the commit that collected the last
 * signature (or recorded a ruling): the PDF is rendered, signed with the certificate of the
 * organisation that issues it (the center for an agreement, the court for a ruling), timestamped
 * by the TSA when one is configured, stored, and recorded in one transaction. A failed job (the
 * TSA down, say) is retried with backoff on whichever node is up; a job is queued once per
 * agreement or ruling, and its work is idempotent, so an agreement is sealed exactly once however
 * many nodes run. A sweep every five minutes (and at start) queues anything signed or ruled on
 * that has no job, e.g. when the process died between the commit and queueing the job.
 */
export async function createSealer(
  ctx: ServiceContext,
  seals: SealRegistry,
  log: { error(obj: object, msg?: string): void },
  /** After a commit that sealed an agreement or attached a ruling: tell live rooms (co-review). */
  changed: (caseId: string, agreementId: string) => void,
  jobs: JobQueue,
  /** RFC 3161 client (PAdES B-T); unset: seals carry no trusted time. */
  timestamp?: Timestamper,
) {
  const withTime = timestamp ? { timestamp } : {};

  async function sealAgreement(agreementId: string) {
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
      { label: '事发时间', value: beijing(caseRow.incidentAt) },
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
        await repo.insertObligations(
          tx,
          terms.obligations.map((o, i) => ({ agreementId, caseId: caseRow.id, ordinal: i + 1, obligorPartyId: o.obligorPartyId, description: o.description, amountFen: o.amountFen ?? null, dueDate: o.dueDate })),
        );
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

  async function issueRuling(confirmationId: string) {
    const row = await confirmationsRepo.findConfirmation(ctx.db, confirmationId);
    if (!row || row.rulingDocumentId || !row.rulingNumber || (row.status !== 'confirmed' && row.status !== 'rejected')) return;
    const agreement = (await repo.findAgreement(ctx.db, row.agreementId))!;
    const version = (await repo.findVersionById(ctx.db, agreement.currentVersionId!))!;
    const { case: caseRow, centerName } = (await casesRepo.findCase(ctx.db, row.caseId))!;
    const terms = agreementDraftSchema.parse({ templateId: agreement.templateId, terms: version.terms }).terms;
    const parties = await casesRepo.listParties(ctx.db, caseRow.id);
    const applicants = [...terms.partiesA, ...terms.partiesB].map((id) => parties.find((p) => p.id === id)!).map((p) => ({ name: p.name, ...(p.idNumberMasked ? { description: `证件号码${p.idNumberMasked}` } : {}) }));
    const staffName = async (id: string | null) => (id ? ((await ctx.db.select({ n: staffUsers.displayName }).from(staffUsers).where(eq(staffUsers.id, id)))[0]?.n ?? '') : '');
    const courtName = courts[row.courtCode].name;
    const decisionText =
      row.status === 'confirmed'
        ? `申请人于${beijing(row.filedAt)}向本院申请司法确认，本院于${beijing(row.acceptedAt!)}受理。经审查，申请人在${centerName}主持下达成的调解协议（案号${caseRow.number}，协议版本摘要${version.sha256}）系自愿达成，内容不违反法律强制性规定，不损害国家利益、社会公共利益和他人合法权益。\n${row.reason ?? ''}\n依照《中华人民共和国民事诉讼法》第二百零五条、第二百零六条的规定，裁定如下：\n申请人达成的上述调解协议有效。当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请强制执行。`
        : `申请人于${beijing(row.filedAt)}向本院申请司法确认。经审查：${row.reason ?? ''}\n依照《中华人民共和国民事诉讼法》第二百零六条的规定，裁定如下：\n驳回申请人的司法确认申请。当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。`;
    const decidedAt = row.decidedAt!;
    // The deciding tribunal's own seal if it has an organisation here, else its court's (a
    // tribunal such as ningbo.wenzhou is part of the ningbo court, whose name its rulings carry).
    const codes = row.courtCode.split('.').map((_, i, parts) => parts.slice(0, parts.length - i).join('.'));
    const holders = await ctx.db.select({ id: organisations.id, courtCode: organisations.courtCode }).from(organisations).where(inArray(organisations.courtCode, codes));
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
        const attached = await tx
          .update(confirmations)
          .set({ rulingDocumentId: document.id })
          .where(and(eq(confirmations.id, confirmationId), isNull(confirmations.rulingDocumentId)))
          .returning({ id: confirmations.id });
        if (attached.length === 0) throw new Error('the ruling was issued meanwhile');
        await appendAuditEvent(tx, { type: 'document.sealed', caseId: caseRow.id, actor: system, data: { confirmationId, documentId: document.id, sha256: document.sha256, kind: 'ruling' } });
      });
    } catch (error) {
      await discardUnrecorded(ctx, storageKey, error);
      throw error;
    }
    changed(caseRow.id, agreement.id);
  }

  const queue = (name: string, data: Record<string, string>, key: string) =>
    jobs.send(name, data, key).catch((err: unknown) => log.error({ err, ...data }, `could not queue ${name}; the next sweep queues it`));

  /** Queues every agreement waiting for its seal and every ruling waiting for its document. */
  async function sweep() {
    for (const a of await ctx.db.select({ id: agreements.id }).from(agreements).where(eq(agreements.status, 'signed'))) await queue('seal-agreement', { agreementId: a.id }, a.id);
    const rulings = await ctx.db.select({ id: confirmations.id, status: confirmations.status, rulingNumber: confirmations.rulingNumber }).from(confirmations).where(isNull(confirmations.rulingDocumentId));
    for (const c of rulings) if (c.rulingNumber && (c.status === 'confirmed' || c.status === 'rejected')) await queue('issue-ruling', { confirmationId: c.id }, c.id);
  }

  await jobs.define<{ agreementId: string }>({ name: 'seal-agreement', run: ({ agreementId }) => sealAgreement(agreementId), ...sealRetry });
  await jobs.define<{ confirmationId: string }>({ name: 'issue-ruling', run: ({ confirmationId }) => issueRuling(confirmationId), ...sealRetry });
  await jobs.define({ name: 'sealing-sweep', run: sweep, retryLimit: 0, retryDelaySeconds: 60, retryDelayMaxSeconds: 60, expireInSeconds: 120 });
  await jobs.every('sealing-sweep', '*/5 * * * *');

  return {
    sealAgreement: (agreementId: string) => queue('seal-agreement', { agreementId }, agreementId),
    issueRuling: (confirmationId: string) => queue('issue-ruling', { confirmationId }, confirmationId),
    /** Resolves when no sealing job is ready or running. */
    idle: () => jobs.idle(),
    /** Queues what a crash or restart left unsealed (also runs every five minutes). */
    resumePending: sweep,
  };
}

export type Sealer = Awaited<ReturnType<typeof createSealer>>;

const beijing = (at: Date) => beijingDate(at.toISOString());

