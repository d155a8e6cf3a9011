import { ProviderError, type ProviderErrorKind } from './types';
import type { CancelSignal } from '../engine/cancel';
import { clip } from '../engine/quote';

/**
 * How providers word "prompt + max tokens exceed the model's window" in a 4xx answer. Kept as data so a
 * new provider phrasing is one line; each entry names who says it.
 */
const CONTEXT_LENGTH_PATTERNS: readonly RegExp[] = [
  /context[ _-]?(length|window|limit)/i, // OpenAI/Azure `context_length_exceeded`, vLLM "maximum context length", Anthropic "exceed context limit"
  /(input|prompt) is too long/i, // Bedrock "Input is too long for requested model", Anthropic "prompt is too long"
  /exceeds? the maximum number of tokens/i, // Vertex "The input token count (…) exceeds the maximum number of tokens allowed"
  /input tokens exceed/i, // Amazon Nova "Number of input tokens exceeds …"
  /`max_new_tokens` must be <=/i, // Hugging Face TGI
];

/** Error codes (Azure OpenAI, OpenAI-compatible servers) that name a content-policy refusal. */
const CONTENT_FILTER_CODES = new Set(['content_filter', 'ResponsibleAIPolicyViolation']);

export function isContextLengthMessage(message: string): boolean {
  return CONTEXT_LENGTH_PATTERNS.some((p) => p.test(message));
}

/**
 * The failure class of an HTTP error answer. `codes` are the string codes the error body carried
 * (`error.code`, `error.innererror.code`, `error.status`), checked before the message.
 */
export function classifyHttpError(status: number, message: string, codes: readonly string[] = []): ProviderErrorKind {
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'server';
  if (codes.some((c) => CONTENT_FILTER_CODES.has(c))) return 'content_filter';
  if (codes.includes('context_length_exceeded') || isContextLengthMessage(message)) return 'context_length';
  return 'bad_request';
}

/** The message and string codes of a provider's JSON error body, whichever of the common shapes it has. */
export function errorDetails(body: unknown, fallbackText: string): { message: string; codes: string[] } {
  const codes: string[] = [];
  const addCode = (v: unknown) => {
    if (typeof v === 'string' && v !== '') codes.push(v);
  };
  let message: unknown;
  if (isObject(body)) {
    const err = body.error;
    if (isObject(err)) {
      // OpenAI/Azure {error:{message,code,innererror}}, Vertex {error:{code,message,status}}
      message = err.message;
      addCode(err.code);
      addCode(err.status);
      if (isObject(err.innererror)) addCode(err.innererror.code);
    } else if (typeof err === 'string') {
      message = err; // TGI {error, error_type}
      addCode(body.error_type);
    }
    message ??= body.message ?? body.detail; // vLLM {object:'error',message,code}, FastAPI {detail}
    addCode(body.code);
  }
  const text = typeof message === 'string' && message !== '' ? message : fallbackText.trim() || 'no error message';
  return { message: truncate(text, 500), codes };
}

/**
 * The details of an error answer given as text: its JSON when it parses (`parsed`, else undefined),
 * and `errorDetails` of that, the text itself standing in for a message the body does not hold.
 */
export function errorDetailsOfText(text: string): { parsed: unknown; message: string; codes: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { parsed, ...errorDetails(parsed, text) };
}

/**
 * The delay a throttled or unavailable provider asked for, milliseconds. Azure sends `retry-after-ms`
 * (or `x-ms-retry-after-ms`); others send `Retry-After` as seconds or an HTTP date.
 */
export function retryAfterMs(headers: Pick<Headers, 'get'>, now: number = Date.now()): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = Number(headers.get(name) ?? NaN);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A failure that happened before or while talking to the provider (no HTTP answer): an abort of the
 * attempt's signal, or a connection that could not be made or broke. Both are retryable as `timeout`.
 */
export function transportError(where: string, error: unknown, signal: CancelSignal): ProviderError {
  if (error instanceof ProviderError) return error;
  if (signal.aborted) return new ProviderError('timeout', `${where}: attempt aborted (${describe(signal.reason)})`);
  return new ProviderError('timeout', `${where}: connection failed: ${describe(error)}`);
}

/**
 * A short description of a thrown value, with the socket error code (`ECONNRESET`…) that Node puts
 * on the error itself (node:http) or on its `cause` (fetch), unless the message already says it.
 * Checks shape, not `instanceof Error`: errors can come from another realm (a VM context, a test runner).
 */
export function describe(error: unknown): string {
  if (!isObject(error) || typeof error.message !== 'string') return String(error);
  const name = typeof error.name === 'string' && error.name !== 'Error' ? `${error.name}: ` : '';
  const cause = error.cause;
  const code = typeof error.code === 'string' ? error.code : isObject(cause) && typeof cause.code === 'string' ? cause.code : undefined;
  return `${name}${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Provider messages may echo the prompt: cut them and escape control characters, as caller values are. */
function truncate(text: string, max: number): string {
  return clip(text, max);
}
