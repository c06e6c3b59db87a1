/** Tones of the agreement-chain statuses (the words are in agreement.messages.ts). */
import type { AgreementStatus, ConfirmationStatus, SignatureStatus } from '../../../../shared/domain/agreements.ts';
import type { Tone } from '../../components/pill-tone.ts';

export const agreementTone: Record<AgreementStatus, Tone> = {
  drafting: 'info',
  signing: 'active',
  signed: 'good',
  sealed: 'good',
  set_aside: 'bad',
  withdrawn: 'muted',
};

export const signatureTone: Record<SignatureStatus | 'pending', Tone> = {
  pending: 'active',
  signed: 'good',
  declined: 'bad',
  voided: 'muted',
};

export const confirmationTone: Record<ConfirmationStatus, Tone> = {
  filed: 'info',
  accepted: 'active',
  not_accepted: 'bad',
  under_review: 'active',
  confirmed: 'good',
  rejected: 'bad',
  returned: 'bad',
};

/** "1.2 MB", "340 KB": sizes as people read them. */
export function byteSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 102.4) / 10} KB`;
  return `${Math.round(bytes / 104857.6) / 10} MB`;
}

/** The first and last characters of a hash, for lists; the whole one goes in a title and a copy button. */
export function shortHash(sha256: string): string {
  return sha256.length > 16 ? `${sha256.slice(0, 8)}…${sha256.slice(-8)}` : sha256;
}
