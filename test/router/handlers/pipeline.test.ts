import { createPipeline } from '../../../lib/router/handlers/pipeline';
import { ProviderError } from '../../../lib/router/providers/types';
import { config, engineWith, fakeFactory, KEY, OTHER_KEY, route, target, tenant } from '../engine/helpers';
import { hashKey } from '../../../lib/router/engine/keys';

function setup(behaviors = {}) {
  const { factory, calls } = fakeFactory({ a: async () => ({ content: 'Hello!', finishReason: 'stop', usage: { promptTokens: 12, completionTokens: 4 } }), ...behaviors });
  const tenants = [tenant(), tenant({ id: 'beta', keySha256: [hashKey(OTHER_KEY)], routes: ['chat'] })];
  const { engine, logs } = engineWith(config([target('a'), target('b')], [route('chat', ['a'], { fallbacks: ['b'], retries: 0 }), route('other', ['b'])], tenants), factory);
  return { handle: createPipeline(engine), logs, calls };
}

const auth = { authorization: `Bearer ${KEY}` };
const body = (over: Record<string, unknown> = {}) => JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...over });

async function text(stream: AsyncIterable<string> | undefined): Promise<string> {
  let out = '';
  for await (const c of stream ?? []) out += c;
  return out;
}

describe('the request pipeline', () => {
  test('a completion in OpenAI shape with the router headers', async () => {
    const { handle } = setup();
    const r = await handle('POST', '/v1/chat/completions', { ...auth, 'x-request-id': 'rid-1' }, body());
    expect(r.status).toBe(200);
    expect(r.headers).toEqual({
      'content-type': 'application/json',
      'x-ai-stack-target': 'a',
      'x-ai-stack-attempts': '1',
      'x-ai-stack-cost-usd': '0.000020000',
      'x-ai-stack-overhead-ms': '0.000',
      'x-request-id': 'rid-1',
    });
    expect(JSON.parse(r.body!)).toEqual({
      id: 'chatcmpl-rid-1',
      object: 'chat.completion',
      created: Math.floor(Date.UTC(2025, 10, 15, 12) / 1000),
      model: 'chat',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
    });
  });

  test('a stream: role chunk, deltas, finish chunk with usage and x_ai_stack, then [DONE]', async () => {
    const { handle } = setup();
    const r = await handle('POST', '/v1/chat/completions', { ...auth, 'x-request-id': 'rid-2' }, body({ stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers).toMatchObject({ 'content-type': 'text/event-stream; charset=utf-8', 'x-ai-stack-target': 'a', 'x-ai-stack-attempts': '1' });
    const events = (await text(r.stream)).split('\n\n').filter(Boolean);
    expect(events[events.length - 1]).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0].delta.content).join('')).toBe('Hello!');
    const last = chunks[chunks.length - 1];
    expect(last.choices[0].finish_reason).toBe('stop');
    expect(last.usage).toEqual({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 });
    expect(last.x_ai_stack).toEqual({ target: 'a', attempts: 1, cost_usd: '0.000020000', overhead_ms: 0 });
  });

  test('stream_options.include_usage adds a usage chunk with no choices, as OpenAI does', async () => {
    const { handle } = setup();
    const r = await handle('POST', '/v1/chat/completions', auth, body({ stream: true, stream_options: { include_usage: true } }));
    const chunks = (await text(r.stream)).split('\n\n').filter((e) => e && e !== 'data: [DONE]').map((e) => JSON.parse(e.slice(6)));
    const usage = chunks[chunks.length - 1];
    expect(usage.choices).toEqual([]);
    expect(usage.usage.total_tokens).toBe(16);
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop');
  });

  test('GET /v1/models lists the routes the tenant may call', async () => {
    const { handle } = setup();
    const all = await handle('GET', '/v1/models', auth, undefined);
    expect(JSON.parse(all.body!)).toEqual({ object: 'list', data: [{ id: 'chat', object: 'model', created: expect.any(Number), owned_by: 'ai-stack' }, { id: 'other', object: 'model', created: expect.any(Number), owned_by: 'ai-stack' }] });
    const beta = await handle('GET', '/v1/models', { authorization: `Bearer ${OTHER_KEY}` }, undefined);
    expect(JSON.parse(beta.body!).data.map((m: { id: string }) => m.id)).toEqual(['chat']);
  });

  test('GET /healthz needs no key', async () => {
    const { handle } = setup();
    const r = await handle('GET', '/healthz', {}, undefined);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body!)).toEqual({ status: 'ok', routes: 2 });
  });

  test.each([
    ['no key', 'POST', '/v1/chat/completions', {}, body(), 401, 'authentication_error', 'invalid_api_key', /missing API key/],
    ['unknown key', 'POST', '/v1/chat/completions', { authorization: 'Bearer sk-unknown-0123456789' }, body(), 401, 'authentication_error', 'invalid_api_key', /invalid API key/],
    ['not bearer', 'POST', '/v1/chat/completions', { authorization: 'Basic abc' }, body(), 401, 'authentication_error', 'invalid_api_key', /malformed Authorization/],
    ['bad body', 'POST', '/v1/chat/completions', auth, '{"model":"chat"}', 400, 'invalid_request_error', 'invalid_value', /'messages' must be a non-empty array/],
    ['unknown route', 'POST', '/v1/chat/completions', auth, body({ model: 'gpt-5' }), 404, 'not_found_error', 'model_not_found', /the model 'gpt-5' does not exist/],
    ['route not allowed', 'POST', '/v1/chat/completions', { authorization: `Bearer ${OTHER_KEY}` }, body({ model: 'other' }), 403, 'permission_error', 'model_not_allowed', /may not call route 'other'/],
    ['unknown path', 'GET', '/v1/embeddings', auth, undefined, 404, 'not_found_error', 'unknown_url', /serves POST \/v1\/chat\/completions/],
    ['wrong method', 'GET', '/v1/chat/completions', auth, undefined, 405, 'invalid_request_error', 'method_not_allowed', /use POST/],
  ])('%s → %s … %d in OpenAI error shape', async (_name, method, path, headers, reqBody, status, type, code, message) => {
    const { handle, logs } = setup();
    const r = await handle(method as string, path as string, headers as Record<string, string>, reqBody as string | undefined);
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('application/json');
    const e = JSON.parse(r.body!).error;
    expect(e).toEqual({ message: expect.stringMatching(message as RegExp), type, code, param: e.param });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ status, outcome: code });
  });

  test('upstream failure on every target: 502 naming the targets; paths under a prefix (Azure /api) work', async () => {
    const down = async () => {
      throw new ProviderError('server', 'overloaded', 503);
    };
    const { handle } = setup({ a: down, b: down });
    const r = await handle('POST', '/api/v1/chat/completions?x=1', auth, body());
    expect(r.status).toBe(502);
    const e = JSON.parse(r.body!).error;
    expect(e.type).toBe('upstream_error');
    expect(e.message).toBe("every target of route 'chat' failed: a: server error (HTTP 503: overloaded); b: server error (HTTP 503: overloaded)");
  });

  test('a stream failing mid-way ends with an OpenAI error event carrying the cost', async () => {
    const { factory } = fakeFactory({});
    const streamFailing = (t: Parameters<typeof factory>[0]) => ({
      ...factory(t),
      async *stream() {
        yield { type: 'delta' as const, text: 'par' };
        throw new ProviderError('server', 'reset');
      },
    });
    const { engine } = engineWith(config([target('a')], [route('chat', ['a'])]), streamFailing);
    const r = await createPipeline(engine)('POST', '/v1/chat/completions', auth, body({ stream: true }));
    const events = (await text(r.stream)).split('\n\n').filter(Boolean);
    expect(events).not.toContain('data: [DONE]');
    const last = JSON.parse(events[events.length - 1].slice(6));
    expect(last.error).toMatchObject({ type: 'upstream_error', code: 'upstream_stream_failed' });
    // upper bound (stream-charge.ts): 'hi' → 2 bytes + 16 template = 18 prompt tokens × 1000, and
    // 'par' → 3 bytes + 32 tail = 35 completion tokens × 2000 nano-dollars
    expect(last.x_ai_stack.cost_usd).toBe('0.000088000');
  });
});
