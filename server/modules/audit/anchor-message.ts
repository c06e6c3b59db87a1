/** What the TSA stamps for an audit anchor (its SHA-256 is sent): pure, shared with the offline check. */
export function anchorMessage(seq: number, headHash: string): Buffer {
  return Buffer.from(`haiqiao-audit-head:${seq}:${headHash}`, 'utf8');
}
