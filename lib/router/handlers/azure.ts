import type { HandleRequest, RouterResponse } from './pipeline';

/** The `HttpRequest` of the Azure Functions v4 Node.js programming model, as far as the router reads it. */
export interface AzureHttpRequest {
  readonly method: string;
  /** The full request URL. */
  readonly url: string;
  /** A Fetch `Headers` object (iterable of lower-cased `[name, value]`). */
  readonly headers: Iterable<[string, string]>;
  text(): Promise<string>;
}

/** The `InvocationContext` the runtime passes; the router only reads the invocation id. */
export interface AzureInvocationContext {
  readonly invocationId?: string;
}

/** The `HttpResponseInit` the handler returns; a `ReadableStream` body streams (with `enableHttpStream`). */
export interface AzureHttpResponseInit {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | ReadableStream<Uint8Array>;
}

/** A byte stream of the SSE chunks; cancelling it (client gone) stops the engine's stream. */
function toReadableStream(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

function toInit(r: RouterResponse): AzureHttpResponseInit {
  return { status: r.status, headers: { ...r.headers }, body: r.stream ? toReadableStream(r.stream) : (r.body ?? '') };
}

/** An Azure Functions v4 HTTP handler `(request, context) => response`. */
export function createAzureHandler(handle: HandleRequest): (request: AzureHttpRequest, context: AzureInvocationContext) => Promise<AzureHttpResponseInit> {
  return async (request, context) => {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of request.headers) headers[k.toLowerCase()] = v;
    if (!headers['x-request-id'] && context.invocationId) headers['x-request-id'] = context.invocationId;
    const url = new URL(request.url);
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.text();
    return toInit(await handle(request.method, url.pathname + url.search, headers, body));
  };
}
