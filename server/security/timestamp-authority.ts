// RFC 3161 time-stamp client: asks the configured TSA to stamp the SHA-256 of some bytes and
// returns the TimeStampToken (a CMS ContentInfo, DER). PKI.js builds the request and parses the
// reply; the token is checked to answer this request (imprint and nonce) before it is used.
import { createHash, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { AlgorithmIdentifier, MessageImprint, TimeStampReq, TimeStampResp } from 'pkijs';
import { readTimestampToken } from '../documents/timestamp-token.ts';
import type { TsaTrustList } from '../documents/tsa-trust.ts';

const SHA256 = '2.16.840.1.101.3.4.2.1';

export class TimestampError extends Error {
  override name = 'TimestampError';
}

/** Stamps `data` (its SHA-256 is sent, never the data) and returns the token's DER. */
export type Timestamper = (data: Uint8Array) => Promise<Buffer>;

export interface TimestampAuthorityOptions {
  url: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** Further tries after a network error or an HTTP 5xx (default 2). */
  retries?: number;
  /** Refuse tokens from a TSA outside this list (a wrong URL or a swapped TSA), so none is stored. */
  trust?: TsaTrustList | null;
}

/**
 * The DER TimeStampReq for a SHA-256 digest and a nonce (taken as an unsigned number). The
 * nonce goes in DER's shortest form: a random nonce starting with a zero byte, written as is,
 * is refused by OpenSSL-based TSAs as a bad request (about 1 stamp in 256).
 */
export function timestampQuery(digest: Buffer, nonce: Buffer) {
  const request = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithmId: SHA256, algorithmParams: new asn1js.Null() }),
      hashedMessage: new asn1js.OctetString({ valueHex: digest }),
    }),
    nonce: new asn1js.Integer({ valueHex: derUnsignedInteger(nonce) }),
    certReq: true,
  });
  return Buffer.from(request.toSchema().toBER(false));
}

/** An unsigned number's DER INTEGER content: no leading zero bytes, one added where the top bit would read as a sign. */
function derUnsignedInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const shortest = bytes.subarray(start);
  return shortest[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), shortest]) : shortest;
}

export function createTimestamper(options: TimestampAuthorityOptions): Timestamper {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  return async (data) => {
    const digest = createHash('sha256').update(data).digest();
    const nonce = randomBytes(8);
    nonce[0] = (nonce[0]! & 0x3f) | 0x40; // 62 random bits, always eight bytes in DER: every token of a TSA has one length
    const body = timestampQuery(digest, nonce);

    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/timestamp-query' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        lastError = error;
        continue;
      }
      if (response.status >= 500) {
        lastError = new TimestampError(`the TSA answered HTTP ${response.status}`);
        continue;
      }
      if (!response.ok) throw new TimestampError(`the TSA refused the request: HTTP ${response.status}`);
      return tokenOf(Buffer.from(await response.arrayBuffer()), digest, nonce, options.trust ?? null);
    }
    throw new TimestampError(`the TSA at ${options.url} could not be reached: ${(lastError as Error)?.message ?? lastError}`);
  };
}

function tokenOf(reply: Buffer, digest: Buffer, nonce: Buffer, trust: TsaTrustList | null): Buffer {
  let parsed: TimeStampResp;
  try {
    parsed = TimeStampResp.fromBER(new Uint8Array(reply));
  } catch (error) {
    throw new TimestampError(`the TSA's reply is not a TimeStampResp: ${(error as Error).message}`);
  }
  // PKIStatus granted (0) or grantedWithMods (1).
  if (parsed.status.status > 1 || !parsed.timeStampToken) {
    throw new TimestampError(`the TSA refused to stamp (status ${parsed.status.status}${parsed.status.statusStrings?.length ? `: ${parsed.status.statusStrings.map((s) => s.valueBlock.value).join('; ')}` : ''})`);
  }
  const token = Buffer.from(parsed.timeStampToken.toSchema().toBER(false));
  const read = readTimestampToken(token, trust);
  if (!read.imprint.equals(digest) || read.imprintAlgorithm !== SHA256) throw new TimestampError('the TSA stamped something else (message imprint mismatch)');
  if (!read.nonce || !stripZeros(read.nonce).equals(stripZeros(nonce))) throw new TimestampError('the TSA reply does not answer this request (nonce mismatch)');
  if (!read.intact) throw new TimestampError(`the TSA's token does not verify: ${read.problem}`);
  if (read.trusted === false) throw new TimestampError(`the TSA is not trusted (HAIQIAO_TSA_TRUST_FILE): ${read.trustProblem}`);
  return token;
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}
