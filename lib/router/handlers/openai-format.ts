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
 * The frames of one stream's chunks, each byte for byte what `sse()` of the chunk object gives.
 * Every chunk of a stream shares `data: {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":`:
 * it is serialized once per stream, and each frame adds only what differs (the delta's text, the
 * finish reason, the usage and metadata), instead of serializing a whole chunk object per frame (a
 * stream has one frame per token: this is the router's hottest serialization).
 */
export class StreamFramer {
  /** `sse(deltaChunk(base, { role: 'assistant', content: '' }))`. */
  readonly role: string;
  private readonly head: string;
  private readonly deltaHead: string;

  constructor(base: ChunkBase) {
    this.head = `data: {"id":${JSON.stringify(base.id)},"object":"chat.completion.chunk","created":${JSON.stringify(base.created)},"model":${JSON.stringify(base.model)},"choices":`;
    this.deltaHead = `${this.head}[{"index":0,"delta":{"content":`;
    this.role = `${this.head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  /** `sse(deltaChunk(base, { content }))`. */
  delta(content: string): string {
    return `${this.deltaHead}${JSON.stringify(content)}},"logprobs":null,"finish_reason":null}]}\n\n`;
  }

  /** `sse(deltaChunk(base, { content: '' }, finishReason))`, with `usage` and `x_ai_stack` after `choices` when given. */
  finish(finishReason: FinishReason, usage?: Usage, meta?: ResultMeta): string {
    const extras = usage && meta ? usageAndMeta(usage, meta) : '';
    return `${this.head}[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]${extras}}\n\n`;
  }

  /** OpenAI's usage chunk: `sse({ id, object, created, model, choices: [], usage, x_ai_stack })`. */
  usage(usage: Usage, meta: ResultMeta): string {
    return `${this.head}[]${usageAndMeta(usage, meta)}}\n\n`;
  }
}

/** A number as JSON.stringify writes it. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

/** `,"usage":…,"x_ai_stack":…`: `usageJson` and `metaJson` serialized, field by field (once per stream). */
function usageAndMeta(usage: Usage, meta: ResultMeta): string {
  const m = metaJson(meta);
  return (
    `,"usage":{"prompt_tokens":${num(usage.promptTokens)},"completion_tokens":${num(usage.completionTokens)},"total_tokens":${num(usage.promptTokens + usage.completionTokens)}}` +
    `,"x_ai_stack":{"target":${JSON.stringify(m.target)},"attempts":${num(m.attempts)},"cost_usd":${JSON.stringify(m.cost_usd)},"overhead_ms":${num(m.overhead_ms)}}`
  );
}

/** The frames of one stream (see `StreamFramer`). */
export function streamFramer(base: ChunkBase): StreamFramer {
  return new StreamFramer(base);
}

export function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export const SSE_DONE = 'data: [DONE]\n\n';

export function modelListJson(routes: readonly string[], created: number) {
  return { object: 'list', data: routes.map((id) => ({ id, object: 'model', created, owned_by: 'ai-stack' })) };
}
