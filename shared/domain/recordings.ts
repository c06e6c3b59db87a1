import { defineMachine } from '../state-machine.ts';

/** A session's recording: running ⇄ paused → stopped (the mediator decides each step). */
export const recordingStates = ['running', 'paused', 'stopped'] as const;
export type RecordingState = (typeof recordingStates)[number];

export const recordingMachine = defineMachine(recordingStates, {
  running: ['paused', 'stopped'],
  paused: ['running', 'stopped'],
  stopped: [],
});

/** What the mediator asks for, and the state it leads to. */
export const recordingActions = { start: 'running', pause: 'paused', resume: 'running', stop: 'stopped' } as const;
export type RecordingAction = keyof typeof recordingActions;

/** Length of one independent segment: a crash loses at most the one being written. */
export const recordingSegmentSeconds = 10;

/**
 * Legal hold: while a court application of the case is pending (filed, accepted, under review),
 * none of its recordings is deleted, by hand or by the retention rule.
 */
export const legalHoldStatuses = ['filed', 'accepted', 'under_review'] as const;
