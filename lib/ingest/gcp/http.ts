import { classifyHttpError, errorDetailsOfText, isObject, retryAfterMs, transportError } from '../../router/providers/errors';
import { ProviderError } from '../../router/providers/types';
import { EmbeddingError } from '../embed/types';
import { withRetries, type RetryOptions } from '../embed/retry';

/*
 * The one HTTP path of the Google Cloud ingestion clients (Cloud Storage, Vector Search). The global
 * fetch rather than the router's node:http helpers: those are tuned for the router's streamed POSTs,
 * while a run makes a few requests a second, needs GET and raw-byte bodies, and is dominated by the
 * embedding calls. Every failure becomes a `ProviderError` carrying the status, so `withRetries`
 * retries exactly what it retries for the embedding calls (429, 408, 5xx, lost connections).
 */

/** A Google API call failed for good: names the bucket, object or index and the HTTP status, never a document's text. */
export class GoogleApiError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }
}

export interface GoogleRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly token: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
}

/** The answer of a 2xx request, its body read whole. */
export interface GoogleAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Uint8Array;
}

/**
 * One request, its body read within the same timeout. A non-2xx answer throws a `ProviderError` with
 * the status, Google's `error.message` (clipped by `errorDetails`) and the Retry-After it asked for.
 */
export async function googleRequest(where: string, request: GoogleRequest, timeoutMs: number): Promise<GoogleAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let bytes: Uint8Array;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: { authorization: `Bearer ${request.token}`, ...request.headers },
      body: request.body,
      signal,
      // A redirect would resend the token to wherever it points: Google's APIs do not redirect these calls.
      redirect: 'manual',
    });
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw transportError(where, error, signal);
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, headers: response.headers, bytes };
  const text = new TextDecoder().decode(bytes);
  const { parsed, message, codes } = errorDetailsOfText(text);
  // Cloud Storage puts the reason (`conditionNotMet`, `notFound`) in error.errors[].reason: keep it as a code too.
  if (isObject(parsed) && isObject(parsed.error) && Array.isArray(parsed.error.errors)) {
    for (const e of parsed.error.errors) if (isObject(e) && typeof e.reason === 'string') codes.push(e.reason);
  }
  const kind = classifyHttpError(response.status, message, codes);
  const suffix = codes.length > 0 ? ` [${[...new Set(codes)].join(', ')}]` : '';
  throw new ProviderError(kind, `${where}: HTTP ${response.status}: ${message}${suffix}`, response.status, retryAfterMs(response.headers));
}

/** The answer's body as JSON; anything else is a server fault (not retried: the same call would answer the same). */
export function answerJson(where: string, answer: GoogleAnswer): unknown {
  const text = new TextDecoder().decode(answer.bytes);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError('server', `${where}: answer is not JSON (${answer.bytes.length} bytes)`);
  }
}

/**
 * `withRetries` (backoff, Retry-After, at most `maxAttempts`), its final error as a `GoogleApiError`:
 * the shared helper names it an EmbeddingError, which would mislead the run event of a storage failure.
 */
export async function retried<T>(label: string, call: () => Promise<T>, retry?: RetryOptions): Promise<T> {
  try {
    return await withRetries(label, call, retry);
  } catch (error) {
    if (error instanceof EmbeddingError) throw new GoogleApiError(error.message, error.status);
    throw error;
  }
}
