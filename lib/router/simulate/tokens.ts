import type { ChatMessage } from '../providers/types';
import { contentText } from '../providers/messages';

/**
 * The simulator's tokenizer: deterministic and close to what BPE tokenizers give on English
 * (~4 characters a token): a word of up to 6 letters with its leading space, a run of up to 3
 * digits, one punctuation mark, one non-Latin character each. The simulated providers bill exactly
 * these counts, so budgets, reservations and rate limits see real token accounting.
 */
const PIECE = /\s?[A-Za-z]{1,6}|\s?\d{1,3}|\s?[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]|\s+|[^\x00-\x7f]/gu;

/** The text cut into the simulator's tokens. */
export function simulatedPieces(text: string): string[] {
  return text.match(PIECE) ?? [];
}

export function simulatedTokenCount(text: string): number {
  let n = 0;
  PIECE.lastIndex = 0;
  while (PIECE.exec(text) !== null) n++;
  return n;
}

/** Tokens a chat template adds per message in the simulated models (role markers, separators). */
export const SIMULATED_TOKENS_PER_MESSAGE = 4;

/** Prompt tokens the simulated provider bills: text tokens, 4 per message, 3 to prime the reply. */
export function simulatedPromptTokens(messages: readonly ChatMessage[]): number {
  let n = 3;
  for (const m of messages) n += simulatedTokenCount(contentText(m.content)) + SIMULATED_TOKENS_PER_MESSAGE;
  return n;
}
