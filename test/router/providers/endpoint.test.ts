import { createServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { EndpointAdapter } from '../../../lib/router/providers/endpoint';
import { ProviderError, type ProviderRequest, type TargetConfig } from '../../../lib/router/providers/types';
import { closedPortUrl, collect, FakeServer, json, rejection, sse } from './support/fake-server';

const request: ProviderRequest = {
  messages: [
    { role: 'developer', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Hello' }], name: 'ann' },
  ],
  temperature: 0.2,
  topP: 0.9,
  maxTokens: 64,
  stop: ['###'],
};

let server: FakeServer;
beforeAll(async () => (server = await FakeServer.start()));
afterAll(() => server.close());

function target(extra: Partial<TargetConfig> = {}): TargetConfig {
  return { id: 'llama', provider: 'endpoint', providerModelId: 'meta-llama/Llama-3.1-8B-Instruct', baseUrl: server.url, inputPer1kUsd: 0, outputPer1kUsd: 0, contextWindowTokens: 32768, ...extra };
}

const signal = () => new AbortController().signal;

/** A vLLM chat.completion answer. */
const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'meta-llama/Llama-3.1-8B-Instruct',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 21, completion_tokens: 4, total_tokens: 25 },
};

describe('EndpointAdapter.complete', () => {
  test('posts an OpenAI chat completion to /v1/chat/completions of the served model', async () => {
    server.handler = (_req, res) => json(res, 200, completion);
    const result = await new EndpointAdapter(target()).complete(request, signal());
    expect(result).toEqual({ content: 'Hi there.', finishReason: 'stop', usage: { promptTokens: 21, completionTokens: 4 } });
    const sent = server.requests[server.requests.length - 1];
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent.body)).toEqual({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Hello' }], name: 'ann' },
      ],
      max_tokens: 64,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['###'],
    });
  });

  test('takes a /v1 base URL as is and sends the api key as a bearer token', async () => {
    server.handler = (_req, res) => json(res, 200, completion);
    await new EndpointAdapter(target({ baseUrl: `${server.url}/v1/`, apiKey: 'vllm-key' })).complete(request, signal());
    const sent = server.requests[server.requests.length - 1];
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer vllm-key');
  });

  test('maps finish_reason length and estimates usage when the server sends none', async () => {
    server.handler = (_req, res) => json(res, 200, { choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(40) }, finish_reason: 'length' }] });
    const result = await new EndpointAdapter(target()).complete({ messages: [{ role: 'user', content: 'y'.repeat(18) }], maxTokens: 10 }, signal());
    expect(result.finishReason).toBe('length');
    // An upper bound: 18 prompt bytes + 16 template tokens; 40 output bytes, capped by max_tokens (10).
    expect(result.usage).toEqual({ promptTokens: 34, completionTokens: 10 });
  });

  test.each([
    [400, 'context_length', { object: 'error', message: "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens.", type: 'BadRequestError', code: 400 }],
    [422, 'context_length', { error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4000 `inputs` tokens and 500 `max_new_tokens`', error_type: 'validation' }],
    [404, 'bad_request', { object: 'error', message: 'The model `other` does not exist.', type: 'NotFoundError', code: 404 }],
    [401, 'auth', { error: 'Unauthorized' }],
    [503, 'server', { object: 'error', message: 'Service is not ready', code: 503 }],
  ])('HTTP %i is a %s error carrying status and message', async (status, kind, body) => {
    server.handler = (_req, res) => json(res, status, body);
    const error = await rejection(new EndpointAdapter(target()).complete(request, signal()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind, status });
    expect(error.message).toContain(`endpoint target 'llama': HTTP ${status}: `);
  });

  test('429 is throttled and carries the Retry-After delay', async () => {
    server.handler = (_req, res) => json(res, 429, { error: { message: 'busy' } }, { 'retry-after': '2' });
    const error = await rejection(new EndpointAdapter(target()).complete(request, signal()));
    expect(error).toMatchObject({ kind: 'throttled', status: 429, retryAfterMs: 2000 });
  });

  test('a non-JSON 200 answer is a server error', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>gateway</html>');
    };
    expect(await rejection(new EndpointAdapter(target()).complete(request, signal()))).toMatchObject({ kind: 'server' });
  });

  test('a refused connection is a timeout-class error', async () => {
    const error = await rejection(new EndpointAdapter(target({ baseUrl: await closedPortUrl() })).complete(request, signal()));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toMatch(/connection failed: .*ECONNREFUSED/);
  });

  test('an aborted signal ends the attempt as a timeout', async () => {
    server.handler = () => undefined; // never answers
    const error = await rejection(new EndpointAdapter(target()).complete(request, AbortSignal.timeout(100)));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('attempt aborted');
  });
});

describe('EndpointAdapter.stream', () => {
  /** vLLM stream: role chunk, content chunks, finish chunk, usage chunk, [DONE]. */
  const chunks = [
    { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }] },
    { choices: [{ index: 0, delta: { content: ' there.' }, finish_reason: null }] },
    { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    { choices: [], usage: { prompt_tokens: 21, completion_tokens: 3, total_tokens: 24 } },
    '[DONE]',
  ];

  test('asks for usage in the stream and yields deltas then one done event', async () => {
    server.handler = (_req, res) => sse(res, chunks);
    const events = await collect(new EndpointAdapter(target()).stream(request, signal()));
    // The provider's usage reports come as `usage` events too (for a stream that breaks later).
    expect(events.filter((e) => e.type === 'usage').pop()).toEqual({ type: 'usage', usage: (events[events.length - 1] as { usage: unknown }).usage });
    expect(events.filter((e) => e.type !== 'usage')).toEqual([
      { type: 'delta', text: 'Hi' },
      { type: 'delta', text: ' there.' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 21, completionTokens: 3 } },
    ]);
    expect(server.lastJson()).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 64 });
  });

  test('estimates usage when the server streams none', async () => {
    server.handler = (_req, res) => sse(res, [chunks[1], chunks[2], chunks[3], '[DONE]']);
    const events = await collect(new EndpointAdapter(target()).stream({ messages: [{ role: 'user', content: 'abcdefgh' }], maxTokens: 8 }, signal()));
    // An upper bound: 8 prompt bytes + 16 template tokens; one token per output byte, at most max_tokens (8).
    expect(events[events.length - 1]).toEqual({ type: 'done', finishReason: 'stop', usage: { promptTokens: 24, completionTokens: 8 } });
  });

  test('a stream that ends before a finish reason is a server error after the deltas it carried', async () => {
    server.handler = (_req, res) => sse(res, [chunks[1]]);
    const seen: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const e of new EndpointAdapter(target()).stream(request, signal())) seen.push(e);
      })(),
    );
    expect(seen).toEqual([{ type: 'delta', text: 'Hi' }]);
    expect(error).toMatchObject({ kind: 'server' });
    expect(error.message).toContain('stream ended before a finish reason');
  });

  test('an error event inside the stream is classified', async () => {
    server.handler = (_req, res) => sse(res, [chunks[1], { error: { message: 'engine overloaded', code: 503 } }]);
    expect(await rejection(collect(new EndpointAdapter(target()).stream(request, signal())))).toMatchObject({ kind: 'server' });
  });

  test('an error status before the stream starts is thrown by the first next()', async () => {
    server.handler = (_req, res) => json(res, 429, { error: { message: 'busy' } }, { 'retry-after': '1' });
    expect(await rejection(collect(new EndpointAdapter(target()).stream(request, signal())))).toMatchObject({ kind: 'throttled', retryAfterMs: 1000 });
  });

  test('stopping early closes the upstream connection', async () => {
    server.handler = (_req, res) => sse(res, [chunks[1]], { end: false }); // keeps generating
    for await (const e of new EndpointAdapter(target()).stream(request, signal())) {
      expect(e).toEqual({ type: 'delta', text: 'Hi' });
      break;
    }
    await expect(server.aborted[server.aborted.length - 1]).resolves.toBeUndefined();
  });

  test('aborting mid-stream ends it as a timeout', async () => {
    server.handler = (_req, res) => sse(res, [chunks[1]], { end: false });
    const controller = new AbortController();
    const error = await rejection(
      (async () => {
        for await (const e of new EndpointAdapter(target()).stream(request, controller.signal)) if (e.type === 'delta') controller.abort(new Error('deadline'));
      })(),
    );
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('deadline');
  });
});

describe('EndpointAdapter transport (node:http, shared keep-alive pool)', () => {
  let own: FakeServer;
  beforeEach(async () => (own = await FakeServer.start()));
  afterEach(() => own.close());
  const ownTarget = () => target({ baseUrl: own.url });

  test('reuses one keep-alive connection across calls, adapters and finished streams', async () => {
    const streamed = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;
    own.handler = (req, res) => {
      if (!JSON.parse(req.body).stream) return json(res, 200, completion);
      // In one write, so the answer is complete when the adapter stops at [DONE].
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(streamed);
    };
    for (let i = 0; i < 3; i++) await new EndpointAdapter(ownTarget()).complete(request, signal());
    // The adapter stops at [DONE]; the answer's last bytes drain and free the socket a tick later.
    await collect(new EndpointAdapter(ownTarget()).stream(request, signal()));
    await new Promise((resolve) => setImmediate(resolve));
    await new EndpointAdapter(ownTarget()).complete(request, signal());
    expect(own.requests).toHaveLength(5);
    expect(own.connections).toBe(1);
  });

  test('a stream stopped early after its answer arrived in full gives its connection back to the pool', async () => {
    own.handler = (req, res) => {
      if (!JSON.parse(req.body).stream) return json(res, 200, completion);
      sse(res, [{ choices: [{ index: 0, delta: { content: 'Hi' } }] }], { end: false });
      setTimeout(() => sse(res, [{ choices: [{ index: 0, delta: { content: ' there' }, finish_reason: 'stop' }] }, '[DONE]']), 20);
    };
    for await (const _ of new EndpointAdapter(ownTarget()).stream(request, signal())) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // the rest arrives, unread
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    await new EndpointAdapter(ownTarget()).complete(request, signal());
    expect(own.connections).toBe(1);
  });

  test('a stream stopped early does not go back to the pool: the next call opens a new connection', async () => {
    own.handler = (req, res) => (JSON.parse(req.body).stream ? sse(res, [{ choices: [{ index: 0, delta: { content: 'Hi' } }] }], { end: false }) : json(res, 200, completion));
    for await (const _ of new EndpointAdapter(ownTarget()).stream(request, signal())) break;
    await own.aborted[0];
    await new EndpointAdapter(ownTarget()).complete(request, signal());
    expect(own.connections).toBe(2);
  });

  test('sends the exact JSON body with its content-length and no accept-encoding', async () => {
    own.handler = (_req, res) => json(res, 200, completion);
    await new EndpointAdapter(ownTarget()).complete({ messages: [{ role: 'user', content: 'héllo ✓' }], maxTokens: 8 }, signal());
    const sent = own.requests[0];
    expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.body));
    expect(sent.headers['accept-encoding']).toBeUndefined();
    expect(JSON.parse(sent.body).messages).toEqual([{ role: 'user', content: 'héllo ✓' }]);
  });

  test('decodes a gzip answer, a gzip stream and a gzip error body', async () => {
    const gzip = (res: import('node:http').ServerResponse, status: number, type: string, text: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'content-encoding': 'gzip', ...headers });
      res.end(gzipSync(text));
    };
    own.handler = (_req, res) => gzip(res, 200, 'application/json', JSON.stringify(completion));
    expect((await new EndpointAdapter(ownTarget()).complete(request, signal())).content).toBe('Hi there.');
    own.handler = (_req, res) => gzip(res, 200, 'text/event-stream', `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    expect(await collect(new EndpointAdapter(ownTarget()).stream(request, signal()))).toEqual([
      { type: 'delta', text: 'Hi' },
      { type: 'done', finishReason: 'stop', usage: expect.any(Object) },
    ]);
    own.handler = (_req, res) => gzip(res, 429, 'application/json', JSON.stringify({ error: { message: 'slow down' } }), { 'retry-after': '3' });
    const error = await rejection(new EndpointAdapter(ownTarget()).complete(request, signal()));
    expect(error).toMatchObject({ kind: 'throttled', status: 429, retryAfterMs: 3000 });
    expect(error.message).toContain('slow down');
  });

  test('a connection reset before the answer is a timeout-class error naming ECONNRESET', async () => {
    own.handler = (_req, res) => void res.socket?.destroy();
    const error = await rejection(new EndpointAdapter(ownTarget()).complete(request, signal()));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toMatch(/connection failed: .*ECONNRESET/);
  });

  test('a connection cut mid-stream is a server error (stream broke)', async () => {
    own.handler = (_req, res) => {
      sse(res, [{ choices: [{ index: 0, delta: { content: 'Hi' } }] }], { end: false });
      setTimeout(() => res.socket?.destroy(), 20);
    };
    const seen: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const e of new EndpointAdapter(ownTarget()).stream(request, signal())) seen.push(e);
      })(),
    );
    expect(seen).toEqual([{ type: 'delta', text: 'Hi' }]);
    expect(error).toMatchObject({ kind: 'server' });
    expect(error.message).toContain('stream broke');
  });

  test('an abort while the body is being read is a timeout naming the reason', async () => {
    own.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"choices":'); // and never finishes
    };
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    const error = await rejection(new EndpointAdapter(ownTarget()).complete(request, controller.signal));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('attempt aborted (deadline)');
  });

  test('reaches an IPv6 literal base URL', async () => {
    const v6 = createServer((_req, res) => json(res, 200, completion));
    const listening = await new Promise<boolean>((resolve) => v6.once('error', () => resolve(false)).listen(0, '::1', () => resolve(true)));
    if (!listening) return; // no IPv6 loopback on this machine
    try {
      const result = await new EndpointAdapter(target({ baseUrl: `http://[::1]:${(v6.address() as AddressInfo).port}` })).complete(request, signal());
      expect(result.content).toBe('Hi there.');
    } finally {
      v6.closeAllConnections();
      await new Promise((resolve) => v6.close(resolve));
    }
  });

  test('a redirect is not followed: the error names where it points', async () => {
    own.handler = (_req, res) => {
      res.writeHead(308, { location: 'https://llm.internal/v1/chat/completions' });
      res.end();
    };
    const error = await rejection(new EndpointAdapter(ownTarget()).complete(request, signal()));
    expect(error).toMatchObject({ kind: 'bad_request', status: 308 });
    expect(error.message).toContain("redirected to https://llm.internal/v1/chat/completions; set the target's baseUrl to the final URL");
  });

  test('a connection that does not complete (here the TLS handshake) fails as a timeout after 10 s', async () => {
    const mute = createNetServer(() => undefined); // accepts TCP, never answers the TLS hello
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    const accepted = new Promise((resolve) => mute.once('connection', resolve));
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const failed = rejection(new EndpointAdapter(target({ baseUrl: `https://127.0.0.1:${(mute.address() as AddressInfo).port}` })).complete(request, signal()));
      await accepted;
      jest.advanceTimersByTime(10_000);
      const error = await failed;
      expect(error).toMatchObject({ kind: 'timeout' });
      expect(error.message).toContain('connection failed: no connection within 10000 ms (ETIMEDOUT)');
    } finally {
      jest.useRealTimers();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  test('an already aborted signal sends nothing', async () => {
    const error = await rejection(new EndpointAdapter(ownTarget()).complete(request, AbortSignal.abort(new Error('gone'))));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('attempt aborted');
    expect(own.requests).toHaveLength(0);
  });
});

describe('EndpointAdapter configuration', () => {
  test('requires a base URL, naming the target and the field', () => {
    expect(() => new EndpointAdapter(target({ baseUrl: undefined }))).toThrow("router target 'llama' (endpoint): baseUrl is required (got undefined); set it to the GPU endpoint's internal URL");
  });
  test('rejects a base URL that is not absolute http(s)', () => {
    expect(() => new EndpointAdapter(target({ baseUrl: 'llm.internal:8000' }))).toThrow("baseUrl must use http or https (got 'llm.internal:8000')");
    expect(() => new EndpointAdapter(target({ baseUrl: '/v1' }))).toThrow("baseUrl must be an absolute http(s) URL (got '/v1')");
  });
  test('rejects a target of another provider', () => {
    expect(() => new EndpointAdapter(target({ provider: 'bedrock' }))).toThrow("provider must be 'endpoint' for this adapter (got 'bedrock')");
  });
});
