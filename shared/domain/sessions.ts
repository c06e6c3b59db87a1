import { defineMachine } from '../state-machine.ts';

/** Mediation session: scheduled → lobby → live ⇄ paused → ended | cancelled. */
export const sessionStatuses = ['scheduled', 'lobby', 'live', 'paused', 'ended', 'cancelled'] as const;
export type SessionStatus = (typeof sessionStatuses)[number];

export const sessionMachine = defineMachine(sessionStatuses, {
  scheduled: ['lobby', 'cancelled'],
  lobby: ['live', 'cancelled'],
  live: ['paused', 'ended'],
  paused: ['live', 'ended'],
  ended: [],
  cancelled: [],
});
