// Trusted time for the audit chain: the chain's head (seq and hash) is timestamped by the TSA
// now and then, and the tokens are kept. Because each hash covers all earlier events, a token
// for seq N pins events 1…N: cutting the chain below N or rewriting any of those events no
// longer matches a token that nobody but the TSA could have made.
import { createHash } from 'node:crypto';
import { asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditAnchors, auditEvents } from '../../db/schema/index.ts';
import { readTimestampToken, type TimestampTokenFacts } from '../../documents/timestamp-token.ts';
import type { TsaTrustList } from '../../documents/tsa-trust.ts';
import type { Timestamper } from '../../security/timestamp-authority.ts';
import { anchorMessage } from './anchor-message.ts';

export { anchorMessage };

export interface AuditAnchor {
  seq: number;
  headHash: string;
  tsaTime: string;
}

/** Timestamps the current head unless it already is; returns the new anchor, or null. */
export async function anchorAuditHead(db: Db, timestamp: Timestamper): Promise<AuditAnchor | null> {
  const [head] = await db.select({ seq: auditEvents.seq, hash: auditEvents.hash }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  if (!head) return null;
  const [known] = await db.select({ seq: auditAnchors.seq }).from(auditAnchors).where(eq(auditAnchors.seq, head.seq));
  if (known) return null;
  // The TSA is asked outside any transaction: events may be appended meanwhile, which is fine,
  // the anchor is for this head.
  const token = await timestamp(anchorMessage(head.seq, head.hash));
  const tsaTime = new Date(readTimestampToken(token).time);
  const inserted = await db
    .insert(auditAnchors)
    .values({ seq: head.seq, headHash: head.hash, token: token.toString('base64'), tsaTime })
    .onConflictDoNothing()
    .returning({ seq: auditAnchors.seq });
  return inserted.length ? { seq: head.seq, headHash: head.hash, tsaTime: tsaTime.toISOString() } : null;
}

export type AnchorBreak = { seq: number; reason: 'anchored_event_missing' | 'anchored_hash_mismatch' | 'anchor_token_invalid' | 'anchor_tsa_untrusted' };

export interface AnchorVerification {
  checked: number;
  firstBroken: AnchorBreak | null;
  /** The newest anchor: events up to its seq are pinned to its time. */
  latest: AuditAnchor | null;
  tsaSubjects: string[];
  /** The tokens' TSA was checked against a trust list (HAIQIAO_TSA_TRUST_FILE); false: any TSA was believed. */
  tsaTrustChecked: boolean;
}

/**
 * Checks every stored anchor against its token and against the chain as it is now. With a trust
 * list, a token from a TSA outside it is a break: whoever rewrote the chain could have made it.
 */
export async function verifyAnchors(db: Db, trust: TsaTrustList | null = null): Promise<AnchorVerification> {
  const anchors = await db.select().from(auditAnchors).orderBy(asc(auditAnchors.seq));
  const subjects = new Set<string>();
  let checked = 0;
  for (const anchor of anchors) {
    const broken = (reason: AnchorBreak['reason']) => ({ checked, firstBroken: { seq: anchor.seq, reason }, latest: null, tsaSubjects: [...subjects], tsaTrustChecked: trust !== null });
    let facts: TimestampTokenFacts;
    try {
      facts = readTimestampToken(Buffer.from(anchor.token, 'base64'), trust);
    } catch {
      return broken('anchor_token_invalid');
    }
    const expected = createHash('sha256').update(anchorMessage(anchor.seq, anchor.headHash)).digest();
    if (!facts.intact || !facts.imprint.equals(expected)) return broken('anchor_token_invalid');
    if (facts.trusted === false) return broken('anchor_tsa_untrusted');
    if (facts.tsaSubject) subjects.add(facts.tsaSubject);
    const [event] = await db.select({ hash: auditEvents.hash }).from(auditEvents).where(eq(auditEvents.seq, anchor.seq));
    if (!event) return broken('anchored_event_missing');
    if (event.hash !== anchor.headHash) return broken('anchored_hash_mismatch');
    checked += 1;
  }
  const last = anchors[anchors.length - 1];
  return { checked, firstBroken: null, latest: last ? { seq: last.seq, headHash: last.headHash, tsaTime: last.tsaTime.toISOString() } : null, tsaSubjects: [...subjects], tsaTrustChecked: trust !== null };
}

/** Anchors the head every `intervalMs` (and once at start); failures are logged and retried next time. */
export function scheduleAnchoring(db: Db, timestamp: Timestamper, intervalMs: number, log: { error(obj: object, msg?: string): void }) {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const tick = () => {
    // A slow TSA (or a loaded machine) must not get a second request for the same head.
    if (busy) return;
    busy = true;
    running = anchorAuditHead(db, timestamp)
      .catch((err: unknown) => log.error({ err }, 'could not timestamp the audit head; trying again at the next interval'))
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  const first = setTimeout(tick, 1000);
  first.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(first);
      await running;
    },
  };
}
