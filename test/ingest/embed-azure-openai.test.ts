import { AzureOpenAIEmbedder } from '../../lib/ingest/embed/azure-openai';
import { embedAll } from '../../lib/ingest/embed/embed-all';
import { EmbeddingError } from '../../lib/ingest/embed/types';
import { fakeVector, scriptedServer, type Recorded, type Reply } from './embed-server';

const embeddings = (r: Recorded): Reply => {
  const data = r.body.input.map((t: string, index: number) => ({ object: 'embedding', index, embedding: fakeVector(t) }));
  // The API numbers each item by `index`; answer reversed to check the client puts them back in order.
  return { status: 200, body: JSON.stringify({ object: 'list', data: data.reverse(), model: 'text-embedding-3-small', usage: { prompt_tokens: 2 * r.body.input.length, total_tokens: 2 * r.body.input.length } }) };
};

const noWait = { sleep: async () => undefined, random: () => 0 };

describe('AzureOpenAIEmbedder', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  const make = (extra: Partial<ConstructorParameters<typeof AzureOpenAIEmbedder>[0]> = {}) =>
    new AzureOpenAIEmbedder({ endpoint: server.baseUrl, deployment: 'emb-small', accessToken: async () => 'entra-tok', ...extra });
  afterEach(() => server.close());

  test('posts {input:[…]} to the deployment and reads data[].embedding by index and usage.prompt_tokens', async () => {
    server = await scriptedServer([], embeddings);
    const result = await make().embedBatch(['one', 'three']);
    const [req] = server.requests;
    expect(req.url).toBe('/openai/deployments/emb-small/embeddings?api-version=2024-10-21');
    expect(req.headers.authorization).toBe('Bearer entra-tok');
    expect(req.body).toEqual({ input: ['one', 'three'] });
    expect(result).toEqual({ vectors: [fakeVector('one'), fakeVector('three')], tokens: 4 });
  });

  test('batches by count (at most 2048 per request) and by a configured token budget', async () => {
    server = await scriptedServer([], embeddings);
    const texts = Array.from({ length: 5000 }, (_, i) => `t${i}`);
    const result = await embedAll(make(), texts, { retry: noWait });
    expect(server.requests.map((r) => r.body.input.length)).toEqual([2048, 2048, 904]);
    expect(result.vectors).toEqual(texts.map(fakeVector));
    server.requests.length = 0;
    await embedAll(make({ maxBatchTokens: 100 }), Array.from({ length: 5 }, () => 'y'.repeat(150)), { retry: noWait });
    expect(server.requests.map((r) => r.body.input.length)).toEqual([2, 2, 1]);
  });

  test('429 with retry-after-ms is honoured, then succeeds', async () => {
    server = await scriptedServer([{ status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '2' }, body: '{"error":{"code":"429","message":"Requests have exceeded the call rate limit"}}' }], embeddings);
    const waits: number[] = [];
    const result = await embedAll(make(), ['a'], { retry: { sleep: async (ms) => void waits.push(ms) } });
    expect(waits).toEqual([1500]);
    expect(result.tokens).toBe(2);
  });

  test('5xx exhaustion throws an EmbeddingError naming batch and status', async () => {
    server = await scriptedServer([], () => ({ status: 500, body: '{"error":{"message":"internal"}}' }));
    const error = await embedAll(make(), ['a'], { label: 'x.txt', retry: { ...noWait, maxAttempts: 2 } }).catch((e) => e);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect(error.message).toMatch(/azure-openai emb-small: x.txt batch 1\/1 .*after 2 attempts \(HTTP 500\)/);
    expect(server.requests).toHaveLength(2);
  });

  test.each([
    ['no data', '{"usage":{}}'],
    ['repeated index', JSON.stringify({ data: [{ index: 0, embedding: [1] }, { index: 0, embedding: [2] }] })],
    ['embedding missing', JSON.stringify({ data: [{ index: 0 }, { index: 1, embedding: [2] }] })],
  ])('malformed body (%s) is an error', async (_n, body) => {
    server = await scriptedServer([], () => ({ status: 200, body }));
    await expect(embedAll(make(), ['a', 'b'], { retry: noWait })).rejects.toThrow(/malformed answer/);
    expect(server.requests).toHaveLength(1);
  });
});
