import { AiSearchError, AiSearchIndex, indexDefinition, IndexSchemaError, packBatches, planIndexMigration, type AiSearchIndexOptions } from '../../../lib/ingest/azure/ai-search';
import type { IndexedChunk } from '../../../lib/ingest/run';
import { FakeSearch } from './fake-search';

let search: FakeSearch;
let waits: number[];

beforeEach(async () => {
  search = await new FakeSearch().start();
  waits = [];
});
afterEach(() => search.close());

function client(overrides: Partial<AiSearchIndexOptions> = {}): AiSearchIndex {
  return new AiSearchIndex({
    endpoint: search.baseUrl,
    indexName: 'kb',
    dimensions: 3,
    distance: 'cosine',
    accessToken: async () => 'test-token',
    retry: { sleep: async (ms) => void waits.push(ms), random: () => 0.5, maxAttempts: 4 },
    ...overrides,
  });
}

const chunk = (id: string, documentId = 'docs/a.txt', index = 0): IndexedChunk => ({ id, documentId, index, text: `text of ${id}`, vector: [index, 1, 2] });

describe('ensureIndex', () => {
  test('creates a missing index with the chunk schema, HNSW on the design metric, bearer-authenticated', async () => {
    expect(await client({ distance: 'dot-product', dimensions: 1536 }).ensureIndex()).toBe('created');

    const [get, put] = search.requests;
    expect(get).toMatchObject({ method: 'GET', path: '/indexes/kb', apiVersion: '2024-07-01' });
    expect(put).toMatchObject({ method: 'PUT', path: '/indexes/kb', apiVersion: '2024-07-01' });
    expect(put.headers.authorization).toBe('Bearer test-token');
    expect(put.headers['if-none-match']).toBe('*');
    const def = search.indexes.get('kb')!.definition;
    const field = (name: string) => def.fields.find((f: any) => f.name === name);
    expect(def.fields.map((f: any) => [f.name, f.type])).toEqual([
      ['id', 'Edm.String'],
      ['documentId', 'Edm.String'],
      ['chunkIndex', 'Edm.Int32'],
      ['content', 'Edm.String'],
      ['contentVector', 'Collection(Edm.Single)'],
    ]);
    expect(field('id').key).toBe(true);
    expect(field('documentId').filterable).toBe(true);
    expect(field('content').searchable).toBe(true);
    expect(field('contentVector')).toMatchObject({ dimensions: 1536, searchable: true });
    const profile = def.vectorSearch.profiles.find((p: any) => p.name === field('contentVector').vectorSearchProfile);
    const algorithm = def.vectorSearch.algorithms.find((a: any) => a.name === profile.algorithm);
    expect(algorithm).toMatchObject({ kind: 'hnsw', hnswParameters: { metric: 'dotProduct' } });
  });

  test('a second ensure finds the index as needed and only reads it', async () => {
    await client().ensureIndex();
    const before = search.requests.length;
    expect(await client().ensureIndex()).toBe('unchanged');
    expect(search.requests.slice(before).map((r) => r.method)).toEqual(['GET']);
  });

  test('adds the fields an older index lacks, keeps fields of its own, and writes If-Match its ETag', async () => {
    const old = indexDefinition('kb', 3, 'cosine');
    const withoutChunkIndex = { ...old, fields: [...old.fields.filter((f) => f.name !== 'chunkIndex'), { name: 'title', type: 'Edm.String', searchable: true }] };
    search.indexes.set('kb', { definition: withoutChunkIndex, etag: '"0xOLD"', docs: new Map([['kept', { id: 'kept' }]]) });

    expect(await client().ensureIndex()).toBe('updated');

    const put = search.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers['if-match']).toBe('"0xOLD"');
    expect(put.body['@odata.etag']).toBeUndefined();
    const names = search.indexes.get('kb')!.definition.fields.map((f: any) => f.name);
    expect(names).toEqual(['id', 'documentId', 'content', 'contentVector', 'title', 'chunkIndex']);
    expect(search.indexes.get('kb')!.docs.has('kept')).toBe(true);
    expect(await client().ensureIndex()).toBe('unchanged');
  });

  test('another vector dimension is refused, saying what differs and what to do, and nothing is written', async () => {
    await client({ dimensions: 3 }).ensureIndex();
    const etag = search.indexes.get('kb')!.etag;

    const refused = client({ dimensions: 4 }).ensureIndex();

    await expect(refused).rejects.toThrow(IndexSchemaError);
    await expect(client({ dimensions: 4 }).ensureIndex()).rejects.toThrow(
      /AI Search index "kb" on http:\/\/127\.0\.0\.1:\d+ does not fit this deployment: field contentVector has 3 dimensions, the embedding model gives 4\. An existing field cannot change in place .*give the vector store another name \(a new index\), or delete the index: the next run creates it anew and re-embeds every document/,
    );
    expect(search.indexes.get('kb')!.etag).toBe(etag);
    expect(search.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  test('another metric is refused too', async () => {
    await client({ distance: 'cosine' }).ensureIndex();
    await expect(client({ distance: 'euclidean' }).ensureIndex()).rejects.toThrow(/field contentVector is searched by cosine, the design's distance is euclidean/);
  });

  test('an index whose key is another field is refused (the runtime writes key "id")', () => {
    const desired = indexDefinition('kb', 3, 'cosine');
    const foreign = { name: 'kb', fields: [{ name: 'docKey', type: 'Edm.String', key: true }] };
    expect(() => planIndexMigration(foreign, desired)).toThrow(/its key is field "docKey", this runtime's key is field "id"/);
  });

  test('a concurrent change between GET and PUT (412) is looked at again, not overwritten', async () => {
    // Another writer creates the index after our GET: our If-None-Match PUT gets 412, the retry finds it.
    const c = client();
    const original = search.indexes;
    let first = true;
    const handle = (search as any).handle.bind(search);
    (search as any).handle = (r: any, bytes: number) => {
      if (first && r.method === 'PUT') {
        first = false;
        original.set('kb', { definition: indexDefinition('kb', 3, 'cosine') as any, etag: '"0xRACER"', docs: new Map() });
      }
      return handle(r, bytes);
    };
    expect(await c.ensureIndex()).toBe('unchanged');
    expect(search.indexes.get('kb')!.etag).toBe('"0xRACER"');
    expect(search.requests.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET']);
  });
});

describe('documents', () => {
  beforeEach(async () => {
    await client().ensureIndex();
    search.requests.length = 0;
  });

  test('mergeOrUpload puts each chunk as a search document; delete removes them, a missing key included', async () => {
    await client().upsertChunks([chunk('a-0', 'docs/a.txt', 0), chunk('a-1', 'docs/a.txt', 1)]);
    const docs = search.indexes.get('kb')!.docs;
    expect(docs.get('a-1')).toEqual({ id: 'a-1', documentId: 'docs/a.txt', chunkIndex: 1, content: 'text of a-1', contentVector: [1, 1, 2] });
    expect(search.docRequests()[0].body.value.map((a: any) => a['@search.action'])).toEqual(['mergeOrUpload', 'mergeOrUpload']);

    await client().deleteChunks(['a-0', 'never-there']);
    expect([...docs.keys()]).toEqual(['a-1']);
    expect(search.docRequests()[1].body.value).toEqual([
      { '@search.action': 'delete', id: 'a-0' },
      { '@search.action': 'delete', id: 'never-there' },
    ]);
  });

  test('batches stay within 1000 actions', async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `id-${i}`);
    await client().deleteChunks(ids);
    expect(search.docRequests().map((r) => r.body.value.length)).toEqual([1000, 1000, 500]);
  });

  test('batches stay within the byte limit, and a document alone above it is refused by key', () => {
    const actions = ['a', 'b', 'c'].map((key) => ({ key, json: JSON.stringify({ id: key, content: 'x'.repeat(40) }) }));
    const size = Buffer.byteLength(actions[0].json) + 1;
    const envelope = Buffer.byteLength('{"value":[]}');
    expect(packBatches(actions, 1000, envelope + 2 * size).map((b) => b.map((a) => a.key))).toEqual([['a', 'b'], ['c']]);
    expect(() => packBatches(actions, 1000, envelope + size - 1)).toThrow(/the document of key a is \d+ bytes, above the \d+-byte request limit/);
  });

  test('a 207 is retried for the failed retryable keys only, then succeeds', async () => {
    search.failKey.set('b-0', { statusCode: 503, times: 2 });
    search.failKey.set('c-0', { statusCode: 422, times: 1, message: 'The index is temporarily unavailable.' });

    await client().upsertChunks([chunk('a-0'), chunk('b-0'), chunk('c-0')]);

    const sent = search.docRequests().map((r) => r.body.value.map((a: any) => a.id));
    expect(sent).toEqual([['a-0', 'b-0', 'c-0'], ['b-0', 'c-0'], ['b-0']]);
    expect([...search.indexes.get('kb')!.docs.keys()].sort()).toEqual(['a-0', 'b-0', 'c-0']);
    expect(waits).toHaveLength(2);
  });

  test('a non-retryable action fails the batch at once, naming the key and the status', async () => {
    const wrong = { ...chunk('bad-0'), vector: [1, 2] };
    const attempt = client().upsertChunks([chunk('ok-0'), wrong]);
    await expect(attempt).rejects.toThrow(AiSearchError);
    await expect(attempt).rejects.toThrow(/docs\/index batch 1\/1: 1 of 2 actions failed: key bad-0: status 400: The vector field 'contentVector' with dimensionality of 3 expects a length of 3/);
    expect(search.docRequests()).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  test('a 503 for the whole request is retried after the Retry-After it sends', async () => {
    search.failNext.push({ status: 503, headers: { 'retry-after': '2' } }, { status: 429, headers: { 'retry-after-ms': '150' } });
    await client().upsertChunks([chunk('a-0')]);
    expect(waits).toEqual([2000, 150]);
    expect(search.indexes.get('kb')!.docs.has('a-0')).toBe(true);
  });

  test('retries spent: the error names the index, the batch, the attempts and the status', async () => {
    for (let i = 0; i < 4; i++) search.failNext.push({ status: 503 });
    await expect(client().deleteChunks(['x'])).rejects.toThrow(/AI Search index "kb" on .*: docs\/index batch 1\/1 failed after 4 attempts \(HTTP 503\): POST \/indexes\/kb\/docs\/index: HTTP 503 ServiceUnavailable/);
  });

  test('a rejected token (the identity has no role) is final and says which role', async () => {
    search.failNext.push({ status: 403 });
    await expect(client().deleteChunks(['x'])).rejects.toThrow(/HTTP 403.*Search Index Data Contributor/);
    expect(search.docRequests()).toHaveLength(1);
  });
});
