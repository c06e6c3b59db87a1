// What seals a document: a certificate chain and something that signs with the matching key.
// Today the key comes from a PKCS#12 held in memory; a hardware key (HSM over PKCS#11) would
// implement the same interface and never hand its key out.
import { sign as cryptoSign } from 'node:crypto';
import { openP12 } from './platform-certificate.ts';

export interface DocumentSigner {
  /** DER: the signing certificate first, then the rest of its chain. */
  readonly chainDer: readonly Buffer[];
  /** RSASSA-PKCS1-v1_5 with SHA-256 over `data` (the DER of the CMS signed attributes). */
  signRsaSha256(data: Buffer): Promise<Buffer>;
}

/** A signer over a PKCS#12 bundle (opened once, kept in memory). */
export function p12Signer(p12: Uint8Array, passphrase: string, label?: string): DocumentSigner {
  const material = openP12(p12, passphrase, label);
  return {
    chainDer: material.chainDer,
    signRsaSha256: async (data) => cryptoSign('sha256', data, material.privateKey),
  };
}
