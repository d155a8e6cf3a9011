import type { ChatMessage } from '../providers/types';

/** The text of a message that a model reads (text parts of multi-part content). */
function messageText(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (m.content === null) return '';
  let text = '';
  for (const part of m.content) if (typeof part.text === 'string') text += part.text;
  return text;
}

/**
 * Estimated prompt tokens, ≈ characters / 4 (the usual English ratio). Used for tiers and the
 * tokens-per-minute limit, where a cheap, tokenizer-free guess is what the design asks for.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += messageText(m).length;
  return Math.ceil(chars / 4);
}

/** Tokens a chat template adds per message (role markers, separators) in common templates. */
const TEMPLATE_TOKENS_PER_MESSAGE = 8;

/**
 * An upper bound of the prompt tokens any mainstream tokenizer can produce, used for the budget
 * reservation: byte-level BPE and SentencePiece with byte fallback emit at most one token per UTF-8
 * byte, plus the chat template's tokens per message. Reserving on this bound (instead of chars/4,
 * which can be 4× short for non-English text) is what keeps a tenant's spend within its budget.
 */
export function promptTokenBound(messages: readonly ChatMessage[]): number {
  let bytes = 0;
  for (const m of messages) bytes += Buffer.byteLength(messageText(m), 'utf8') + (m.name ? Buffer.byteLength(m.name, 'utf8') : 0);
  return bytes + TEMPLATE_TOKENS_PER_MESSAGE * messages.length + TEMPLATE_TOKENS_PER_MESSAGE;
}
