import { promptTokenBound } from '../engine/tokens';
import type { ChatMessage, Usage } from './types';

/** A turn of a conversation for providers that take system text apart from strictly alternating turns. */
export interface Turn {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

/** The text of a message: the string itself, or its `text` parts joined by newlines. */
export function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('\n');
}

/**
 * Splits OpenAI messages into system texts and turns, for Bedrock Converse and Vertex Gemini: both take
 * system instructions in a separate field, reject empty text blocks, and require user and assistant to
 * alternate, which OpenAI does not. So `system`/`developer` messages go to `system`, empty messages are
 * dropped, and consecutive messages of one role are merged.
 */
export function splitConversation(messages: readonly ChatMessage[]): { system: string[]; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const m of messages) {
    const text = contentText(m.content);
    if (text === '') continue;
    if (m.role === 'system' || m.role === 'developer') {
      system.push(text);
      continue;
    }
    const last = turns[turns.length - 1];
    if (last && last.role === m.role) turns[turns.length - 1] = { role: m.role, text: `${last.text}\n\n${text}` };
    else turns.push({ role: m.role, text });
  }
  return { system, turns };
}

/**
 * Usage for the rare answer that carries none (an OpenAI-compatible server that ignores
 * `stream_options`, a Vertex answer without `usageMetadata`), so budgets still see the spend. It is
 * an upper bound, never an estimate that could fall short of what the provider bills: the prompt's
 * `promptTokenBound` (UTF-8 bytes plus template tokens), and one token per UTF-8 byte of the output
 * (byte-level BPE and SentencePiece with byte fallback never emit more), capped by `max_tokens`.
 */
export function estimateUsage(messages: readonly ChatMessage[], output: string, maxTokens?: number): Usage {
  const bytes = Buffer.byteLength(output, 'utf8');
  return { promptTokens: promptTokenBound(messages), completionTokens: maxTokens === undefined ? bytes : Math.min(bytes, maxTokens) };
}
