import { classifyHttpError, errorDetails, isObject } from './errors';
import { parseJson, releaseSse, SseBody, sseBroke, type UpstreamResponse } from './http';
import { estimateUsage } from './messages';
import type { CancelSignal } from '../engine/cancel';
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
  const reader = new OpenAiStreamReader(where);
  const out: StreamEvent[] = [];
  for await (const d of data) {
    if (d === '[DONE]') break;
    reader.read(d, out);
    for (let i = 0; i < out.length; i++) yield out[i];
    out.length = 0;
  }
  yield reader.done(request);
}

/**
 * `openAiStream(where, sseData(where, await call(), signal), request)` in one generator: the SSE body
 * is read directly rather than through `sseData`'s, which saves a generator hop (three promise
 * reactions) per event. `call` (the POST) runs on the first `next()`, whose rejection its failure
 * is, as in an adapter's `async *stream`.
 */
export async function* openAiSseStream(where: string, call: () => Promise<UpstreamResponse>, signal: CancelSignal, request: ProviderRequest): AsyncGenerator<StreamEvent> {
  const response = await call();
  const body = new SseBody(response.body);
  const reader = new OpenAiStreamReader(where);
  const out: StreamEvent[] = [];
  let finished = false;
  let sawDone = false;
  let released = false;
  try {
    for (;;) {
      const d = body.shift();
      if (d === undefined) {
        if (body.state === 'ended') {
          finished = true;
          break;
        }
        if (body.state === 'failed') {
          finished = true; // the body is already destroyed: nothing left to close
          throw sseBroke(where, body.error, signal);
        }
        await body.wait();
        continue;
      }
      if (d === '[DONE]') {
        sawDone = true;
        break;
      }
      reader.read(d, out);
      for (let i = 0; i < out.length; i++) yield out[i];
      out.length = 0;
    }
    // Let go of the body before the last event, as openAiStream's loop does when it stops: the
    // consumer may never ask past `done`.
    released = true;
    releaseSse(response, body, finished, sawDone);
    yield reader.done(request);
  } finally {
    if (!released) releaseSse(response, body, finished, sawDone);
  }
}

/** Reads the `data` values of one OpenAI chat-completions stream. */
class OpenAiStreamReader {
  private finish: FinishReason | undefined;
  private usage: Usage | undefined;
  private output = '';
  private readonly shape = new DeltaShape();

  constructor(private readonly where: string) {}

  /**
   * Adds the events of one `data` value (not `[DONE]`) to `out`. Content deltas after the first are
   * read by `DeltaShape` where they have its shape, without a JSON.parse each.
   */
  read(d: string, out: StreamEvent[]): void {
    const fast = this.shape.content(d);
    if (fast !== undefined) {
      if (fast !== '') {
        this.output += fast;
        out.push({ type: 'delta', text: fast });
      }
      return;
    }
    const chunk = parseJson(this.where, d);
    if (!isObject(chunk)) return;
    if (chunk.error !== undefined) throw streamedError(this.where, chunk);
    for (const choice of Array.isArray(chunk.choices) ? chunk.choices : []) {
      // Only choice 0 exists: the router never asks for n > 1.
      if (!isObject(choice) || (choice.index ?? 0) !== 0) continue;
      const text = isObject(choice.delta) ? choice.delta.content : undefined;
      if (typeof text === 'string' && text !== '') {
        this.output += text;
        out.push({ type: 'delta', text });
      }
      if (typeof choice.finish_reason === 'string') this.finish = finishReason(choice.finish_reason);
    }
    const u = wireUsage(chunk.usage);
    if (u) {
      this.usage = u;
      out.push({ type: 'usage', usage: u });
    } else this.shape.learn(d, chunk);
  }

  /** The last event, once the stream ended; a stream without a finish reason is a server error. */
  done(request: ProviderRequest): StreamEvent {
    if (this.finish === undefined) throw new ProviderError('server', `${this.where}: stream ended before a finish reason`);
    return { type: 'done', finishReason: this.finish, usage: this.usage ?? estimateUsage(request.messages, this.output, request.maxTokens) };
  }
}

/** Most times one stream learns a delta shape: chunks that differ each time (a random field) stop it. */
const MAX_SHAPES = 3;
const CONTENT_KEY = '"content":';

/**
 * The text of the stream's chunks around a content delta's string, learnt from one parsed chunk:
 * the chunks of a stream that carry only text (id, created, model, choice 0, the delta's content,
 * no finish reason, no usage) differ only in that string. A chunk that is the same prefix, one JSON
 * string literal and the same suffix is the learnt chunk with that string as its content, so its
 * content is the literal's value; only the literal is read. Anything else is parsed whole.
 *
 * Learning finds the literal after `"content":` and checks it with a probe: the learnt chunk with
 * another string in its place must parse with exactly that string as `choices[0].delta.content`
 * (so the literal is that value's token, not text that looks like it elsewhere in the chunk).
 */
export class DeltaShape {
  private prefix: string | undefined;
  private suffix = '';
  private learnt = 0;

  /** The content of a chunk of the learnt shape (possibly ''), or undefined: parse it whole. */
  content(d: string): string | undefined {
    const prefix = this.prefix;
    if (prefix === undefined) return undefined;
    const from = prefix.length;
    const end = d.length - this.suffix.length;
    // (A substring compared whole is about twice as fast as startsWith here.)
    if (end < from + 2 || d.charCodeAt(from) !== QUOTE || d.charCodeAt(end - 1) !== QUOTE || d.slice(0, from) !== prefix || !d.endsWith(this.suffix)) return undefined;
    // A literal without escapes, quotes or control characters is its own text.
    for (let i = from + 1; i < end - 1; i++) {
      const c = d.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === BACKSLASH) return parsedLiteral(d.slice(from, end));
    }
    return d.slice(from + 1, end - 1);
  }

  /** Learns the shape of `d` (parsed: `chunk`) when it is a plain text delta. */
  learn(d: string, chunk: Record<string, unknown>): void {
    if (this.learnt >= MAX_SHAPES) return;
    const content = textOnlyContent(chunk);
    if (content === undefined) return;
    const key = CONTENT_KEY + JSON.stringify(content);
    const at = d.lastIndexOf(key);
    if (at < 0) return; // the server escapes differently from JSON.stringify: no fast path
    this.learnt++;
    const prefix = d.slice(0, at + CONTENT_KEY.length);
    const suffix = d.slice(at + key.length);
    let probe: unknown;
    try {
      probe = JSON.parse(`${prefix}${PROBE_LITERAL}${suffix}`);
    } catch {
      return;
    }
    if (!isObject(probe) || textOnlyContent(probe) !== PROBE) return;
    this.prefix = prefix;
    this.suffix = suffix;
  }
}

/** The value of `literal` when it is one JSON string, else undefined (the whole chunk then decides, and fails as it would). */
function parsedLiteral(literal: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(literal);
  } catch {
    return undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const PROBE = '\u0000probe';
const PROBE_LITERAL = JSON.stringify(PROBE);

/** The content of a chunk with exactly one choice (0), a non-empty string content, no finish reason and no usage or error. */
function textOnlyContent(chunk: Record<string, unknown>): string | undefined {
  if (chunk.error !== undefined || wireUsage(chunk.usage) !== undefined) return undefined;
  const choices = chunk.choices;
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice = choices[0];
  if (!isObject(choice) || (choice.index ?? 0) !== 0 || typeof choice.finish_reason === 'string' || !isObject(choice.delta)) return undefined;
  const content = choice.delta.content;
  return typeof content === 'string' && content !== '' ? content : undefined;
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
