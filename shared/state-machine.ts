/** A state machine as a transition table: the UI asks `allowed(state)`, the server enforces it. */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export interface StateMachine<S extends string> {
  readonly states: readonly S[];
  allowed(from: S): readonly S[];
  canTransition(from: S, to: S): boolean;
  isTerminal(state: S): boolean;
}

export function defineMachine<const S extends string>(
  states: readonly S[],
  table: TransitionTable<S>,
): StateMachine<S> {
  return {
    states,
    allowed: (from) => table[from],
    canTransition: (from, to) => table[from].includes(to),
    isTerminal: (state) => table[state].length === 0,
  };
}
