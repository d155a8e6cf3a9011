import type { Usage } from '../providers/types';

/**
 * Tokens a provider may have generated but not yet sent when a stream broke or its client left: a
 * provider's output buffer between the model and the socket holds a few tokens (a delta is sent per
 * token or per few tokens). Charged on top of what was delivered, so the estimate errs high.
 */
export const STREAM_TAIL_TOKENS = 32;

/** What is known about a stream that ended without its final usage. */
export interface BrokenStream {
  /** Upper bound of the prompt's tokens (`promptTokenBound`: UTF-8 bytes + template tokens). */
  readonly promptBound: number;
  /** The latest usage the provider reported during the stream, if any (Vertex does on every chunk). */
  readonly reported?: Usage;
  /** UTF-8 bytes of the text delivered so far. */
  readonly streamedBytes: number;
  /** `max_tokens` sent to the target: the provider cannot bill more output than this. */
  readonly maxTokens: number;
}

/**
 * The usage charged for a stream whose provider never sent its final usage (it broke, stalled, or
 * the client left). It must never be below what the provider bills, so each part is an upper bound:
 * - prompt: the provider's own prompt count when it reported one (providers count the prompt before
 *   generating, so a mid-stream report is exact), else the prompt bound the reservation used;
 * - completion: every byte-level BPE token (OpenAI, Anthropic, Llama 3) and every SentencePiece
 *   piece with byte fallback (Gemini) is at least one UTF-8 byte, so the delivered text has at most
 *   as many tokens as bytes; the larger of that and the provider's own count so far, plus
 *   `STREAM_TAIL_TOKENS` generated but not delivered, capped by `max_tokens`.
 * The reservation covered prompt bound + `max_tokens`, so this never exceeds what was reserved.
 */
export function brokenStreamUsage(s: BrokenStream): Usage {
  const delivered = Math.max(s.streamedBytes, s.reported?.completionTokens ?? 0);
  return {
    promptTokens: s.reported && s.reported.promptTokens > 0 ? s.reported.promptTokens : s.promptBound,
    completionTokens: Math.min(s.maxTokens, delivered + STREAM_TAIL_TOKENS),
  };
}
