// Re-checks a per-case audit export offline: every event's hash recomputed from its fields, every
// row linked to the one before, the case's rows all of that case, the file's SHA-256 and counts
// as the manifest says, and each RFC 3161 anchor's token valid for the head it names. Reports
// the first failure with its line. Pure: no database, no network.
import { createHash } from 'node:crypto';
import { readTimestampToken, type TimestampTokenFacts } from '../../documents/timestamp-token.ts';
import type { TsaTrustList } from '../../documents/tsa-trust.ts';
import { anchorMessage } from './anchor-message.ts';
import { hashOf } from './audit-hash.ts';
import { EXPORT_FORMAT, type ExportManifest } from './audit-export-format.ts';

export type ExportProblem =
  | 'not_json'
  | 'bad_row'
  | 'hash_mismatch'
  | 'previous_hash_mismatch'
  | 'sequence_gap'
  | 'other_case'
  | 'file_hash_mismatch'
  | 'count_mismatch'
  | 'anchor_hash_mismatch'
  | 'anchor_token_invalid'
  | 'anchor_tsa_untrusted'
  | 'bad_manifest';

export interface ExportCheck {
  ok: boolean;
  rows: number;
  caseEvents: number;
  /** `line` is 1-based in events.jsonl; 0 for the manifest or the file as a whole. */
  firstBroken: { line: number; seq: number | null; problem: ExportProblem; detail: string } | null;
  /** The newest anchor that checked out: the case's events up to its seq existed by its time. */
  anchoredUntil: { seq: number; tsaTime: string; tsa: string } | null;
  /** The anchors' TSA was checked against a trust list; false: any TSA that signed was believed. */
  tsaTrustChecked: boolean;
}

const isHex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

/** With `trust`, an anchor whose TSA is outside it fails: whoever rewrote the export could have stamped it. */
export function checkAuditExport(jsonl: string, manifest: ExportManifest, trust: TsaTrustList | null = null): ExportCheck {
  const result: ExportCheck = { ok: false, rows: 0, caseEvents: 0, firstBroken: null, anchoredUntil: null, tsaTrustChecked: trust !== null };
  const fail = (line: number, seq: number | null, problem: ExportProblem, detail: string): ExportCheck => ({ ...result, firstBroken: { line, seq, problem, detail } });
  if (manifest?.format !== EXPORT_FORMAT || typeof manifest.caseId !== 'string' || !Array.isArray(manifest.anchors)) {
    return fail(0, null, 'bad_manifest', `not a ${EXPORT_FORMAT} manifest`);
  }

  const lines = jsonl.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const hashBySeq = new Map<number, string>();
  let previous: { seq: number; hash: string } | null = null;
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return fail(line, null, 'not_json', 'the line is not JSON');
    }
    const seq = typeof row.seq === 'number' && Number.isInteger(row.seq) ? row.seq : null;
    if (seq === null || !isHex64(row.hash) || !isHex64(row.prevHash)) return fail(line, seq, 'bad_row', 'seq, prevHash or hash missing or malformed');
    if (previous && seq !== previous.seq + 1) return fail(line, seq, 'sequence_gap', `expected seq ${previous.seq + 1}`);
    if (previous && row.prevHash !== previous.hash) return fail(line, seq, 'previous_hash_mismatch', `prevHash does not match the hash of seq ${previous.seq}`);
    if (row.link !== true) {
      if (row.caseId !== manifest.caseId) return fail(line, seq, 'other_case', `an event of case ${String(row.caseId)} in the export of ${manifest.caseId}`);
      const fields = { seq, id: row.id, type: row.type, caseId: row.caseId, actor: row.actor, data: row.data, occurredAt: row.occurredAt, prevHash: row.prevHash };
      if (typeof fields.id !== 'string' || typeof fields.type !== 'string' || typeof fields.occurredAt !== 'string') return fail(line, seq, 'bad_row', 'id, type or occurredAt missing');
      if (hashOf(fields as Parameters<typeof hashOf>[0]) !== row.hash) return fail(line, seq, 'hash_mismatch', 'the event does not hash to its recorded hash: its content was changed');
      result.caseEvents += 1;
    }
    hashBySeq.set(seq, row.hash);
    previous = { seq, hash: row.hash };
    result.rows += 1;
  }

  if (createHash('sha256').update(jsonl).digest('hex') !== manifest.sha256) return fail(0, null, 'file_hash_mismatch', 'events.jsonl does not have the SHA-256 the manifest records');
  if (result.rows !== manifest.rows || result.caseEvents !== manifest.caseEvents) {
    return fail(0, null, 'count_mismatch', `the manifest records ${manifest.rows} rows and ${manifest.caseEvents} case events`);
  }

  for (const anchor of manifest.anchors) {
    if (hashBySeq.get(anchor.seq) !== anchor.headHash) return fail(0, anchor.seq, 'anchor_hash_mismatch', `the row at seq ${anchor.seq} is not the head the TSA timestamped`);
    let facts: TimestampTokenFacts;
    try {
      facts = readTimestampToken(Buffer.from(anchor.token, 'base64'), trust);
    } catch (error) {
      return fail(0, anchor.seq, 'anchor_token_invalid', (error as Error).message);
    }
    const expected = createHash('sha256').update(anchorMessage(anchor.seq, anchor.headHash)).digest();
    if (!facts.intact || !facts.imprint.equals(expected)) return fail(0, anchor.seq, 'anchor_token_invalid', facts.problem ?? 'the token stamps another head');
    if (facts.trusted === false) return fail(0, anchor.seq, 'anchor_tsa_untrusted', `${facts.trustProblem ?? 'the TSA is not trusted'} (TSA: ${facts.tsaSubject ?? 'unnamed'})`);
    result.anchoredUntil = { seq: anchor.seq, tsaTime: facts.time, tsa: facts.tsaSubject ?? '' };
  }
  return { ...result, ok: true };
}
