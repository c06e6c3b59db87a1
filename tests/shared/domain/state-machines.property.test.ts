/**
 * Properties every transition table must have, checked with fast-check over all six machines
 * rather than by restating the tables: nothing leaves a terminal state, every state can be
 * reached from where the thing begins, what `allowed` offers is exactly what `canTransition`
 * accepts, and any walk along allowed steps stays inside the machine and stops at a terminal state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agreementMachine, confirmationMachine, signatureMachine } from '../../../shared/domain/agreements';
import { attendanceMachine } from '../../../shared/domain/attendance';
import { caseMachine } from '../../../shared/domain/cases';
import { sessionMachine } from '../../../shared/domain/sessions';
import type { StateMachine } from '../../../shared/state-machine';

interface MachineCase {
  name: string;
  machine: StateMachine<string>;
  /** Where a new one begins (a signature row is created signed or declined). */
  initial: string[];
}

const machines: MachineCase[] = [
  { name: 'case', machine: caseMachine, initial: ['registered'] },
  { name: 'session', machine: sessionMachine, initial: ['scheduled'] },
  { name: 'attendance', machine: attendanceMachine, initial: ['joining'] },
  { name: 'agreement', machine: agreementMachine, initial: ['drafting'] },
  { name: 'signature', machine: signatureMachine, initial: ['signed', 'declined'] },
  { name: 'confirmation', machine: confirmationMachine, initial: ['filed'] },
];

function reachable(machine: StateMachine<string>, from: string[]): Set<string> {
  const seen = new Set(from);
  const queue = [...from];
  while (queue.length > 0) {
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
  const state = fc.constantFrom(...machine.states);

  it('has at least one terminal state, and nothing leaves a terminal state', () => {
    expect(machine.states.some((s) => machine.isTerminal(s))).toBe(true);
    fc.assert(
      fc.property(state, state, (from, to) => {
        if (machine.isTerminal(from)) expect(machine.canTransition(from, to)).toBe(false);
      }),
    );
  });

  it('reaches every state from where it begins', () => {
    expect([...reachable(machine, initial)].sort()).toEqual([...machine.states].sort());
  });

  it('reaches a terminal state from every state (no trap without an end)', () => {
    for (const s of machine.states) {
      expect([...reachable(machine, [s])].some((r) => machine.isTerminal(r)), s).toBe(true);
    }
  });

  it('offers exactly what it accepts, only states of its own, never a step to the same state', () => {
    fc.assert(
      fc.property(state, state, (from, to) => {
        expect(machine.canTransition(from, to)).toBe(machine.allowed(from).includes(to));
        for (const next of machine.allowed(from)) expect(machine.states).toContain(next);
        expect(machine.canTransition(from, from)).toBe(false);
      }),
    );
  });

  it('a walk of allowed steps is accepted step by step and stops only at a terminal state', () => {
    fc.assert(
      fc.property(fc.constantFrom(...initial), fc.array(fc.nat(), { maxLength: 40 }), (start, choices) => {
        let at = start;
        for (const choice of choices) {
          const options = machine.allowed(at);
          if (options.length === 0) {
            expect(machine.isTerminal(at)).toBe(true);
            return;
          }
          const next = options[choice % options.length]!;
          expect(machine.canTransition(at, next)).toBe(true);
          at = next;
        }
      }),
    );
  });
});
