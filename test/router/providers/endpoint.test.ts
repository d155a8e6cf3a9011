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
    expect(result.usage).toEqual({ promptTokens: 5, completionTokens: 10 });
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
    expect(events).toEqual([
      { type: 'delta', text: 'Hi' },
      { type: 'delta', text: ' there.' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 21, completionTokens: 3 } },
    ]);
    expect(server.lastJson()).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 64 });
  });

  test('estimates usage when the server streams none', async () => {
    server.handler = (_req, res) => sse(res, [chunks[1], chunks[2], chunks[3], '[DONE]']);
    const events = await collect(new EndpointAdapter(target()).stream({ messages: [{ role: 'user', content: 'abcdefgh' }], maxTokens: 8 }, signal()));
    expect(events[events.length - 1]).toEqual({ type: 'done', finishReason: 'stop', usage: { promptTokens: 2, completionTokens: 3 } });
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
