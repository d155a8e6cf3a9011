import { createHash } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { FRESHNESS_SCHEDULE, INGEST_SCHEDULE, probeOnce, readAzureConfig, register, runOnce } from '../../../lib/ingest/azure/entry';
import { BlobManifestStore } from '../../../lib/ingest/azure/blob';
import { documentChunker } from '../../../lib/ingest/handlers/deployment';
import type { Manifest } from '../../../lib/ingest/manifest';
import { chunkId, groupChunkIds } from '../../../lib/ingest/run';
import { fakeVector, scriptedServer, type Recorded } from '../embed-server';
import { AZURITE_ACCOUNT, AZURITE_KEY, azuriteService, startAzuriteBlob, type AzuriteBlob } from './azurite-blob';
import { FakeSearch } from './fake-search';

const CHUNKING = { strategy: 'fixed' as const, maxTokens: 40, overlapPercent: 10 };
const chunker = documentChunker(CHUNKING, 8191);
const sha = (b: string) => createHash('sha256').update(b).digest('hex');
const NOW = new Date('2026-12-01T03:00:00Z');

let az: AzuriteBlob;
let blobs: BlobServiceClient;
let search: FakeSearch;
let embed: Awaited<ReturnType<typeof scriptedServer>>;
/** Embedding requests answered before the server fails each further one for good (400); undefined: never. */
let failAfterRequests: number | undefined;
let embedRequests = 0;
let embedded: string[] = [];
let stores = 0;

function embeddingReply(r: Recorded) {
  if (!r.url.startsWith('/openai/deployments/text-embedding-3-small/embeddings?api-version=')) return { status: 404, body: '{"error":{"code":"DeploymentNotFound","message":"no such deployment"}}' };
  if (r.headers.authorization !== 'Bearer test-token' || r.body.dimensions !== 3) return { status: 400, body: '{"error":{"code":"BadRequest","message":"expected a bearer token and dimensions 3"}}' };
  if (failAfterRequests !== undefined && embedRequests >= failAfterRequests) return { status: 400, body: '{"error":{"code":"BadRequest","message":"boom"}}' };
  embedRequests++;
  const input = r.body.input as string[];
  embedded.push(...input);
  return { status: 200, body: JSON.stringify({ data: input.map((t, index) => ({ index, embedding: fakeVector(t) })), usage: { prompt_tokens: input.length * 7, total_tokens: input.length * 7 } }) };
}

beforeAll(async () => {
  az = await startAzuriteBlob();
  blobs = azuriteService(az.endpoint);
  embed = await scriptedServer([], embeddingReply);
}, 30_000);
afterAll(async () => {
  await embed.close();
  await az.stop();
});
beforeEach(async () => {
  search = await new FakeSearch().start();
  failAfterRequests = undefined;
  embedRequests = 0;
  embedded = [];
});
afterEach(() => search.close());

const docText = (i: number, version = 1) =>
  [`Document ${i} version ${version} begins with a paragraph about topic ${i}, long enough to need more than one chunk.`, `A second paragraph of document ${i} adds detail on subtopic ${i * 7} and a few more words.`, `The last paragraph of document ${i} ends it.`].join('\n\n');

/** A source container of `n` documents and an empty state container, and the env pointing at them. */
async function world(n = 100) {
  const id = ++stores;
  const source = blobs.getContainerClient(`source${id}`);
  const state = blobs.getContainerClient(`state${id}`);
  await source.create();
  await state.create();
  const texts = new Map<string, string>();
  for (let i = 0; i < n; i++) texts.set(`docs/${String(i).padStart(3, '0')}.txt`, docText(i));
  await Promise.all([...texts].map(([name, text]) => source.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'text/plain' } })));
  const env: NodeJS.ProcessEnv = {
    AI_STACK_INGEST_NAME: 'kb',
    AI_STACK_INGEST_CHUNKING: JSON.stringify(CHUNKING),
    AI_STACK_INGEST_EMBEDDING_MODEL: 'text-embedding-3-small',
    AI_STACK_INGEST_DIMENSIONS: '3',
    AI_STACK_INGEST_DISTANCE: 'cosine',
    AI_STACK_INGEST_COST_PER_MTOK_USD: '0.02',
    AI_STACK_INGEST_SOURCE_CONTAINER: source.containerName,
    AI_STACK_INGEST_STATE_CONTAINER: state.containerName,
    AI_STACK_INGEST_API_BASES: JSON.stringify({ blob: az.endpoint, search: search.baseUrl, openai: embed.baseUrl, storageAccount: AZURITE_ACCOUNT, storageKey: AZURITE_KEY, token: 'test-token' }),
  };
  return { source, state, texts, env };
}

async function write(source: ContainerClient, texts: Map<string, string>, name: string, text: string) {
  texts.set(name, text);
  await source.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), { blobHTTPHeaders: { blobContentType: 'text/plain' } });
}

/** The chunks the source's current documents should put in the index, computed apart from the run. */
async function expectedChunks(texts: Map<string, string>): Promise<Map<string, { documentId: string; index: number; text: string }>> {
  const out = new Map<string, { documentId: string; index: number; text: string }>();
  for (const [id, text] of texts) {
    const chunks = await chunker({ id, bytes: Buffer.from(text), contentType: 'text/plain' });
    chunks.forEach((c, i) => out.set(chunkId(id, sha(text), i), { documentId: id, index: i, text: c }));
  }
  return out;
}

async function manifestOf(state: ContainerClient): Promise<Manifest> {
  return (await new BlobManifestStore(state).read())!.manifest;
}

const events = (lines: string[]) => lines.map((l) => JSON.parse(l));

/** Every entry's chunks are in the index; every indexed chunk is referenced or pending deletion. */
function expectConsistent(manifest: Manifest) {
  const docs = search.indexes.get('kb')!.docs;
  const referenced = new Set<string>();
  for (const [id, e] of Object.entries(manifest.documents)) {
    for (const c of groupChunkIds(e)) {
      expect(docs.get(c)?.documentId).toBe(id);
      referenced.add(c);
    }
  }
  const pending = new Set(manifest.pendingDeletes.flatMap((g) => groupChunkIds(g)));
  expect([...docs.keys()].filter((c) => !referenced.has(c) && !pending.has(c))).toEqual([]);
}

test('(a) a first run over 100 documents creates the index and indexes every chunk; (b) a second run after changing 1 and deleting 1 embeds only the changed one and deletes both old chunk sets', async () => {
  const { source, state, texts, env } = await world(100);
  const first = await expectedChunks(texts);
  expect(first.size).toBeGreaterThan(200); // several chunks a document: the test is not one chunk each
  const lines: string[] = [];

  const record = await runOnce(env, (l) => lines.push(l), { now: () => NOW });

  const docs = search.indexes.get('kb')!.docs;
  expect(new Set(docs.keys())).toEqual(new Set(first.keys()));
  for (const [id, want] of first) expect(docs.get(id)).toEqual({ id, documentId: want.documentId, chunkIndex: want.index, content: want.text, contentVector: fakeVector(want.text) });
  expect(embedded).toHaveLength(first.size);
  expect(record).toMatchObject({ documentsSeen: 100, documentsChanged: 100, documentsRemoved: 0, chunksEmbedded: first.size, embeddingTokens: first.size * 7 });
  expect(events(lines)).toEqual([expect.objectContaining({ event: 'ai-stack.ingest.run', outcome: 'succeeded', name: 'kb', chunksEmbedded: first.size })]);
  const m1 = await manifestOf(state);
  expect(Object.keys(m1.documents)).toHaveLength(100);
  expect(m1.pendingDeletes).toEqual([]);

  // (b)
  const changed = 'docs/005.txt';
  const removed = 'docs/007.txt';
  await write(source, texts, changed, docText(5, 2));
  await source.deleteBlob(removed);
  texts.delete(removed);
  const oldChanged = groupChunkIds(m1.documents[changed]);
  const oldRemoved = groupChunkIds(m1.documents[removed]);
  const second = await expectedChunks(texts);
  const changedChunks = [...second.values()].filter((c) => c.documentId === changed).map((c) => c.text);
  embedded = [];
  search.requests.length = 0;

  const record2 = await runOnce(env, (l) => lines.push(l), { now: () => NOW });

  expect(embedded).toEqual(changedChunks);
  expect(record2).toMatchObject({ documentsSeen: 99, documentsChanged: 1, documentsRemoved: 1, chunksEmbedded: changedChunks.length });
  expect(new Set(docs.keys())).toEqual(new Set(second.keys()));
  const deleted = search.docRequests().flatMap((r) => r.body.value.filter((a: any) => a['@search.action'] === 'delete').map((a: any) => a.id));
  expect(new Set(deleted)).toEqual(new Set([...oldChanged, ...oldRemoved]));
  // The index was up to date: one GET, no PUT.
  expect(search.requests.filter((r) => r.path === '/indexes/kb').map((r) => r.method)).toEqual(['GET']);
  expectConsistent(await manifestOf(state));
}, 60_000);

test('(c) an embedding failure mid-run throws after writing the failed-run event; the manifest stays consistent and the next run finishes without re-embedding what was done', async () => {
  const { state, texts, env } = await world(100);
  const all = await expectedChunks(texts);
  failAfterRequests = 30; // one request a document (each has fewer than 2048 chunks): 30 documents get in
  const lines: string[] = [];

  await expect(runOnce(env, (l) => lines.push(l), { now: () => NOW })).rejects.toThrow(/embedding|azure-openai/);

  const failed = events(lines);
  expect(failed).toEqual([expect.objectContaining({ event: 'ai-stack.ingest.run', outcome: 'failed', severity: 'ERROR', name: 'kb' })]);
  expect(failed[0].error).toMatch(/HTTP 400.*boom/);
  const m1 = await manifestOf(state);
  expect(Object.keys(m1.documents)).toHaveLength(30);
  expect(m1.lastRun).toBeUndefined();
  expectConsistent(m1);

  failAfterRequests = undefined;
  const doneBefore = new Set(Object.values(m1.documents).flatMap((d) => groupChunkIds(d)));
  const rest = [...all].filter(([id]) => !doneBefore.has(id)).map(([, c]) => c.text);
  embedded = [];

  const record = await runOnce(env, (l) => lines.push(l), { now: () => NOW });

  expect(record).toMatchObject({ documentsChanged: 70, chunksEmbedded: rest.length });
  expect(embedded.sort()).toEqual(rest.sort());
  expect(new Set(search.indexes.get('kb')!.docs.keys())).toEqual(new Set(all.keys()));
  const m2 = await manifestOf(state);
  expect(m2.pendingDeletes).toEqual([]);
  expectConsistent(m2);
}, 60_000);

test('an index deleted by hand is recreated and refilled: the manifest of the old one is not trusted', async () => {
  const { texts, env } = await world(10);
  await runOnce(env, () => undefined, { now: () => NOW });
  search.indexes.delete('kb');
  embedded = [];

  const record = await runOnce(env, () => undefined, { now: () => NOW });

  const all = await expectedChunks(texts);
  expect(record.documentsChanged).toBe(10);
  expect(new Set(search.indexes.get('kb')!.docs.keys())).toEqual(new Set(all.keys()));
}, 60_000);

test('(d) probeOnce writes the freshness event with the age of the last successful run', async () => {
  const { env } = await world(3);
  const lines: string[] = [];
  await probeOnce(env, (l) => lines.push(l), { now: () => NOW });
  expect(events(lines)).toEqual([{ event: 'ai-stack.ingest.freshness', severity: 'INFO', name: 'kb' }]);

  await runOnce(env, () => undefined, { now: () => NOW });
  await probeOnce(env, (l) => lines.push(l), { now: () => new Date(NOW.getTime() + 1800_000) });
  expect(events(lines)[1]).toEqual({ event: 'ai-stack.ingest.freshness', severity: 'INFO', name: 'kb', lastSuccessAt: NOW.toISOString(), ageSeconds: 1800 });
}, 60_000);

test('an incompatible index fails the run before anything is embedded, with the failed-run event', async () => {
  const { env } = await world(3);
  await runOnce(env, () => undefined, { now: () => NOW });
  embedded = [];
  const lines: string[] = [];
  await expect(runOnce({ ...env, AI_STACK_INGEST_DIMENSIONS: '4' }, (l) => lines.push(l))).rejects.toThrow(/contentVector has 3 dimensions, the embedding model gives 4/);
  expect(events(lines)[0]).toMatchObject({ outcome: 'failed', error: expect.stringContaining('IndexSchemaError') });
  expect(embedded).toEqual([]);
}, 60_000);

describe('configuration', () => {
  const base: NodeJS.ProcessEnv = {
    AI_STACK_INGEST_NAME: 'kb',
    AI_STACK_INGEST_CHUNKING: JSON.stringify(CHUNKING),
    AI_STACK_INGEST_EMBEDDING_MODEL: 'text-embedding-3-small',
    AI_STACK_INGEST_DIMENSIONS: '1536',
    AI_STACK_INGEST_DISTANCE: 'cosine',
    AI_STACK_INGEST_BLOB_ENDPOINT: 'https://acct.blob.core.windows.net/',
    AI_STACK_INGEST_SOURCE_CONTAINER: 'source',
    AI_STACK_INGEST_STATE_CONTAINER: 'state',
    AI_STACK_INGEST_SEARCH_ENDPOINT: 'https://svc.search.windows.net',
    AI_STACK_INGEST_OPENAI_ENDPOINT: 'https://oai.openai.azure.com',
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000001',
  };

  test('reads the deployment variables the construct sets', () => {
    expect(readAzureConfig(base)).toMatchObject({
      blobEndpoint: 'https://acct.blob.core.windows.net',
      sourceContainer: 'source',
      stateContainer: 'state',
      searchEndpoint: 'https://svc.search.windows.net',
      openAiEndpoint: 'https://oai.openai.azure.com',
      clientId: '00000000-0000-0000-0000-000000000001',
      deployment: { name: 'kb', dimensions: 1536, distance: 'cosine' },
    });
    expect(readAzureConfig(base).testCredentials).toBeUndefined();
  });

  test.each([
    ['AZURE_CLIENT_ID', undefined, /AZURE_CLIENT_ID is not set: it must hold the client id of the function's user-assigned identity/],
    ['AI_STACK_INGEST_SEARCH_ENDPOINT', undefined, /AI_STACK_INGEST_SEARCH_ENDPOINT is not set/],
    ['AI_STACK_INGEST_BLOB_ENDPOINT', 'http://acct.blob.core.windows.net', /AI_STACK_INGEST_BLOB_ENDPOINT must be an https:\/\/ URL/],
    ['AI_STACK_INGEST_STATE_CONTAINER', 'source', /must name two containers \(both are 'source'\)/],
  ])('%s = %s is refused, naming the variable', (variable, value, message) => {
    const env = { ...base, [variable]: value };
    if (value === undefined) delete env[variable];
    expect(() => readAzureConfig(env)).toThrow(message);
  });

  test('a configuration error still writes the failed-run event', async () => {
    const lines: string[] = [];
    const env = { ...base };
    delete env.AZURE_CLIENT_ID;
    await expect(runOnce(env, (l) => lines.push(l))).rejects.toThrow(/AZURE_CLIENT_ID/);
    expect(events(lines)[0]).toMatchObject({ event: 'ai-stack.ingest.run', outcome: 'failed', name: 'kb' });
  });
});

describe('function registration', () => {
  test('registers the ingest timer on the app setting schedule and the hourly freshness timer', () => {
    const timers: Array<{ name: string; schedule: string; runOnStartup?: boolean }> = [];
    register({ timer: (name, o) => void timers.push({ name, schedule: o.schedule, runOnStartup: o.runOnStartup }) });
    expect(timers).toEqual([
      { name: 'ingest', schedule: '%AI_STACK_INGEST_SCHEDULE%', runOnStartup: false },
      { name: 'freshness', schedule: '0 0 * * * *', runOnStartup: false },
    ]);
    expect([INGEST_SCHEDULE, FRESHNESS_SCHEDULE]).toEqual(['%AI_STACK_INGEST_SCHEDULE%', '0 0 * * * *']);
  });

  test('importing the entry outside the Functions worker registers nothing; inside it, both timers', () => {
    const outside = jest.fn();
    jest.isolateModules(() => {
      jest.doMock('@azure/functions', () => ({ app: { timer: outside } }));
      require('../../../lib/ingest/azure/entry');
    });
    expect(outside).not.toHaveBeenCalled();

    const inside = jest.fn();
    jest.isolateModules(() => {
      jest.doMock('@azure/functions-core', () => ({}), { virtual: true });
      jest.doMock('@azure/functions', () => ({ app: { timer: inside } }));
      require('../../../lib/ingest/azure/entry');
    });
    expect(inside.mock.calls.map((c) => [c[0], c[1].schedule])).toEqual([
      ['ingest', '%AI_STACK_INGEST_SCHEDULE%'],
      ['freshness', '0 0 * * * *'],
    ]);
  });
});
