// The per-case audit export: JSON Lines (one event a line) plus a manifest, with everything
// needed to re-check it offline (`npm run audit:check-export`). The case's events come whole;
// other cases' events in between come as links only (seq, prevHash, hash: nothing of their
// content), so the rows chain one to the next. The export runs on to the first timestamped
// head at or after the case's last event, whose RFC 3161 token is in the manifest.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gte, lte } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditAnchors, auditEvents } from '../../db/schema/index.ts';
import { EXPORT_FORMAT, type ExportManifest, type ExportRow } from './audit-export-format.ts';

export async function buildCaseExport(db: Db, input: { caseId: string; caseNumber: string; upToSeq?: number; now: Date }) {
  const [head] = await db.select({ seq: auditEvents.seq }).from(auditEvents).orderBy(desc(auditEvents.seq)).limit(1);
  const upToSeq = Math.min(input.upToSeq ?? head?.seq ?? 0, head?.seq ?? 0);
  const own = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.caseId, input.caseId), lte(auditEvents.seq, upToSeq)))
    .orderBy(asc(auditEvents.seq));
  const first = own[0]?.seq ?? null;
  const last = own[own.length - 1]?.seq ?? null;
  let end = last;
  let anchors: (typeof auditAnchors.$inferSelect)[] = [];
  if (first !== null && last !== null) {
    const [cover] = await db
      .select({ seq: auditAnchors.seq })
      .from(auditAnchors)
      .where(and(gte(auditAnchors.seq, last), lte(auditAnchors.seq, upToSeq)))
      .orderBy(asc(auditAnchors.seq))
      .limit(1);
    if (cover) end = cover.seq;
    anchors = await db
      .select()
      .from(auditAnchors)
      .where(and(gte(auditAnchors.seq, first), lte(auditAnchors.seq, end!)))
      .orderBy(asc(auditAnchors.seq));
  }
  const rows: ExportRow[] = [];
  if (first !== null && end !== null) {
    const span = await db
      .select()
      .from(auditEvents)
      .where(and(gte(auditEvents.seq, first), lte(auditEvents.seq, end)))
      .orderBy(asc(auditEvents.seq));
    for (const e of span) {
      rows.push(
        e.caseId === input.caseId
          ? { seq: e.seq, id: e.id, type: e.type, caseId: e.caseId, actor: e.actor, data: e.data, occurredAt: e.occurredAt.toISOString(), prevHash: e.prevHash, hash: e.hash }
          : { seq: e.seq, link: true, prevHash: e.prevHash, hash: e.hash },
      );
    }
  }
  const jsonl = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    caseId: input.caseId,
    caseNumber: input.caseNumber,
    exportedAt: input.now.toISOString(),
    upToSeq,
    file: 'events.jsonl',
    sha256: createHash('sha256').update(jsonl).digest('hex'),
    rows: rows.length,
    caseEvents: own.length,
    firstSeq: first,
    lastSeq: end,
    hash: { algorithm: 'sha256', canonicalization: 'RFC 8785 JCS', fields: ['seq', 'id', 'type', 'caseId', 'actor', 'data', 'occurredAt', 'prevHash'] },
    anchors: anchors.map((a) => ({ seq: a.seq, headHash: a.headHash, tsaTime: a.tsaTime.toISOString(), token: a.token })),
  };
  return { jsonl, manifest };
}
