import { createHash } from 'node:crypto';
import { clip } from '../router/engine/quote';
import { UnsupportedContentError } from './extract';
import { EMPTY_MANIFEST, SKIPPED_SAMPLE, type ChunkGroup, type DocumentEntry, type Manifest, type ManifestStore, type RunRecord, type SkippedDocument } from './manifest';
import { planRun, type ListedDocument } from './plan';
import type { EmbeddingResult } from './embed/types';

/** One chunk as the index stores it. */
export interface IndexedChunk {
  /** Letters, digits and `-` only, so it is a valid Vector Search datapoint id and AI Search key. */
  readonly id: string;
  readonly documentId: string;
  /** Position of the chunk in its document. */
  readonly index: number;
  readonly text: string;
  readonly vector: number[];
}

/** A source object as read. */
export interface ReadDocument {
  readonly bytes: Uint8Array;
  /** Change token of the version read (see `DocumentEntry.fingerprint`). */
  readonly fingerprint: string;
  /** The object's `Content-Type`, when the store keeps one. */
  readonly contentType?: string;
}

/** Everything a run touches, injected so each cloud (and each test) plugs in its own. */
export interface IngestSeams {
  /** The source objects with their change tokens (metadata only: the corpus is never loaded at once). */
  listDocuments(): Promise<readonly ListedDocument[]>;
  /** The object's bytes and the change token of the version read, which may be newer than the listing's. */
  readDocument(id: string): Promise<ReadDocument>;
  /**
   * Extract text and chunk it (the design's chunking); chunks in document order. An
   * `UnsupportedContentError` skips the document (recorded, retried once it changes); any other error
   * fails the run.
   */
  chunk(document: { readonly id: string; readonly bytes: Uint8Array; readonly contentType?: string }): Promise<readonly string[]> | readonly string[];
  /** Embeds texts in provider-sized batches with retries (see `embed/embed-all.ts`); `label` names the document in errors. */
  embed(texts: readonly string[], label: string): Promise<EmbeddingResult>;
  /**
   * Called once per document version, before any of its chunks is upserted, with all its texts (the
   * upserts come in slices): where the index cannot return a chunk's text, the texts are stored here.
   */
  beforeUpsert?(version: { readonly documentId: string; readonly sha256: string; readonly ids: readonly string[]; readonly texts: readonly string[] }): Promise<void>;
  upsertChunks(chunks: readonly IndexedChunk[]): Promise<void>;
  deleteChunks(ids: readonly string[]): Promise<void>;
  readonly manifest: ManifestStore;
  /** @default () => new Date() */
  now?(): Date;
  /** Price of the embedding model, for the run record's cost. @default 0 */
  readonly costPerMillionTokensUsd?: number;
  /** Ids per deleteChunks call. @default 1000 (Vector Search removeDatapoints and AI Search batches stay small) */
  readonly deleteBatchSize?: number;
  /** Most documents read ahead and recorded in one manifest write. @default 100 */
  readonly batchDocuments?: number;
  /** Most characters of chunk text a batch holds in memory. @default 8000000 */
  readonly batchChars?: number;
  /** Chunks embedded and upserted together, so a large document's vectors are never all in memory. @default 256 */
  readonly upsertSlice?: number;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/**
 * A chunk's id from its document, the document's content and its position: a changed document's new
 * chunks never overwrite its old ones, so the old stay queryable until the new are in.
 */
export function chunkId(documentId: string, contentSha256: string, index: number): string {
  return `${sha256(documentId).slice(0, 24)}-${contentSha256.slice(0, 16)}-${index}`;
}

/** The ids of every chunk of a group (or of a manifest entry: its document, content and count). */
export function groupChunkIds(g: ChunkGroup | DocumentEntry): string[] {
  const group = 'documentId' in g ? g : { documentId: g.id, sha256: g.sha256, chunks: g.chunks };
  return [...groupIds(group, 0, group.chunks)];
}

/** The ids of a chunk group's chunks `from` (inclusive) to `to` (exclusive). */
function* groupIds(g: ChunkGroup, from: number, to: number): Generator<string> {
  for (let i = from; i < to; i++) yield chunkId(g.documentId, g.sha256, i);
}

const groupKey = (documentId: string, sha: string) => `${documentId}\u0000${sha}`;

/** A document read and chunked, waiting in the batch for its embedding. */
interface ReadAhead {
  readonly id: string;
  readonly sha256: string;
  readonly fingerprint: string;
  readonly texts: readonly string[];
  readonly skipped?: string;
}

/**
 * One ingestion run. Crash-safety, so that a failure anywhere leaves a manifest the next run can
 * finish from:
 * - documents go in batches (at most `batchDocuments` documents or `batchChars` characters of text):
 *   a batch is read and chunked, then one manifest write records the chunk groups it is about to put
 *   in the index as pending deletes (the intent), then its documents are embedded and upserted;
 *   their entries are written with the next batch's intent (or the last write). A crash after an
 *   upsert whose entry was never written therefore leaves no orphan: its group is pending, and the
 *   next run deletes it unless the document is embedded again with the same content (then those are
 *   its live chunks). A failure that is an error, not a crash, writes the finished entries before it
 *   is thrown, so the next run redoes only the document that failed;
 * - the chunks a changed or removed document leaves behind go to `pendingDeletes` in the same write
 *   that changes or drops its entry, and are deleted only after, so none is orphaned;
 * - a document's chunks are embedded and upserted `upsertSlice` at a time: memory holds one batch's
 *   texts and one slice's vectors, never the corpus; the manifest holds counts, not chunk ids.
 * Each manifest write is compare-and-set: an overlapping run fails instead of clobbering this one.
 */
export async function runIngestion(seams: IngestSeams): Promise<RunRecord> {
  const now = () => (seams.now ? seams.now() : new Date());
  const startedAt = now().toISOString();
  const stored = await seams.manifest.read();
  const previous: Manifest = stored?.manifest ?? EMPTY_MANIFEST;
  let version = stored?.version;
  // Mutated in place and written whole at each save (copying per document would be quadratic).
  const documents: Record<string, DocumentEntry> = { ...previous.documents };
  const pending = new Map<string, ChunkGroup>();
  const addPending = (g: ChunkGroup) => {
    if (g.chunks === 0) return;
    const key = groupKey(g.documentId, g.sha256);
    const had = pending.get(key);
    if (!had || had.chunks < g.chunks) pending.set(key, g);
  };
  for (const g of previous.pendingDeletes) addPending(g);
  const save = async (lastRun = previous.lastRun) => {
    const next: Manifest = { formatVersion: 1, documents, pendingDeletes: [...pending.values()], ...(lastRun ? { lastRun } : {}) };
    version = await seams.manifest.write(next, version);
  };

  const listing = await seams.listDocuments();
  const plan = planRun(previous, listing);
  const maxDocs = seams.batchDocuments ?? 100;
  const maxChars = seams.batchChars ?? 8_000_000;
  const slice = seams.upsertSlice ?? 256;
  let chunksEmbedded = 0;
  let embeddingTokens = 0;
  let documentsSkipped = 0;
  const skipped: SkippedDocument[] = [];

  const read = async (id: string): Promise<ReadAhead> => {
    // The token of what was read, not of the listing: an object rewritten in between is not recorded
    // as embedded in a version it was not.
    const { bytes, fingerprint, contentType } = await seams.readDocument(id);
    const contentSha = sha256(bytes);
    try {
      return { id, sha256: contentSha, fingerprint, texts: await seams.chunk({ id, bytes, contentType }) };
    } catch (error) {
      // One unreadable file must not keep the rest of the corpus stale: it is left out, and says why.
      if (!(error instanceof UnsupportedContentError)) throw error;
      const reason = clip(error.message);
      documentsSkipped++;
      if (skipped.length < SKIPPED_SAMPLE) skipped.push({ id, reason });
      return { id, sha256: contentSha, fingerprint, texts: [], skipped: reason };
    }
  };

  const index = async (doc: ReadAhead) => {
    const group: ChunkGroup = { documentId: doc.id, sha256: doc.sha256, chunks: doc.texts.length };
    if (group.chunks > 0) {
      const ids = [...groupIds(group, 0, group.chunks)];
      await seams.beforeUpsert?.({ documentId: doc.id, sha256: doc.sha256, ids, texts: doc.texts });
      for (let from = 0; from < ids.length; from += slice) {
        const texts = doc.texts.slice(from, from + slice);
        const { vectors, tokens } = await seams.embed(texts, doc.id);
        if (vectors.length !== texts.length) throw new Error(`embedding ${doc.id}: ${vectors.length} vectors for ${texts.length} chunks`);
        await seams.upsertChunks(texts.map((text, i) => ({ id: ids[from + i], documentId: doc.id, index: from + i, text, vector: vectors[i] })));
        chunksEmbedded += texts.length;
        embeddingTokens += tokens;
      }
    }
    const old = documents[doc.id];
    // The old version's chunks go, except those the new one reuses (the same content: the same ids).
    if (old) addPending(old.sha256 === doc.sha256 ? { ...group, chunks: Math.max(old.chunks, group.chunks) } : { documentId: doc.id, sha256: old.sha256, chunks: old.chunks });
    documents[doc.id] = { id: doc.id, sha256: doc.sha256, fingerprint: doc.fingerprint, chunks: group.chunks, embeddedAt: now().toISOString(), ...(doc.skipped ? { skipped: doc.skipped } : {}) };
    // The intent is fulfilled: what stays pending of this version is only a longer old tail.
    const key = groupKey(doc.id, doc.sha256);
    if ((pending.get(key)?.chunks ?? 0) <= group.chunks) pending.delete(key);
  };

  for (let next = 0; next < plan.embed.length; ) {
    const batch: ReadAhead[] = [];
    let chars = 0;
    while (next < plan.embed.length && batch.length < maxDocs && (batch.length === 0 || chars < maxChars)) {
      const doc = await read(plan.embed[next++].id);
      batch.push(doc);
      for (const t of doc.texts) chars += t.length;
    }
    // Intent first (see above); the same write saves the previous batch's entries.
    for (const doc of batch) addPending({ documentId: doc.id, sha256: doc.sha256, chunks: doc.texts.length });
    await save();
    try {
      for (const doc of batch) await index(doc);
    } catch (error) {
      // The documents finished so far are recorded, so the next run redoes only the rest.
      await save().catch(() => undefined);
      throw error;
    }
  }

  for (const id of plan.removed) {
    const entry = documents[id];
    addPending({ documentId: id, sha256: entry.sha256, chunks: entry.chunks });
    delete documents[id];
  }
  if (plan.embed.length > 0 || plan.removed.length > 0) await save();

  // A group of a document's live version (the same content) is deleted only beyond its live count:
  // an id can come back (a document reverted to an earlier content), and a live one is never deleted.
  const size = seams.deleteBatchSize ?? 1000;
  let ids: string[] = [];
  for (const g of pending.values()) {
    const live = documents[g.documentId];
    const from = live && live.sha256 === g.sha256 ? live.chunks : 0;
    for (const id of groupIds(g, from, g.chunks)) {
      ids.push(id);
      if (ids.length === size) {
        await seams.deleteChunks(ids);
        ids = [];
      }
    }
  }
  if (ids.length > 0) await seams.deleteChunks(ids);
  pending.clear();

  const finishedAt = now().toISOString();
  const record: RunRecord = {
    startedAt,
    finishedAt,
    documentsSeen: listing.length,
    documentsChanged: plan.embed.length,
    documentsRemoved: plan.removed.length,
    documentsSkipped,
    ...(skipped.length > 0 ? { skipped } : {}),
    chunksEmbedded,
    embeddingTokens,
    costUsd: (embeddingTokens * (seams.costPerMillionTokensUsd ?? 0)) / 1e6,
    lastSuccessAt: finishedAt,
  };
  await save(record);
  return record;
}
