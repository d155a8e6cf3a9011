import { createHash } from 'node:crypto';
import { clip } from '../router/engine/quote';
import { UnsupportedContentError } from './extract';
import { EMPTY_MANIFEST, SKIPPED_SAMPLE, type DocumentEntry, type Manifest, type ManifestStore, type RunRecord, type SkippedDocument } from './manifest';
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
  upsertChunks(chunks: readonly IndexedChunk[]): Promise<void>;
  deleteChunks(ids: readonly string[]): Promise<void>;
  readonly manifest: ManifestStore;
  /** @default () => new Date() */
  now?(): Date;
  /** Price of the embedding model, for the run record's cost. @default 0 */
  readonly costPerMillionTokensUsd?: number;
  /** Ids per deleteChunks call. @default 1000 (Vector Search removeDatapoints and AI Search batches stay small) */
  readonly deleteBatchSize?: number;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/**
 * A chunk's id from its document, the document's content and its position: a changed document's new
 * chunks never overwrite its old ones, so the old stay queryable until the new are in.
 */
export function chunkId(documentId: string, contentSha256: string, index: number): string {
  return `${sha256(documentId).slice(0, 24)}-${contentSha256.slice(0, 16)}-${index}`;
}

/**
 * One ingestion run. Crash-safety, so that a failure anywhere leaves a manifest the next run can
 * finish from:
 * - a document's manifest entry is written only after its chunks are upserted: a crash before
 *   that re-embeds just that document next time (upserts of the same ids are idempotent); its new
 *   chunk ids are saved as pending deletes before the upsert, so an upsert never recorded cannot
 *   leave orphans;
 * - the chunks a document or removal leaves behind go to `pendingDeletes` in the same write that
 *   drops them from their entry, and are deleted only after, so none is orphaned;
 * - documents are read, chunked and embedded one at a time: memory holds one document, not the corpus.
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
  const pending = new Set(previous.pendingDeletes);
  const save = async (lastRun = previous.lastRun) => {
    const next: Manifest = { formatVersion: 1, documents, pendingDeletes: [...pending], ...(lastRun ? { lastRun } : {}) };
    version = await seams.manifest.write(next, version);
  };

  const listing = await seams.listDocuments();
  const plan = planRun(previous, listing);
  let chunksEmbedded = 0;
  let embeddingTokens = 0;
  let documentsSkipped = 0;
  const skipped: SkippedDocument[] = [];

  for (const doc of plan.embed) {
    // The token of what was read, not of the listing: an object rewritten in between is not recorded as
    // embedded in a version it was not.
    const { bytes, fingerprint, contentType } = await seams.readDocument(doc.id);
    const contentSha = sha256(bytes);
    let texts: readonly string[];
    let skippedBecause: string | undefined;
    try {
      texts = await seams.chunk({ id: doc.id, bytes, contentType });
    } catch (error) {
      // One unreadable file must not keep the rest of the corpus stale: it is left out, and says why.
      if (!(error instanceof UnsupportedContentError)) throw error;
      texts = [];
      skippedBecause = clip(error.message);
      documentsSkipped++;
      if (skipped.length < SKIPPED_SAMPLE) skipped.push({ id: doc.id, reason: skippedBecause });
    }
    const ids = texts.map((_, i) => chunkId(doc.id, contentSha, i));
    if (texts.length > 0) {
      // Intent first: should the run die after the upsert but before the entry below is saved (and the
      // document change again before the next run), these ids are still known and get deleted. The same
      // write saves the previous document's entry, so this costs no extra write.
      for (const c of ids) pending.add(c);
      await save();
      const { vectors, tokens } = await seams.embed(texts, doc.id);
      if (vectors.length !== texts.length) throw new Error(`embedding ${doc.id}: ${vectors.length} vectors for ${texts.length} chunks`);
      await seams.upsertChunks(texts.map((text, i) => ({ id: ids[i], documentId: doc.id, index: i, text, vector: vectors[i] })));
      chunksEmbedded += texts.length;
      embeddingTokens += tokens;
    }
    const keep = new Set(ids);
    for (const c of documents[doc.id]?.chunkIds ?? []) if (!keep.has(c)) pending.add(c);
    documents[doc.id] = { id: doc.id, sha256: contentSha, fingerprint, chunkIds: ids, embeddedAt: now().toISOString(), ...(skippedBecause ? { skipped: skippedBecause } : {}) };
    for (const c of ids) pending.delete(c); // live now
  }

  for (const id of plan.removed) {
    for (const c of documents[id].chunkIds) pending.add(c);
    delete documents[id];
  }
  if (plan.embed.length > 0 || plan.removed.length > 0) await save();

  // A chunk id can come back (a document reverted to an earlier content): never delete a live one.
  const live = new Set(Object.values(documents).flatMap((d) => d.chunkIds));
  const toDelete = [...pending].filter((c) => !live.has(c));
  const size = seams.deleteBatchSize ?? 1000;
  for (let i = 0; i < toDelete.length; i += size) await seams.deleteChunks(toDelete.slice(i, i + size));
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
