import { embedAll } from '../../lib/ingest/embed/embed-all';
import { EmbeddingError } from '../../lib/ingest/embed/types';
import { VertexEmbedder } from '../../lib/ingest/embed/vertex';
import { fakeVector, scriptedServer, type Recorded, type Reply } from './embed-server';

const predict = (r: Recorded): Reply => ({
  status: 200,
  body: JSON.stringify({
    predictions: r.body.instances.map((i: { content: string }) => ({ embeddings: { values: fakeVector(i.content), statistics: { token_count: 3, truncated: false } } })),
    metadata: { billableCharacterCount: 10 },
  }),
});

const noWait = { sleep: async () => undefined, random: () => 0 };

describe('VertexEmbedder', () => {
  let server: Awaited<ReturnType<typeof scriptedServer>>;
  const make = (extra: Partial<ConstructorParameters<typeof VertexEmbedder>[0]> = {}) =>
    new VertexEmbedder({ project: 'my-proj', region: 'us-central1', model: 'text-embedding-005', baseUrl: server.baseUrl, accessToken: async () => 'tok-1', ...extra });
  afterEach(() => server.close());

  test('speaks :predict with instances[{content, task_type}] and reads predictions[].embeddings.values and token_count', async () => {
    server = await scriptedServer([], predict);
    const result = await make().embedBatch(['hello', 'world!']);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/projects/my-proj/locations/us-central1/publishers/google/models/text-embedding-005:predict');
    expect(req.headers.authorization).toBe('Bearer tok-1');
    expect(req.body).toEqual({ instances: [{ content: 'hello', task_type: 'RETRIEVAL_DOCUMENT' }, { content: 'world!', task_type: 'RETRIEVAL_DOCUMENT' }] });
    expect(result).toEqual({ vectors: [fakeVector('hello'), fakeVector('world!')], tokens: 6 });
  });

  test('batches by count (at most 250 per request) and by total tokens', async () => {
    server = await scriptedServer([], predict);
    const texts = Array.from({ length: 600 }, (_, i) => `text ${i}`);
    const result = await embedAll(make(), texts, { retry: noWait });
    expect(server.requests.map((r) => r.body.instances.length)).toEqual([250, 250, 100]);
    expect(result.vectors).toEqual(texts.map(fakeVector));
    expect(result.tokens).toBe(1800);

    server.requests.length = 0;
    // 30 texts of ~1000 estimated tokens each: 20,000-token requests take 20.
    const big = Array.from({ length: 30 }, () => 'x'.repeat(3000));
    await embedAll(make(), big, { retry: noWait });
    expect(server.requests.map((r) => r.body.instances.length)).toEqual([20, 10]);
  });

  test('429 with Retry-After is retried after the time asked, then succeeds', async () => {
    server = await scriptedServer([{ status: 429, headers: { 'retry-after': '2' }, body: '{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}' }], predict);
    const waits: number[] = [];
    const result = await embedAll(make(), ['a'], { retry: { sleep: async (ms) => void waits.push(ms) } });
    expect(waits).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
    expect(result.vectors).toEqual([fakeVector('a')]);
  });

  test('5xx until the attempts are spent: the error names the batch and status, clipped to 200 characters', async () => {
    const long = 'secret chunk text '.repeat(100);
    server = await scriptedServer([], () => ({ status: 503, body: JSON.stringify({ error: { code: 503, message: long } }) }));
    const error = await embedAll(make(), ['a', 'b'], { label: 'docs/a.md', retry: { ...noWait, maxAttempts: 3 } }).catch((e) => e);
    expect(server.requests).toHaveLength(3);
    expect(error).toBeInstanceOf(EmbeddingError);
    expect(error.status).toBe(503);
    expect(error.message).toContain('docs/a.md batch 1/1');
    expect(error.message).toContain('HTTP 503');
    expect(error.message).toContain('after 3 attempts');
    const quoted = error.message.slice(error.message.indexOf(': HTTP') + 2);
    expect(quoted.length).toBeLessThanOrEqual(201);
    expect(error.message.length).toBeLessThan(330);
  });

  test('a 400 is not retried', async () => {
    server = await scriptedServer([{ status: 400, body: '{"error":{"code":400,"message":"bad task type"}}' }], predict);
    await expect(embedAll(make(), ['a'], { retry: noWait })).rejects.toThrow(/HTTP 400.*bad task type/);
    expect(server.requests).toHaveLength(1);
  });

  test.each([
    ['not JSON', 'oops<html>'],
    ['no predictions', '{"foo":1}'],
    ['fewer predictions than inputs', JSON.stringify({ predictions: [{ embeddings: { values: [1] } }] })],
    ['values not numbers', JSON.stringify({ predictions: [{ embeddings: { values: ['x'] } }, { embeddings: { values: [1] } }] })],
  ])('malformed body (%s) fails the batch without retrying', async (_n, body) => {
    server = await scriptedServer([], () => ({ status: 200, body }));
    await expect(embedAll(make(), ['a', 'b'], { retry: noWait })).rejects.toBeInstanceOf(EmbeddingError);
    expect(server.requests).toHaveLength(1);
  });

  test('a failing token function fails as auth, without a request', async () => {
    server = await scriptedServer([], predict);
    const embedder = make({ accessToken: async () => { throw new Error('metadata server unreachable'); } });
    await expect(embedAll(embedder, ['a'], { retry: noWait })).rejects.toThrow(/no Google credentials: metadata server unreachable/);
    expect(server.requests).toHaveLength(0);
  });
});
