// Inspects the (last) signature of a PDF: does the CMS signature cover the bytes it claims, were
// those bytes changed, and does it cover the whole file (nothing appended after signing)?
// Independent of how the PDF was signed (any detached CMS / PAdES signature with RSA or ECDSA).
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { OID_SIGNATURE_TIMESTAMP_TOKEN, readTimestampToken } from './timestamp-token.ts';
import type { TsaTrustList } from './tsa-trust.ts';

/** The RFC 3161 signature timestamp of a PAdES B-T signature. */
export interface SignatureTimestamp {
  /** The TSA's time, ISO. */
  time: string;
  /** The TSA certificate's subject. */
  tsaSubject?: string;
  tsaFingerprintSha256?: string;
  /** The TSA's signature holds and it stamps this signature's value. */
  intact: boolean;
  problem?: string;
  /** Its TSA is in the trust list (or issued by it); null when no trust list was given. */
  trusted: boolean | null;
  trustProblem?: string;
}

export interface SignedPdfInspection {
  /** The file has a signature (a /ByteRange with a /Contents value). */
  signed: boolean;
  /** The signed bytes match the CMS message digest and the CMS signature verifies with its certificate. */
  intact: boolean;
  /** The signature's byte ranges span the whole file except the signature value itself. */
  coversWholeFile: boolean;
  /** SHA-256 (lowercase hex) of the signing certificate's DER. */
  certificateFingerprintSha256?: string;
  /** The signer certificate's subject, as printed by Node. */
  certificateSubject?: string;
  /** ISO: the CMS signing-time attribute if present, else the signature dictionary's /M. */
  signingTime?: string;
  /** The trusted timestamp carried by the signature (PAdES B-T), if any. */
  timestamp?: SignatureTimestamp;
  /** Number of signatures found (the last one is inspected). */
  signatureCount: number;
  /** Why `intact` is false, when it is. */
  problem?: string;
}

interface Der {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the contents. */
  contentStart: number;
  end: number;
}

function readDer(buf: Buffer, at: number, limit = buf.length): Der {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tags are not supported');
  let len = buf[at + 1]!;
  let pos = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('unsupported DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos++]!;
  }
  if (pos + len > limit) throw new Error('DER element overruns its container');
  return { tag, start: at, contentStart: pos, end: pos + len };
}

function children(buf: Buffer, parent: Der): Der[] {
  const out: Der[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readDer(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

function oidString(buf: Buffer, node: Der): string {
  const bytes = buf.subarray(node.contentStart, node.end);
  const parts: number[] = [];
  let value = 0;
  bytes.forEach((b) => {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(Math.min(2, Math.floor(value / 40)), value - Math.min(2, Math.floor(value / 40)) * 40);
      else parts.push(value);
      value = 0;
    }
  });
  return parts.join('.');
}

const DIGESTS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';

/** Finds, parses and checks the last signature in the PDF. Never throws for malformed input. */
export function inspectSignedPdf(bytes: Uint8Array, tsaTrust: TsaTrustList | null = null): SignedPdfInspection {
  const pdf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = pdf.toString('latin1');
  const found = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)];
  const last = found[found.length - 1];
  const result: SignedPdfInspection = { signed: false, intact: false, coversWholeFile: false, signatureCount: found.length };
  if (!last) return result;
  const [a, b, c, d] = last.slice(1, 5).map(Number) as [number, number, number, number];
  if (a !== 0 || b <= 0 || c <= b || c + d > pdf.length) return { ...result, problem: 'malformed /ByteRange' };
  const hole = text.slice(b, c);
  const hex = /^<([0-9a-fA-F\s]*)>$/.exec(hole);
  if (!hex) return { ...result, problem: 'the /ByteRange gap is not the /Contents hex string' };
  result.signed = true;
  result.coversWholeFile = c + d === pdf.length || (c + d === pdf.length - 1 && pdf[pdf.length - 1] === 0x0a);

  const dictStart = text.lastIndexOf('<<', last.index);
  const dictEnd = text.indexOf('endobj', c);
  const dictText = text.slice(dictStart, dictEnd < 0 ? c + 4096 : dictEnd);
  const m = /\/M\s*\(D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'?\d{2}'?)?/.exec(dictText);
  if (m) result.signingTime = pdfDateToIso(m);

  try {
    const cms = Buffer.from(hex[1]!.replace(/\s+/g, ''), 'hex');
    const contentInfo = readDer(cms, 0);
    const [typeNode, explicit] = children(cms, contentInfo);
    if (!typeNode || oidString(cms, typeNode) !== OID_SIGNED_DATA || !explicit) throw new Error('not a CMS SignedData');
    const signedData = children(cms, explicit)[0]!;
    const sdParts = children(cms, signedData);
    const certificatesNode = sdParts.find((p) => p.tag === 0xa0);
    const signerInfos = sdParts[sdParts.length - 1]!;
    const signerInfo = children(cms, signerInfos)[0];
    if (!signerInfo) throw new Error('no SignerInfo');
    const si = children(cms, signerInfo);
    const sid = si[1]!;
    const digestOid = oidString(cms, children(cms, si[2]!)[0]!);
    const digestName = DIGESTS[digestOid];
    if (!digestName) throw new Error(`unsupported digest algorithm ${digestOid}`);
    const signedAttrs = si.find((p) => p.tag === 0xa0);
    if (!signedAttrs) throw new Error('no signed attributes');
    const unsignedAttrs = si.find((p) => p.tag === 0xa1);
    const signatureNode = si[unsignedAttrs ? si.length - 2 : si.length - 1]!;
    const signature = cms.subarray(signatureNode.contentStart, signatureNode.end);
    if (unsignedAttrs) result.timestamp = signatureTimestamp(cms, unsignedAttrs, signature, tsaTrust);

    // The signer's certificate: match the IssuerAndSerialNumber (or take the only one).
    const certs = certificatesNode ? children(cms, certificatesNode).map((n) => new X509Certificate(cms.subarray(n.start, n.end))) : [];
    let signer = certs[0];
    if (sid.tag === 0x30) {
      const serialNode = children(cms, sid)[1]!;
      const serialHex = cms.subarray(serialNode.contentStart, serialNode.end).toString('hex').replace(/^(00)+(?=.)/, '').toUpperCase();
      signer = certs.find((cert) => cert.serialNumber.replace(/^(00)+(?=.)/, '').toUpperCase() === serialHex) ?? signer;
    }
    if (!signer) throw new Error('the CMS carries no signer certificate');
    result.certificateFingerprintSha256 = signer.fingerprint256.replace(/:/g, '').toLowerCase();
    result.certificateSubject = signer.subject;

    let messageDigest: Buffer | undefined;
    for (const attr of children(cms, signedAttrs)) {
      const [attrType, values] = children(cms, attr);
      if (!attrType || !values) continue;
      const type = oidString(cms, attrType);
      const value = children(cms, values)[0];
      if (!value) continue;
      if (type === OID_MESSAGE_DIGEST) messageDigest = cms.subarray(value.contentStart, value.end);
      if (type === OID_SIGNING_TIME) result.signingTime = asn1TimeToIso(cms.subarray(value.contentStart, value.end).toString('latin1'), value.tag);
    }
    if (!messageDigest) throw new Error('no message-digest attribute');
    const digest = createHash(digestName).update(pdf.subarray(a, a + b)).update(pdf.subarray(c, c + d)).digest();
    if (!digest.equals(messageDigest)) return { ...result, problem: 'the signed bytes were changed (message digest mismatch)' };
    // The signature is over the DER of the signed attributes with their SET OF tag.
    const attrsDer = Buffer.from(cms.subarray(signedAttrs.start, signedAttrs.end));
    attrsDer[0] = 0x31;
    const ok = cryptoVerify(digestName, attrsDer, signer.publicKey, signature);
    if (!ok) return { ...result, problem: 'the CMS signature does not verify with the signer certificate' };
    result.intact = true;
    return result;
  } catch (error) {
    return { ...result, problem: `unreadable signature: ${(error as Error).message}` };
  }
}

function signatureTimestamp(cms: Buffer, unsignedAttrs: Der, signature: Buffer, trust: TsaTrustList | null): SignatureTimestamp | undefined {
  const untrusted = trust ? false : null;
  for (const attr of children(cms, unsignedAttrs)) {
    const [attrType, values] = children(cms, attr);
    if (!attrType || !values || oidString(cms, attrType) !== OID_SIGNATURE_TIMESTAMP_TOKEN) continue;
    const token = children(cms, values)[0];
    if (!token) return { time: '', intact: false, problem: 'empty time-stamp attribute', trusted: untrusted };
    try {
      const facts = readTimestampToken(cms.subarray(token.start, token.end), trust);
      const stamp: SignatureTimestamp = {
        time: facts.time,
        ...(facts.tsaSubject ? { tsaSubject: facts.tsaSubject } : {}),
        ...(facts.tsaFingerprintSha256 ? { tsaFingerprintSha256: facts.tsaFingerprintSha256 } : {}),
        intact: facts.intact,
        ...(facts.problem ? { problem: facts.problem } : {}),
        trusted: facts.trusted,
        ...(facts.trustProblem ? { trustProblem: facts.trustProblem } : {}),
      };
      const digestName = DIGESTS[facts.imprintAlgorithm];
      if (stamp.intact && (!digestName || !createHash(digestName).update(signature).digest().equals(facts.imprint))) {
        return { ...stamp, intact: false, problem: 'the timestamp stamps another signature (message imprint mismatch)', trusted: untrusted };
      }
      return stamp;
    } catch (error) {
      return { time: '', intact: false, problem: `unreadable time-stamp token: ${(error as Error).message}`, trusted: untrusted };
    }
  }
  return undefined;
}

function pdfDateToIso(m: RegExpExecArray): string {
  const [, y, mo, d, h, mi, s, zone] = m;
  let offset = 'Z';
  if (zone && zone !== 'Z') {
    const z = zone.replace(/'/g, '');
    offset = `${z.slice(0, 3)}:${z.slice(3, 5)}`;
  }
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`).toISOString();
}

function asn1TimeToIso(value: string, tag: number): string | undefined {
  const utc = tag === 0x17;
  const match = (utc ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(value);
  if (!match) return undefined;
  let year = Number(match[1]);
  if (utc) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]))).toISOString();
}
