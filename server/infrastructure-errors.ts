// Failures of the parts under the service rather than of the request: the database out of reach
// (restart, cut connection) and a full disk. Both become coded answers (503 UNAVAILABLE with
// Retry-After, 507 STORAGE_FULL) instead of a bare 500, over HTTP and in socket acks alike.
import type { ErrorBody } from '../shared/errors.ts';
import { AppError } from './errors.ts';

/** postgres.js connection errors and node socket errors on the way to the database. */
const unreachableCodes = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
/** SQLSTATEs of a server going away or not yet taking connections (class 08, 57P01–57P03, 53300). */
const unavailableStates = /^(08...|57P0[1-3]|53300)$/;
/** No space or quota left on the device the files live on. */
const storageFullCodes = new Set(['ENOSPC', 'EDQUOT']);

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return codesOf(error).some((code) => unreachableCodes.has(code) || unavailableStates.test(code));
}

export function isStorageFull(error: unknown): boolean {
  return codesOf(error).some((code) => storageFullCodes.has(code));
}

/** Seconds a client should wait before retrying a request answered UNAVAILABLE. */
export const unavailableRetryAfterSeconds = 2;

export const storageFull = () => new AppError('STORAGE_FULL', 'the file store is full; nothing was saved');

/** The envelope body for an infrastructure failure, else null. */
export function infrastructureErrorBody(error: unknown): ErrorBody | null {
  if (isStorageFull(error)) return { code: 'STORAGE_FULL', message: 'the file store is full; nothing was saved' };
  if (isDatabaseUnavailable(error)) return { code: 'UNAVAILABLE', message: 'the database is briefly out of reach; try again' };
  return null;
}
