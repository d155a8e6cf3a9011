import type { IndexedChunk } from '../run';
import type { GcsClient } from './storage';

/*
 * Where a chunk's text is read on Google Cloud. A query through the deployed index's Private Service
 * Connect endpoint (MatchService.Match) answers datapoint ids, distances and restricts, never the
 * datapoint's `embeddingMetadata`: the application needs the text somewhere it can read by id. So each
 * document version's chunk texts are one JSON object of the state bucket, named by the chunk ids'
 * shared stem (`chunkId` in run.ts: `<24 hex of the document id's sha256>-<16 hex of its content's>`):
 *
 *   chunks/<stem>.json = {"documentId": "docs/a.txt", "chunks": ["text 0", "text 1", …]}
 *
 * and the text of chunk `<stem>-<i>` is `chunks[i]`. One object a version rather than one a chunk: one
 * upload per embedded document, one read per cited document, and a few thousand objects for a corpus
 * of millions of chunks. docs/gcp/vector-store.md ("How to query") shows the application's side.
 */

/** Folder of the chunk text objects in the state bucket; the query accounts may read under it only. */
export const CHUNK_TEXTS_PREFIX = 'chunks/';

/** `chunkId`'s form: the stem (document and content hashes) and the chunk's position. */
const CHUNK_ID = /^([0-9a-f]{24}-[0-9a-f]{16})-(0|[1-9][0-9]{0,8})$/;

/** Where one chunk's text is: the object of the state bucket and the position in its `chunks`. */
export interface ChunkTextLocation {
  /** `chunks/<stem>.json` */
  readonly object: string;
  readonly index: number;
}

/** The content of one chunk text object. */
export interface ChunkTexts {
  readonly documentId: string;
  /** The document version's chunk texts, `chunks[i]` being chunk `<stem>-<i>`'s. */
  readonly chunks: readonly string[];
}

/** The object and position of a chunk id's text; throws on an id that is not `chunkId`'s form. */
export function chunkTextObject(chunkId: string): ChunkTextLocation {
  const location = parse(chunkId);
  if (!location) throw new Error(`chunk id ${JSON.stringify(chunkId.slice(0, 80))} is not <24 hex>-<16 hex>-<index>`);
  return location;
}

function parse(chunkId: string): ChunkTextLocation | undefined {
  const m = CHUNK_ID.exec(chunkId);
  return m ? { object: `${CHUNK_TEXTS_PREFIX}${m[1]}.json`, index: Number(m[2]) } : undefined;
}

/**
 * The chunk text objects of `chunks`, by object name. Each object's chunks must be one whole version:
 * positions 0 to n-1, each once, of one document (runIngestion upserts a version's chunks in one
 * call); anything else would write an object whose `chunks[i]` is not chunk i's text, so it throws.
 */
export function chunkTextObjects(chunks: readonly IndexedChunk[]): Map<string, ChunkTexts> {
  const groups = new Map<string, { documentId: string; texts: string[] }>();
  for (const c of chunks) {
    const { object, index } = chunkTextObject(c.id);
    if (index !== c.index) throw new Error(`chunk ${c.id} says it is chunk ${c.index} of ${JSON.stringify(c.documentId)}`);
    let group = groups.get(object);
    if (!group) groups.set(object, (group = { documentId: c.documentId, texts: [] }));
    if (group.documentId !== c.documentId) throw new Error(`chunks of ${object} name two documents (${JSON.stringify(group.documentId)} and ${JSON.stringify(c.documentId)})`);
    if (index in group.texts) throw new Error(`chunk ${c.id} is given twice`);
    group.texts[index] = c.text;
  }
  const out = new Map<string, ChunkTexts>();
  for (const [object, { documentId, texts }] of groups) {
    // `texts` is sparse where a position was not given: `in` finds the holes.
    for (let i = 0; i < texts.length; i++) if (!(i in texts)) throw new Error(`chunks of ${object} (${JSON.stringify(documentId)}) miss chunk ${i}: upsert a document version's chunks together`);
    out.set(object, { documentId, chunks: texts });
  }
  return out;
}

/** The object's content as the application reads it, refused when it is not that shape. */
export function decodeChunkTexts(text: string): ChunkTexts {
  const value: unknown = JSON.parse(text);
  const v = value as { documentId?: unknown; chunks?: unknown };
  if (typeof value !== 'object' || value === null || typeof v.documentId !== 'string' || !Array.isArray(v.chunks) || !v.chunks.every((c) => typeof c === 'string')) {
    throw new Error('a chunk text object is {"documentId": string, "chunks": string[]}');
  }
  return { documentId: v.documentId, chunks: v.chunks as string[] };
}

/**
 * The chunk text objects of a run, in the state bucket. Order against the index, so that a crash
 * between the two steps orphans nothing:
 * - `write` comes before the datapoints' upsert. runIngestion records a version's chunk ids in
 *   `pendingDeletes` (and saves the manifest) before it calls upsertChunks, so an object written by a
 *   run that dies before the upsert, or during it, belongs to ids the next run either re-upserts (same
 *   content: same ids, the object rewritten) or deletes (changed or removed: `deleteGroupsOf` below).
 * - `deleteGroupsOf` comes after the datapoints' removal: a datapoint is never served without its
 *   text, and a run that dies between the two leaves the ids in `pendingDeletes` (they are cleared
 *   only by the manifest write after every delete), so the next run deletes them again: the removal is
 *   idempotent and a missing object (404) is no error.
 */
export class ChunkTextStore {
  constructor(
    private readonly client: GcsClient,
    private readonly bucket: string,
  ) {}

  /** One upload per document version in `chunks`. */
  async write(chunks: readonly IndexedChunk[]): Promise<void> {
    for (const [object, texts] of chunkTextObjects(chunks)) {
      await this.client.putObject(this.bucket, object, JSON.stringify({ documentId: texts.documentId, chunks: texts.chunks }), 'application/json');
    }
  }

  /**
   * Deletes the objects of the versions whose chunk 0 is in `ids`. Every version has a chunk 0 and
   * lists it with its other ids, so a version that is gone always passes it (in this batch or another:
   * a version split across batches is fine). Keying on chunk 0 rather than on any id keeps the object
   * of a version that is still live when only its tail is deleted: the same content chunked again into
   * fewer chunks (the chunking changed, and the document was re-embedded with the same bytes, e.g.
   * after a crash) keeps ids 0..n-1 and deletes the old n..m, whose object is the live one.
   */
  async deleteGroupsOf(ids: readonly string[]): Promise<void> {
    const objects = new Set<string>();
    for (const id of ids) {
      // An id of another form was never written (`write` refuses it): nothing to delete.
      const location = parse(id);
      if (location?.index === 0) objects.add(location.object);
    }
    for (const object of objects) await this.client.deleteObject(this.bucket, object);
  }
}
