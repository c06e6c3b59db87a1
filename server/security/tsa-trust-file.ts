// Reads the TSA trust list named by HAIQIAO_TSA_TRUST_FILE (or the export check's --tsa-trust),
// failing loudly: a trust list that silently failed to load would let any TSA through.
import { readFileSync } from 'node:fs';
import { parseTsaTrustList, type TsaTrustList } from '../documents/tsa-trust.ts';

export function readTsaTrustFile(file: string): TsaTrustList {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the TSA trust file ${file}: ${(error as Error).message}`);
  }
  try {
    return parseTsaTrustList(pem);
  } catch (error) {
    throw new Error(`the TSA trust file ${file} is not usable: ${(error as Error).message}`);
  }
}

/** One line for logs: how many certificates, and whose. */
export function describeTsaTrust(trust: TsaTrustList): string {
  return trust.certificates.map((c) => c.subject.replace(/\n/g, ', ')).join('; ');
}
