import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Encrypts personal ID numbers at rest with AES-256-GCM. Stored form:
 * `v1.<iv base64url>.<tag base64url>.<ciphertext base64url>`.
 */
export interface IdNumberCipher {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

export function createIdNumberCipher(key: Buffer): IdNumberCipher {
  if (key.length !== 32) throw new Error('the ID number key must be 32 bytes');
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    decrypt(stored) {
      const [version, iv, tag, body] = stored.split('.');
      if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unrecognised ciphertext');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * The configured key, or for the embedded single-node setup a key generated once into the data
 * directory (mode 0600). Production deployments should configure HAIQIAO_ENCRYPTION_KEY.
 */
export function resolveEncryptionKey(configured: string | undefined, dataDir: string): { key: Buffer; generated: boolean } {
  if (configured) {
    const key = Buffer.from(configured, 'base64');
    if (key.length !== 32) throw new Error('HAIQIAO_ENCRYPTION_KEY must be 32 bytes encoded as base64');
    return { key, generated: false };
  }
  const file = path.join(dataDir, 'id-number.key');
  if (fs.existsSync(file)) return { key: Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'), generated: false };
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, generated: true };
}
