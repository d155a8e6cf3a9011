import { randomUUID } from 'node:crypto';
import { closeable } from '../engine/closeable';
import { formatUsd } from '../engine/cost';
import type { ChatResult, RouterEngine } from '../engine/engine';
import { RouterError } from '../engine/errors';
import { parseChatBody, type ParsedChat } from '../engine/request';
import type { EngineStreamEvent } from '../engine/stream';
import type { Tenant } from '../engine/tenants';
import { completionJson, deltaChunk, metaJson, modelListJson, sse, SSE_DONE, usageJson, type ChunkBase } from './openai-format';
import type { CancelSignal } from '../engine/cancel';

/** Request headers with lower-case names (each handler normalizes its platform's headers). */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** A response every platform handler can write: a body, or a stream of SSE text. */
export interface RouterResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Server-sent events, already framed (`data: …\n\n`). */
  readonly stream?: AsyncIterable<string>;
}

export type HandleRequest = (method: string, path: string, headers: RequestHeaders, body: string | Uint8Array | undefined, signal?: CancelSignal) => Promise<RouterResponse>;

/** Header names of the router's response metadata. */
export const HEADER = {
  target: 'x-ai-stack-target',
  attempts: 'x-ai-stack-attempts',
  cost: 'x-ai-stack-cost-usd',
  overhead: 'x-ai-stack-overhead-ms',
  tier: 'x-ai-stack-tier',
  requestId: 'x-request-id',
} as const;

const JSON_TYPE = { 'content-type': 'application/json' };

function json(status: number, value: unknown, headers: Record<string, string> = {}): RouterResponse {
  return { status, headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

function errorResponse(e: RouterError, requestId: string): RouterResponse {
  return json(e.status, e.toBody(), { ...e.headers, [HEADER.requestId]: requestId });
}

/** The client's request id when it is a plain token (it is echoed in headers and ids), else a new one. */
function requestIdOf(given: string | undefined): string {
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** `/v1/chat/completions` from any prefix (`/api/…` on Azure) and without the query string. */
function endpointOf(path: string): 'chat' | 'models' | 'health' | undefined {
  const q = path.indexOf('?');
  const p = (q >= 0 ? path.slice(0, q) : path).replace(/\/+$/, '');
  if (p.endsWith('/v1/chat/completions') || p.endsWith('/chat/completions')) return 'chat';
  if (p.endsWith('/v1/models') || p === '/models') return 'models';
  if (p.endsWith('/healthz')) return 'health';
  return undefined;
}

/**
 * The one request pipeline every handler (Node http, Lambda, Cloud Functions, Azure Functions)
 * shares: path dispatch, auth, body validation, the engine, and the OpenAI wire format.
 */
export function createPipeline(engine: RouterEngine): HandleRequest {
  const startedSeconds = Math.floor(engine.clock.epochMs() / 1000);

  const refuse = (e: RouterError, requestId: string, startedAt: number, tenant?: Tenant): RouterResponse => {
    const latencyMs = engine.clock.now() - startedAt;
    engine.log({ requestId, ...(tenant ? { tenant: tenant.id } : {}), attempts: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, latencyMs, overheadMs: latencyMs, outcome: e.code ?? e.type, status: e.status, stream: false, error: e.message });
    return errorResponse(e, requestId);
  };

  return async (method, path, headers, body, signal) => {
    const startedAt = engine.clock.now();
    const requestId = requestIdOf(headers[HEADER.requestId]);
    const endpoint = endpointOf(path);
    if (endpoint === 'health') return json(200, { status: 'ok', routes: engine.config.routes.length });
    if (!endpoint) return refuse(new RouterError(404, 'not_found_error', 'unknown_url', `unknown path ${method} ${path}: the router serves POST /v1/chat/completions, GET /v1/models and GET /healthz`), requestId, startedAt);
    const expected = endpoint === 'chat' ? 'POST' : 'GET';
    if (method.toUpperCase() !== expected) {
      return refuse(new RouterError(405, 'invalid_request_error', 'method_not_allowed', `${method} is not allowed on ${path}; use ${expected}`, null, { allow: expected }), requestId, startedAt);
    }
    let tenant: Tenant | undefined;
    let parsed: ParsedChat;
    try {
      tenant = engine.tenants.authenticate(headers.authorization);
      if (endpoint === 'models') return json(200, modelListJson(engine.routesFor(tenant), startedSeconds), { [HEADER.requestId]: requestId });
      const text = body === undefined ? '' : typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      parsed = parseChatBody(text);
    } catch (err) {
      if (err instanceof RouterError) return refuse(err, requestId, startedAt, tenant);
      throw err;
    }
    try {
      const forcedTier = headers[HEADER.tier];
      const result = await engine.chat({ tenant, parsed, requestId, startedAt, ...(forcedTier ? { forcedTier } : {}), ...(signal ? { clientSignal: signal } : {}) });
      return respond(result, parsed, requestId, Math.floor(engine.clock.epochMs() / 1000));
    } catch (err) {
      // The engine has logged it already.
      if (err instanceof RouterError) return errorResponse(err, requestId);
      throw err;
    }
  };
}

function respond(result: ChatResult, parsed: ParsedChat, requestId: string, created: number): RouterResponse {
  const id = `chatcmpl-${requestId}`;
  const model = parsed.request.model;
  if (result.kind === 'completion') {
    const m = result.meta;
    return json(200, completionJson(id, created, model, result.completion), {
      [HEADER.target]: m.target,
      [HEADER.attempts]: String(m.attempts),
      [HEADER.cost]: formatUsd(m.costNanoUsd),
      [HEADER.overhead]: m.overheadMs.toFixed(3),
      [HEADER.requestId]: requestId,
    });
  }
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      [HEADER.target]: result.target,
      [HEADER.attempts]: String(result.attempts),
      [HEADER.requestId]: requestId,
    },
    stream: sseStream({ id, created, model }, result.events, parsed.includeUsage),
  };
}

/**
 * OpenAI's chunk sequence: a role chunk, content deltas, a chunk with `finish_reason`, then (when
 * the client asked with `stream_options.include_usage`) a usage chunk with no choices, then
 * `[DONE]`. The router's cost and overhead ride on the last chunk as `x_ai_stack`, since headers
 * were sent before they were known. A provider failure mid-stream ends with an `error` event.
 */
function sseStream(base: ChunkBase, events: AsyncIterable<EngineStreamEvent>, includeUsage: boolean): AsyncIterableIterator<string> {
  const iterator = events[Symbol.asyncIterator]();
  return closeable(sseFrames(base, iterator, includeUsage), async () => {
    await iterator.return?.();
  });
}

async function* sseFrames(base: ChunkBase, iterator: AsyncIterator<EngineStreamEvent>, includeUsage: boolean): AsyncGenerator<string> {
  try {
    yield sse(deltaChunk(base, { role: 'assistant', content: '' }));
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const e = next.value;
      if (e.type === 'delta') {
        if (e.text.length > 0) yield sse(deltaChunk(base, { content: e.text }));
      } else if (e.type === 'done') {
        const finish = deltaChunk(base, { content: '' }, e.finishReason);
        if (includeUsage) {
          yield sse(finish);
          yield sse({ id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model, choices: [], usage: usageJson(e.usage), x_ai_stack: metaJson(e.meta) });
        } else {
          yield sse({ ...finish, usage: usageJson(e.usage), x_ai_stack: metaJson(e.meta) });
        }
        yield SSE_DONE;
      } else {
        yield sse({ ...e.error.toBody(), x_ai_stack: metaJson(e.meta) });
      }
    }
  } finally {
    // On the way out, early (client gone) or not, the engine's stream releases the upstream and settles.
    await iterator.return?.();
  }
}
