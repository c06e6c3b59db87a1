// How an audit event's hash is made: SHA-256 over the RFC 8785 (JCS) canonical JSON of the event
// with its predecessor's hash. Pure, so that the offline export check uses the very same code.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const genesisHash = '0'.repeat(64);

/** The fields an event's hash covers (`occurredAt` as a Date in the database, ISO in an export). */
export interface HashedEventFields {
  seq: number;
  id: string;
  type: string;
  caseId: string | null;
  actor: unknown;
  data: unknown;
  occurredAt: Date | string;
  prevHash: string;
}

export function hashOf(event: HashedEventFields): string {
  const canonical = canonicalize({
    seq: event.seq,
    id: event.id,
    type: event.type,
    caseId: event.caseId,
    actor: event.actor,
    data: event.data,
    occurredAt: typeof event.occurredAt === 'string' ? event.occurredAt : event.occurredAt.toISOString(),
    prevHash: event.prevHash,
  });
  if (canonical === undefined) throw new Error('audit event cannot be canonicalised');
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The canonical JSON hashOf hashes, cut around the members only the chain knows: hashOf(event) is
 * SHA-256 of head + prevHash + '","seq":' + seq + tail (RFC 8785 sorts the keys: actor, caseId,
 * data, id, occurredAt, prevHash, seq, type). For the database's audit_append (migration 0024).
 */
export function canonicalAround(event: Omit<HashedEventFields, 'seq' | 'prevHash'>): { head: string; tail: string } {
  const before = canonicalize({
    id: event.id,
    caseId: event.caseId,
    actor: event.actor,
    data: event.data,
    occurredAt: typeof event.occurredAt === 'string' ? event.occurredAt : event.occurredAt.toISOString(),
  });
  const type = canonicalize(event.type);
  if (before === undefined || type === undefined) throw new Error('audit event cannot be canonicalised');
  return { head: `${before.slice(0, -1)},"prevHash":"`, tail: `,"type":${type}}` };
}
