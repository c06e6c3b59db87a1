// Reads and checks an RFC 3161 TimeStampToken (a CMS SignedData whose content is a TSTInfo):
// when the TSA says it saw which digest, who the TSA is, and whether the TSA's signature over
// it holds. PKI.js parses; Node's crypto checks the signature (synchronously, so the PDF
// inspection stays a plain function). Bytes in, facts out.
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import { Attribute, Certificate, ContentInfo, IssuerAndSerialNumber, SignedData, TSTInfo } from 'pkijs';
import { type TsaTrustList, tsaTrustProblem } from './tsa-trust.ts';

export const OID_SIGNATURE_TIMESTAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const DIGESTS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.3.14.3.2.26': 'sha1',
};

export interface TimestampTokenFacts {
  /** The TSA's time (TSTInfo genTime), ISO. */
  time: string;
  /** The stamped digest and its algorithm OID. */
  imprint: Buffer;
  imprintAlgorithm: string;
  nonce?: Buffer;
  serialNumberHex: string;
  /** The TSA certificate's subject (Node's format) and SHA-256 fingerprint, when the token carries it. */
  tsaSubject?: string;
  tsaFingerprintSha256?: string;
  /** The TSA's signature verifies over an unchanged TSTInfo. */
  intact: boolean;
  problem?: string;
  /**
   * The signer is in the trust list or issued by a certificate in it (valid at the TSA's time,
   * for time-stamping); null when no trust list was given. Meaningful only when `intact`.
   */
  trusted: boolean | null;
  trustProblem?: string;
}

/**
 * Throws when the bytes are not a TimeStampToken at all; otherwise reports what holds. Without
 * `trust`, any certificate the token carries is believed (`trusted: null`): say so to the reader.
 */
export function readTimestampToken(der: Uint8Array, trust: TsaTrustList | null = null): TimestampTokenFacts {
  const contentInfo = ContentInfo.fromBER(toArrayBuffer(der));
  if (contentInfo.contentType !== ContentInfo.SIGNED_DATA) throw new Error('a time-stamp token is a CMS SignedData');
  const signedData = new SignedData({ schema: contentInfo.content });
  if (signedData.encapContentInfo.eContentType !== OID_TST_INFO || !signedData.encapContentInfo.eContent) throw new Error('the token does not hold a TSTInfo');
  const content = Buffer.from(signedData.encapContentInfo.eContent.getValue());
  const tst = TSTInfo.fromBER(toArrayBuffer(content));
  const facts: TimestampTokenFacts = {
    time: tst.genTime.toISOString(),
    imprint: Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView),
    imprintAlgorithm: tst.messageImprint.hashAlgorithm.algorithmId,
    ...(tst.nonce ? { nonce: Buffer.from(tst.nonce.valueBlock.valueHexView) } : {}),
    serialNumberHex: Buffer.from(tst.serialNumber.valueBlock.valueHexView).toString('hex'),
    intact: false,
    trusted: trust ? false : null,
  };

  const signer = signedData.signerInfos[0];
  if (!signer) return { ...facts, problem: 'the token has no signer' };
  const certificates = (signedData.certificates ?? []).filter((c): c is Certificate => c instanceof Certificate);
  let cert = certificates[0];
  if (signer.sid instanceof IssuerAndSerialNumber) {
    const serial = Buffer.from(signer.sid.serialNumber.valueBlock.valueHexView);
    cert = certificates.find((c) => Buffer.from(c.serialNumber.valueBlock.valueHexView).equals(serial)) ?? cert;
  }
  if (!cert) return { ...facts, problem: 'the token does not carry the TSA certificate' };
  const x509 = new X509Certificate(Buffer.from(cert.toSchema().toBER(false)));
  facts.tsaSubject = x509.subject;
  facts.tsaFingerprintSha256 = x509.fingerprint256.replace(/:/g, '').toLowerCase();

  const digestName = DIGESTS[signer.digestAlgorithm.algorithmId];
  if (!digestName) return { ...facts, problem: `unsupported digest ${signer.digestAlgorithm.algorithmId}` };
  if (!signer.signedAttrs) return { ...facts, problem: 'the token has no signed attributes' };
  const digestAttr = signer.signedAttrs.attributes.find((a) => a.type === OID_MESSAGE_DIGEST);
  const claimed = digestAttr?.values[0] instanceof asn1js.OctetString ? Buffer.from(digestAttr.values[0].valueBlock.valueHexView) : undefined;
  if (!claimed || !createHash(digestName).update(content).digest().equals(claimed)) return { ...facts, problem: 'the TSTInfo was changed (message digest mismatch)' };
  // The signature is over the DER of the signed attributes with the SET OF tag.
  const signedAttrs = Buffer.from(signer.signedAttrs.encodedValue);
  signedAttrs[0] = 0x31;
  const signature = Buffer.from(signer.signature.valueBlock.valueHexView);
  if (!cryptoVerify(digestName, signedAttrs, x509.publicKey, signature)) return { ...facts, problem: "the TSA's signature does not verify" };
  if (!trust) return { ...facts, intact: true };
  const trustProblem = tsaTrustProblem(x509, tst.genTime, trust);
  return { ...facts, intact: true, trusted: trustProblem === null, ...(trustProblem ? { trustProblem } : {}) };
}

/** The unsigned attribute id-aa-signatureTimeStampToken holding `token`, DER (RFC 3161 appendix A). */
export function signatureTimestampAttribute(token: Uint8Array): Buffer {
  const value = asn1js.fromBER(toArrayBuffer(token));
  if (value.offset === -1) throw new Error('the time-stamp token is not DER');
  const attribute = new Attribute({ type: OID_SIGNATURE_TIMESTAMP_TOKEN, values: [value.result] });
  return Buffer.from(attribute.toSchema().toBER(false));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
