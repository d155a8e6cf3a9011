import { ProviderError } from '../../router/providers/types';
import { vertexEndpoint } from '../../router/providers/vertex';
import { googleAccessToken } from '../embed/auth';
import type { RetryOptions } from '../embed/retry';
import type { IndexedChunk } from '../run';
import { answerJson, GoogleApiError, googleRequest, retried } from './http';

/*
 * Vertex AI Vector Search stream updates (an index created with indexUpdateMethod STREAM_UPDATE):
 *   POST {base}/v1/{index}:upsertDatapoints  {"datapoints":[IndexDatapoint]}   → {} (empty body)
 *   POST {base}/v1/{index}:removeDatapoints  {"datapointIds":["…"]}            → {}
 * with {base} the index's regional endpoint and IndexDatapoint
 *   {datapointId, featureVector:[…], restricts:[{namespace, allowList:[…]}], embeddingMetadata:{…}}
 * (cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.indexes/upsertDatapoints and
 * …/removeDatapoints). `embeddingMetadata` comes back with findNeighbors and `returnFullDatapoint`
 * on a public endpoint; the private endpoint's MatchService.Match answers ids without it, so the texts
 * are also objects of the state bucket (chunk-texts.ts), written and deleted around these calls.
 *
 * Batch sizes: the REST reference documents no per-request datapoint count, and the Vertex AI quotas
 * page (cloud.google.com/vertex-ai/docs/quotas) limits stream updates per minute and per region, not
 * per request; its figures were not verified here. So the defaults are conservative: 100 datapoints
 * and 4 MiB of JSON per upsert (a 768-dimension vector is ~8 KB of JSON, a 300-token chunk ~1.5 KB),
 * and 1,000 ids per remove (ids only, ~60 bytes each). Each is a constructor option.
 */
export const VECTOR_SEARCH_MAX_UPSERT_DATAPOINTS = 100;
export const VECTOR_SEARCH_MAX_UPSERT_BYTES = 4 * 1024 * 1024;
export const VECTOR_SEARCH_MAX_REMOVE_IDS = 1000;

/** The restrict namespace holding a chunk's document id: a query can filter on it, and the app can remove a document by it. */
export const DOCUMENT_NAMESPACE = 'document';

const INDEX_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/indexes\/([^/]+)$/;

export interface VectorSearchIndexOptions {
  /** `projects/<project>/locations/<location>/indexes/<id>`: the index created with stream updates. */
  readonly index: string;
  /** @default - the index location's regional endpoint, `https://<location>-aiplatform.googleapis.com` */
  readonly baseUrl?: string;
  /** @default - Application Default Credentials (the job's service account) */
  readonly accessToken?: () => Promise<string>;
  /** Retries of 429, 408, 5xx and lost connections. @default - 5 attempts, exponential backoff from 500 ms */
  readonly retry?: RetryOptions;
  /** Per request. @default 60000 */
  readonly timeoutMs?: number;
  /** Datapoints per upsertDatapoints request. @default 100 */
  readonly maxUpsertDatapoints?: number;
  /** Encoded JSON per upsertDatapoints request (a datapoint alone above it is sent alone). @default 4 MiB */
  readonly maxUpsertBytes?: number;
  /** Ids per removeDatapoints request. @default 1000 */
  readonly maxRemoveIds?: number;
}

/** The wire form of one chunk. */
export function toDatapoint(chunk: IndexedChunk): Record<string, unknown> {
  return {
    datapointId: chunk.id,
    featureVector: chunk.vector,
    restricts: [{ namespace: DOCUMENT_NAMESPACE, allowList: [chunk.documentId] }],
    embeddingMetadata: { documentId: chunk.documentId, chunkIndex: chunk.index, text: chunk.text },
  };
}

export class VectorSearchIndex {
  private readonly url: string;
  private readonly token: () => Promise<string>;
  private readonly maxUpsertDatapoints: number;
  private readonly maxUpsertBytes: number;
  private readonly maxRemoveIds: number;

  constructor(private readonly options: VectorSearchIndexOptions) {
    const m = INDEX_NAME.exec(options.index);
    if (!m) throw new Error(`vector search index ${JSON.stringify(options.index.slice(0, 200))} must be projects/<project>/locations/<location>/indexes/<id>`);
    const base = (options.baseUrl ?? vertexEndpoint(m[2])).replace(/\/+$/, '');
    this.url = `${base}/v1/${options.index}`;
    this.token = options.accessToken ?? googleAccessToken;
    this.maxUpsertDatapoints = positive(options.maxUpsertDatapoints ?? VECTOR_SEARCH_MAX_UPSERT_DATAPOINTS, 'maxUpsertDatapoints');
    this.maxUpsertBytes = positive(options.maxUpsertBytes ?? VECTOR_SEARCH_MAX_UPSERT_BYTES, 'maxUpsertBytes');
    this.maxRemoveIds = positive(options.maxRemoveIds ?? VECTOR_SEARCH_MAX_REMOVE_IDS, 'maxRemoveIds');
  }

  /** Upserts the chunks in batches within the limits above, one request at a time, each retried. */
  async upsertChunks(chunks: readonly IndexedChunk[]): Promise<void> {
    const encoded = chunks.map((c) => JSON.stringify(toDatapoint(c)));
    const batches: Array<[number, number]> = [];
    let start = 0;
    let bytes = 0;
    for (let i = 0; i < encoded.length; i++) {
      const size = Buffer.byteLength(encoded[i]) + 1;
      if (i > start && (i - start >= this.maxUpsertDatapoints || bytes + size > this.maxUpsertBytes)) {
        batches.push([start, i]);
        start = i;
        bytes = 0;
      }
      bytes += size;
    }
    if (start < encoded.length) batches.push([start, encoded.length]);
    for (const [b, [from, to]] of batches.entries()) {
      // The datapoints are already JSON: join them rather than encode the vectors a second time.
      const body = `{"datapoints":[${encoded.slice(from, to).join(',')}]}`;
      const label = `vector search ${this.options.index}: upsert batch ${b + 1}/${batches.length} (${chunks[from].documentId})`;
      await this.post('upsertDatapoints', body, label);
    }
  }

  /** Removes datapoints by id; ids not in the index are no error (a retried removal stays idempotent). */
  async removeDatapoints(ids: readonly string[]): Promise<void> {
    const total = Math.ceil(ids.length / this.maxRemoveIds);
    for (let b = 0; b < total; b++) {
      const batch = ids.slice(b * this.maxRemoveIds, (b + 1) * this.maxRemoveIds);
      await this.post('removeDatapoints', JSON.stringify({ datapointIds: batch }), `vector search ${this.options.index}: remove batch ${b + 1}/${total}`);
    }
  }

  private async post(method: string, body: string, label: string): Promise<void> {
    const where = `vector search :${method}`;
    await retried(
      label,
      async () => {
        let token: string;
        try {
          token = await this.token();
        } catch (error) {
          throw new ProviderError('auth', `${where}: no Google credentials: ${(error as Error).message}`);
        }
        const answer = await googleRequest(where, { method: 'POST', url: `${this.url}:${method}`, token, headers: { 'content-type': 'application/json' }, body }, this.options.timeoutMs ?? 60_000);
        answerJson(where, answer);
      },
      this.options.retry,
    );
  }
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new GoogleApiError(`vector search ${what} must be a whole number >= 1 (got ${n})`);
  return n;
}
