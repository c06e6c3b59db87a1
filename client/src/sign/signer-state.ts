/**
 * Where one participant stands in an agreement (may they sign now, have they, are others
 * done), and what changed between two snapshots of an agreement (for the "updated" notice in the
 * room). Pure functions over the shared agreement view.
 */
import type { AgreementView } from '../../../shared/api/agreements.ts';

type Signer = AgreementView['requiredSigners'][number];

export type MyStanding =
  /** Not among those who may sign (an interpreter, an agent without authority): read only. */
  | { kind: 'reader' }
  /** The agreement is not open for signing (being drafted, withdrawn, set aside). */
  | { kind: 'closed'; signer: Signer }
  /** May sign this version now. */
  | { kind: 'to_sign'; signer: Signer; role: 'party' | 'agent' }
  /** This party already signed this version (by me or by someone else for the same party). */
  | { kind: 'signed'; signer: Signer; byMe: boolean }
  | { kind: 'declined'; signer: Signer; byMe: boolean };

export function myStanding(view: AgreementView, participantId: string): MyStanding {
  const signer = view.requiredSigners.find((s) => s.eligible.some((e) => e.participantId === participantId));
  if (!signer) return { kind: 'reader' };
  const signature = signer.signature;
  if (signature?.status === 'signed') return { kind: 'signed', signer, byMe: signature.signerParticipantId === participantId };
  if (signature?.status === 'declined') return { kind: 'declined', signer, byMe: signature.signerParticipantId === participantId };
  if (view.status !== 'signing') return { kind: 'closed', signer };
  const role = signer.eligible.find((e) => e.participantId === participantId)!.role;
  return { kind: 'to_sign', signer, role };
}

/**
 * How the server will want this signer to confirm who they are: a party with an ID number on
 * file answers with name + last 4; an agent (no ID number of theirs on file) with the code the
 * mediator reads out. A party without an ID number learns so from the server and switches.
 */
export const identityMethodFor = (role: 'party' | 'agent'): 'id_last4' | 'one_time_code' => (role === 'party' ? 'id_last4' : 'one_time_code');

export const signedCount = (view: AgreementView) => view.requiredSigners.filter((s) => s.signature?.status === 'signed').length;

/** One thing that changed between two snapshots, for a short notice. */
export type AgreementChange =
  | { kind: 'version'; from: number; to: number }
  | { kind: 'status'; to: AgreementView['status'] }
  | { kind: 'comment'; author: string; commentKind: 'comment' | 'change_request'; versionNumber: number }
  | { kind: 'signature'; name: string; status: 'signed' | 'declined' }
  | { kind: 'voided'; count: number }
  | { kind: 'sealed' };

export function changesBetween(before: AgreementView, after: AgreementView): AgreementChange[] {
  const changes: AgreementChange[] = [];
  if (after.currentVersion.number !== before.currentVersion.number) changes.push({ kind: 'version', from: before.currentVersion.number, to: after.currentVersion.number });
  const seen = new Set(before.comments.map((c) => c.id));
  for (const c of after.comments) if (!seen.has(c.id)) changes.push({ kind: 'comment', author: c.authorName, commentKind: c.kind, versionNumber: c.versionNumber });
  const signedBefore = new Set(before.requiredSigners.flatMap((s) => (s.signature ? [s.signature.id] : [])));
  for (const s of after.requiredSigners) {
    const sig = s.signature;
    if (sig && sig.status !== 'voided' && !signedBefore.has(sig.id)) changes.push({ kind: 'signature', name: sig.signerName, status: sig.status });
  }
  const voided = after.voidedSignatures.length - before.voidedSignatures.length;
  if (voided > 0) changes.push({ kind: 'voided', count: voided });
  if (after.sealedDocument && !before.sealedDocument) changes.push({ kind: 'sealed' });
  else if (after.status !== before.status) changes.push({ kind: 'status', to: after.status });
  return changes;
}

/** A sign or decline refused because the text changed under the reader: reload and read again. */
export function isStaleVersionError(error: { code?: string; message?: string } | null | undefined): boolean {
  return error?.code === 'CONFLICT' && /newer version|being revised/.test(error.message ?? '');
}
