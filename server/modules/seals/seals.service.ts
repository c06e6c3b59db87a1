// Each organisation seals with its own certificate: the mediation center its agreements, the
// court its rulings. The PKCS#12 and passphrase are stored encrypted; on first use (or first
// start) an organisation without one gets a self-signed test certificate, marked as such.
import { randomBytes, X509Certificate } from 'node:crypto';
import type { SealView } from '../../../shared/api/admin.ts';
import type { ServiceContext } from '../../context.ts';
import type { Db } from '../../db/client.ts';
import { p12Signer, type DocumentSigner } from '../../documents/document-signer.ts';
import { createSelfSignedP12, openP12, PlatformCertificateError } from '../../documents/platform-certificate.ts';
import { conflict, invalid, notFound } from '../../errors.ts';
import { appendAuditEvent } from '../audit/audit.repository.ts';
import type { Principal } from '../../access/principal.ts';
import * as repo from './seals.repository.ts';

export const TEST_CERTIFICATE_UNIT = '测试证书 TEST CERTIFICATE';

export interface OrganisationSeal {
  sealId: string;
  organisationId: string;
  organisationName: string;
  test: boolean;
  fingerprintSha256: string;
  signer: DocumentSigner;
}

export function sealView(row: repo.SealRow): SealView {
  return {
    id: row.id,
    source: row.source,
    test: row.source === 'test',
    fingerprintSha256: row.fingerprintSha256,
    subject: row.subject,
    notAfter: row.notAfter.toISOString(),
    active: row.active,
    createdAt: row.createdAt.toISOString(),
  };
}

function describeP12(p12: Buffer, passphrase: string) {
  const material = openP12(p12, passphrase);
  const x509 = new X509Certificate(material.certificateDer);
  return { fingerprintSha256: x509.fingerprint256.replace(/:/g, '').toLowerCase(), subject: x509.subject, notAfter: new Date(x509.validTo) };
}

/** Gives the organisation a self-signed test certificate unless it has an active seal. */
export async function ensureDefault(ctx: ServiceContext, organisationId: string): Promise<void> {
  const name = await repo.findOrganisationName(ctx.db, organisationId);
  if (name === undefined) throw notFound('organisation');
  if (await repo.findActiveSeal(ctx.db, organisationId)) return;
  const passphrase = randomBytes(32).toString('base64url');
  const p12 = createSelfSignedP12(passphrase, { commonName: name, organization: name, organizationalUnit: TEST_CERTIFICATE_UNIT }, ctx.now());
  const facts = describeP12(p12, passphrase);
  await ctx.db.transaction(async (tx) => {
    // The partial unique index keeps one active seal: a concurrent first use loses quietly.
    const row = await repo.insertFirstSeal(tx, { organisationId, source: 'test', p12Encrypted: ctx.cipher.encrypt(p12.toString('base64')), passphraseEncrypted: ctx.cipher.encrypt(passphrase), ...facts, active: true });
    if (row) await appendAuditEvent(tx, { type: 'organisation.seal_installed', actor: { kind: 'system' }, data: { organisationId, sealId: row.id, source: 'test', fingerprintSha256: row.fingerprintSha256 } });
  });
}

/** On start: every organisation without a seal gets its test certificate. */
export async function ensureDefaultSeals(ctx: ServiceContext): Promise<number> {
  let created = 0;
  for (const org of await repo.listOrganisationIds(ctx.db)) {
    if (await repo.findActiveSeal(ctx.db, org.id)) continue;
    await ensureDefault(ctx, org.id);
    created += 1;
  }
  return created;
}

/** Opens organisations' seals for signing; an opened signer is kept per seal. */
export function createSealRegistry(ctx: ServiceContext) {
  const opened = new Map<string, DocumentSigner>();
  return {
    /** The organisation's active seal, creating its test certificate the first time. */
    async sealOf(organisationId: string): Promise<OrganisationSeal> {
      let row = await repo.findActiveSeal(ctx.db, organisationId);
      if (!row) {
        await ensureDefault(ctx, organisationId);
        row = (await repo.findActiveSeal(ctx.db, organisationId))!;
      }
      let signer = opened.get(row.id);
      if (!signer) {
        signer = p12Signer(Buffer.from(ctx.cipher.decrypt(row.p12Encrypted), 'base64'), ctx.cipher.decrypt(row.passphraseEncrypted), `the seal of organisation ${organisationId}`);
        opened.set(row.id, signer);
      }
      const organisationName = (await repo.findOrganisationName(ctx.db, organisationId))!;
      return { sealId: row.id, organisationId, organisationName, test: row.source === 'test', fingerprintSha256: row.fingerprintSha256, signer };
    },
  };
}
export type SealRegistry = ReturnType<typeof createSealRegistry>;

/** Who sealed with this certificate (any seal ever installed, active or not). */
export async function findSealOwner(db: Db, fingerprintSha256: string) {
  const row = await repo.findSealOwnerRow(db, fingerprintSha256);
  return row ? { organisationName: row.organisationName, organisationKind: row.organisationKind, testCertificate: row.source === 'test' } : null;
}

/** Read-only: an organisation created since the last start has none until it first seals. */
export async function listSeals(ctx: ServiceContext, organisationId: string) {
  if ((await repo.findOrganisationName(ctx.db, organisationId)) === undefined) throw notFound('organisation');
  const rows = await repo.listForOrganisation(ctx.db, organisationId);
  return { items: rows.reverse().map(sealView) };
}

/** An admin installs the organisation's own PKCS#12; the previous seal stays on record, inactive. */
export async function installSeal(ctx: ServiceContext, actor: Principal, organisationId: string, input: { p12Base64: string; passphrase: string }) {
  if ((await repo.findOrganisationName(ctx.db, organisationId)) === undefined) throw notFound('organisation');
  const p12 = Buffer.from(input.p12Base64, 'base64');
  if (p12.length === 0) throw invalid('p12Base64', 'the PKCS#12 file is empty');
  let facts: ReturnType<typeof describeP12>;
  try {
    facts = describeP12(p12, input.passphrase);
  } catch (error) {
    if (error instanceof PlatformCertificateError) throw invalid(/wrong passphrase/.test(error.message) ? 'passphrase' : 'p12Base64', error.message);
    throw invalid('p12Base64', `not a usable PKCS#12: ${(error as Error).message}`);
  }
  // The signer must work (an RSA key that matches the certificate) before it replaces the old one.
  try {
    await p12Signer(p12, input.passphrase).signRsaSha256(Buffer.from('probe'));
  } catch (error) {
    throw invalid('p12Base64', `the key cannot sign (RSA with SHA-256 is required): ${(error as Error).message}`);
  }
  if (facts.notAfter.getTime() <= ctx.now().getTime()) throw invalid('p12Base64', 'the certificate has expired');
  return ctx.db.transaction(async (tx) => {
    // One install per organisation at a time: the swap of the active seal is not interleaved.
    await repo.lockOrganisation(tx, organisationId);
    if (await repo.fingerprintInstalled(tx, facts.fingerprintSha256)) throw conflict('this certificate is already installed');
    const row = await repo.replaceActiveSeal(tx, { organisationId, source: 'uploaded', p12Encrypted: ctx.cipher.encrypt(p12.toString('base64')), passphraseEncrypted: ctx.cipher.encrypt(input.passphrase), ...facts, createdBy: actor.staffUserId });
    await appendAuditEvent(tx, { type: 'organisation.seal_installed', actor: { kind: 'staff', staffUserId: actor.staffUserId }, data: { organisationId, sealId: row.id, source: 'uploaded', fingerprintSha256: row.fingerprintSha256 } });
    return sealView(row);
  });
}
