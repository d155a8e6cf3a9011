import { randomUUID } from 'node:crypto';
import { clip } from '../engine/quote';
import { formatUsd } from '../engine/cost';
import type { ChatResult, RouterEngine } from '../engine/engine';
import { RouterError } from '../engine/errors';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../engine/limits';
import { parseChatBody, type ParsedChat } from '../engine/request';
import { InFlight } from './in-flight';
import type { EngineStreamEvent } from '../engine/stream';
import type { Tenant } from '../engine/tenants';
import { completionJson, metaJson, modelListJson, sse, SSE_DONE, StreamFramer, type ChunkBase } from './openai-format';
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

/**
 * Serves one request. `admitted` is what `Pipeline.preflight` returned for the same request, when
 * the handler called it before reading the body (Node http); it then takes over its in-flight slot.
 */
export type HandleRequest = (method: string, path: string, headers: RequestHeaders, body: string | Uint8Array | undefined, signal?: CancelSignal, admitted?: Admitted) => Promise<RouterResponse>;

/** A chat request that passed the checks on its headers: authenticated, not too large, a slot taken. */
export interface Admitted {
  readonly tenant: Tenant;
  readonly requestId: string;
  readonly startedAt: number;
  /** Frees the request's in-flight slot; idempotent (a handler calls it when the body never came). */
  release(): void;
}

/**
 * Either an answer already (a refusal, `/healthz`, `/v1/models`), or an admitted chat request;
 * `admitted: undefined` means "read the body, the handler checks everything then" (a plain
 * `HandleRequest` behind `lazyPipeline`).
 */
export type Preflight = { readonly response: RouterResponse; readonly admitted?: undefined } | { readonly response?: undefined; readonly admitted: Admitted | undefined };

/** The request pipeline: a `HandleRequest`, plus the checks that need only the request's head. */
export interface Pipeline extends HandleRequest {
  /** Path, method, key, `content-length` and in-flight caps, from the request line and headers alone. */
  preflight(method: string, path: string, headers: RequestHeaders): Preflight;
  readonly limits: RequestLimits;
}

export interface PipelineOptions {
  /** Request-shape limits (see `RequestLimits`). @default DEFAULT_REQUEST_LIMITS */
  readonly limits?: Partial<RequestLimits>;
  /** Most chat requests in flight in this instance; more are answered 503 `server_busy`. @default 1000 */
  readonly maxInFlight?: number;
  /** Most chat requests in flight per tenant in this instance; more are answered 429 `concurrency_limit_exceeded`. @default 100 */
  readonly maxInFlightPerTenant?: number;
}

export const PIPELINE_DEFAULTS = { maxInFlight: 1000, maxInFlightPerTenant: 100 } as const;

/** Header names of the router's response metadata. */
export const HEADER = {
  target: 'x-ai-stack-target',
  attempts: 'x-ai-stack-attempts',
  cost: 'x-ai-stack-cost-usd',
  overhead: 'x-ai-stack-overhead-ms',
  tier: 'x-ai-stack-tier',
  requestId: 'x-request-id',
} as const;

function json(status: number, value: unknown, headers: Record<string, string> = {}): RouterResponse {
  // Object.assign: the literal with a second spread, `{ 'content-type': …, ...headers }`, measured 6 µs for these headers on Node 20 against 0.15 µs.
  return { status, headers: Object.assign({ 'content-type': 'application/json' }, headers), body: JSON.stringify(value) };
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
  let p = q >= 0 ? path.slice(0, q) : path;
  if (p.endsWith('/')) p = p.replace(/\/+$/, '');
  if (p.endsWith('/v1/chat/completions') || p.endsWith('/chat/completions')) return 'chat';
  if (p.endsWith('/v1/models') || p === '/models') return 'models';
  if (p.endsWith('/healthz')) return 'health';
  return undefined;
}

/** The size of a body as the platform handed it over (bytes, or characters for a string). */
function bodySize(body: string | Uint8Array | undefined): number {
  return body === undefined ? 0 : typeof body === 'string' ? body.length : body.byteLength;
}

export function tooLarge(maxBodyBytes: number, size?: number): RouterError {
  return new RouterError(413, 'invalid_request_error', 'request_too_large', `request body is ${size !== undefined ? `${size} bytes, ` : ''}larger than the limit of ${maxBodyBytes} bytes`);
}

/**
 * The one request pipeline every handler (Node http, Lambda, Cloud Functions, Azure Functions)
 * shares: path dispatch, auth, limits, body validation, the engine, and the OpenAI wire format.
 * Everything that needs only the request's head runs first (`preflight`), so a handler that reads
 * the body itself can refuse a request without reading it.
 */
export function createPipeline(engine: RouterEngine, options: PipelineOptions = {}): Pipeline {
  const startedSeconds = Math.floor(engine.clock.epochMs() / 1000);
  const limits: RequestLimits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const inFlight = new InFlight(options.maxInFlight ?? PIPELINE_DEFAULTS.maxInFlight, options.maxInFlightPerTenant ?? PIPELINE_DEFAULTS.maxInFlightPerTenant);

  const refuse = (e: RouterError, requestId: string, startedAt: number, tenant?: Tenant): RouterResponse => {
    const latencyMs = engine.clock.now() - startedAt;
    engine.log({ requestId, ...(tenant ? { tenant: tenant.id } : {}), attempts: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, latencyMs, overheadMs: latencyMs, outcome: e.code ?? e.type, status: e.status, stream: false, error: e.message });
    return errorResponse(e, requestId);
  };

  // Narrower than `Preflight`: this pipeline always decides from the head.
  const preflight = (method: string, path: string, headers: RequestHeaders): { readonly response: RouterResponse; readonly admitted?: undefined } | { readonly response?: undefined; readonly admitted: Admitted } => {
    const startedAt = engine.clock.now();
    const endpoint = endpointOf(path);
    if (endpoint === 'health') return { response: json(200, { status: 'ok', routes: engine.config.routes.length }) };
    const requestId = requestIdOf(headers[HEADER.requestId]);
    if (!endpoint) return { response: refuse(new RouterError(404, 'not_found_error', 'unknown_url', `unknown path ${clip(method, 16)} ${clip(path)}: the router serves POST /v1/chat/completions, GET /v1/models and GET /healthz`), requestId, startedAt) };
    const expected = endpoint === 'chat' ? 'POST' : 'GET';
    if (method.toUpperCase() !== expected) {
      return { response: refuse(new RouterError(405, 'invalid_request_error', 'method_not_allowed', `${clip(method, 16)} is not allowed on ${clip(path)}; use ${expected}`, null, { allow: expected }), requestId, startedAt) };
    }
    let tenant: Tenant;
    try {
      tenant = engine.tenants.authenticate(headers.authorization);
    } catch (err) {
      if (err instanceof RouterError) return { response: refuse(err, requestId, startedAt) };
      throw err;
    }
    if (endpoint === 'models') return { response: json(200, modelListJson(engine.routesFor(tenant), startedSeconds), { [HEADER.requestId]: requestId }) };
    const declared = Number(headers['content-length']);
    if (declared > limits.maxBodyBytes) return { response: refuse(tooLarge(limits.maxBodyBytes, declared), requestId, startedAt, tenant) };
    const slot = inFlight.enter(tenant.id);
    if (slot === 'instance') {
      return { response: refuse(new RouterError(503, 'server_error', 'server_busy', `the router instance is serving its limit of ${inFlight.maxTotal} requests; retry in 1 s`, null, { 'retry-after': '1' }), requestId, startedAt, tenant) };
    }
    if (slot === 'tenant') {
      return { response: refuse(new RouterError(429, 'rate_limit_error', 'concurrency_limit_exceeded', `tenant '${tenant.id}' has ${inFlight.maxPerTenant} requests in flight on this router instance, its limit; retry when one completes`, null, { 'retry-after': '1' }), requestId, startedAt, tenant) };
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight.leave(tenant.id);
    };
    return { admitted: { tenant, requestId, startedAt, release } };
  };

  const handle = async (method: string, path: string, headers: RequestHeaders, body: string | Uint8Array | undefined, signal?: CancelSignal, admitted?: Admitted): Promise<RouterResponse> => {
    let a = admitted;
    if (!a) {
      const pre = preflight(method, path, headers);
      if (pre.response) return pre.response;
      a = pre.admitted;
    }
    const { tenant, requestId, startedAt, release } = a;
    let handedOver = false;
    try {
      const size = bodySize(body);
      if (size > limits.maxBodyBytes) return refuse(tooLarge(limits.maxBodyBytes, size), requestId, startedAt, tenant);
      let parsed: ParsedChat;
      try {
        const text = body === undefined ? '' : typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
        parsed = parseChatBody(text, limits);
      } catch (err) {
        if (err instanceof RouterError) return refuse(err, requestId, startedAt, tenant);
        throw err;
      }
      try {
        const forcedTier = headers[HEADER.tier];
        const result = await engine.chat({ tenant, parsed, requestId, startedAt, ...(forcedTier ? { forcedTier } : {}), ...(signal ? { clientSignal: signal } : {}) });
        const response = respond(result, parsed, requestId, Math.floor(engine.clock.epochMs() / 1000), release);
        handedOver = response.stream !== undefined;
        return response;
      } catch (err) {
        // The engine has logged it already.
        if (err instanceof RouterError) return errorResponse(err, requestId);
        throw err;
      }
    } finally {
      // A stream keeps its slot until it ends (sseStream releases it).
      if (!handedOver) release();
    }
  };
  return Object.assign(handle, { preflight, limits });
}

function respond(result: ChatResult, parsed: ParsedChat, requestId: string, created: number, release: () => void): RouterResponse {
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
    stream: sseStream({ id, created, model }, result.events, parsed.includeUsage, release),
  };
}

/**
 * OpenAI's chunk sequence: a role chunk, content deltas, a chunk with `finish_reason`, then (when
 * the client asked with `stream_options.include_usage`) a usage chunk with no choices, then
 * `[DONE]`. The router's cost and overhead ride on the last chunk as `x_ai_stack`, since headers
 * were sent before they were known. A provider failure mid-stream ends with an `error` event.
 */
function sseStream(base: ChunkBase, events: AsyncIterable<EngineStreamEvent>, includeUsage: boolean, release: () => void): AsyncIterableIterator<string> {
  return new SseFrames(base, events[Symbol.asyncIterator](), includeUsage, release);
}

const END: IteratorResult<string> = { value: undefined, done: true };

/**
 * The frames of `sseStream`, as an iterator of its own rather than an async generator: a frame
 * costs one promise reaction on the engine's `next()` instead of a generator's resume and yield
 * (three), per token of every stream. Its consumers (every handler) ask for a frame once the last
 * one has come. Once it ends, early (`return()`: the client left) or not, or fails, the engine's
 * stream is returned (it releases the upstream and settles) and the in-flight slot freed, once;
 * `return()` before the first frame does the same.
 */
class SseFrames implements AsyncIterableIterator<string> {
  private readonly frames: StreamFramer;
  /** Frames of the `done` event after its first. */
  private readonly ready: string[] = [];
  private started = false;
  private closed = false;

  constructor(
    base: ChunkBase,
    private readonly events: AsyncIterator<EngineStreamEvent>,
    private readonly includeUsage: boolean,
    private readonly release: () => void,
  ) {
    this.frames = new StreamFramer(base);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<string> {
    return this;
  }

  next(): Promise<IteratorResult<string>> {
    if (this.closed) return Promise.resolve(END);
    if (!this.started) {
      this.started = true;
      return Promise.resolve({ value: this.frames.role, done: false });
    }
    if (this.ready.length > 0) return Promise.resolve({ value: this.ready.shift() as string, done: false });
    return this.events.next().then(this.onEvent, this.onError);
  }

  async return(): Promise<IteratorResult<string>> {
    await this.close();
    return END;
  }

  private readonly onEvent = (r: IteratorResult<EngineStreamEvent>): IteratorResult<string> | Promise<IteratorResult<string>> => {
    if (r.done) return this.close().then(() => END);
    const e = r.value;
    if (e.type === 'delta') return e.text.length > 0 ? { value: this.frames.delta(e.text), done: false } : this.next();
    if (e.type === 'done') {
      if (this.includeUsage) {
        this.ready.push(this.frames.usage(e.usage, e.meta), SSE_DONE);
        return { value: this.frames.finish(e.finishReason), done: false };
      }
      this.ready.push(SSE_DONE);
      return { value: this.frames.finish(e.finishReason, e.usage, e.meta), done: false };
    }
    return { value: sse({ ...e.error.toBody(), x_ai_stack: metaJson(e.meta) }), done: false };
  };

  private readonly onError = (err: unknown): Promise<never> =>
    this.close().then(() => {
      throw err;
    });

  /** On the way out, early (client gone) or not, the engine's stream releases the upstream and settles. */
  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.events.return?.();
    } finally {
      this.release();
    }
  }
}
