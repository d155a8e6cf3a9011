import { AZURE_OPENAI_DEFAULT_API_VERSION, AzureOpenAIAdapter } from '../../../lib/router/providers/azure-openai';
import { ProviderError, type ProviderRequest, type TargetConfig } from '../../../lib/router/providers/types';
import { collect, FakeServer, json, rejection, sse } from './support/fake-server';

const request: ProviderRequest = {
  messages: [
    { role: 'system', content: 'Answer in French.' },
    { role: 'user', content: 'Hello' },
  ],
  maxTokens: 100,
  temperature: 0.5,
};

let server: FakeServer;
beforeAll(async () => (server = await FakeServer.start()));
afterAll(() => server.close());

function target(extra: Partial<TargetConfig> = {}): TargetConfig {
  return { id: 'gpt4o', provider: 'azure-openai', providerModelId: 'gpt-4o-prod', baseUrl: server.url, apiKey: 'key-1', inputPer1kUsd: 0.0025, outputPer1kUsd: 0.01, contextWindowTokens: 128000, ...extra };
}

const signal = () => new AbortController().signal;

/** An Azure OpenAI chat completion, with the content-filter annotations Azure adds. */
const completion = {
  id: 'chatcmpl-A1',
  object: 'chat.completion',
  model: 'gpt-4o-2024-11-20',
  prompt_filter_results: [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }],
  choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Bonjour !' }, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }],
  usage: { prompt_tokens: 18, completion_tokens: 3, total_tokens: 21 },
};

describe('AzureOpenAIAdapter.complete', () => {
  test('posts to the deployment with the GA api-version, max_completion_tokens and the api-key header', async () => {
    server.handler = (_req, res) => json(res, 200, completion);
    const result = await new AzureOpenAIAdapter(target()).complete(request, signal());
    expect(result).toEqual({ content: 'Bonjour !', finishReason: 'stop', usage: { promptTokens: 18, completionTokens: 3 } });
    const sent = server.requests[server.requests.length - 1];
    expect(AZURE_OPENAI_DEFAULT_API_VERSION).toBe('2024-10-21');
    expect(sent.url).toBe('/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
    expect(sent.headers['api-key']).toBe('key-1');
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent.body)).toEqual({
      messages: [
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: 'Hello' },
      ],
      max_completion_tokens: 100,
      temperature: 0.5,
    });
  });

  test('uses the target api version and a Microsoft Entra token when there is no key', async () => {
    server.handler = (_req, res) => json(res, 200, completion);
    const tokens: string[] = [];
    const adapter = new AzureOpenAIAdapter(target({ apiKey: undefined, apiVersion: '2025-04-01-preview' }), {
      accessToken: async () => {
        tokens.push('asked');
        return 'entra-token';
      },
    });
    await adapter.complete(request, signal());
    const sent = server.requests[server.requests.length - 1];
    expect(sent.url).toBe('/openai/deployments/gpt-4o-prod/chat/completions?api-version=2025-04-01-preview');
    expect(sent.headers.authorization).toBe('Bearer entra-token');
    expect(sent.headers['api-key']).toBeUndefined();
    expect(tokens).toHaveLength(1);
  });

  test('a token that cannot be had is an auth error, before any call', async () => {
    const before = server.requests.length;
    const adapter = new AzureOpenAIAdapter(target({ apiKey: undefined }), {
      accessToken: async () => {
        throw new Error('ManagedIdentityCredential: no managed identity endpoint found');
      },
    });
    const error = await rejection(adapter.complete(request, signal()));
    expect(error).toMatchObject({ kind: 'auth' });
    expect(error.message).toContain('no managed identity endpoint found');
    expect(server.requests.length).toBe(before);
  });

  test('an answer the output filter cut is a content_filter finish, not an error', async () => {
    server.handler = (_req, res) => json(res, 200, { ...completion, choices: [{ index: 0, finish_reason: 'content_filter', message: { role: 'assistant', content: 'Je' } }] });
    const result = await new AzureOpenAIAdapter(target()).complete(request, signal());
    expect(result).toMatchObject({ content: 'Je', finishReason: 'content_filter' });
  });

  test('a prompt the content filter refused is a content_filter error', async () => {
    server.handler = (_req, res) =>
      json(res, 400, {
        error: {
          message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status: 400,
          innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: { violence: { filtered: true, severity: 'medium' } } },
        },
      });
    const error = await rejection(new AzureOpenAIAdapter(target()).complete(request, signal()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'content_filter', status: 400 });
    expect(error.message).toContain("azure-openai target 'gpt4o': HTTP 400: The response was filtered");
  });

  test('context_length_exceeded is a context_length error', async () => {
    server.handler = (_req, res) =>
      json(res, 400, { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
    expect(await rejection(new AzureOpenAIAdapter(target()).complete(request, signal()))).toMatchObject({ kind: 'context_length', status: 400 });
  });

  test('429 is throttled with the retry-after-ms delay Azure sends', async () => {
    server.handler = (_req, res) =>
      json(res, 429, { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded token rate limit.' } }, { 'retry-after': '7', 'retry-after-ms': '6500' });
    expect(await rejection(new AzureOpenAIAdapter(target()).complete(request, signal()))).toMatchObject({ kind: 'throttled', status: 429, retryAfterMs: 6500 });
  });

  test.each([
    [401, 'auth', { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } }],
    [404, 'bad_request', { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } }],
    [400, 'bad_request', { error: { code: 'unsupported_parameter', message: "Unsupported parameter: 'max_tokens' is not supported with this model." } }],
    [500, 'server', { error: { code: 'InternalServerError', message: 'The server had an error.' } }],
  ])('HTTP %i is %s', async (status, kind, body) => {
    server.handler = (_req, res) => json(res, status, body);
    expect(await rejection(new AzureOpenAIAdapter(target()).complete(request, signal()))).toMatchObject({ kind, status });
  });
});

describe('AzureOpenAIAdapter.stream', () => {
  test('skips the prompt-filter chunk, yields deltas and takes usage from the last chunk', async () => {
    server.handler = (_req, res) =>
      sse(res, [
        { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] },
        { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
        { choices: [{ index: 0, delta: { content: 'Bon' }, finish_reason: null, content_filter_results: {} }] },
        { choices: [{ index: 0, delta: { content: 'jour' }, finish_reason: null }] },
        { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
        { choices: [], usage: { prompt_tokens: 18, completion_tokens: 2, total_tokens: 20 } },
        '[DONE]',
      ]);
    const events = await collect(new AzureOpenAIAdapter(target()).stream(request, signal()));
    // The provider's usage reports come as `usage` events too (for a stream that breaks later).
    expect(events.filter((e) => e.type === 'usage').pop()).toEqual({ type: 'usage', usage: (events[events.length - 1] as { usage: unknown }).usage });
    expect(events.filter((e) => e.type !== 'usage')).toEqual([
      { type: 'delta', text: 'Bon' },
      { type: 'delta', text: 'jour' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 18, completionTokens: 2 } },
    ]);
    expect(server.lastJson()).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_completion_tokens: 100 });
  });

  test('a stream the output filter stopped ends with finish reason content_filter', async () => {
    server.handler = (_req, res) =>
      sse(res, [{ choices: [{ index: 0, delta: { content: 'Je' }, finish_reason: null }] }, { choices: [{ index: 0, delta: {}, finish_reason: 'content_filter' }] }, { choices: [], usage: { prompt_tokens: 18, completion_tokens: 1 } }, '[DONE]']);
    const events = await collect(new AzureOpenAIAdapter(target()).stream(request, signal()));
    expect(events[events.length - 1]).toEqual({ type: 'done', finishReason: 'content_filter', usage: { promptTokens: 18, completionTokens: 1 } });
  });
});

describe('AzureOpenAIAdapter default credential', () => {
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  let identity: FakeServer;
  beforeAll(async () => {
    identity = await FakeServer.start();
    // The App Service / Functions managed identity endpoint, which DefaultAzureCredential finds from these variables.
    process.env.IDENTITY_ENDPOINT = `${identity.url}/msi/token`;
    process.env.IDENTITY_HEADER = 'identity-header-secret';
  });
  afterAll(async () => {
    for (const [name, value] of [['IDENTITY_ENDPOINT', saved.endpoint], ['IDENTITY_HEADER', saved.header]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await identity.close();
  });

  test('gets a token for the Cognitive Services audience from the managed identity, once for many calls', async () => {
    identity.handler = (_req, res) =>
      json(res, 200, { access_token: 'mi-token', expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: 'https://cognitiveservices.azure.com', token_type: 'Bearer', client_id: 'c' });
    server.handler = (_req, res) => json(res, 200, completion);
    const adapter = new AzureOpenAIAdapter(target({ apiKey: undefined }));
    await adapter.complete(request, signal());
    await adapter.complete(request, signal());
    expect(server.requests.slice(-2).map((r) => r.headers.authorization)).toEqual(['Bearer mi-token', 'Bearer mi-token']);
    expect(identity.requests).toHaveLength(1);
    const asked = new URL(identity.requests[0].url, identity.url);
    expect(asked.searchParams.get('resource')).toBe('https://cognitiveservices.azure.com');
    expect(identity.requests[0].headers['x-identity-header']).toBe('identity-header-secret');
  });
});

describe('AzureOpenAIAdapter configuration', () => {
  test('requires the resource endpoint', () => {
    expect(() => new AzureOpenAIAdapter(target({ baseUrl: undefined }))).toThrow(
      "router target 'gpt4o' (azure-openai): baseUrl is required (got undefined); set it to the resource endpoint, https://{resource}.openai.azure.com",
    );
  });
  test('encodes the deployment name into the path', async () => {
    server.handler = (_req, res) => json(res, 200, completion);
    await new AzureOpenAIAdapter(target({ providerModelId: 'gpt 4o/eu' })).complete(request, signal());
    expect(server.requests[server.requests.length - 1].url).toBe('/openai/deployments/gpt%204o%2Feu/chat/completions?api-version=2024-10-21');
  });
});
