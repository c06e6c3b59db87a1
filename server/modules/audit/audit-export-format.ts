// The per-case audit export's format: rows of events.jsonl and the manifest beside it.
export const EXPORT_FORMAT = 'haiqiao-audit-export/1';

export interface ExportedEvent {
  seq: number;
  id: string;
  type: string;
  caseId: string | null;
  actor: unknown;
  data: unknown;
  occurredAt: string;
  prevHash: string;
  hash: string;
}
/** Another case's event: only what links the chain. */
export interface ExportedLink {
  seq: number;
  link: true;
  prevHash: string;
  hash: string;
}
export type ExportRow = ExportedEvent | ExportedLink;

export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  caseId: string;
  caseNumber: string;
  exportedAt: string;
  /** The chain's head when the export was made; the export is reproducible up to it. */
  upToSeq: number;
  file: 'events.jsonl';
  /** SHA-256 of events.jsonl, hex. */
  sha256: string;
  rows: number;
  caseEvents: number;
  firstSeq: number | null;
  lastSeq: number | null;
  hash: { algorithm: 'sha256'; canonicalization: 'RFC 8785 JCS'; fields: string[] };
  /** RFC 3161 tokens of chain heads within the export (base64 DER), to check offline. */
  anchors: { seq: number; headHash: string; tsaTime: string; token: string }[];
}
