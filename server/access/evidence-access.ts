import type { EvidenceRow } from '../modules/evidence/evidence.repository.ts';
import type { Caller } from './caller.ts';

/** Participant roles that may put material before the case. */
const uploaderRoles = new Set(['mediator', 'party', 'agent', 'appraiser']);

export function mayUpload(caller: Caller): boolean {
  return caller.kind === 'staff' ? caller.principal.role === 'mediator' : uploaderRoles.has(caller.participant.role);
}

/** The mediator, by login or by invitation: decides who sees what. */
export function actsAsMediator(caller: Caller): boolean {
  return caller.kind === 'staff' ? caller.principal.role === 'mediator' : caller.participant.role === 'mediator';
}

/** The side a participant's uploads belong to by default. */
export function defaultSharedWith(caller: Caller): string {
  if (caller.kind === 'staff') return 'all';
  const p = caller.participant;
  if (p.role === 'party' && p.partyId) return p.partyId;
  if (p.role === 'agent' && p.representsPartyId) return p.representsPartyId;
  return 'all';
}

/**
 * Staff who can see the case, and a mediator participant, see everything, except a court only
 * invited to a session (`sharedOnly`), which sees what is shared with all; others see what is
 * shared with all, with their own side (a party and its agents), and what they uploaded.
 */
export function mayView(caller: Caller, row: EvidenceRow, sharedOnly = false): boolean {
  if (caller.kind === 'staff') return !sharedOnly || row.sharedWith === 'all'; // case access is checked before
  const p = caller.participant;
  if (p.role === 'mediator' || row.uploadedByParticipantId === p.participantId || row.sharedWith === 'all') return true;
  return row.sharedWith === p.partyId || row.sharedWith === p.representsPartyId;
}
