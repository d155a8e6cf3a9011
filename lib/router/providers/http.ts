import { classifyHttpError, errorDetails, retryAfterMs, transportError } from './errors';
import { SseDecoder } from './sse';
import { ProviderError } from './types';

/**
 * POSTs a JSON body and returns the response when its status is 2xx. Every failure becomes a
 * `ProviderError`: no answer → `timeout`; an error status → the class of that status and body.
 */
export async function postJson(where: string, url: string, headers: Record<string, string>, body: unknown, signal: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    throw transportError(where, error, signal);
  }
  if (!response.ok) throw await httpError(where, response, signal);
  return response;
}

/** Reads a whole JSON response body. */
export async function readJson(where: string, response: Response, signal: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw transportError(where, error, signal);
  }
  return parseJson(where, text);
}

/** Parses one JSON document from a provider; a provider answering garbage is a server fault. */
export function parseJson(where: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError('server', `${where}: answer is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * The `data` of each server-sent event of a streamed response. Stopping early (the consumer returns)
 * cancels the body, which closes the connection so the provider stops generating billed tokens.
 */
export async function* sseData(where: string, response: Response, signal: AbortSignal): AsyncGenerator<string> {
  if (!response.body) throw new ProviderError('server', `${where}: streamed answer has no body`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const sse = new SseDecoder();
  let finished = false;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        finished = true; // the body is already errored: nothing left to cancel
        throw signal.aborted ? transportError(where, error, signal) : new ProviderError('server', `${where}: stream broke: ${(error as Error).message}`);
      }
      if (chunk.done) {
        finished = true;
        yield* sse.push(decoder.decode());
        yield* sse.end();
        return;
      }
      yield* sse.push(decoder.decode(chunk.value, { stream: true }));
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
  }
}

async function httpError(where: string, response: Response, signal: AbortSignal): Promise<ProviderError> {
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    if (signal.aborted) return transportError(where, error, signal);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const { message, codes } = errorDetails(body, text);
  const kind = classifyHttpError(response.status, message, codes);
  return new ProviderError(kind, `${where}: HTTP ${response.status}: ${message}`, response.status, retryAfterMs(response.headers));
}
