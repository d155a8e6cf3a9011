import type { IndexedChunk } from '../run';
import type { GcsClient } from './storage';
import { parseChunkTextLocation, chunkTextObject, type ChunkTexts } from './chunk-text-names';

export { CHUNK_TEXTS_PREFIX, chunkTextObject, decodeChunkTexts, parseChunkTextLocation, type ChunkTextLocation, type ChunkTexts } from './chunk-text-names';

/**
 * The chunk text objects of `chunks`, by object name. Each object's chunks must be one whole version:
 * positions 0 to n-1, each once, of one document (runIngestion's beforeUpsert gives a version's
 * chunks together); anything else would write an object whose `chunks[i]` is not chunk i's text, so
 * it throws.
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

/**
 * The chunk text objects of a run, in the state bucket. Order against the index, so that a crash
 * between the two steps orphans nothing:
 * - `write` comes before the datapoints' upsert. runIngestion records a version's chunk group in
 *   `pendingDeletes` (and saves the manifest) before it calls beforeUpsert, so an object written by a
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
      const location = parseChunkTextLocation(id);
      if (location?.index === 0) objects.add(location.object);
    }
    for (const object of objects) await this.client.deleteObject(this.bucket, object);
  }
}
