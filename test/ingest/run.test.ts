import { createHash } from 'node:crypto';
import { embedAll } from '../../lib/ingest/embed/embed-all';
import type { BatchEmbedder } from '../../lib/ingest/embed/types';
import { InMemoryManifestStore, type Manifest } from '../../lib/ingest/manifest';
import { UnsupportedContentError } from '../../lib/ingest/extract';
import { chunkId, groupChunkIds, runIngestion, type IndexedChunk, type IngestSeams } from '../../lib/ingest/run';
import { ProviderError } from '../../lib/router/providers/types';

const sha = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

/** An in-memory source bucket, vector index and embedder, with counters. */
class World {
  readonly source = new Map<string, string>();
  readonly index = new Map<string, IndexedChunk>();
  readonly manifest = new InMemoryManifestStore();
  embedded: string[] = [];
  deleted: string[] = [];
  /** Embedding calls (batches) before the next one fails for good; undefined: never. */
  failAfterBatches: number | undefined;
  batches = 0;
  maxOpenDocuments = 0;
  private open = 0;

  constructor(n = 100) {
    for (let i = 0; i < n; i++) this.source.set(`docs/${String(i).padStart(3, '0')}.txt`, `Doc ${i} part one.\n\nDoc ${i} part two.\n\nDoc ${i} part three.`);
  }

  embedder(): BatchEmbedder {
    return {
      where: 'fake',
      maxBatchTexts: 2,
      maxBatchTokens: 10_000,
      embedBatch: async (texts) => {
        if (this.failAfterBatches !== undefined && this.batches >= this.failAfterBatches) throw new ProviderError('bad_request', 'fake: HTTP 400: boom', 400);
        this.batches++;
        this.embedded.push(...texts);
        return { vectors: texts.map((t) => [t.length]), tokens: texts.length * 5 };
      },
    };
  }

  seams(): IngestSeams {
    const embedder = this.embedder();
    return {
      listDocuments: async () => [...this.source].map(([id, text]) => ({ id, fingerprint: `sha256:${sha(text)}` })),
      readDocument: async (id) => {
        this.open++;
        this.maxOpenDocuments = Math.max(this.maxOpenDocuments, this.open);
        const text = this.source.get(id)!;
        return { bytes: new TextEncoder().encode(text), fingerprint: `sha256:${sha(text)}` };
      },
      // The trivial chunker of these tests: paragraphs split on blank lines; `%PDF-locked` is unreadable.
      chunk: ({ bytes }) => {
        this.open--;
        const text = new TextDecoder().decode(bytes);
        if (text.startsWith('%PDF-locked')) throw new UnsupportedContentError('unreadable PDF: it is encrypted');
        if (text.startsWith('%boom')) throw new Error('chunker bug');
        return text.split(/\n\s*\n/).filter((p) => p.trim() !== '');
      },
      embed: (texts, label) => embedAll(embedder, texts, { label, retry: { maxAttempts: 1 } }),
      upsertChunks: async (chunks) => {
        for (const c of chunks) this.index.set(c.id, c);
      },
      deleteChunks: async (ids) => {
        for (const id of ids) {
          this.deleted.push(id);
          this.index.delete(id);
        }
      },
      manifest: this.manifest,
      now: () => new Date('2026-12-01T03:00:00Z'),
      costPerMillionTokensUsd: 0.02,
    };
  }

  /** The chunk ids the run gives the current content of a document. */
  chunkIdsOf(id: string): string[] {
    const text = this.source.get(id)!;
    return text.split(/\n\s*\n/).map((_, i) => chunkId(id, sha(text), i));
  }

  async stored(): Promise<Manifest> {
    return (await this.manifest.read())!.manifest;
  }

  /**
   * Every manifest entry's chunks are in the index and every indexed chunk is referenced or pending
   * deletion (no orphan). `finished`: also each entry matches its source and nothing is pending.
   */
  async expectConsistent(finished: boolean): Promise<void> {
    const m = await this.stored();
    const referenced = new Set<string>();
    for (const [id, e] of Object.entries(m.documents)) {
      if (finished) expect(e.sha256).toBe(sha(this.source.get(id) ?? ''));
      for (const c of groupChunkIds(e)) {
        expect(this.index.get(c)?.documentId).toBe(id);
        referenced.add(c);
      }
    }
    const pending = new Set(m.pendingDeletes.flatMap((g) => groupChunkIds(g)));
    expect([...this.index.keys()].filter((c) => !referenced.has(c) && !pending.has(c))).toEqual([]);
    if (finished) {
      expect(m.pendingDeletes).toEqual([]);
      expect(this.index.size).toBe(referenced.size);
    }
  }
}

describe('runIngestion', () => {
  test('a first run embeds every chunk of 100 documents and records it', async () => {
    const w = new World();
    const record = await runIngestion(w.seams());
    expect(w.embedded).toHaveLength(300);
    expect(w.index.size).toBe(300);
    expect(record).toMatchObject({ documentsSeen: 100, documentsChanged: 100, documentsRemoved: 0, chunksEmbedded: 300, embeddingTokens: 1500, lastSuccessAt: '2026-12-01T03:00:00.000Z' });
    expect(record.costUsd).toBeCloseTo((1500 * 0.02) / 1e6, 12);
    const m = await w.stored();
    expect(Object.keys(m.documents)).toHaveLength(100);
    expect(m.lastRun).toEqual(record);
    expect(m.pendingDeletes).toEqual([]);
    expect(w.maxOpenDocuments).toBe(1);
    await w.expectConsistent(true);
  });

  test('after changing 1 document and deleting another, only the changed one is embedded and both old chunk sets removed', async () => {
    const w = new World();
    await runIngestion(w.seams());
    const before = await w.stored();
    const changedOld = groupChunkIds(before.documents['docs/007.txt']);
    const removedOld = groupChunkIds(before.documents['docs/042.txt']);
    w.embedded = [];
    w.source.set('docs/007.txt', 'Doc 7 rewritten.\n\nWith a new second part.');
    w.source.delete('docs/042.txt');

    const record = await runIngestion(w.seams());
    expect(w.embedded).toEqual(['Doc 7 rewritten.', 'With a new second part.']);
    expect(w.deleted.sort()).toEqual([...changedOld, ...removedOld].sort());
    expect(record).toMatchObject({ documentsSeen: 99, documentsChanged: 1, documentsRemoved: 1, chunksEmbedded: 2 });
    const after = await w.stored();
    expect(after.documents['docs/042.txt']).toBeUndefined();
    expect(groupChunkIds(after.documents['docs/007.txt'])).toHaveLength(2);
    expect(w.index.size).toBe(99 * 3 - 1);
    await w.expectConsistent(true);
  });

  test('a document rewritten between listing and reading is recorded with the version read, so the next run embeds the newer one', async () => {
    const w = new World(3);
    const seams = w.seams();
    const listed = await seams.listDocuments();
    // The listing shows the old content; the object is rewritten before the run reads it.
    w.source.set('docs/001.txt', 'Rewritten after listing.');
    await runIngestion({ ...seams, listDocuments: async () => listed });
    const m = await w.stored();
    expect(m.documents['docs/001.txt'].fingerprint).toBe(`sha256:${sha('Rewritten after listing.')}`);
    // Had the listing's token been stored, this run would embed docs/001.txt again.
    w.embedded = [];
    await runIngestion(w.seams());
    expect(w.embedded).toEqual([]);
    await w.expectConsistent(true);
  });

  test('an unreadable document is skipped and recorded: the rest is indexed, its old chunks go, and it is retried only once it changes', async () => {
    const w = new World(10);
    await runIngestion(w.seams());
    const old = groupChunkIds((await w.stored()).documents['docs/003.txt']);
    w.source.set('docs/003.txt', '%PDF-locked');
    w.source.set('docs/004.txt', 'Doc 4 rewritten.');
    w.embedded = [];
    const record = await runIngestion(w.seams());
    expect(record).toMatchObject({ documentsChanged: 2, documentsSkipped: 1, skipped: [{ id: 'docs/003.txt', reason: 'unreadable PDF: it is encrypted' }], chunksEmbedded: 1 });
    expect(w.embedded).toEqual(['Doc 4 rewritten.']);
    expect(old.every((c) => !w.index.has(c))).toBe(true);
    expect((await w.stored()).documents['docs/003.txt']).toMatchObject({ chunks: 0, skipped: 'unreadable PDF: it is encrypted' });
    await w.expectConsistent(true);
    // Unchanged: not read again. Changed into something readable: indexed.
    const again = await runIngestion(w.seams());
    expect(again).toMatchObject({ documentsChanged: 0, documentsSkipped: 0 });
    expect(again.skipped).toBeUndefined();
    w.source.set('docs/003.txt', 'Doc 3 readable again.');
    await runIngestion(w.seams());
    expect((await w.stored()).documents['docs/003.txt'].skipped).toBeUndefined();
    expect(w.embedded).toContain('Doc 3 readable again.');
  });

  test('any other chunking error fails the run, leaving the manifest consistent', async () => {
    const w = new World(5);
    await runIngestion(w.seams());
    w.source.set('docs/001.txt', 'Doc 1 rewritten.');
    w.source.set('docs/002.txt', '%boom');
    await expect(runIngestion(w.seams())).rejects.toThrow('chunker bug');
    await w.expectConsistent(false);
    // Nothing of the failed batch was upserted: docs/001.txt keeps its old chunks.
    expect(w.index.has(w.chunkIdsOf('docs/001.txt')[0])).toBe(false);
  });

  test('documents go in batches: one manifest write per batch, whatever the corpus size, and counts instead of chunk ids', async () => {
    const w = new World(100);
    const record = await runIngestion({ ...w.seams(), batchDocuments: 10 });
    expect(record.chunksEmbedded).toBe(300);
    // 10 batch intents, the write after the last batch, the run record.
    expect(w.manifest.writes).toBe(12);
    const json = JSON.stringify(await w.stored());
    expect(json).not.toContain(chunkId('docs/000.txt', sha(w.source.get('docs/000.txt')!), 0));
    expect((await w.stored()).documents['docs/000.txt'].chunks).toBe(3);
  });

  test('a batch stops at its character budget, and a large document is embedded and upserted in slices after one beforeUpsert', async () => {
    const w = new World(0);
    const big = Array.from({ length: 600 }, (_, i) => `Paragraph ${i}.`).join('\n\n');
    w.source.set('docs/big.txt', big);
    w.source.set('docs/small.txt', 'Small.');
    const upserts: number[] = [];
    const versions: { documentId: string; texts: number }[] = [];
    const seams = w.seams();
    const record = await runIngestion({
      ...seams,
      batchChars: 100,
      upsertSlice: 256,
      beforeUpsert: async (v) => {
        // The version's texts come whole, before any of its chunks is in the index.
        expect(v.ids.some((id) => w.index.has(id))).toBe(false);
        versions.push({ documentId: v.documentId, texts: v.texts.length });
      },
      upsertChunks: async (chunks) => {
        upserts.push(chunks.length);
        await seams.upsertChunks(chunks);
      },
    });
    expect(versions).toEqual([{ documentId: 'docs/big.txt', texts: 600 }, { documentId: 'docs/small.txt', texts: 1 }]);
    expect(upserts).toEqual([256, 256, 88, 1]);
    // Each document was a batch of its own (the first one is over the 100-character budget alone).
    expect(w.manifest.writes).toBe(4);
    expect(record.chunksEmbedded).toBe(601);
    await w.expectConsistent(true);
  });

  test('the same content chunked again into fewer chunks keeps its first chunks and deletes only the tail', async () => {
    const w = new World(1);
    await runIngestion(w.seams());
    const id = 'docs/000.txt';
    const before = groupChunkIds((await w.stored()).documents[id]);
    expect(before).toHaveLength(3);
    // A re-upload of the same bytes (a new change token), read by a chunker that now makes 2 chunks.
    const seams = w.seams();
    const relisted = async () => (await seams.listDocuments()).map((d) => ({ ...d, fingerprint: `etag:new-${d.id}` }));
    await runIngestion({
      ...seams,
      listDocuments: relisted,
      readDocument: async (doc) => ({ ...(await seams.readDocument(doc)), fingerprint: `etag:new-${doc}` }),
      chunk: (d) => (seams.chunk(d) as string[]).slice(0, 2),
    });
    expect(w.deleted).toEqual([before[2]]);
    expect([...w.index.keys()].sort()).toEqual(before.slice(0, 2).sort());
    expect((await w.stored()).documents[id]).toMatchObject({ chunks: 2, fingerprint: `etag:new-${id}` });
    expect((await w.stored()).pendingDeletes).toEqual([]);
  });

  test('an unchanged corpus embeds and deletes nothing', async () => {
    const w = new World(10);
    await runIngestion(w.seams());
    w.embedded = [];
    const record = await runIngestion(w.seams());
    expect(w.embedded).toEqual([]);
    expect(w.deleted).toEqual([]);
    expect(record).toMatchObject({ documentsChanged: 0, chunksEmbedded: 0 });
  });

  test('a failing embedding mid-run throws, leaves the manifest consistent, and the next run finishes without redoing work', async () => {
    const w = new World();
    await runIngestion(w.seams());
    const before = await w.stored();
    const lastSuccess = before.lastRun;
    // Change 10 documents; each has 3 chunks = 2 batches of at most 2. Fail on the 9th batch: documents 0-3 done, the 5th half-embedded.
    const changed = [...w.source.keys()].slice(0, 10);
    for (const id of changed) w.source.set(id, `${id} new A.\n\n${id} new B.\n\n${id} new C.`);
    w.embedded = [];
    w.batches = 0;
    w.failAfterBatches = 8;
    await expect(runIngestion(w.seams())).rejects.toThrow(/docs\/004\.txt batch 1\/2.*HTTP 400/);

    const mid = await w.stored();
    const done = changed.filter((id) => mid.documents[id].sha256 === sha(w.source.get(id)!));
    expect(done).toEqual(changed.slice(0, 4));
    // The unfinished documents still point at their old chunks, which are still in the index.
    for (const id of changed.slice(4)) for (const c of groupChunkIds(mid.documents[id])) expect(w.index.get(c)?.documentId).toBe(id);
    // The finished ones' old chunks are queued for deletion, not lost; so are the new ids of the batch's
    // unfinished documents (the intent written before the batch's upserts: the failed one's may be in).
    const oldOfDone = changed.slice(0, 4).flatMap((id) => groupChunkIds(before.documents[id]));
    const intentOfRest = changed.slice(4).flatMap((id) => w.chunkIdsOf(id));
    expect(mid.pendingDeletes.flatMap((g) => groupChunkIds(g)).sort()).toEqual([...oldOfDone, ...intentOfRest].sort());
    expect(mid.lastRun).toEqual(lastSuccess);
    await w.expectConsistent(false);

    w.failAfterBatches = undefined;
    w.embedded = [];
    const record = await runIngestion(w.seams());
    expect(record.documentsChanged).toBe(6);
    expect(w.embedded).toHaveLength(6 * 3);
    expect(w.embedded.some((t) => changed.slice(0, 4).some((id) => t.startsWith(id)))).toBe(false);
    expect(w.index.size).toBe(300);
    await w.expectConsistent(true);
  });

  test('a failing delete keeps the chunks pending for the next run', async () => {
    const w = new World(5);
    await runIngestion(w.seams());
    w.source.delete('docs/000.txt');
    const seams = w.seams();
    await expect(runIngestion({ ...seams, deleteChunks: async () => { throw new Error('index unavailable'); } })).rejects.toThrow('index unavailable');
    const mid = await w.stored();
    expect(mid.documents['docs/000.txt']).toBeUndefined();
    expect(mid.pendingDeletes.flatMap((g) => groupChunkIds(g))).toHaveLength(3);
    await runIngestion(w.seams());
    expect(w.deleted).toHaveLength(3);
    expect(w.index.size).toBe(12);
    expect((await w.stored()).pendingDeletes).toEqual([]);
  });

  test('a document reverted to an earlier content keeps its chunks even if they were pending deletion', async () => {
    const w = new World(1);
    const id = 'docs/000.txt';
    const original = w.source.get(id)!;
    await runIngestion(w.seams());
    w.source.set(id, 'changed.');
    // The delete of the original's chunks fails: they stay pending.
    await expect(runIngestion({ ...w.seams(), deleteChunks: async () => { throw new Error('down'); } })).rejects.toThrow('down');
    w.source.set(id, original);
    await runIngestion(w.seams());
    const m = await w.stored();
    expect(groupChunkIds(m.documents[id]).every((c) => w.index.has(c))).toBe(true);
    await w.expectConsistent(true);
  });

  test('a manifest written by an overlapping run makes this run fail', async () => {
    const w = new World(3);
    const seams = w.seams();
    let raced = false;
    const racing: IngestSeams = {
      ...seams,
      upsertChunks: async (chunks) => {
        if (!raced) {
          raced = true;
          const current = await w.manifest.read();
          await w.manifest.write(current?.manifest ?? { formatVersion: 1, documents: {}, pendingDeletes: [] }, current?.version);
        }
        await seams.upsertChunks(chunks);
      },
    };
    await expect(runIngestion(racing)).rejects.toThrow(/manifest is at version/);
  });

  test('a crash after an upsert but before its manifest entry is saved leaves no orphan, even if the document changes again', async () => {
    const w = new World(3);
    await runIngestion(w.seams());
    const id = 'docs/001.txt';
    w.source.set(id, 'version B one.\n\nversion B two.');
    const bIds = w.chunkIdsOf(id);
    const seams = w.seams();
    let writes = 0;
    const store = w.manifest;
    const crashing: IngestSeams = {
      ...seams,
      // The write after the upsert (the one recording the entry) dies with the process.
      manifest: { read: () => store.read(), write: async (m, v) => (++writes === 2 ? Promise.reject(new Error('killed')) : store.write(m, v)) },
    };
    await expect(runIngestion(crashing)).rejects.toThrow('killed');
    expect(bIds.every((c) => w.index.has(c))).toBe(true);
    w.source.set(id, 'version C.');
    await runIngestion(w.seams());
    expect(bIds.some((c) => w.index.has(c))).toBe(false);
    await w.expectConsistent(true);
  });
});
