/**
 * What every transition table must have beyond its exact pairs (checked against tables written
 * out independently in state-machines.test.ts and agreement-machines.test.ts): every state can be
 * reached from where the thing begins, an end can be reached from every state, and no step goes
 * nowhere (a state to itself).
 */
import { describe, expect, it } from 'vitest';
import { agreementMachine, confirmationMachine, signatureMachine } from '../../../shared/domain/agreements.ts';
import { attendanceMachine } from '../../../shared/domain/attendance.ts';
import { caseMachine } from '../../../shared/domain/cases.ts';
import { consultationMachine } from '../../../shared/domain/consultations.ts';
import { recordingMachine } from '../../../shared/domain/recordings.ts';
import { sessionMachine } from '../../../shared/domain/sessions.ts';
import type { StateMachine } from '../../../shared/state-machine.ts';

const machines: { name: string; machine: StateMachine<string>; initial: string[] }[] = [
  { name: 'case', machine: caseMachine, initial: ['registered'] },
  { name: 'session', machine: sessionMachine, initial: ['scheduled'] },
  { name: 'attendance', machine: attendanceMachine, initial: ['joining'] },
  { name: 'agreement', machine: agreementMachine, initial: ['drafting'] },
  // A signature row is created signed or declined.
  { name: 'signature', machine: signatureMachine, initial: ['signed', 'declined'] },
  { name: 'confirmation', machine: confirmationMachine, initial: ['filed'] },
  { name: 'recording', machine: recordingMachine, initial: ['running'] },
  { name: 'consultation', machine: consultationMachine, initial: ['booked', 'requested'] },
];

function reachable(machine: StateMachine<string>, from: string[]): Set<string> {
  const seen = new Set(from);
  for (const queue = [...from]; queue.length > 0; ) {
    for (const next of machine.allowed(queue.shift()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe.each(machines)('$name machine', ({ machine, initial }) => {
  it('reaches every state from where it begins', () => {
    expect([...reachable(machine, initial)].sort()).toEqual([...machine.states].sort());
  });

  it('can reach an end from every state (no cycle without a way out)', () => {
    for (const s of machine.states) expect([...reachable(machine, [s])].some((r) => machine.isTerminal(r)), s).toBe(true);
  });

  it('never steps from a state to itself', () => {
    for (const s of machine.states) expect(machine.canTransition(s, s), s).toBe(false);
  });
});
