import type { CompletionResult, FinishReason, Usage } from '../providers/types';
import { formatUsd } from '../engine/cost';
import type { ResultMeta } from '../engine/engine';

/** OpenAI wire shapes of completions, stream chunks and the model list. */

export function usageJson(usage: Usage) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

/** Router metadata in stream chunks, where headers cannot carry it (they are sent first). */
export function metaJson(meta: ResultMeta) {
  return { target: meta.target, attempts: meta.attempts, cost_usd: formatUsd(meta.costNanoUsd), overhead_ms: Math.round(meta.overheadMs * 1000) / 1000 };
}

export function completionJson(id: string, created: number, model: string, c: CompletionResult) {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: c.content, refusal: null }, logprobs: null, finish_reason: c.finishReason }],
    usage: usageJson(c.usage),
  };
}

export interface ChunkBase {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export function deltaChunk(base: ChunkBase, delta: { role?: 'assistant'; content: string }, finishReason: FinishReason | null = null) {
  return { id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
}

/**
 * The SSE frame of a content delta, `sse(deltaChunk(base, { content }))` byte for byte, from a
 * prefix and suffix built once per stream: per delta only the text is serialized (a stream has one
 * frame per token, so this is the router's hottest serialization).
 */
export function deltaFramer(base: ChunkBase): (content: string) => string {
  const head = `data: {"id":${JSON.stringify(base.id)},"object":"chat.completion.chunk","created":${JSON.stringify(base.created)},"model":${JSON.stringify(base.model)},"choices":[{"index":0,"delta":{"content":`;
  const tail = '},"logprobs":null,"finish_reason":null}]}\n\n';
  return (content) => head + JSON.stringify(content) + tail;
}

export function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function modelListJson(routes: readonly string[], created: number) {
  return { object: 'list', data: routes.map((id) => ({ id, object: 'model', created, owned_by: 'ai-stack' })) };
}
