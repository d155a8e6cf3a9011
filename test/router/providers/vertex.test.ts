import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { vertexLabels, VertexAdapter, vertexEndpoint } from '../../../lib/router/providers/vertex';
import { ProviderError, type ProviderRequest, type TargetConfig } from '../../../lib/router/providers/types';
import { collect, FakeServer, json, rejection, sse } from './support/fake-server';

const request: ProviderRequest = {
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'developer', content: 'Use metric units.' },
    { role: 'user', content: 'How far is the moon?' },
    { role: 'user', content: [{ type: 'text', text: 'In km.' }] },
    { role: 'assistant', content: null },
  ],
  temperature: 0.1,
  topP: 0.8,
  maxTokens: 256,
  stop: ['END'],
};

let server: FakeServer;
beforeAll(async () => (server = await FakeServer.start()));
afterAll(() => server.close());

function target(extra: Partial<TargetConfig> = {}): TargetConfig {
  return { id: 'flash', provider: 'vertex', providerModelId: 'gemini-2.5-flash', region: 'europe-west4', project: 'acme-ai', baseUrl: server.url, inputPer1kUsd: 0.0003, outputPer1kUsd: 0.0025, contextWindowTokens: 1048576, ...extra };
}

const execFileAsync = promisify(execFile);
const token = { accessToken: async () => 'ya29.test-token' };
const signal = () => new AbortController().signal;

/** A Gemini 2.5 generateContent answer, with a thought summary part and thinking tokens. */
const answer = {
  candidates: [
    {
      content: { role: 'model', parts: [{ text: 'The user wants km.', thought: true }, { text: 'About ' }, { text: '384,400 km.' }] },
      finishReason: 'STOP',
      safetyRatings: [{ category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' }],
    },
  ],
  usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 6, thoughtsTokenCount: 40, totalTokenCount: 66 },
  modelVersion: 'gemini-2.5-flash',
};

describe('VertexAdapter.complete', () => {
  test('calls generateContent of the publisher model in the project and region, with a bearer token', async () => {
    server.handler = (_req, res) => json(res, 200, answer);
    await new VertexAdapter(target(), token).complete(request, signal());
    const sent = server.requests[server.requests.length - 1];
    expect(sent.url).toBe('/v1/projects/acme-ai/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(sent.headers.authorization).toBe('Bearer ya29.test-token');
  });

  test('sends system text apart and merges consecutive user messages into one turn', async () => {
    server.handler = (_req, res) => json(res, 200, answer);
    await new VertexAdapter(target(), token).complete(request, signal());
    expect(server.lastJson()).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'How far is the moon?\n\nIn km.' }] }],
      systemInstruction: { parts: [{ text: 'You are terse.' }, { text: 'Use metric units.' }] },
      generationConfig: { maxOutputTokens: 256, temperature: 0.1, topP: 0.8, stopSequences: ['END'] },
    });
  });

  test('labels the request with its tenant and route, so billing reports split Vertex spend per tenant', async () => {
    server.handler = (_req, res) => json(res, 200, answer);
    await new VertexAdapter(target(), token).complete({ ...request, tenant: 'support-bot', route: 'Chat.Premium' }, signal());
    expect((server.lastJson() as { labels?: unknown }).labels).toEqual({ 'ai-stack-tenant': 'support-bot', 'ai-stack-route': 'chat_premium' });
    expect(vertexLabels({ route: 'r'.repeat(80) })).toEqual({ 'ai-stack-route': 'r'.repeat(63) });
    expect(vertexLabels({})).toBeUndefined();
  });

  test('maps assistant turns to the model role', async () => {
    server.handler = (_req, res) => json(res, 200, answer);
    const turns: ProviderRequest = {
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: 'Bye' },
      ],
      maxTokens: 5,
    };
    await new VertexAdapter(target(), token).complete(turns, signal());
    expect(server.lastJson().contents.map((c: { role: string }) => c.role)).toEqual(['user', 'model', 'user']);
    expect(server.lastJson().systemInstruction).toBeUndefined();
  });

  test('returns the answer without thought parts, and counts thinking tokens as output', async () => {
    server.handler = (_req, res) => json(res, 200, answer);
    const result = await new VertexAdapter(target(), token).complete(request, signal());
    expect(result).toEqual({ content: 'About 384,400 km.', finishReason: 'stop', usage: { promptTokens: 20, completionTokens: 46 } });
  });

  test.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['OTHER', 'stop'],
  ])('finishReason %s → %s', async (reason, expected) => {
    server.handler = (_req, res) => json(res, 200, { ...answer, candidates: [{ ...answer.candidates[0], finishReason: reason }] });
    expect((await new VertexAdapter(target(), token).complete(request, signal())).finishReason).toBe(expected);
  });

  test('estimates usage when the answer carries no usageMetadata', async () => {
    server.handler = (_req, res) => json(res, 200, { candidates: [{ content: { role: 'model', parts: [{ text: 'x'.repeat(20) }] }, finishReason: 'STOP' }] });
    const result = await new VertexAdapter(target(), token).complete({ messages: [{ role: 'user', content: 'y'.repeat(12) }], maxTokens: 10 }, signal());
    // An upper bound: 12 prompt bytes + 16 template tokens; 20 output bytes, capped by max_tokens (10).
    expect(result.usage).toEqual({ promptTokens: 28, completionTokens: 10 });
  });

  test('a blocked prompt (no candidates, blockReason) is a content_filter error', async () => {
    server.handler = (_req, res) => json(res, 200, { promptFeedback: { blockReason: 'PROHIBITED_CONTENT', blockReasonMessage: 'Prompt was blocked.' }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } });
    const error = await rejection(new VertexAdapter(target(), token).complete(request, signal()));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'content_filter' });
    expect(error.message).toBe("vertex target 'flash': prompt blocked (PROHIBITED_CONTENT): Prompt was blocked.");
  });

  test('an answer with no candidate and no block reason is a server error', async () => {
    server.handler = (_req, res) => json(res, 200, { usageMetadata: { promptTokenCount: 9 } });
    expect(await rejection(new VertexAdapter(target(), token).complete(request, signal()))).toMatchObject({ kind: 'server' });
  });

  test.each([
    [429, 'throttled', { error: { code: 429, message: 'Resource exhausted. Please try again later.', status: 'RESOURCE_EXHAUSTED' } }],
    [400, 'context_length', { error: { code: 400, message: 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).', status: 'INVALID_ARGUMENT' } }],
    [400, 'bad_request', { error: { code: 400, message: 'Unable to submit request because it has an empty text parameter.', status: 'INVALID_ARGUMENT' } }],
    [403, 'auth', { error: { code: 403, message: "Permission 'aiplatform.endpoints.predict' denied", status: 'PERMISSION_DENIED' } }],
    [404, 'bad_request', { error: { code: 404, message: 'Publisher Model `gemini-9` was not found.', status: 'NOT_FOUND' } }],
    [503, 'server', { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } }],
  ])('HTTP %i is %s', async (status, kind, body) => {
    server.handler = (_req, res) => json(res, status, body);
    const error = await rejection(new VertexAdapter(target(), token).complete(request, signal()));
    expect(error).toMatchObject({ kind, status });
    expect(error.message).toContain(body.error.message);
  });

  test('a token function that fails is an auth error', async () => {
    const adapter = new VertexAdapter(target(), {
      accessToken: async () => {
        throw new Error('metadata server unreachable');
      },
    });
    expect(await rejection(adapter.complete(request, signal()))).toMatchObject({ kind: 'auth', message: "vertex target 'flash': no Google credentials: metadata server unreachable" });
  });
});

describe('VertexAdapter.stream', () => {
  test('calls streamGenerateContent with alt=sse and yields text, then the last usage', async () => {
    server.handler = (_req, res) =>
      sse(res, [
        { candidates: [{ content: { role: 'model', parts: [{ text: 'Thinking about distance', thought: true }] } }], usageMetadata: { promptTokenCount: 20 } },
        { candidates: [{ content: { role: 'model', parts: [{ text: 'About ' }] } }], usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 1, thoughtsTokenCount: 40 } },
        { candidates: [{ content: { role: 'model', parts: [{ text: '384,400 km.' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 6, thoughtsTokenCount: 40 } },
      ]);
    const events = await collect(new VertexAdapter(target(), token).stream(request, signal()));
    expect(server.requests[server.requests.length - 1].url).toBe('/v1/projects/acme-ai/locations/europe-west4/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    // The provider's usage reports come as `usage` events too (for a stream that breaks later).
    expect(events.filter((e) => e.type === 'usage').pop()).toEqual({ type: 'usage', usage: (events[events.length - 1] as { usage: unknown }).usage });
    expect(events.filter((e) => e.type !== 'usage')).toEqual([
      { type: 'delta', text: 'About ' },
      { type: 'delta', text: '384,400 km.' },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 20, completionTokens: 46 } },
    ]);
  });

  test('a stream cut by the safety filter ends with content_filter', async () => {
    server.handler = (_req, res) =>
      sse(res, [
        { candidates: [{ content: { role: 'model', parts: [{ text: 'Step one' }] } }] },
        { candidates: [{ content: { role: 'model', parts: [] }, finishReason: 'SAFETY' }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 2 } },
      ]);
    const events = await collect(new VertexAdapter(target(), token).stream(request, signal()));
    expect(events[events.length - 1]).toEqual({ type: 'done', finishReason: 'content_filter', usage: { promptTokens: 5, completionTokens: 2 } });
  });

  test('a blocked prompt in the first chunk is a content_filter error', async () => {
    server.handler = (_req, res) => sse(res, [{ promptFeedback: { blockReason: 'SAFETY' } }]);
    expect(await rejection(collect(new VertexAdapter(target(), token).stream(request, signal())))).toMatchObject({ kind: 'content_filter' });
  });

  test('a stream that ends before a finish reason is a server error', async () => {
    server.handler = (_req, res) => sse(res, [{ candidates: [{ content: { role: 'model', parts: [{ text: 'About' }] } }] }]);
    expect(await rejection(collect(new VertexAdapter(target(), token).stream(request, signal())))).toMatchObject({ kind: 'server' });
  });

  test('an error object inside the stream is classified', async () => {
    server.handler = (_req, res) => sse(res, [{ error: { code: 429, message: 'Resource exhausted.', status: 'RESOURCE_EXHAUSTED' } }]);
    expect(await rejection(collect(new VertexAdapter(target(), token).stream(request, signal())))).toMatchObject({ kind: 'throttled' });
  });
});

describe('VertexAdapter endpoints and credentials', () => {
  test('defaults to the regional endpoint, and the global one for location global', () => {
    expect(vertexEndpoint('europe-west4')).toBe('https://europe-west4-aiplatform.googleapis.com');
    expect(vertexEndpoint('global')).toBe('https://aiplatform.googleapis.com');
  });

  test('requires a region, naming the target and the field', () => {
    expect(() => new VertexAdapter(target({ region: undefined }), token)).toThrow(
      "router target 'flash' (vertex): region is required (got undefined); set it to a Vertex AI location such as 'us-central1', or 'global'",
    );
  });

  test('requires a project when the token comes from a function', () => {
    expect(() => new VertexAdapter(target({ project: undefined }), token)).toThrow("router target 'flash' (vertex): project is required (got undefined)");
  });

  describe('Application Default Credentials from the metadata server', () => {
    let metadata: FakeServer;
    beforeAll(async () => {
      metadata = await FakeServer.start();
      metadata.handler = (req, res) => {
        const headers = { 'metadata-flavor': 'Google' };
        if (req.headers['metadata-flavor'] !== 'Google') return json(res, 403, 'missing Metadata-Flavor');
        if (req.url === '/computeMetadata/v1/instance') return json(res, 200, {}, headers);
        if (req.url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')) return json(res, 200, { access_token: 'ya29.from-metadata', expires_in: 3599, token_type: 'Bearer' }, headers);
        if (req.url === '/computeMetadata/v1/project/project-id') {
          res.writeHead(200, { ...headers, 'content-type': 'application/text' });
          res.end('project-from-metadata');
          return;
        }
        return json(res, 404, 'not found', headers);
      };
    });
    afterAll(() => metadata.close());

    test('takes the token with the cloud-platform scope and the project from the metadata server, once', async () => {
      server.handler = (_req, res) => json(res, 200, answer);
      const before = server.requests.length;
      const child = path.join(__dirname, 'support', 'vertex-adc-child.ts');
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', child], {
        env: { ...process.env, GCE_METADATA_HOST: new URL(metadata.url).host, VERTEX_BASE_URL: server.url },
        timeout: 30000,
      });
      expect(JSON.parse(stdout)).toEqual([
        { content: 'About 384,400 km.', finishReason: 'stop', usage: { promptTokens: 20, completionTokens: 46 } },
        { content: 'About 384,400 km.', finishReason: 'stop', usage: { promptTokens: 20, completionTokens: 46 } },
      ]);
      const calls = server.requests.slice(before);
      expect(calls.map((r) => r.headers.authorization)).toEqual(['Bearer ya29.from-metadata', 'Bearer ya29.from-metadata']);
      expect(calls[0].url).toBe('/v1/projects/project-from-metadata/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent');
      const tokenCalls = metadata.requests.filter((r) => r.url.includes('/token'));
      expect(tokenCalls).toHaveLength(1);
      expect(new URL(tokenCalls[0].url, metadata.url).searchParams.get('scopes')).toBe('https://www.googleapis.com/auth/cloud-platform');
    });
  });
});
