import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHUNK_TEXTS_PREFIX, ChunkTextStore, chunkTextObject, chunkTextObjects, decodeChunkTexts } from '../../../lib/ingest/gcp/chunk-texts';
import { GcsClient } from '../../../lib/ingest/gcp/storage';
import { chunkId, type IndexedChunk } from '../../../lib/ingest/run';
import { GcsFake } from './gcs-fake';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const noWait = { sleep: async () => undefined, random: () => 0 };
/** A version's chunks as runIngestion hands them to upsertChunks. */
const version = (documentId: string, content: string, texts: string[]): IndexedChunk[] =>
  texts.map((text, index) => ({ id: chunkId(documentId, sha(content), index), documentId, index, text, vector: [0, 0, 1] }));

describe('chunkTextObject: a chunk id to its text object and position', () => {
  test("the id without its trailing -<index>, under chunks/, and the index", () => {
    const id = chunkId('docs/a.txt', sha('A'), 12);
    const stem = `${sha('docs/a.txt').slice(0, 24)}-${sha('A').slice(0, 16)}`;
    expect(id).toBe(`${stem}-12`);
    expect(chunkTextObject(id)).toEqual({ object: `chunks/${stem}.json`, index: 12 });
    expect(CHUNK_TEXTS_PREFIX).toBe('chunks/');
  });

  test.each(['', 'abc-0', `${'a'.repeat(24)}-${'b'.repeat(16)}`, `${'a'.repeat(24)}-${'b'.repeat(16)}-01`, `${'a'.repeat(24)}-${'b'.repeat(16)}--1`, `${'A'.repeat(24)}-${'b'.repeat(16)}-0`, `../${'a'.repeat(21)}-${'b'.repeat(16)}-0`])(
    'refuses %j, which chunkId never makes',
    (id) => {
      expect(() => chunkTextObject(id)).toThrow(/is not <24 hex>-<16 hex>-<index>/);
    },
  );
});

describe('chunkTextObjects: one object a document version', () => {
  test('groups by version, texts in position order whatever the order given', () => {
    const a = version('docs/a.txt', 'A', ['a0', 'a1', 'a2']);
    const b = version('docs/b.txt', 'B', ['b0']);
    const objects = chunkTextObjects([a[2], b[0], a[0], a[1]]);
    expect(objects).toEqual(
      new Map([
        [chunkTextObject(a[0].id).object, { documentId: 'docs/a.txt', chunks: ['a0', 'a1', 'a2'] }],
        [chunkTextObject(b[0].id).object, { documentId: 'docs/b.txt', chunks: ['b0'] }],
      ]),
    );
  });

  test('refuses what would make chunks[i] another chunk\'s text: a missing position, a repeat, a wrong index, two documents', () => {
    const a = version('docs/a.txt', 'A', ['a0', 'a1', 'a2']);
    expect(() => chunkTextObjects([a[0], a[2]])).toThrow(/miss chunk 1/);
    expect(() => chunkTextObjects([a[1], a[2]])).toThrow(/miss chunk 0/);
    expect(() => chunkTextObjects([a[0], a[0]])).toThrow(/given twice/);
    expect(() => chunkTextObjects([{ ...a[0], index: 1 }])).toThrow(/says it is chunk 1/);
    expect(() => chunkTextObjects([a[0], { ...a[1], documentId: 'docs/other.txt' }])).toThrow(/name two documents/);
  });

  test('decodeChunkTexts reads what the store writes and refuses other shapes', () => {
    expect(decodeChunkTexts('{"documentId":"d","chunks":["x","y"]}')).toEqual({ documentId: 'd', chunks: ['x', 'y'] });
    for (const bad of ['[]', 'null', '{"documentId":"d"}', '{"documentId":1,"chunks":[]}', '{"documentId":"d","chunks":[1]}']) {
      expect(() => decodeChunkTexts(bad)).toThrow(/documentId": string, "chunks": string\[\]/);
    }
  });
});

describe('ChunkTextStore on Cloud Storage', () => {
  let gcs: GcsFake;
  let store: ChunkTextStore;
  beforeEach(async () => {
    gcs = await GcsFake.start();
    gcs.bucket('state');
    store = new ChunkTextStore(new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => 't', retry: noWait }), 'state');
  });
  afterEach(() => gcs.close());

  test('write: one JSON object a version, replacing an earlier write of the same version', async () => {
    const a = version('docs/a.txt', 'A', ['a0', 'a1']);
    const name = chunkTextObject(a[0].id).object;
    gcs.put('state', name, '{"documentId":"docs/a.txt","chunks":["stale"]}');
    await store.write(a);
    const stored = gcs.buckets.get('state')!.get(name)!;
    expect(stored.contentType).toBe('application/json');
    expect(JSON.parse(stored.bytes.toString('utf8'))).toEqual({ documentId: 'docs/a.txt', chunks: ['a0', 'a1'] });
    expect(gcs.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test("deleteGroupsOf: the objects of the versions whose chunk 0 is deleted; a live version's object stays when only its tail goes", async () => {
    const a = version('docs/a.txt', 'A', ['a0', 'a1', 'a2']);
    const b = version('docs/b.txt', 'B', ['b0', 'b1', 'b2']);
    const c = version('docs/c.txt', 'C', ['c0']);
    await store.write([...a, ...b, ...c]);
    gcs.put('state', 'manifest.json', '{}');
    // a gone whole, split over two batches; b re-chunked into two, so only b-2 is deleted; c gone already.
    await store.deleteGroupsOf([a[2].id, b[2].id]);
    await store.deleteGroupsOf([a[0].id, a[1].id, c[0].id, 'not-a-chunk-id']);
    await store.deleteGroupsOf([c[0].id]);
    expect([...gcs.buckets.get('state')!.keys()].sort()).toEqual([chunkTextObject(b[0].id).object, 'manifest.json'].sort());
  });
});

describe("docs/gcp/vector-store.md: the application's reader", () => {
  let gcs: GcsFake;
  beforeEach(async () => {
    gcs = await GcsFake.start();
    gcs.bucket('state');
  });
  afterEach(() => gcs.close());

  test("reads each Match id's text from what the job writes, one read per document, undefined for an id whose object is gone", async () => {
    const markdown = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'gcp', 'vector-store.md'), 'utf8');
    const blocks = [...markdown.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toContain('https://storage.googleapis.com/storage/v1/b/');
    const source = blocks[0].replace('https://storage.googleapis.com', gcs.baseUrl);
    const chunkTexts = new Function(`${source}\nreturn chunkTexts;`)() as (bucket: string, ids: string[], token: string) => Promise<Array<string | undefined>>;

    const a = version('docs/a.txt', 'A', ['a0', 'a1', 'a2']);
    const b = version('docs/b.txt', 'B', ['b0', 'b1']);
    const gone = version('docs/gone.txt', 'G', ['g0']);
    await new ChunkTextStore(new GcsClient({ baseUrl: gcs.baseUrl, accessToken: async () => 't', retry: noWait }), 'state').write([...a, ...b]);
    gcs.requests.length = 0;

    expect(await chunkTexts('state', [a[2].id, b[0].id, a[0].id, gone[0].id, b[1].id], 'ya29.app')).toEqual(['a2', 'b0', 'a0', undefined, 'b1']);
    const reads = gcs.requests.filter((r) => r.method === 'GET');
    expect(reads).toHaveLength(3);
    for (const r of reads) expect(r.authorization).toBe('Bearer ya29.app');

    gcs.fail(() => true, 403, 1);
    await expect(chunkTexts('state', [a[0].id], 'ya29.app')).rejects.toThrow(/HTTP 403/);
  });
});
