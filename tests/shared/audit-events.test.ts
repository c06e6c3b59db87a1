/** The audit event union: one schema per type, nothing outside it accepted. */
import { describe, expect, it } from 'vitest';
import { auditEventSchema, auditEventTypes } from '../../shared/audit-events.ts';

const id = '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
const hash = 'ab'.repeat(32);

describe('audit event union', () => {
  it('holds each of the 84 event types once', () => {
    expect(auditEventTypes).toHaveLength(84);
    expect(new Set(auditEventTypes).size).toBe(84);
    expect(auditEventTypes).toContain('case.status_changed');
    expect(auditEventTypes).toContain('realtime.abuse_disconnected');
    expect(auditEventTypes).toContain('recording.segment_stored');
  });

  it('accepts an event whose data matches its type', () => {
    expect(auditEventSchema.safeParse({ type: 'case.status_changed', data: { from: 'settled', to: 'following_up', agreementId: id } }).success).toBe(true);
    expect(auditEventSchema.safeParse({ type: 'attendance.left', data: { sessionId: id, attendanceId: id, from: 'admitted', to: 'left', cause: 'participant_removed' } }).success).toBe(true);
    // document.sealed has two forms: an agreement's, a ruling's.
    expect(auditEventSchema.safeParse({ type: 'document.sealed', data: { agreementId: id, documentId: id, sha256: hash, versionHash: hash } }).success).toBe(true);
    expect(auditEventSchema.safeParse({ type: 'document.sealed', data: { confirmationId: id, documentId: id, sha256: hash, kind: 'ruling' } }).success).toBe(true);
    // Spoken consent: recorded, bound to the signature, played back (custody).
    expect(
      auditEventSchema.safeParse({ type: 'signature.consent_recorded', data: { agreementId: id, versionHash: hash, partyId: id, sha256: hash, durationMs: 3008, byteSize: 9000, contentType: 'audio/webm' } }).success,
    ).toBe(true);
    expect(auditEventSchema.safeParse({ type: 'signature.consent_played', data: { agreementId: id, signatureId: id, sha256: hash } }).success).toBe(true);
  });

  it('refuses an unknown type, a missing or unknown field, a value outside its enum', () => {
    const issue = (event: unknown) => auditEventSchema.safeParse(event).error?.issues[0];
    expect(issue({ type: 'case.deleted', data: {} })?.path).toEqual(['type']);
    expect(issue({ type: 'party.added', data: {} })?.path).toEqual(['data', 'partyId']);
    expect(issue({ type: 'party.added', data: { partyId: id, idNumber: '330203199001011234' } })?.code).toBe('unrecognized_keys');
    expect(issue({ type: 'case.status_changed', data: { from: 'settled', to: 'archived' } })?.path).toEqual(['data', 'to']);
    expect(issue({ type: 'evidence.viewed', data: { evidenceId: id, sha256: 'not-a-digest', via: 'login' } })?.path).toEqual(['data', 'sha256']);
    expect(auditEventSchema.safeParse({ type: 'document.sealed', data: { agreementId: id, documentId: id, sha256: hash, kind: 'ruling' } }).success).toBe(false);
  });
});
