/**
 * The consultation machine, every (from, to) pair against a table written out here from the
 * brief (not copied from the implementation), and who is on duty at an instant.
 */
import { describe, expect, it } from 'vitest';
import { consultationMachine, consultationStatuses, type ConsultationStatus, onDutyAt } from '../../../shared/domain/consultations.ts';

// A booking becomes a request at its time; a request is answered, declined, cancelled by whoever
// asked or expires; an accepted one starts (or is cancelled, or expires unstarted); a running one
// closes. Ends are final.
const expected: Record<ConsultationStatus, ConsultationStatus[]> = {
  booked: ['requested', 'cancelled'],
  requested: ['accepted', 'declined', 'expired', 'cancelled'],
  accepted: ['in_progress', 'cancelled', 'expired'],
  in_progress: ['closed'],
  closed: [],
  declined: [],
  expired: [],
  cancelled: [],
};

describe('consultation machine', () => {
  for (const from of consultationStatuses) {
    for (const to of consultationStatuses) {
      it(`${from} → ${to}: ${expected[from].includes(to) ? 'allowed' : 'refused'}`, () => {
        expect(consultationMachine.canTransition(from, to)).toBe(expected[from].includes(to));
      });
    }
  }
});

describe('duty roster', () => {
  const shifts = [
    { lawyerId: 'a', startsAt: new Date('2026-11-22T00:00:00Z'), endsAt: new Date('2026-11-22T09:00:00Z') },
    { lawyerId: 'b', startsAt: new Date('2026-11-22T09:00:00Z'), endsAt: new Date('2026-11-22T12:00:00Z') },
    { lawyerId: 'a', startsAt: new Date('2026-11-22T08:00:00Z'), endsAt: new Date('2026-11-22T10:00:00Z') },
  ];
  it('a shift covers its start, not its end; a lawyer on two overlapping shifts counts once', () => {
    expect(onDutyAt(shifts, new Date('2026-11-22T00:00:00Z'))).toEqual(['a']);
    expect(onDutyAt(shifts, new Date('2026-11-22T09:00:00Z'))).toEqual(['b', 'a']);
    expect(onDutyAt(shifts, new Date('2026-11-22T08:30:00Z'))).toEqual(['a']);
    expect(onDutyAt(shifts, new Date('2026-11-22T12:00:00Z'))).toEqual([]);
  });
});
