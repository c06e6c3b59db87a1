import { describe, expect, it } from 'vitest';
import { attendanceMachine, attendanceStates, type AttendanceState } from '../../../shared/domain/attendance.ts';
import { caseMachine, caseStatuses, type CaseStatus } from '../../../shared/domain/cases.ts';
import { sessionMachine, sessionStatuses, type SessionStatus } from '../../../shared/domain/sessions.ts';

// The expected tables written out independently of the implementation: every pair is checked.
const expectedSession: Record<SessionStatus, SessionStatus[]> = {
  scheduled: ['lobby', 'cancelled'],
  lobby: ['live', 'cancelled'],
  live: ['paused', 'ended'],
  paused: ['live', 'ended'],
  ended: [],
  cancelled: [],
};

const expectedCase: Record<CaseStatus, CaseStatus[]> = {
  registered: ['screening', 'withdrawn'],
  screening: ['mediating', 'declined', 'withdrawn'],
  mediating: ['settled', 'failed', 'withdrawn'],
  settled: ['following_up', 'mediating'],
  following_up: ['closed', 'mediating'],
  closed: [],
  failed: [],
  declined: [],
  withdrawn: [],
};

function pairs<S extends string>(states: readonly S[]) {
  return states.flatMap((from) => states.map((to) => [from, to] as const));
}

describe('session state machine', () => {
  it.each(pairs(sessionStatuses))('%s → %s', (from, to) => {
    expect(sessionMachine.canTransition(from, to)).toBe(expectedSession[from].includes(to));
  });
  it('ended and cancelled are terminal; live and paused alternate', () => {
    expect(sessionStatuses.filter((s) => sessionMachine.isTerminal(s))).toEqual(['ended', 'cancelled']);
    expect(sessionMachine.allowed('live')).toContain('paused');
    expect(sessionMachine.allowed('paused')).toContain('live');
  });
});

describe('case state machine', () => {
  it.each(pairs(caseStatuses))('%s → %s', (from, to) => {
    expect(caseMachine.canTransition(from, to)).toBe(expectedCase[from].includes(to));
  });
  it('terminal states are exactly the ends of a case', () => {
    expect(caseStatuses.filter((s) => caseMachine.isTerminal(s))).toEqual(['closed', 'failed', 'declined', 'withdrawn']);
  });
});

const expectedAttendance: Record<AttendanceState, AttendanceState[]> = {
  joining: ['lobby', 'admitted', 'left'],
  lobby: ['admitted', 'refused', 'left'],
  admitted: ['removed', 'left'],
  refused: [],
  removed: [],
  left: ['lobby', 'admitted'],
};

describe('attendance state machine', () => {
  it.each(pairs(attendanceStates))('%s → %s', (from, to) => {
    expect(attendanceMachine.canTransition(from, to)).toBe(expectedAttendance[from].includes(to));
  });
  it('refused and removed are final', () => {
    expect(attendanceStates.filter((s) => attendanceMachine.isTerminal(s))).toEqual(['refused', 'removed']);
  });
});
