import type { ServerResponse } from 'node:http';
import { BedrockAdapter } from '../../../lib/router/providers/bedrock';
import { ProviderError, type ProviderRequest, type TargetConfig } from '../../../lib/router/providers/types';
import { bedrockEvent, bedrockException } from './support/event-stream';
import { closedPortUrl, collect, FakeServer, json, rejection } from './support/fake-server';

const request: ProviderRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Name a prime.' },
    { role: 'user', content: 'Just one.' },
    { role: 'assistant', content: 'Seven.' },
    { role: 'user', content: [{ type: 'text', text: 'Another?' }] },
  ],
  temperature: 0.3,
  topP: 0.95,
  maxTokens: 50,
  stop: ['\n\nHuman:'],
};

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const modelId = 'anthropic.claude-3-5-haiku-20241022-v1:0';

let server: FakeServer;
beforeAll(async () => (server = await FakeServer.start()));
afterAll(() => server.close());

function target(extra: Partial<TargetConfig> = {}): TargetConfig {
  return { id: 'haiku', provider: 'bedrock', providerModelId: modelId, region: 'us-east-1', baseUrl: server.url, inputPer1kUsd: 0.0008, outputPer1kUsd: 0.004, contextWindowTokens: 200000, ...extra };
}

const adapter = (extra: Partial<TargetConfig> = {}) => new BedrockAdapter(target(extra), { credentials });
const signal = () => new AbortController().signal;

/** A Converse answer. */
function converse(stopReason = 'end_turn', text = 'Eleven.') {
  return { output: { message: { role: 'assistant', content: [{ text }] } }, stopReason, usage: { inputTokens: 31, outputTokens: 4, totalTokens: 35 }, metrics: { latencyMs: 212 } };
}

/** A Bedrock error answer: the status, the `x-amzn-errortype` header, a `{message}` body. */
function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  json(res, status, { message }, { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });
}

function eventStream(res: ServerResponse, frames: readonly Buffer[], options: { end?: boolean } = {}): void {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-1' });
  for (const f of frames) res.write(f);
  if (options.end !== false) res.end();
}

const streamFrames = [
  bedrockEvent('messageStart', { role: 'assistant', p: 'abc' }),
  bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Elev' }, p: 'abcd' }),
  bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'en.' }, p: 'ab' }),
  bedrockEvent('contentBlockStop', { contentBlockIndex: 0, p: 'abcdef' }),
  bedrockEvent('messageStop', { stopReason: 'end_turn', p: 'a' }),
  bedrockEvent('metadata', { usage: { inputTokens: 31, outputTokens: 3, totalTokens: 34 }, metrics: { latencyMs: 180 }, p: 'abc' }),
];

describe('BedrockAdapter.complete', () => {
  test('calls Converse on the model, signed with SigV4 for bedrock in the target region', async () => {
    server.handler = (_req, res) => json(res, 200, converse());
    await adapter().complete(request, signal());
    const sent = server.requests[server.requests.length - 1];
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe(`/model/${encodeURIComponent(modelId)}/converse`);
    expect(sent.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/);
  });

  test("calls a tenant's application inference profile when the target has one, the model for other tenants", async () => {
    server.handler = (_req, res) => json(res, 200, converse());
    const profile = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    const withProfiles = adapter({ tenantModelIds: { 'team-a': profile } });
    await withProfiles.complete({ ...request, tenant: 'team-a', route: 'chat' }, signal());
    expect(server.requests[server.requests.length - 1].url).toBe(`/model/${encodeURIComponent(profile)}/converse`);
    await withProfiles.complete({ ...request, tenant: 'team-b', route: 'chat' }, signal());
    expect(server.requests[server.requests.length - 1].url).toBe(`/model/${encodeURIComponent(modelId)}/converse`);
  });

  test('sends system text apart, merges consecutive user turns and maps the inference settings', async () => {
    server.handler = (_req, res) => json(res, 200, converse());
    await adapter().complete(request, signal());
    expect(server.lastJson()).toEqual({
      messages: [
        { role: 'user', content: [{ text: 'Name a prime.\n\nJust one.' }] },
        { role: 'assistant', content: [{ text: 'Seven.' }] },
        { role: 'user', content: [{ text: 'Another?' }] },
      ],
      system: [{ text: 'You are terse.' }],
      inferenceConfig: { maxTokens: 50, temperature: 0.3, topP: 0.95, stopSequences: ['\n\nHuman:'] },
    });
  });

  test('returns the text, finish reason and token usage', async () => {
    server.handler = (_req, res) => json(res, 200, converse());
    expect(await adapter().complete(request, signal())).toEqual({ content: 'Eleven.', finishReason: 'stop', usage: { promptTokens: 31, completionTokens: 4 } });
  });

  test.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('stopReason %s → %s', async (stopReason, finishReason) => {
    server.handler = (_req, res) => json(res, 200, converse(stopReason));
    expect((await adapter().complete(request, signal())).finishReason).toBe(finishReason);
  });

  test.each([
    [429, 'ThrottlingException', 'Too many requests, please wait before trying again.', 'throttled'],
    [429, 'ModelNotReadyException', 'Model is not ready to serve inference requests.', 'server'],
    [503, 'ServiceUnavailableException', 'Service unavailable. Try again later.', 'server'],
    [500, 'InternalServerException', 'The server encountered an internal error.', 'server'],
    [408, 'ModelTimeoutException', 'Model has timed out in processing the request.', 'timeout'],
    [400, 'ValidationException', 'Input is too long for requested model.', 'context_length'],
    [400, 'ValidationException', 'prompt is too long: 201234 tokens > 200000 maximum', 'context_length'],
    [400, 'ValidationException', 'The provided model identifier is invalid.', 'bad_request'],
    [403, 'AccessDeniedException', "You don't have access to the model with the specified model ID.", 'auth'],
    [404, 'ResourceNotFoundException', 'Could not resolve the foundation model from the provided model identifier.', 'bad_request'],
  ])('HTTP %i %s (%s) is %s', async (status, type, message, kind) => {
    server.handler = (_req, res) => awsError(res, status, type, message);
    const error = await rejection(adapter().complete(request, signal()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind, status });
    expect(error.message).toBe(`bedrock target 'haiku': ${type}: ${message}`);
  });

  test('makes exactly one attempt: retries belong to the engine', async () => {
    server.handler = (_req, res) => awsError(res, 503, 'ServiceUnavailableException', 'Service unavailable.');
    const before = server.requests.length;
    await rejection(adapter().complete(request, signal()));
    expect(server.requests.length - before).toBe(1);
  });

  test('reuses one keep-alive connection across calls', async () => {
    const own = await FakeServer.start();
    try {
      own.handler = (_req, res) => json(res, 200, converse());
      const a = adapter({ baseUrl: own.url });
      for (let i = 0; i < 5; i++) await a.complete(request, signal());
      expect(own.requests).toHaveLength(5);
      expect(own.connections).toBe(1);
    } finally {
      await own.close();
    }
  });

  test('an aborted signal ends the attempt as a timeout', async () => {
    server.handler = () => undefined; // never answers
    const error = await rejection(adapter().complete(request, AbortSignal.timeout(100)));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('attempt aborted');
  });

  test('a refused connection is a timeout-class error', async () => {
    const error = await rejection(adapter({ baseUrl: await closedPortUrl() }).complete(request, signal()));
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  test('missing credentials are an auth error', async () => {
    // No keys, no profile files and no IMDS: the default chain has nothing to offer.
    const overrides: Record<string, string | undefined> = {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_BEARER_TOKEN_BEDROCK: undefined,
    };
    const saved = Object.fromEntries(Object.keys(overrides).map((k) => [k, process.env[k]]));
    const apply = (values: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    };
    apply(overrides);
    try {
      const error = await rejection(new BedrockAdapter(target()).complete(request, signal()));
      expect(error).toMatchObject({ kind: 'auth' });
      expect(error.message).toContain("bedrock target 'haiku': CredentialsProviderError");
    } finally {
      apply(saved);
    }
  });
});

describe('BedrockAdapter.stream', () => {
  test('calls ConverseStream and yields text deltas, then the stop reason with the metadata usage', async () => {
    server.handler = (_req, res) => eventStream(res, streamFrames);
    const events = await collect(adapter().stream(request, signal()));
    expect(server.requests[server.requests.length - 1].url).toBe(`/model/${encodeURIComponent(modelId)}/converse-stream`);
    // The provider's usage reports come as `usage` events too (for a stream that breaks later).
    expect(events.filter((e) => e.type === 'usage').pop()).toEqual({ type: 'usage', usage: (events[events.length - 1] as { usage: unknown }).usage });
    expect(events.filter((e) => e.type !== 'usage')).toEqual([
      { type: 'delta', text: 'Elev' },
      { type: 'delta', text: 'en.' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 31, completionTokens: 3 } },
    ]);
  });

  test('a guardrail stop ends the stream with content_filter', async () => {
    server.handler = (_req, res) => eventStream(res, [streamFrames[1], bedrockEvent('messageStop', { stopReason: 'guardrail_intervened' }), streamFrames[5]]);
    const events = await collect(adapter().stream(request, signal()));
    expect(events[events.length - 1]).toMatchObject({ type: 'done', finishReason: 'content_filter' });
  });

  test('an exception event mid-stream is classified, after the deltas it followed', async () => {
    server.handler = (_req, res) => eventStream(res, [streamFrames[1], bedrockException('throttlingException', 'Too many tokens, please wait before trying again.')]);
    const seen: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const e of adapter().stream(request, signal())) seen.push(e);
      })(),
    );
    expect(seen).toEqual([{ type: 'delta', text: 'Elev' }]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'throttled' });
    expect(error.message).toContain('Too many tokens');
  });

  test('a model stream error event is a server error', async () => {
    server.handler = (_req, res) => eventStream(res, [bedrockException('modelStreamErrorException', 'The model stream failed.')]);
    expect(await rejection(collect(adapter().stream(request, signal())))).toMatchObject({ kind: 'server' });
  });

  test('an error status before the stream is classified', async () => {
    server.handler = (_req, res) => awsError(res, 400, 'ValidationException', 'Input is too long for requested model.');
    expect(await rejection(collect(adapter().stream(request, signal())))).toMatchObject({ kind: 'context_length', status: 400 });
  });

  test('a stream that ends without messageStop is a server error', async () => {
    server.handler = (_req, res) => eventStream(res, streamFrames.slice(0, 3));
    const error = await rejection(collect(adapter().stream(request, signal())));
    expect(error).toMatchObject({ kind: 'server' });
    expect(error.message).toContain('stream ended before messageStop');
  });

  test('stopping early closes the upstream connection', async () => {
    server.handler = (_req, res) => eventStream(res, streamFrames.slice(0, 2), { end: false }); // keeps generating
    for await (const e of adapter().stream(request, signal())) {
      expect(e).toEqual({ type: 'delta', text: 'Elev' });
      break;
    }
    await expect(server.aborted[server.aborted.length - 1]).resolves.toBeUndefined();
  });

  test('aborting mid-stream ends it as a timeout', async () => {
    server.handler = (_req, res) => eventStream(res, streamFrames.slice(0, 2), { end: false });
    const controller = new AbortController();
    const error = await rejection(
      (async () => {
        for await (const e of adapter().stream(request, controller.signal)) if (e.type === 'delta') controller.abort(new Error('deadline'));
      })(),
    );
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error.message).toContain('deadline');
  });
});

describe('BedrockAdapter configuration', () => {
  test('rejects a target of another provider', () => {
    expect(() => new BedrockAdapter(target({ provider: 'vertex' }))).toThrow("router target 'haiku' (vertex): provider must be 'bedrock' for this adapter (got 'vertex')");
  });
  test('rejects a base URL that is not absolute http(s)', () => {
    expect(() => new BedrockAdapter(target({ baseUrl: 'bedrock-runtime.us-east-1.amazonaws.com' }))).toThrow("baseUrl must be an absolute http(s) URL (got 'bedrock-runtime.us-east-1.amazonaws.com')");
  });
});
