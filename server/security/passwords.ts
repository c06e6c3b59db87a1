import { hash, verify } from '@node-rs/argon2';

// Argon2id (memory-hard) with OWASP's recommended minimum: 19 MiB, 2 passes, 1 lane.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}

/** Verifying against this keeps a login for an unknown user as slow as for a known one. */
export const dummyPasswordHash: Promise<string> = hashPassword('haiqiao-timing-equaliser');
