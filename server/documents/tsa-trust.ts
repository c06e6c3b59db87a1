// Which time-stamping authorities are trusted: a PEM list (HAIQIAO_TSA_TRUST_FILE) of the TSA's
// own certificate and/or the CA(s) that issue it. A token proves a time only if its signer is one
// of these or is issued by one of them; otherwise anyone could mint a "TSA" certificate with the
// same name and re-stamp a rewritten audit chain. Bytes in, facts out.
import { X509Certificate } from 'node:crypto';

const OID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

export interface TsaTrustList {
  certificates: X509Certificate[];
}

/** Parses every certificate of a PEM text; throws when it holds none or one is unreadable. */
export function parseTsaTrustList(pem: string): TsaTrustList {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('the TSA trust list holds no PEM certificate');
  return { certificates: blocks.map((block) => new X509Certificate(block)) };
}

/** null when trusted; otherwise why not (for the reader, not a code). */
export function tsaTrustProblem(signer: X509Certificate, genTime: Date, trust: TsaTrustList): string | null {
  const at = genTime.getTime();
  const validAt = (cert: X509Certificate) => cert.validFromDate.getTime() <= at && at <= cert.validToDate.getTime();
  if (!validAt(signer)) return 'the TSA certificate was not valid at the time it stamped';
  // Node reports extendedKeyUsage as OIDs (undefined when the extension is absent).
  const eku = signer.keyUsage;
  if (eku && !eku.includes(OID_KP_TIME_STAMPING)) return 'the TSA certificate is not for time-stamping (extendedKeyUsage)';
  for (const anchor of trust.certificates) {
    if (anchor.raw.equals(signer.raw)) return null;
    // Same issuer name is not enough (a forger picks the name): the issuer's key must have signed it.
    if (signer.checkIssued(anchor) && signer.verify(anchor.publicKey) && validAt(anchor)) return null;
  }
  return 'the TSA certificate is not in the trust list nor issued by a certificate in it';
}
