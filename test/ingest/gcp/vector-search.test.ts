import { GoogleApiError } from '../../../lib/ingest/gcp/http';
import { VectorSearchIndex } from '../../../lib/ingest/gcp/vector-search';
import type { IndexedChunk } from '../../../lib/ingest/run';
import { VectorSearchFake } from './vector-search-fake';

const INDEX = 'projects/acme-rag/locations/europe-west4/indexes/1234567890';
const noWait = { sleep: async () => undefined, random: () => 0 };

const chunk = (doc: string, i: number, vector = [i, 1, 2]): IndexedChunk => ({ id: `c-${doc.replace(/\W/g, '')}-${i}`, documentId: doc, index: i, text: `text ${i} of ${doc}`, vector });

describe('VectorSearchIndex', () => {
  let fake: VectorSearchFake;
  const client = (extra: Partial<ConstructorParameters<typeof VectorSearchIndex>[0]> = {}) =>
    new VectorSearchIndex({ index: INDEX, baseUrl: fake.baseUrl, accessToken: async () => 'ya29.vs', retry: noWait, ...extra });
  beforeEach(async () => {
    fake = await new VectorSearchFake(INDEX, 3).start();
  });
  afterEach(() => fake.close());

  test('upserts datapoints with the document restrict and the text in embeddingMetadata', async () => {
    await client().upsertChunks([chunk('docs/a.md', 0), chunk('docs/a.md', 1)]);
    const [call] = fake.calls;
    expect(call.url).toBe(`/v1/${INDEX}:upsertDatapoints`);
    expect(call.headers.authorization).toBe('Bearer ya29.vs');
    expect(call.body.datapoints[1]).toEqual({
      datapointId: 'c-docsamd-1',
      featureVector: [1, 1, 2],
      restricts: [{ namespace: 'document', allowList: ['docs/a.md'] }],
      embeddingMetadata: { documentId: 'docs/a.md', chunkIndex: 1, text: 'text 1 of docs/a.md' },
    });
    expect([...fake.datapoints.keys()]).toEqual(['c-docsamd-0', 'c-docsamd-1']);
  });

  test('splits upserts by count and by encoded size, and removals by count', async () => {
    const chunks = Array.from({ length: 250 }, (_, i) => chunk('docs/big.txt', i));
    await client().upsertChunks(chunks);
    expect(fake.calls.map((c) => c.body.datapoints.length)).toEqual([100, 100, 50]);
    expect(fake.datapoints.size).toBe(250);

    fake.calls.length = 0;
    // Each of these five encodes to the same size; a cap of two of them (and their separators) takes two per request.
    const size = Buffer.byteLength(JSON.stringify({ datapointId: 'c-docsbigtxt-0', featureVector: [0, 1, 2], restricts: [{ namespace: 'document', allowList: ['docs/big.txt'] }], embeddingMetadata: { documentId: 'docs/big.txt', chunkIndex: 0, text: 'text 0 of docs/big.txt' } }));
    await client({ maxUpsertBytes: 2 * (size + 1) }).upsertChunks(chunks.slice(0, 5));
    expect(fake.calls.map((c) => c.body.datapoints.length)).toEqual([2, 2, 1]);

    fake.calls.length = 0;
    await client().removeDatapoints(chunks.map((c) => c.id).concat('never-there'));
    expect(fake.calls.map((c) => [c.url, c.body.datapointIds.length])).toEqual([[`/v1/${INDEX}:removeDatapoints`, 251]]);
    fake.calls.length = 0;
    await client({ maxRemoveIds: 100 }).removeDatapoints(chunks.map((c) => c.id));
    expect(fake.calls.map((c) => c.body.datapointIds.length)).toEqual([100, 100, 50]);
    expect(fake.datapoints.size).toBe(0);
  });

  test('429 and 503 are retried until the index takes the batch', async () => {
    fake.failNext(429, 503);
    await client().upsertChunks([chunk('docs/a.md', 0)]);
    expect(fake.calls).toHaveLength(3);
    expect(fake.datapoints.has('c-docsamd-0')).toBe(true);
  });

  test('a wrong dimension is a 400, not retried; the error names the index, batch and document, not the text', async () => {
    const error = await client()
      .upsertChunks([chunk('docs/a.md', 0, [1, 2])])
      .catch((e) => e);
    expect(fake.calls).toHaveLength(1);
    expect(error).toBeInstanceOf(GoogleApiError);
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      `vector search ${INDEX}: upsert batch 1/1 (docs/a.md) failed (HTTP 400): vector search :upsertDatapoints: HTTP 400: Incorrect dimensionality. Expected 3, got 2 for datapoint c-docsamd-0. [INVALID_ARGUMENT]`,
    );
    expect(error.message).not.toContain('text 0 of');
    expect(fake.datapoints.size).toBe(0);
  });

  test('503 until the attempts are spent fails with the status', async () => {
    fake.failNext(503, 503, 503);
    const error = await client({ retry: { ...noWait, maxAttempts: 3 } })
      .removeDatapoints(['x'])
      .catch((e) => e);
    expect(error.message).toMatch(/remove batch 1\/1 failed after 3 attempts \(HTTP 503\): .*The service is currently unavailable/);
  });

  test('a malformed index name or batch size is refused', () => {
    expect(() => new VectorSearchIndex({ index: 'indexes/123' })).toThrow(/must be projects\/<project>\/locations\/<location>\/indexes\/<id>/);
    expect(() => new VectorSearchIndex({ index: INDEX, maxUpsertDatapoints: 0 })).toThrow(/maxUpsertDatapoints must be a whole number >= 1/);
  });
});
