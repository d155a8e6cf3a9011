import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runServe } from '../../../lib/cli/serve';
import { BedrockAdapter } from '../../../lib/router/providers/bedrock';
import { createAdapter } from '../../../lib/router/providers';
import type { AdapterFactory } from '../../../lib/router/providers/types';
import { FakeServer, json } from '../providers/support/fake-server';
import type { RequestLog } from '../../../lib/router/log';
import { OpenAiUpstream } from './upstream';

/** Bedrock's Converse answer and its error shape, as the fake Bedrock endpoint sends them. */
const converse = { output: { message: { role: 'assistant', content: [{ text: 'Hello from Claude on Bedrock' }] } }, stopReason: 'end_turn', usage: { inputTokens: 20, outputTokens: 6, totalTokens: 26 }, metrics: { latencyMs: 180 } };
const unavailable = { message: 'Bedrock is unable to process your request.' };

/** The real adapters, with static AWS credentials so the SDK never looks for a credential chain. */
const adapters: AdapterFactory = (t) => (t.provider === 'bedrock' ? new BedrockAdapter(t, { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } }) : createAdapter(t));

/**
 * The router as a user runs it (`ai-stack serve`, real provider adapters, real HTTP) in front of local
 * fakes of its providers, called with the official `openai` client.
 */
describe('the local router with the official openai client', () => {
  const keys = { acme: 'acme-e2e-key-0123456789', broke: 'broke-e2e-key-0123456789' };
  let primary: OpenAiUpstream;
  let backup: OpenAiUpstream;
  let bedrock: FakeServer;
  let baseURL: string;
  const stop = new AbortController();
  let served: Promise<number>;
  const messages: string[] = [];
  const logs: RequestLog[] = [];
  const client = (apiKey = keys.acme) => new OpenAI({ baseURL, apiKey, maxRetries: 0 });

  beforeAll(async () => {
    primary = await OpenAiUpstream.start('Hello from the primary endpoint');
    backup = await OpenAiUpstream.start('Hello from the backup endpoint');
    bedrock = await FakeServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'router-e2e-'));
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
    const listening = new Promise<string>((resolve) => {
      served = runServe(
        [join(__dirname, 'design.yaml'), '--port', '0', '--keys', join(dir, 'keys.json'), '--upstream-base-url', `primary=${primary.url}`, `--upstream-base-url=backup=${backup.url}`, '--upstream-base-url', `haiku=${bedrock.url}`],
        { signal: stop.signal, onListening: resolve, message: (m) => messages.push(m), logger: (r) => logs.push(r), adapterFactory: adapters },
      );
    });
    baseURL = `${await listening}/v1`;
  });

  afterAll(async () => {
    stop.abort();
    expect(await served).toBe(0);
    await Promise.all([primary.close(), backup.close(), bedrock.close()]);
  });

  test('serve announces itself', () => {
    expect(messages[0]).toMatch(/^ai-stack router listening on http:\/\/127\.0\.0\.1:\d+\/v1 \(routes: chat, claude; tenants: acme, broke\)$/);
  });

  test('a plain completion', async () => {
    const { data, response } = await client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi!' }], max_tokens: 50 }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from the primary endpoint');
    expect(data.usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(response.headers.get('x-ai-stack-target')).toBe('primary');
    expect(response.headers.get('x-ai-stack-attempts')).toBe('1');
    // 11 × 1000 + 7 × 2000 nano-dollars
    expect(response.headers.get('x-ai-stack-cost-usd')).toBe('0.000025000');
    expect(Number(response.headers.get('x-ai-stack-overhead-ms'))).toBeGreaterThanOrEqual(0);
    // The endpoint got the served model name and the capped max_tokens.
    expect(primary.received[primary.received.length - 1]).toMatchObject({ model: 'primary-model', max_tokens: 50 });
  });

  test('a stream, with the usage chunk', async () => {
    const stream = await client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi!' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let meta: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) {
        usage = chunk.usage;
        meta = (chunk as unknown as { x_ai_stack: unknown }).x_ai_stack;
      }
    }
    expect(text).toBe('Hello from the primary endpoint');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect(meta).toEqual({ target: 'primary', attempts: 1, cost_usd: '0.000025000', overhead_ms: expect.any(Number) });
  });

  test('a fallback after the first provider answers 503', async () => {
    primary.failNext = 1;
    const { data, response } = await client().chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi!' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from the backup endpoint');
    expect(response.headers.get('x-ai-stack-target')).toBe('backup');
    expect(response.headers.get('x-ai-stack-attempts')).toBe('2');
    expect(logs[logs.length - 1]).toMatchObject({ tenant: 'acme', route: 'chat', target: 'backup', attempts: 2, promptTokens: 11, completionTokens: 7, costUsd: 0.0000125, outcome: 'ok', status: 200 });
  });

  test('a completion from Bedrock, through the real Bedrock adapter and its wire format', async () => {
    bedrock.handler = (_req, res) => json(res, 200, converse);
    const { data, response } = await client().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi!' }], max_tokens: 100 }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from Claude on Bedrock');
    expect(response.headers.get('x-ai-stack-target')).toBe('haiku');
    // catalog price of claude-3-5-haiku: 20 × 800 + 6 × 4000 nano-dollars
    expect(response.headers.get('x-ai-stack-cost-usd')).toBe('0.000040000');
    const sent = bedrock.requests[bedrock.requests.length - 1];
    expect(sent.url).toBe(`/model/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}/converse`);
    expect(JSON.parse(sent.body).inferenceConfig.maxTokens).toBe(100);
  });

  test('a fallback from Bedrock answering 503 to the GPU endpoint', async () => {
    bedrock.handler = (_req, res) => json(res, 503, unavailable, { 'x-amzn-errortype': 'ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/' });
    const { data, response } = await client().chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi!' }] }).withResponse();
    expect(data.choices[0].message.content).toBe('Hello from the backup endpoint');
    expect(response.headers.get('x-ai-stack-target')).toBe('backup');
    expect(response.headers.get('x-ai-stack-attempts')).toBe('2');
  });

  test('a tenant over budget is refused with 402', async () => {
    const error = await client(keys.broke).chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi!' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: 402, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect((error as Error).message).toMatch(/tenant 'broke' would exceed its monthly budget of \$0\.001000000/);
    expect(logs[logs.length - 1]).toMatchObject({ tenant: 'broke', outcome: 'insufficient_quota', status: 402, attempts: 0 });
  });

  test('an unknown key is refused with 401', async () => {
    const error = await client('sk-not-a-tenant-0000000000').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Hi!' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  test('the model list is the routes', async () => {
    const models = await client().models.list();
    expect(models.data.map((m) => m.id)).toEqual(['chat', 'claude']);
  });
});
