/**
 * Steps a local scan took (characters looked at, trie edges followed). Every scan of the local
 * filter is a hand-written loop that counts here, so a test can hold it to a constant times the
 * input's length instead of timing it: a regex engine's backtracking cannot be counted, which is
 * why none runs over unbounded input.
 */
export interface Work {
  steps: number;
}

export const newWork = (): Work => ({ steps: 0 });
