/**
 * The agreement, signature and confirmation machines, every (from, to) pair against tables
 * written out here from the design (not copied from the implementation).
 */
import { describe, expect, it } from 'vitest';
import {
  agreementMachine,
  agreementStatuses,
  confirmationMachine,
  confirmationStatuses,
  signatureMachine,
  signatureStatuses,
  type AgreementStatus,
  type ConfirmationStatus,
  type SignatureStatus,
} from '../../../shared/domain/agreements.ts';

function pairs<S extends string>(states: readonly S[]) {
  return states.flatMap((from) => states.map((to) => [from, to] as const));
}

// Drafted in versions; sent for signature; a new version (or the mediator) takes it back to
// drafting; the last signature makes it signed; the platform seals it; only a court ruling sets
// a sealed agreement aside. It can be withdrawn only before everyone signed.
const expectedAgreement: Record<AgreementStatus, AgreementStatus[]> = {
  drafting: ['signing', 'withdrawn'],
  signing: ['drafting', 'signed', 'withdrawn'],
  signed: ['sealed'],
  sealed: ['set_aside'],
  set_aside: [],
  withdrawn: [],
};

// A signature or a refusal is only ever voided (by a new version); nothing comes back from void.
const expectedSignature: Record<SignatureStatus, SignatureStatus[]> = {
  signed: ['voided'],
  declined: ['voided'],
  voided: [],
};

// 司法确认: the clerk accepts or refuses; the judge reviews and rules confirmed, rejected or returned.
const expectedConfirmation: Record<ConfirmationStatus, ConfirmationStatus[]> = {
  filed: ['accepted', 'not_accepted'],
  accepted: ['under_review'],
  not_accepted: [],
  under_review: ['confirmed', 'rejected', 'returned'],
  confirmed: [],
  rejected: [],
  returned: [],
};

describe('agreement state machine', () => {
  it('has exactly the expected states', () => {
    expect([...agreementStatuses].sort()).toEqual(Object.keys(expectedAgreement).sort());
  });
  it.each(pairs(agreementStatuses))('%s → %s', (from, to) => {
    expect(agreementMachine.canTransition(from, to)).toBe(expectedAgreement[from].includes(to));
  });
  it('allowed() lists exactly the permitted targets (what the UI offers)', () => {
    for (const s of agreementStatuses) expect([...agreementMachine.allowed(s)].sort()).toEqual([...expectedAgreement[s]].sort());
  });
  it('set aside and withdrawn are the only ends; a signed agreement cannot be withdrawn or reopened', () => {
    expect(agreementStatuses.filter((s) => agreementMachine.isTerminal(s))).toEqual(['set_aside', 'withdrawn']);
    expect(agreementMachine.canTransition('signed', 'withdrawn')).toBe(false);
    expect(agreementMachine.canTransition('signed', 'drafting')).toBe(false);
    expect(agreementMachine.canTransition('sealed', 'drafting')).toBe(false);
  });
  it('no state leads to itself', () => {
    for (const s of agreementStatuses) expect(agreementMachine.canTransition(s, s)).toBe(false);
  });
});

describe('signature state machine', () => {
  it('has exactly the expected states', () => {
    expect([...signatureStatuses].sort()).toEqual(Object.keys(expectedSignature).sort());
  });
  it.each(pairs(signatureStatuses))('%s → %s', (from, to) => {
    expect(signatureMachine.canTransition(from, to)).toBe(expectedSignature[from].includes(to));
  });
  it('voided is final; a refusal never turns into a signature (or back)', () => {
    expect(signatureStatuses.filter((s) => signatureMachine.isTerminal(s))).toEqual(['voided']);
    expect(signatureMachine.canTransition('declined', 'signed')).toBe(false);
    expect(signatureMachine.canTransition('signed', 'declined')).toBe(false);
  });
});

describe('confirmation state machine', () => {
  it('has exactly the expected states', () => {
    expect([...confirmationStatuses].sort()).toEqual(Object.keys(expectedConfirmation).sort());
  });
  it.each(pairs(confirmationStatuses))('%s → %s', (from, to) => {
    expect(confirmationMachine.canTransition(from, to)).toBe(expectedConfirmation[from].includes(to));
  });
  it('every decision is final, and a ruling needs a review first', () => {
    expect(confirmationStatuses.filter((s) => confirmationMachine.isTerminal(s))).toEqual(['not_accepted', 'confirmed', 'rejected', 'returned']);
    for (const decision of ['confirmed', 'rejected', 'returned'] as const) {
      expect(confirmationMachine.canTransition('filed', decision)).toBe(false);
      expect(confirmationMachine.canTransition('accepted', decision)).toBe(false);
    }
  });
});
