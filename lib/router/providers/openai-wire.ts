import { classifyHttpError, errorDetails, isObject } from './errors';
import { parseJson } from './http';
import { estimateUsage } from './messages';
import { ProviderError, type ChatMessage, type CompletionResult, type FinishReason, type ProviderRequest, type StreamEvent, type Usage } from './types';

/** The OpenAI chat-completions wire format, spoken by Azure OpenAI and by vLLM/TGI/SGLang GPU endpoints. */
export interface OpenAiBodyOptions {
  /** `model` field; Azure names the deployment in the URL instead. */
  readonly model?: string;
  /**
   * Azure wants `max_completion_tokens` (o-series deployments reject `max_tokens`); self-hosted servers
   * all accept `max_tokens`, while TGI and older vLLM know no `max_completion_tokens`.
   */
  readonly maxTokensField: 'max_tokens' | 'max_completion_tokens';
  readonly stream: boolean;
}

export function openAiChatBody(request: ProviderRequest, options: OpenAiBodyOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.model !== undefined) body.model = options.model;
  body.messages = request.messages.map(wireMessage);
  body[options.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop && request.stop.length > 0) body.stop = request.stop;
  if (options.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true }; // the only way to get usage from a stream
  }
  return body;
}

/** Reads a non-streamed chat completion. */
export function openAiCompletion(where: string, body: unknown, request: ProviderRequest): CompletionResult {
  const choice = isObject(body) && Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!isObject(choice)) throw new ProviderError('server', `${where}: answer has no choices`);
  const message = isObject(choice.message) ? choice.message : {};
  const content = typeof message.content === 'string' ? message.content : '';
  return {
    content,
    finishReason: finishReason(choice.finish_reason),
    usage: wireUsage(isObject(body) ? body.usage : undefined) ?? estimateUsage(request.messages, content, request.maxTokens),
  };
}

/**
 * Turns the `data` of a streamed chat completion into stream events. Usage comes in a last chunk
 * with no choices (`stream_options.include_usage`), after the finish reason and before `[DONE]`.
 */
export async function* openAiStream(where: string, data: AsyncIterable<string>, request: ProviderRequest): AsyncGenerator<StreamEvent> {
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;
  let output = '';
  for await (const d of data) {
    if (d === '[DONE]') break;
    const chunk = parseJson(where, d);
    if (!isObject(chunk)) continue;
    if (chunk.error !== undefined) throw streamedError(where, chunk);
    for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
      // Only choice 0 exists: the router never asks for n > 1.
      if (!isObject(choice) || (choice.index ?? 0) !== 0) continue;
      const text = isObject(choice.delta) ? choice.delta.content : undefined;
      if (typeof text === 'string' && text !== '') {
        output += text;
        yield { type: 'delta', text };
      }
      if (typeof choice.finish_reason === 'string') finish = finishReason(choice.finish_reason);
    }
    const u = wireUsage(chunk.usage);
    if (u) {
      usage = u;
      yield { type: 'usage', usage: u };
    }
  }
  if (finish === undefined) throw new ProviderError('server', `${where}: stream ended before a finish reason`);
  yield { type: 'done', finishReason: finish, usage: usage ?? estimateUsage(request.messages, output, request.maxTokens) };
}

function wireMessage(m: ChatMessage): Record<string, unknown> {
  // Azure's GA API versions and most self-hosted chat templates know no `developer` role; it means system.
  const out: Record<string, unknown> = { role: m.role === 'developer' ? 'system' : m.role, content: m.content ?? '' };
  if (m.name !== undefined) out.name = m.name;
  return out;
}

function finishReason(reason: unknown): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop'; // stop, tool_calls, function_call, or a server that leaves it null
}

function wireUsage(usage: unknown): Usage | undefined {
  if (!isObject(usage) || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') return undefined;
  return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

/** An error sent inside a stream (`data: {"error": …}`) after the 200 status went out. */
function streamedError(where: string, chunk: Record<string, unknown>): ProviderError {
  const { message, codes } = errorDetails(chunk, '');
  const err = chunk.error;
  const status = isObject(err) && typeof err.code === 'number' ? err.code : 500;
  return new ProviderError(classifyHttpError(status, message, codes), `${where}: error in stream: ${message}`);
}
