// Seals a PDF with an organisation's certificate: a PAdES baseline (B-B) signature, i.e. a detached
// CMS SignedData (SubFilter ETSI.CAdES.detached) with the content-type, message-digest and
// ESS signing-certificate-v2 signed attributes; the claimed signing time is the signature
// dictionary's /M (PAdES forbids the CMS signing-time attribute). Uses @signpdf/signpdf to fill
// the placeholder that @signpdf/placeholder-pdf-lib adds in the renderer's pdf-lib pass.
// With a time-stamping authority the signature becomes B-T: the TSA's RFC 3161 token over the
// signature value rides in the unsigned attribute id-aa-signatureTimeStampToken.
import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { PDFDocument } from 'pdf-lib';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { SignPdf } from '@signpdf/signpdf';
import { findByteRange, Signer, SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils';
import { PDF_CREATOR } from './pdf-render.ts';
import { p12Signer, type DocumentSigner } from './document-signer.ts';
import type { PlatformCertificate } from './platform-certificate.ts';
import { signatureTimestampAttribute } from './timestamp-token.ts';

export interface SealOptions {
  /** e.g. 调解协议确认签章 */
  reason: string;
  /** e.g. 浙闽海上矛盾纠纷联调中心 */
  location: string;
  /** The signer's name shown by PDF readers (e.g. the platform or the center). */
  name: string;
  signingTime: Date;
  contactInfo?: string;
  /** Bytes reserved for the CMS signature (default 8192, 16384 with a timestamp: room for two chains). */
  signatureLength?: number;
  /** RFC 3161 client: returns the TSA's token over the bytes given (PAdES B-T). Unset: B-B. */
  timestamp?: (data: Uint8Array) => Promise<Buffer>;
}

export interface SealCertificateFacts {
  /** The organisation that seals (e.g. the mediation center). */
  holder: string;
  fingerprintSha256: string;
  /** A self-signed test certificate: said plainly on the document. */
  test: boolean;
}

export type SealingCertificate = Pick<PlatformCertificate, 'p12' | 'passphrase'>;

export class SealError extends Error {
  override name = 'SealError';
}

/**
 * Adds the signature placeholder to a document being built with pdf-lib (call right before
 * `save()`); `sealPdf` then signs the saved bytes. The signature has no visible appearance; it
 * is attached to the last page.
 */
export function addSealPlaceholder(doc: PDFDocument, options: SealOptions): void {
  const pages = doc.getPages();
  const last = pages[pages.length - 1];
  if (!last) throw new SealError('cannot seal a PDF without pages');
  pdflibAddPlaceholder({
    pdfDoc: doc,
    pdfPage: last,
    reason: pdfTextLiteral(options.reason),
    name: pdfTextLiteral(options.name),
    location: pdfTextLiteral(options.location),
    contactInfo: pdfTextLiteral(options.contactInfo ?? ''),
    signingTime: options.signingTime,
    signatureLength: options.signatureLength ?? (options.timestamp ? 16384 : 8192),
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    appName: PDF_CREATOR.replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim(),
  });
}

/**
 * The inside of a PDF literal string for a text value. The placeholder package writes strings
 * verbatim (`PDFString.of`), which would mangle Chinese: non-ASCII text is written as UTF-16BE
 * with a byte-order mark, every byte as an octal escape (PDF 32000 §7.9.2.2).
 */
export function pdfTextLiteral(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && !/[()\\]/.test(text)) return text;
  let out = '\\376\\377';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += octal(code >> 8) + octal(code & 0xff);
  }
  return out;
}

function octal(byte: number): string {
  return `\\${byte.toString(8).padStart(3, '0')}`;
}

const signers = new WeakMap<SealingCertificate, DocumentSigner>();

function signerOf(cert: SealingCertificate | DocumentSigner): DocumentSigner {
  if ('signRsaSha256' in cert) return cert;
  let s = signers.get(cert);
  if (!s) {
    s = p12Signer(cert.p12, cert.passphrase);
    signers.set(cert, s);
  }
  return s;
}

/**
 * Signs a PDF. A PDF rendered with the `seal` option already has its placeholder (one pdf-lib
 * pass); any other unsigned PDF gets one by a pdf-lib load and save first. Already-signed PDFs
 * are refused (pdf-lib rewrites the file, which would break the earlier signature).
 */
export async function sealPdf(pdf: Uint8Array, cert: SealingCertificate | DocumentSigner, options: SealOptions): Promise<Uint8Array> {
  let bytes = Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
  if (!findByteRange(bytes).byteRangePlaceholder) {
    if (/\/ByteRange\s*\[/.test(bytes.toString('latin1'))) throw new SealError('the PDF is already signed');
    const doc = await PDFDocument.load(bytes, { updateMetadata: false });
    addSealPlaceholder(doc, options);
    bytes = Buffer.from(await doc.save({ useObjectStreams: true }));
  }
  const signer = new PadesSigner(signerOf(cert), options.timestamp);
  const signed = await new SignPdf().sign(bytes, signer, options.signingTime);
  return new Uint8Array(signed.buffer, signed.byteOffset, signed.byteLength);
}

// ---------------------------------------------------------------------------------------
// CMS SignedData (RFC 5652) with the PAdES B-B signed attributes
// ---------------------------------------------------------------------------------------

const { asn1 } = forge;
const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

class PadesSigner extends Signer {
  private readonly signer: DocumentSigner;
  private readonly timestamp: SealOptions['timestamp'];

  constructor(
    signer: DocumentSigner,
    timestamp: SealOptions['timestamp'],
  ) {
    super();
    this.signer = signer;
    this.timestamp = timestamp;
  }

  override async sign(content: Buffer): Promise<Buffer> {
    return buildCmsSignature(content, this.signer, this.timestamp);
  }
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
const oid = (value: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(value).getBytes());
const octets = (value: Buffer) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, value.toString('binary'));
const int = (value: number) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(value).getBytes());
const nul = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '');
const der = (value: forge.asn1.Asn1) => Buffer.from(asn1.toDer(value).getBytes(), 'binary');
const fromDer = (value: Buffer) => asn1.fromDer(value.toString('binary'));
const attribute = (type: string, value: forge.asn1.Asn1) => seq([oid(type), set([value])]);

/**
 * Builds the detached CMS signature over `content` (the PDF without its /Contents value); with
 * `timestamp`, the TSA's token over the signature value is added as an unsigned attribute.
 */
export async function buildCmsSignature(content: Buffer, m: DocumentSigner, timestamp?: SealOptions['timestamp']): Promise<Buffer> {
  const certificateDer = m.chainDer[0];
  if (!certificateDer) throw new SealError('the signer has no certificate');
  const cert = fromDer(certificateDer);
  const tbs = cert.value[0] as forge.asn1.Asn1;
  const fields = tbs.value as forge.asn1.Asn1[];
  const offset = fields[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0; // [0] version
  const serial = fields[offset]!;
  const issuer = fields[offset + 2]!;

  const essCertIdV2 = seq([
    // hashAlgorithm omitted: DEFAULT sha256
    octets(createHash('sha256').update(certificateDer).digest()),
    seq([seq([asn1.create(asn1.Class.CONTEXT_SPECIFIC, 4, true, [issuer])]), serial]),
  ]);
  const attributes = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octets(createHash('sha256').update(content).digest())),
    attribute(OID.signingCertificateV2, seq([seq([essCertIdV2])])),
  ];
  // DER: a SET OF is sorted by the encodings of its elements.
  const sorted = attributes.map(der).sort(Buffer.compare);
  const signedAttrsSet = Buffer.concat([derHeader(0x31, sorted.reduce((n, b) => n + b.length, 0)), ...sorted]);
  const signature = await m.signRsaSha256(signedAttrsSet);
  // RFC 3161 appendix A: the token stamps the SignerInfo's signature value.
  const unsignedAttrs = timestamp
    ? [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 1, true, [fromDer(signatureTimestampAttribute(await timestamp(signature)))])]
    : [];

  const signedAttrs = fromDer(signedAttrsSet);
  const signedAttrsImplicit = asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, signedAttrs.value as forge.asn1.Asn1[]);
  const signerInfo = seq([
    int(1),
    seq([issuer, serial]),
    seq([oid(OID.sha256), nul()]),
    signedAttrsImplicit,
    seq([oid(OID.rsaEncryption), nul()]),
    octets(signature),
    ...unsignedAttrs,
  ]);
  const signedData = seq([
    int(1),
    set([seq([oid(OID.sha256), nul()])]),
    seq([oid(OID.data)]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, m.chainDer.map(fromDer)),
    set([signerInfo]),
  ]);
  return der(seq([oid(OID.signedData), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData])]));
}

function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}
