import { createHash } from 'node:crypto';
import { INGEST_ENV } from '../../../lib/ingest/deploy-env';
import { chunkTextObject, decodeChunkTexts } from '../../../lib/ingest/gcp/chunk-texts';
import { main } from '../../../lib/ingest/gcp/entry';
import { documentChunker } from '../../../lib/ingest/handlers/deployment';
import { decodeManifest, type Manifest } from '../../../lib/ingest/manifest';
import { chunkId, groupChunkIds } from '../../../lib/ingest/run';
import { startMetadataFake, type MetadataFake } from '../../router/stores/support/firestore-fake';
import { fakeVector, scriptedServer, type Recorded, type Reply } from '../embed-server';
import { GcsFake } from './gcs-fake';
import { googleError, VectorSearchFake } from './vector-search-fake';

const INDEX = 'projects/acme-rag/locations/us-central1/indexes/4242';
const CHUNKING = { strategy: 'fixed' as const, maxTokens: 24, overlapPercent: 0 };
const RUN_AT = '2026-12-01T03:00:00.000Z';
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const noWait = { sleep: async () => undefined, random: () => 0, maxAttempts: 2 };

/** A document of three short paragraphs: a few chunks at 24 tokens each. */
const docText = (i: number, variant = '') =>
  `Document ${i}${variant} opens with a sentence about the refund policy.\n\nIts second paragraph covers shipping times for order ${i}.\n\nThe last one names the support address for region ${i % 7}.`;

describe('the Cloud Run job (main) against Cloud Storage, Vertex AI embeddings and Vector Search', () => {
  let gcs: GcsFake;
  let index: VectorSearchFake;
  let vertex: Awaited<ReturnType<typeof scriptedServer>>;
  let metadata: MetadataFake;
  /** Texts embedded, in order; predict calls answered; after how many predict calls they fail for good. */
  let embedded: string[];
  let predicts: number;
  let failAfter: number | undefined;
  let events: Array<Record<string, any>>;
  let env: NodeJS.ProcessEnv;
  const chunker = documentChunker(CHUNKING, 2048);

  const predict = (r: Recorded): Reply => {
    if (failAfter !== undefined && predicts >= failAfter) return googleError(500, 'Internal error encountered.');
    predicts++;
    const texts: string[] = r.body.instances.map((i: { content: string }) => i.content);
    embedded.push(...texts);
    return { status: 200, body: JSON.stringify({ predictions: texts.map((t) => ({ embeddings: { values: fakeVector(t), statistics: { token_count: 10, truncated: false } } })) }) };
  };

  beforeEach(async () => {
    gcs = await GcsFake.start();
    gcs.pageSize = 30;
    gcs.bucket('acme-state');
    for (let i = 0; i < 100; i++) gcs.put('acme-docs', `docs/${String(i).padStart(3, '0')}.txt`, docText(i));
    index = new VectorSearchFake(INDEX, 3);
    // One server for the regional Vertex AI endpoint: the embedding model's :predict and the index's methods.
    vertex = await scriptedServer([], (r) => (index.owns(r) ? index.handle(r) : r.url.endsWith(':predict') ? predict(r) : googleError(404, 'not found')));
    metadata = await startMetadataFake();
    embedded = [];
    predicts = 0;
    failAfter = undefined;
    events = [];
    env = {
      [INGEST_ENV.name]: 'handbook',
      [INGEST_ENV.chunking]: JSON.stringify(CHUNKING),
      [INGEST_ENV.embeddingModel]: 'text-embedding-005',
      [INGEST_ENV.dimensions]: '3',
      [INGEST_ENV.distance]: 'cosine',
      [INGEST_ENV.costPerMillionTokensUsd]: '0.025',
      [INGEST_ENV.project]: 'acme-rag',
      [INGEST_ENV.location]: 'us-central1',
      [INGEST_ENV.sourceBucket]: 'acme-docs',
      [INGEST_ENV.stateBucket]: 'acme-state',
      [INGEST_ENV.vectorIndex]: INDEX,
      [INGEST_ENV.apiBases]: JSON.stringify({ storage: gcs.baseUrl, vertex: vertex.baseUrl, metadata: `http://${metadata.host}` }),
    };
  });
  afterEach(async () => {
    await Promise.all([gcs.close(), vertex.close(), metadata.stop()]);
  });

  const run = (mode = 'run', now = RUN_AT) => main([mode], env, (line) => events.push(JSON.parse(line)), { now: () => new Date(now), embeddingRequestsPerMinute: 600_000, retry: noWait });
  const source = () => gcs.buckets.get('acme-docs')!;
  const manifest = (): Manifest => decodeManifest(gcs.buckets.get('acme-state')!.get('manifest.json')!.bytes.toString('utf8'));
  const state = () => gcs.buckets.get('acme-state')!;
  /** The chunk text objects in the state bucket, by name. */
  const chunkObjects = () => [...state().keys()].filter((k) => k.startsWith('chunks/')).sort();
  /** A chunk's text as the application reads it: its object, then `chunks[index]`. */
  function textOf(id: string): string | undefined {
    const { object, index } = chunkTextObject(id);
    const stored = state().get(object);
    return stored && decodeChunkTexts(stored.bytes.toString('utf8')).chunks[index];
  }
  /** The objects of a manifest's live versions, one a document. */
  const liveObjects = (m: Manifest) => [...new Set(Object.values(m.documents).flatMap((e) => groupChunkIds(e).map((c) => chunkTextObject(c).object)))].sort();

  /** Chunk ids and texts of the current content of a document, as the run must index them. */
  async function expectedChunks(id: string): Promise<Array<{ id: string; text: string }>> {
    const bytes = source().get(id)!.bytes;
    const texts = await chunker({ id, bytes, contentType: 'text/plain' });
    return texts.map((text, i) => ({ id: chunkId(id, sha(bytes), i), text }));
  }
  async function expectedIndex(): Promise<Map<string, string>> {
    const all = new Map<string, string>();
    for (const id of source().keys()) for (const c of await expectedChunks(id)) all.set(c.id, c.text);
    return all;
  }

  /** Every entry's chunks are in the index, and every indexed datapoint is an entry's or pending deletion. */
  function expectConsistent(m: Manifest): void {
    const referenced = new Set<string>();
    for (const [id, e] of Object.entries(m.documents)) {
      for (const c of groupChunkIds(e)) {
        expect(index.datapoints.get(c)?.embeddingMetadata?.documentId).toBe(id);
        referenced.add(c);
      }
    }
    const pending = new Set(m.pendingDeletes.flatMap((g) => groupChunkIds(g)));
    expect([...index.datapoints.keys()].filter((c) => !referenced.has(c) && !pending.has(c))).toEqual([]);
  }

  test('(a) a first run over 100 documents embeds every chunk and the index holds exactly them', async () => {
    expect(await run()).toBe(0);
    const expected = await expectedIndex();
    expect(expected.size).toBeGreaterThan(200); // several chunks a document, so batching and ids are exercised
    expect([...index.datapoints.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, text] of expected) {
      const d = index.datapoints.get(id)!;
      expect(d.featureVector).toEqual(fakeVector(text));
      expect(d.embeddingMetadata?.text).toBe(text);
      expect(d.restricts).toEqual([{ namespace: 'document', allowList: [d.embeddingMetadata!.documentId] }]);
    }
    expect(embedded.sort()).toEqual([...expected.values()].sort());

    // The texts the private endpoint's Match does not return: each indexed id reads its own from the
    // state bucket, one object a document, and no other object is there.
    for (const [id, text] of expected) expect(textOf(id)).toBe(text);
    expect(chunkObjects()).toHaveLength(100);
    expect([...state().keys()].sort()).toEqual([...chunkObjects(), 'manifest.json'].sort());
    const five = state().get(chunkTextObject(chunkId('docs/005.txt', sha(docText(5)), 0)).object)!;
    expect(five.contentType).toBe('application/json');
    expect(JSON.parse(five.bytes.toString('utf8'))).toEqual({ documentId: 'docs/005.txt', chunks: (await expectedChunks('docs/005.txt')).map((c) => c.text) });

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: 'ai-stack.ingest.run', outcome: 'succeeded', name: 'handbook', documentsSeen: 100, documentsChanged: 100, documentsRemoved: 0, chunksEmbedded: expected.size, lastSuccessAt: RUN_AT });
    expect(events[0].embeddingTokens).toBe(10 * expected.size);
    expect(events[0].costUsd).toBeCloseTo((10 * expected.size * 0.025) / 1e6, 12);
    const m = manifest();
    expect(Object.keys(m.documents)).toHaveLength(100);
    expect(m.pendingDeletes).toEqual([]);
    expect(m.documents['docs/005.txt'].fingerprint).toBe(`md5:${createHash('md5').update(docText(5)).digest('base64')}`);

    // The wire: the model's :predict with the index's dimensions, the metadata server's token everywhere.
    const predictCall = vertex.requests.find((r) => r.url.endsWith(':predict'))!;
    expect(predictCall.url).toBe('/v1/projects/acme-rag/locations/us-central1/publishers/google/models/text-embedding-005:predict');
    expect(predictCall.body.parameters).toEqual({ outputDimensionality: 3 });
    expect(metadata.tokens()).toHaveLength(1);
    const token = `Bearer ${metadata.tokens()[0]}`;
    expect(new Set([...vertex.requests.map((r) => r.headers.authorization), ...gcs.requests.map((r) => r.authorization)])).toEqual(new Set([token]));
    expect(gcs.requests.filter((r) => r.path === '/storage/v1/b/acme-docs/o')).toHaveLength(4); // 100 objects, pages of 30
  });

  test('(b) after changing 1 document and deleting another, the next run embeds only the changed one and removes both old chunk sets', async () => {
    expect(await run()).toBe(0);
    const before = manifest();
    const changedOld = groupChunkIds(before.documents['docs/007.txt']);
    const removedOld = groupChunkIds(before.documents['docs/042.txt']);
    gcs.put('acme-docs', 'docs/007.txt', docText(7, ' (revised)'));
    gcs.remove('acme-docs', 'docs/042.txt');
    embedded = [];
    index.calls.length = 0;

    expect(await run()).toBe(0);
    const changed = await expectedChunks('docs/007.txt');
    expect(embedded).toEqual(changed.map((c) => c.text));
    const removed = index.calls.filter((c) => c.url.endsWith(':removeDatapoints')).flatMap((c) => c.body.datapointIds);
    expect(removed.sort()).toEqual([...changedOld, ...removedOld].sort());
    const expected = await expectedIndex();
    expect([...index.datapoints.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(events[1]).toMatchObject({ outcome: 'succeeded', documentsSeen: 99, documentsChanged: 1, documentsRemoved: 1, chunksEmbedded: changed.length });
    expect(manifest().documents['docs/042.txt']).toBeUndefined();

    // The old versions' text objects are gone, the new version's is there and reads right.
    const objectOf = (ids: readonly string[]) => chunkTextObject(ids[0]).object;
    expect(state().has(objectOf(changedOld))).toBe(false);
    expect(state().has(objectOf(removedOld))).toBe(false);
    expect(state().has(objectOf(changed.map((c) => c.id)))).toBe(true);
    for (const c of changed) expect(textOf(c.id)).toBe(c.text);
    expect(chunkObjects()).toEqual(liveObjects(manifest()));
    expect(chunkObjects()).toHaveLength(99);
    const deletes = gcs.requests.filter((r) => r.method === 'DELETE').map((r) => decodeURIComponent(r.path.split('/o/')[1]));
    expect(deletes.sort()).toEqual([objectOf(changedOld), objectOf(removedOld)].sort());
  });

  test('a crash after a text object was written but before its datapoints are in leaves no orphan object once a later run finishes', async () => {
    expect(await run()).toBe(0);
    const v1 = groupChunkIds(manifest().documents['docs/007.txt']);
    gcs.put('acme-docs', 'docs/007.txt', docText(7, ' v2'));
    const v2 = await expectedChunks('docs/007.txt');
    // Both attempts of the one upsert the run makes (noWait: 2 attempts) fail for good.
    index.failNext(500, 500);
    expect(await run('run', '2026-12-01T04:00:00.000Z')).toBe(1);
    expect(events[1]).toMatchObject({ outcome: 'failed' });
    expect(events[1].error).toMatch(/upsert batch 1\/1 \(docs\/007\.txt\).*HTTP 500/);
    // The crash is between the two steps: v2's object is written, its datapoints are not.
    const v2Object = chunkTextObject(v2[0].id).object;
    expect(state().has(v2Object)).toBe(true);
    expect(v2.filter((c) => index.datapoints.has(c.id))).toEqual([]);
    expect(manifest().pendingDeletes.flatMap((g) => groupChunkIds(g))).toEqual(expect.arrayContaining(v2.map((c) => c.id)));

    // Before the next run the document changes again: v2 is never upserted, and must not stay behind.
    gcs.put('acme-docs', 'docs/007.txt', docText(7, ' v3'));
    expect(await run('run', '2026-12-01T05:00:00.000Z')).toBe(0);
    const v3 = await expectedChunks('docs/007.txt');
    expect(state().has(v2Object)).toBe(false);
    expect(state().has(chunkTextObject(v1[0]).object)).toBe(false);
    for (const c of v3) expect(textOf(c.id)).toBe(c.text);
    const end = manifest();
    expect(end.pendingDeletes).toEqual([]);
    expect(chunkObjects()).toEqual(liveObjects(end));
    expectConsistent(end);
  });

  test('the same bytes chunked again into fewer chunks keep their text object: only the tail ids are deleted', async () => {
    expect(await run()).toBe(0);
    const before = groupChunkIds(manifest().documents['docs/003.txt']);
    // Wider chunks, and the same bytes rewritten as a composite object (its token changes from MD5 to
    // CRC32C): the document is embedded again, under the same stem, into fewer chunks.
    env[INGEST_ENV.chunking] = JSON.stringify({ ...CHUNKING, maxTokens: 64 });
    gcs.put('acme-docs', 'docs/003.txt', docText(3), { composite: true });
    expect(await run('run', '2026-12-01T04:00:00.000Z')).toBe(0);
    expect(events[1]).toMatchObject({ outcome: 'succeeded', documentsChanged: 1 });
    const after = groupChunkIds(manifest().documents['docs/003.txt']);
    expect(after.length).toBeGreaterThan(0);
    expect(after.length).toBeLessThan(before.length);
    expect(after).toEqual(before.slice(0, after.length));
    const texts = await documentChunker({ ...CHUNKING, maxTokens: 64 }, 2048)({ id: 'docs/003.txt', bytes: Buffer.from(docText(3)), contentType: 'text/plain' });
    after.forEach((id, i) => expect(textOf(id)).toBe(texts[i]));
    expect(JSON.parse(state().get(chunkTextObject(after[0]).object)!.bytes.toString('utf8')).chunks).toHaveLength(after.length);
    expect(chunkObjects()).toEqual(liveObjects(manifest()));
  });

  test('(c) an embedding failure mid-run exits 1 with the failed-run event, leaves the manifest consistent, and the next run finishes without redoing work', async () => {
    expect(await run()).toBe(0);
    const before = manifest();
    const changed = Array.from({ length: 10 }, (_, i) => `docs/${String(i).padStart(3, '0')}.txt`);
    for (const [i, id] of changed.entries()) gcs.put('acme-docs', id, docText(i, ' v2'));
    embedded = [];
    // One :predict a document (its few chunks fit one request): documents 0-3 go through, 4 fails for good.
    failAfter = predicts + 4;

    expect(await run('run', '2026-12-01T04:00:00.000Z')).toBe(1);
    const failed = events[1];
    expect(failed).toMatchObject({ event: 'ai-stack.ingest.run', severity: 'ERROR', outcome: 'failed', name: 'handbook', startedAt: '2026-12-01T04:00:00.000Z' });
    expect(failed.error).toMatch(/docs\/004\.txt batch 1\/1.*failed after 2 attempts \(HTTP 500\)/);

    const mid = manifest();
    const done = changed.filter((id) => mid.documents[id].sha256 === sha(source().get(id)!.bytes));
    expect(done).toEqual(changed.slice(0, 4));
    // The unfinished ones still point at their old chunks, which are still served.
    for (const id of changed.slice(4)) expect(mid.documents[id]).toEqual(before.documents[id]);
    expect(mid.lastRun).toEqual(before.lastRun);
    expectConsistent(mid);

    failAfter = undefined;
    embedded = [];
    expect(await run('run', '2026-12-01T05:00:00.000Z')).toBe(0);
    const redone = (await Promise.all(changed.slice(4).map(expectedChunks))).flat();
    expect(embedded.sort()).toEqual(redone.map((c) => c.text).sort());
    expect(events[2]).toMatchObject({ outcome: 'succeeded', documentsChanged: 6, lastSuccessAt: '2026-12-01T05:00:00.000Z' });
    const expected = await expectedIndex();
    expect([...index.datapoints.keys()].sort()).toEqual([...expected.keys()].sort());
    const end = manifest();
    expect(end.pendingDeletes).toEqual([]);
    expectConsistent(end);
  });

  test('(d) the probe writes the freshness event with the index age', async () => {
    expect(await run('probe', RUN_AT)).toBe(0);
    expect(events[0]).toEqual({ event: 'ai-stack.ingest.freshness', severity: 'INFO', name: 'handbook' });
    expect(await run()).toBe(0);
    events = [];
    expect(await run('probe', '2026-12-01T04:30:00.000Z')).toBe(0);
    expect(events).toEqual([{ event: 'ai-stack.ingest.freshness', severity: 'INFO', name: 'handbook', lastSuccessAt: RUN_AT, ageSeconds: 5400 }]);
  });

  test('a missing variable fails the run with an event naming it; a wrong argument exits 2', async () => {
    delete env[INGEST_ENV.vectorIndex];
    expect(await run()).toBe(1);
    expect(events[0]).toMatchObject({ outcome: 'failed', name: 'handbook' });
    expect(events[0].error).toContain(`IngestConfigError: ${INGEST_ENV.vectorIndex} is not set`);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['ingest'], env, () => undefined)).toBe(2);
      expect(String(stderr.mock.calls[0][0])).toContain('usage: node index.js run|probe');
    } finally {
      stderr.mockRestore();
    }
    expect(gcs.requests).toEqual([]);
  });
});
