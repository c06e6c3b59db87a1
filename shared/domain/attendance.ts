import { defineMachine } from '../state-machine.ts';

/**
 * One person's presence in one session: they check their devices and confirm who they are
 * (joining), wait in the lobby, are admitted or refused by the mediator, and leave or are
 * removed. The host (mediator) goes straight from joining or left to admitted. A dropped
 * connection does not change the state: the place is kept.
 */
export const attendanceStates = ['joining', 'lobby', 'admitted', 'refused', 'removed', 'left'] as const;
export type AttendanceState = (typeof attendanceStates)[number];

export const attendanceMachine = defineMachine(attendanceStates, {
  joining: ['lobby', 'admitted', 'left'],
  lobby: ['admitted', 'refused', 'left'],
  admitted: ['removed', 'left'],
  refused: [],
  removed: [],
  left: ['lobby', 'admitted'],
});

/** Still in the session (the lobby included): not refused, removed or gone. */
export const presentStates = ['joining', 'lobby', 'admitted'] as const satisfies readonly AttendanceState[];

export function isPresent(state: AttendanceState): boolean {
  return (presentStates as readonly AttendanceState[]).includes(state);
}

export const identityMethods = ['id_last4', 'one_time_code', 'staff_login'] as const;
export type IdentityMethod = (typeof identityMethods)[number];

/** How long a dropped participant keeps their place before counting as having left. */
export const reconnectGraceMs = 5 * 60_000;

/** Below these measured rates video is not attempted: audio only. */
export const videoMinimumKbps = { down: 250, up: 200 } as const;
