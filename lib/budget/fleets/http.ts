import { FleetError } from './errors';
import { abortedError } from './retry';
import type { FleetRef } from './types';

export interface HttpOptions {
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /**
   * Bound of one HTTP exchange. A cloud API that stops answering fails the call as `timeout` rather
   * than holding the stop function until its own deadline.
   * @default 30_000
   */
  readonly requestTimeoutMs?: number;
}

/** A cloud's answer: any status, the body parsed when it is JSON. */
export interface JsonAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

export interface JsonRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  readonly url: string;
  readonly token: string;
  readonly body?: unknown;
}

/**
 * One JSON exchange with a cloud's REST API. Statuses are the caller's to judge (each cloud words its
 * errors differently); only transport failures, the per-request bound and the caller's abort become
 * FleetErrors here.
 */
export async function sendJson(cloud: FleetRef['cloud'], what: string, request: JsonRequest, options: HttpOptions, signal?: AbortSignal): Promise<JsonAnswer> {
  if (signal?.aborted) throw abortedError(cloud, what, signal);
  const deadline = AbortSignal.timeout(options.requestTimeoutMs ?? 30_000);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const headers: Record<string, string> = { authorization: `Bearer ${request.token}`, accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  let text: string;
  try {
    res = await (options.fetch ?? fetch)(request.url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: combined,
      redirect: 'manual',
    });
    text = await res.text();
  } catch (error) {
    if (signal?.aborted) throw abortedError(cloud, what, signal);
    if (deadline.aborted) throw new FleetError(cloud, 'timeout', 'Timeout', `${cloud}: ${what}: no answer within ${options.requestTimeoutMs ?? 30_000} ms`);
    const e = error as Error & { cause?: { code?: string; message?: string } };
    throw new FleetError(cloud, 'unavailable', e.cause?.code ?? 'NetworkError', `${cloud}: ${what}: ${e.cause?.message ?? e.message}`);
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** Seconds or an HTTP date, as in `Retry-After`; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
