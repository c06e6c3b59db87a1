// The platform's document-signing certificate: a configured PKCS#12 file, or a self-signed one
// created once in a data directory and reused on later starts.
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, type FileHandle, mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';

export interface PlatformCertificate {
  /** The PKCS#12 bundle (private key and certificate chain). */
  p12: Buffer;
  passphrase: string;
  /** The signing (end-entity) certificate. */
  certificatePem: string;
  /** SHA-256 of the signing certificate's DER, lowercase hex. */
  fingerprintSha256: string;
}

export interface PlatformCertificateOptions {
  /** Where a generated certificate is kept (created if missing). */
  dir: string;
  /** A configured PKCS#12 file; when set, nothing is generated. */
  p12Path?: string;
  p12Passphrase?: string;
  /** Only for tests: subject and validity of a generated certificate. */
  subject?: CertificateSubject;
  now?: Date;
}

export interface CertificateSubject {
  commonName?: string;
  organization?: string;
  /** e.g. marks a test certificate as such in the certificate itself. */
  organizationalUnit?: string;
}

export const GENERATED_P12_FILE = 'platform-signing.p12';
export const GENERATED_PASSPHRASE_FILE = 'platform-signing.passphrase';

const COMMON_NAME = 'Haiqiao 海桥 云调解平台';
const ORGANIZATION = 'Haiqiao 海桥';
const VALIDITY_YEARS = 10;

export class PlatformCertificateError extends Error {
  override name = 'PlatformCertificateError';
}

/** Loads the configured PKCS#12, or the generated one in `dir`, creating it the first time. */
export async function loadOrCreatePlatformCertificate(options: PlatformCertificateOptions): Promise<PlatformCertificate> {
  if (options.p12Path) {
    const p12 = await readFile(options.p12Path).catch((error: unknown) => {
      throw new PlatformCertificateError(`cannot read the configured PKCS#12 ${options.p12Path}: ${(error as Error).message}`);
    });
    return describe(p12, options.p12Passphrase ?? '', options.p12Path);
  }

  const p12File = path.join(options.dir, GENERATED_P12_FILE);
  const passFile = path.join(options.dir, GENERATED_PASSPHRASE_FILE);
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  if (await exists(p12File)) return loadGenerated(p12File, passFile);

  // Claim creation with an exclusive create of the passphrase file; a concurrent starter that
  // loses waits for the winner's PKCS#12.
  const passphrase = randomBytes(32).toString('base64url');
  let claim: FileHandle;
  try {
    claim = await open(passFile, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return waitForGenerated(p12File, passFile);
  }
  try {
    await claim.writeFile(`${passphrase}\n`);
    await claim.sync();
  } finally {
    await claim.close();
  }
  const p12 = createSelfSignedP12(passphrase, options.subject, options.now ?? new Date());
  const tmp = `${p12File}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(p12);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(tmp, 0o600);
  await rename(tmp, p12File);
  return describe(p12, passphrase, p12File);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function loadGenerated(p12File: string, passFile: string): Promise<PlatformCertificate> {
  const passphrase = (await readFile(passFile, 'utf8').catch(() => {
    throw new PlatformCertificateError(`${p12File} exists but its passphrase file ${passFile} is missing`);
  })).trim();
  return describe(await readFile(p12File), passphrase, p12File);
}

async function waitForGenerated(p12File: string, passFile: string): Promise<PlatformCertificate> {
  for (let i = 0; i < 200; i++) {
    if (await exists(p12File)) return loadGenerated(p12File, passFile);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new PlatformCertificateError(
    `${passFile} exists but ${p12File} did not appear: an earlier start was interrupted; remove ${passFile} and start again`,
  );
}

/** A new RSA-2048 key and a self-signed certificate for it (valid ten years), as a PKCS#12. */
export function createSelfSignedP12(passphrase: string, subject: CertificateSubject | undefined, now: Date): Buffer {
  // Node generates the key (fast, native); node-forge builds the certificate and PKCS#12.
  const { privateKey: privatePem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(key.n, key.e);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive 128-bit serial.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime());
  cert.validity.notAfter.setUTCFullYear(cert.validity.notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const utf8 = forge.asn1.Type.UTF8;
  const attrs = [
    { name: 'commonName', value: subject?.commonName ?? COMMON_NAME, valueTagClass: utf8 },
    { name: 'organizationName', value: subject?.organization ?? ORGANIZATION, valueTagClass: utf8 },
    ...(subject?.organizationalUnit ? [{ name: 'organizationalUnitName', value: subject.organizationalUnit, valueTagClass: utf8 }] : []),
    { name: 'countryName', value: 'CN' },
  ] as forge.pki.CertificateField[];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());

  const p12Asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], passphrase, {
    algorithm: 'aes256',
    friendlyName: 'Haiqiao platform signing',
    generateLocalKeyId: true,
  });
  return Buffer.from(forge.asn1.toDer(p12Asn1).getBytes(), 'binary');
}

export interface SigningMaterial {
  privateKey: KeyObject;
  /** The signing certificate first, then the rest of the chain, each DER. */
  chainDer: Buffer[];
  certificateDer: Buffer;
}

/** Opens a PKCS#12: the private key and the certificate that matches it (first), plus any chain. */
export function openP12(p12: Uint8Array, passphrase: string, label = 'PKCS#12'): SigningMaterial {
  let der: forge.asn1.Asn1;
  try {
    der = forge.asn1.fromDer(Buffer.from(p12).toString('binary'));
  } catch (error) {
    throw new PlatformCertificateError(`${label} is not a PKCS#12 file (not DER): ${(error as Error).message}`);
  }
  let parsed: forge.pkcs12.Pkcs12Pfx;
  try {
    parsed = forge.pkcs12.pkcs12FromAsn1(der, false, passphrase);
  } catch (error) {
    const message = (error as Error).message;
    // forge reports a wrong passphrase as a failed MAC check or a failed decryption.
    if (/mac|password|decrypt/i.test(message)) throw new PlatformCertificateError(`cannot open ${label}: wrong passphrase (${message})`);
    throw new PlatformCertificateError(`${label} is not a usable PKCS#12 file: ${message}`);
  }
  const keyBags = [
    ...(parsed.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(parsed.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const certBags = parsed.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const key = keyBags[0]?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key) throw new PlatformCertificateError(`${label} holds no private key`);
  const certs = certBags.map((b) => b.cert).filter((c): c is forge.pki.Certificate => Boolean(c));
  const isMatch = (c: forge.pki.Certificate) => {
    const pub = c.publicKey as forge.pki.rsa.PublicKey;
    return pub.n?.compareTo(key.n) === 0 && pub.e?.compareTo(key.e) === 0;
  };
  const signer = certs.find(isMatch);
  if (!signer) throw new PlatformCertificateError(`${label} holds no certificate for its private key`);
  const toDer = (c: forge.pki.Certificate) => Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary');
  const certificateDer = toDer(signer);
  return {
    privateKey: createPrivateKey(forge.pki.privateKeyToPem(key)),
    certificateDer,
    chainDer: [certificateDer, ...certs.filter((c) => c !== signer).map(toDer)],
  };
}

function describe(p12: Buffer, passphrase: string, label: string): PlatformCertificate {
  const material = openP12(p12, passphrase, label);
  const b64 = material.certificateDer.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  const certificatePem = `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
  return {
    p12,
    passphrase,
    certificatePem,
    fingerprintSha256: createHash('sha256').update(material.certificateDer).digest('hex'),
  };
}
