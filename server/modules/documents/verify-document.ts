// Use case: anyone holding a PDF asks whether it is an unaltered document Haiqiao issued.
import type { ServiceContext } from '../../context.ts';
import type { PlatformCertificate } from '../../documents/platform-certificate.ts';
import type { TsaTrustList } from '../../documents/tsa-trust.ts';
import { inspectSignedPdf } from '../../documents/verify-pdf.ts';
import { sha256Hex } from '../../security/tokens.ts';
import * as agreementsRepo from '../agreements/agreements.repository.ts';
import { findCase } from '../cases/cases.repository.ts';
import { findSealOwner } from '../seals/seals.service.ts';

/**
 * Authentic: a stored document (by SHA-256), its signature intact and covering the whole file,
 * by a certificate of a seal ever installed here (or the platform's, which sealed before), and
 * its timestamp, when present, intact: a broken one is not a trusted time. Whether the
 * timestamp's TSA is a trusted one (`timestamp.trusted`, null without a trust list) is told, not
 * folded into `authentic`: the seal stands either way, only the time is in doubt.
 */
export async function verifyDocument(ctx: ServiceContext, certificate: PlatformCertificate, bytes: Buffer, tsaTrust: TsaTrustList | null = null) {
  const sha256 = sha256Hex(bytes);
  const inspection = inspectSignedPdf(bytes, tsaTrust);
  const fingerprint = inspection.certificateFingerprintSha256;
  const sealedBy = fingerprint ? await findSealOwner(ctx.db, fingerprint) : null;
  const knownCertificate = Boolean(sealedBy) || (fingerprint !== undefined && fingerprint === certificate.fingerprintSha256);
  const stored = await agreementsRepo.findDocumentBySha(ctx.db, sha256);
  const caseRow = stored ? await findCase(ctx.db, stored.caseId) : undefined;
  const stamp = inspection.timestamp;
  return {
    authentic: Boolean(stored) && inspection.intact && inspection.coversWholeFile && knownCertificate && (!stamp || stamp.intact),
    signature: { signed: inspection.signed, intact: inspection.intact, coversWholeFile: inspection.coversWholeFile, knownCertificate },
    sealedBy,
    timestamp: stamp ? { time: stamp.time, tsa: stamp.tsaSubject ?? '', intact: stamp.intact, trusted: stamp.trusted } : null,
    document: stored
      ? { id: stored.id, kind: stored.kind, caseNumber: caseRow?.case.number ?? '', agreementId: stored.agreementId, versionHash: stored.versionHash, sealedAt: stored.createdAt.toISOString() }
      : null,
    sha256,
  };
}
