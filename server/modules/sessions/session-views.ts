import type { ParticipantView, SessionView } from '../../../shared/api/sessions.ts';
import { sessionMachine } from '../../../shared/domain/sessions.ts';
import type { ParticipantRow, SessionRow } from './sessions.repository.ts';

export function sessionView(row: SessionRow): SessionView {
  return {
    id: row.id,
    caseId: row.caseId,
    title: row.title,
    kind: row.kind,
    scheduledAt: row.scheduledAt.toISOString(),
    durationMinutes: row.durationMinutes,
    status: row.status,
    allowedTransitions: [...sessionMachine.allowed(row.status)],
    createdAt: row.createdAt.toISOString(),
  };
}

export function participantView(row: ParticipantRow): ParticipantView {
  return {
    id: row.id,
    caseId: row.caseId,
    role: row.role,
    displayName: row.displayName,
    phone: row.phone,
    partyId: row.partyId,
    representsPartyId: row.representsPartyId,
    staffUserId: row.staffUserId,
    languagePair: row.languagePair ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}
