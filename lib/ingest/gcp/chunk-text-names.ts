// Pure: what the VectorStore construct and the application need to know of the chunk text objects.
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
  const location = parseChunkTextLocation(chunkId);
  if (!location) throw new Error(`chunk id ${JSON.stringify(chunkId.slice(0, 80))} is not <24 hex>-<16 hex>-<index>`);
  return location;
}

export function parseChunkTextLocation(chunkId: string): ChunkTextLocation | undefined {
  const m = CHUNK_ID.exec(chunkId);
  return m ? { object: `${CHUNK_TEXTS_PREFIX}${m[1]}.json`, index: Number(m[2]) } : undefined;
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
