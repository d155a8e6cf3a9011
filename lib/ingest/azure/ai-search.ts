import { clip } from '../../router/engine/quote';
import { classifyHttpError, describe, errorDetailsOfText, isObject, retryAfterMs } from '../../router/providers/errors';
import { ProviderError } from '../../router/providers/types';
import { withRetries, type RetryOptions } from '../embed/retry';
import { EmbeddingError } from '../embed/types';
import type { IndexedChunk } from '../run';

/*
 * Azure AI Search data plane, REST api-version 2024-07-01 (GA):
 * - GET / PUT {endpoint}/indexes/{name}: learn.microsoft.com/rest/api/searchservice/indexes/get and
 *   /indexes/create-or-update (PUT takes the whole definition; `Prefer: return=representation`;
 *   If-Match / If-None-Match on the index's `@odata.etag`); a missing index is 404 with
 *   `{"error":{"code","message"}}`.
 * - What an existing index may change in place (learn.microsoft.com/rest/api/searchservice/update-index,
 *   learn.microsoft.com/azure/search/vector-search-how-to-create-index "Update a vector store"): new
 *   fields and new vector configurations, `retrievable`; not an existing field's type, attributes,
 *   dimensions or vector profile.
 * - POST {endpoint}/indexes/{name}/docs/index: learn.microsoft.com/rest/api/searchservice/documents
 *   (AddUpdate-or-Delete-Documents): `{"value":[{"@search.action":"mergeOrUpload"|"delete", key…}]}`,
 *   at most 1000 actions and about 16 MB a request; 200 when every action succeeded, 207 when some
 *   did not, each `{"key","status":bool,"errorMessage","statusCode"}` (IndexingResult in
 *   specification/search/data-plane/Azure.Search/stable/2024-07-01/searchindex.json): 409 version
 *   conflict, 422 index temporarily unavailable and 503 too busy are worth retrying; 400 and the
 *   rest are not.
 * - Vector HNSW metrics: cosine, euclidean, dotProduct.
 */
export const AI_SEARCH_API_VERSION = '2024-07-01';
export const AI_SEARCH_MAX_BATCH_ACTIONS = 1000;
/** "About 16 MB" in the reference: a 1 MiB margin for the envelope and the estimate. */
export const AI_SEARCH_DEFAULT_BATCH_BYTES = 15 * 1024 * 1024;

/** Per-action statuses of a 207 that a later attempt can succeed on. */
const RETRYABLE_ACTION_STATUS = new Set([409, 422, 429, 503]);

export const VECTOR_PROFILE = 'ai-stack-vector-profile';
export const VECTOR_ALGORITHM = 'ai-stack-hnsw';

export type Distance = 'cosine' | 'euclidean' | 'dot-product';

const METRIC: Record<Distance, string> = { cosine: 'cosine', euclidean: 'euclidean', 'dot-product': 'dotProduct' };

/** A field as the index definition carries it (only the attributes this runtime sets are typed). */
export interface SearchField {
  readonly name: string;
  readonly type: string;
  readonly key?: boolean;
  readonly retrievable?: boolean;
  readonly stored?: boolean;
  readonly searchable?: boolean;
  readonly filterable?: boolean;
  readonly sortable?: boolean;
  readonly facetable?: boolean;
  readonly dimensions?: number;
  readonly vectorSearchProfile?: string;
  readonly [other: string]: unknown;
}

export interface IndexDefinition {
  readonly name: string;
  readonly fields: readonly SearchField[];
  readonly vectorSearch?: {
    readonly algorithms?: readonly Record<string, unknown>[];
    readonly profiles?: readonly Record<string, unknown>[];
    readonly [other: string]: unknown;
  };
  readonly [other: string]: unknown;
}

/**
 * The index this runtime writes: one search document per chunk. Every attribute is explicit, since the
 * service's defaults (strings searchable, filterable, sortable and facetable) cost index space for
 * nothing. The vector is searchable but neither stored nor returned (halves its storage: the runtime
 * re-embeds from the source, never from the index).
 */
export function indexDefinition(name: string, dimensions: number, distance: Distance): IndexDefinition {
  const plain = { searchable: false, filterable: false, sortable: false, facetable: false, retrievable: true };
  return {
    name,
    fields: [
      { name: 'id', type: 'Edm.String', ...plain, key: true, filterable: true },
      { name: 'documentId', type: 'Edm.String', ...plain, filterable: true },
      { name: 'chunkIndex', type: 'Edm.Int32', ...plain, filterable: true, sortable: true },
      { name: 'content', type: 'Edm.String', ...plain, searchable: true },
      {
        name: 'contentVector',
        type: 'Collection(Edm.Single)',
        ...plain,
        searchable: true,
        retrievable: false,
        stored: false,
        dimensions,
        vectorSearchProfile: VECTOR_PROFILE,
      },
    ],
    vectorSearch: {
      algorithms: [{ name: VECTOR_ALGORITHM, kind: 'hnsw', hnswParameters: { m: 4, efConstruction: 400, efSearch: 500, metric: METRIC[distance] } }],
      profiles: [{ name: VECTOR_PROFILE, algorithm: VECTOR_ALGORITHM }],
    },
  };
}

/** The existing index cannot become the one this deployment needs without a rebuild. */
export class IndexSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexSchemaError';
  }
}

/** A call to AI Search failed for good: names the index, the operation, the key and the status. */
export class AiSearchError extends Error {
  constructor(
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'AiSearchError';
  }
}

export type MigrationPlan = { readonly action: 'none' } | { readonly action: 'put'; readonly definition: IndexDefinition; readonly added: readonly string[] };

/** Attributes of our fields the runtime or its queries rely on: an existing field must have them. */
const REQUIRED_TRUE: Record<string, readonly ('key' | 'searchable' | 'filterable')[]> = {
  id: ['key'],
  documentId: ['filterable'],
  content: ['searchable'],
  contentVector: ['searchable'],
};

function vectorMetric(index: IndexDefinition, profileName: string | undefined): string | undefined {
  const profile = index.vectorSearch?.profiles?.find((p) => p.name === profileName);
  const algorithm = index.vectorSearch?.algorithms?.find((a) => a.name === profile?.algorithm);
  if (!algorithm) return undefined;
  const params = (algorithm.hnswParameters ?? algorithm.exhaustiveKnnParameters) as Record<string, unknown> | undefined;
  // The service's default metric when none is given is cosine.
  return typeof params?.metric === 'string' ? params.metric : 'cosine';
}

/**
 * What it takes to bring `existing` to `desired`, refused when that needs a rebuild. Pure. Fields and
 * vector configurations the existing index has and we do not (added by hand, by another tool) are kept:
 * the PUT carries the whole definition and the service refuses to drop fields.
 */
export function planIndexMigration(existing: IndexDefinition, desired: IndexDefinition): MigrationPlan {
  const problems: string[] = [];
  const byName = new Map(existing.fields.map((f) => [f.name, f]));
  const added: SearchField[] = [];
  const otherKey = existing.fields.find((f) => f.key === true && !desired.fields.some((d) => d.name === f.name));
  if (otherKey) problems.push(`its key is field ${JSON.stringify(otherKey.name)}, this runtime's key is field "id"`);
  for (const want of desired.fields) {
    const have = byName.get(want.name);
    if (!have) {
      added.push(want);
      continue;
    }
    if (have.type !== want.type) problems.push(`field ${want.name} is ${have.type}, this runtime writes ${want.type}`);
    for (const attribute of REQUIRED_TRUE[want.name] ?? []) {
      if (have[attribute] !== true) problems.push(`field ${want.name} is not ${attribute}`);
    }
    if (want.dimensions !== undefined && have.dimensions !== want.dimensions) {
      problems.push(`field ${want.name} has ${have.dimensions ?? 'no'} dimensions, the embedding model gives ${want.dimensions}`);
    }
    if (want.vectorSearchProfile !== undefined) {
      const haveMetric = vectorMetric(existing, have.vectorSearchProfile);
      const wantMetric = vectorMetric(desired, want.vectorSearchProfile);
      if (haveMetric === undefined) problems.push(`field ${want.name}'s vector profile ${JSON.stringify(have.vectorSearchProfile ?? null)} is not defined`);
      else if (haveMetric !== wantMetric) problems.push(`field ${want.name} is searched by ${haveMetric}, the design's distance is ${wantMetric}`);
    }
  }
  // A new vector field needs our profile and algorithm; a same-named one that differs would silently
  // give the new field another metric.
  const algorithms = [...(existing.vectorSearch?.algorithms ?? [])];
  const profiles = [...(existing.vectorSearch?.profiles ?? [])];
  if (added.some((f) => f.vectorSearchProfile !== undefined)) {
    for (const want of desired.vectorSearch?.algorithms ?? []) {
      const have = algorithms.find((a) => a.name === want.name);
      if (!have) algorithms.push(want);
      else if (JSON.stringify(have.hnswParameters) !== JSON.stringify(want.hnswParameters) || have.kind !== want.kind) {
        problems.push(`vector algorithm ${JSON.stringify(want.name)} exists with other parameters`);
      }
    }
    for (const want of desired.vectorSearch?.profiles ?? []) {
      const have = profiles.find((p) => p.name === want.name);
      if (!have) profiles.push(want);
      else if (have.algorithm !== want.algorithm) problems.push(`vector profile ${JSON.stringify(want.name)} uses algorithm ${JSON.stringify(have.algorithm)}`);
    }
  }
  if (problems.length > 0) {
    throw new IndexSchemaError(
      `${problems.join('; ')}. An existing field cannot change in place (learn.microsoft.com/azure/search/search-howto-reindex): ` +
        `give the vector store another name (a new index), or delete the index: the next run creates it anew and re-embeds every document`,
    );
  }
  if (added.length === 0) return { action: 'none' };
  const definition: IndexDefinition = { ...withoutOData(existing), fields: [...existing.fields, ...added], vectorSearch: { ...existing.vectorSearch, algorithms, profiles } };
  return { action: 'put', definition, added: added.map((f) => f.name) };
}

/** The definition without the `@odata.*` annotations a GET adds (the ETag goes in If-Match instead). */
function withoutOData(index: IndexDefinition): IndexDefinition {
  return Object.fromEntries(Object.entries(index).filter(([k]) => !k.startsWith('@odata.'))) as IndexDefinition;
}

export interface AiSearchIndexOptions {
  /** `https://<service>.search.windows.net` */
  readonly endpoint: string;
  /** Index name: the design's `vectorStore.name`. */
  readonly indexName: string;
  /** Output dimensions of the embedding model. */
  readonly dimensions: number;
  readonly distance: Distance;
  /** Microsoft Entra token for `https://search.azure.com/.default` (the service has local auth off). */
  readonly accessToken: () => Promise<string>;
  /** For 429, 503 and connection failures, and per-action 409/422/503. @default - withRetries' defaults (5 attempts, Retry-After honoured) */
  readonly retry?: RetryOptions;
  /** Per request. @default 60000 */
  readonly timeoutMs?: number;
  /** @default 1000 (the service's limit) */
  readonly maxBatchActions?: number;
  /** Bytes of JSON per docs/index request. @default 15 MiB (the service takes about 16 MB) */
  readonly maxBatchBytes?: number;
}

interface Answer {
  readonly status: number;
  readonly json: unknown;
}

interface EncodedAction {
  readonly key: string;
  readonly action: 'mergeOrUpload' | 'delete';
  readonly json: string;
}

/** One AI Search index: its schema, kept as this runtime needs it, and its chunk documents. */
export class AiSearchIndex {
  private readonly base: string;
  private readonly where: string;
  private readonly query = `api-version=${AI_SEARCH_API_VERSION}`;

  constructor(private readonly options: AiSearchIndexOptions) {
    this.base = options.endpoint.replace(/\/+$/, '');
    this.where = `AI Search index ${JSON.stringify(options.indexName)} on ${this.base}`;
  }

  /**
   * Creates the index when it is missing, adds the fields it lacks, and refuses (IndexSchemaError) a
   * schema that would need a rebuild. Safe to call on every run: an up-to-date index costs one GET.
   * Writes are conditional on the ETag read, so two runs racing re-read instead of overwriting.
   */
  async ensureIndex(): Promise<'created' | 'updated' | 'unchanged'> {
    const desired = indexDefinition(this.options.indexName, this.options.dimensions, this.options.distance);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.retried('GET index', () => this.request('GET', this.indexPath(), undefined, {}, [404]));
      try {
        if (existing.status === 404) {
          await this.retried('create index', () => this.request('PUT', this.indexPath(), JSON.stringify(desired), { 'if-none-match': '*', prefer: 'return=representation' }));
          return 'created';
        }
        const current = parseIndex(this.where, existing.json);
        let plan: MigrationPlan;
        try {
          plan = planIndexMigration(current, desired);
        } catch (error) {
          if (error instanceof IndexSchemaError) throw new IndexSchemaError(`${this.where} does not fit this deployment: ${error.message}`);
          throw error;
        }
        if (plan.action === 'none') return 'unchanged';
        const etag = typeof current['@odata.etag'] === 'string' ? current['@odata.etag'] : undefined;
        await this.retried(`add fields ${plan.added.join(', ')}`, () =>
          this.request('PUT', this.indexPath(), JSON.stringify(plan.definition), { ...(etag ? { 'if-match': etag } : {}), prefer: 'return=representation' }),
        );
        return 'updated';
      } catch (error) {
        // 412: another writer changed (or created) the index between our GET and PUT: look again.
        if (error instanceof AiSearchError && error.status === 412 && attempt < 3) continue;
        throw error;
      }
    }
  }

  async upsertChunks(chunks: readonly IndexedChunk[]): Promise<void> {
    const actions = chunks.map((c) =>
      encodeAction(c.id, 'mergeOrUpload', { id: c.id, documentId: c.documentId, chunkIndex: c.index, content: c.text, contentVector: c.vector }),
    );
    await this.indexActions(actions);
  }

  async deleteChunks(ids: readonly string[]): Promise<void> {
    await this.indexActions(ids.map((id) => encodeAction(id, 'delete', { id })));
  }

  private async indexActions(actions: readonly EncodedAction[]): Promise<void> {
    const batches = packBatches(actions, this.options.maxBatchActions ?? AI_SEARCH_MAX_BATCH_ACTIONS, this.options.maxBatchBytes ?? AI_SEARCH_DEFAULT_BATCH_BYTES, this.where);
    for (let b = 0; b < batches.length; b++) await this.sendBatch(batches[b], `docs/index batch ${b + 1}/${batches.length}`);
  }

  /**
   * One docs/index request, retried as a whole on 429/503 and, after a 207, for the actions that
   * failed with a retryable status only (the others are in). A non-retryable action fails the batch,
   * naming its key and status.
   */
  private async sendBatch(batch: readonly EncodedAction[], label: string): Promise<void> {
    let pending = batch;
    await this.retried(label, async () => {
      const answer = await this.request('POST', `${this.indexPath()}/docs/index`, `{"value":[${pending.map((a) => a.json).join(',')}]}`, {});
      const results = parseIndexingResults(this.where, answer.json, pending.length);
      const byKey = new Map(pending.map((a) => [a.key, a]));
      const fatal: string[] = [];
      const again = new Set<string>();
      for (const r of results) {
        if (r.status) continue;
        // Deleting a chunk that is already gone is what a delete wants.
        if (r.statusCode === 404 && byKey.get(r.key)?.action === 'delete') continue;
        if (RETRYABLE_ACTION_STATUS.has(r.statusCode)) again.add(r.key);
        else fatal.push(`key ${r.key}: status ${r.statusCode}: ${clip(r.errorMessage ?? 'no message', 200)}`);
      }
      if (fatal.length > 0) {
        throw new AiSearchError(`${this.where}: ${label}: ${fatal.length} of ${pending.length} actions failed: ${fatal.slice(0, 3).join('; ')}${fatal.length > 3 ? '; …' : ''}`, answer.status);
      }
      if (again.size > 0) {
        pending = pending.filter((a) => again.has(a.key));
        const sample = results.find((r) => again.has(r.key));
        // Retryable without an HTTP status of its own (the request succeeded): withRetries retries `timeout`.
        throw new ProviderError('timeout', `${again.size} actions not indexed yet (first: key ${sample?.key} status ${sample?.statusCode}: ${clip(sample?.errorMessage ?? '', 120)})`);
      }
    });
  }

  private indexPath(): string {
    return `/indexes/${encodeURIComponent(this.options.indexName)}`;
  }

  /**
   * `call` under withRetries. A final AiSearchError (a status not worth retrying) comes out as it was
   * thrown, status included (ensureIndex reads 412 from it); a retried failure comes out as an
   * AiSearchError naming the index, the operation, the attempts and the last status.
   */
  private async retried<T>(what: string, call: () => Promise<T>): Promise<T> {
    let final: AiSearchError | undefined;
    try {
      return await withRetries(
        what,
        async () => {
          try {
            return await call();
          } catch (error) {
            if (error instanceof AiSearchError) final = error;
            throw error;
          }
        },
        this.options.retry,
      );
    } catch (error) {
      if (final) throw final;
      if (error instanceof EmbeddingError) throw new AiSearchError(`${this.where}: ${error.message}`, error.status);
      throw error;
    }
  }

  private async request(method: 'GET' | 'PUT' | 'POST', path: string, body: string | undefined, headers: Record<string, string>, accept: readonly number[] = []): Promise<Answer> {
    let token: string;
    try {
      token = await this.options.accessToken();
    } catch (error) {
      throw new AiSearchError(`${this.where}: no Microsoft Entra token for https://search.azure.com: ${describe(error)}`);
    }
    const url = `${this.base}${path}?${this.query}`;
    const signal = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body,
        signal,
      });
      text = await response.text();
    } catch (error) {
      throw new ProviderError('timeout', `${method} ${path}: ${signal.aborted ? 'no answer in time' : `connection failed: ${describe(error)}`}`);
    }
    if ((response.status >= 200 && response.status < 300) || accept.includes(response.status)) {
      return { status: response.status, json: text === '' ? undefined : parseJson(this.where, text) };
    }
    const { message, codes } = errorDetailsOfText(text);
    const hint = response.status === 403 || response.status === 401 ? ' (the function identity needs "Search Index Data Contributor" and, to create the index, "Search Service Contributor")' : '';
    const detail = `${method} ${path}: HTTP ${response.status}${codes[0] ? ` ${codes[0]}` : ''}: ${message}${hint}`;
    // Statuses withRetries retries stay ProviderErrors (their final message gets the index's name in
    // `retried`); the others are final at once.
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      throw new ProviderError(classifyHttpError(response.status, message, codes), detail, response.status, retryAfterMs(response.headers));
    }
    throw new AiSearchError(`${this.where}: ${detail}`, response.status);
  }
}

function parseJson(where: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AiSearchError(`${where}: the answer is not JSON: ${clip(text, 200)}`);
  }
}

function encodeAction(key: string, action: EncodedAction['action'], document: Record<string, unknown>): EncodedAction {
  return { key, action, json: JSON.stringify({ '@search.action': action, ...document }) };
}

/**
 * Consecutive batches of at most `maxActions` actions and `maxBytes` of request body (each action is
 * serialized once, its size measured in UTF-8). An action alone above `maxBytes` is refused.
 */
export function packBatches<T extends { readonly key: string; readonly json: string }>(actions: readonly T[], maxActions: number, maxBytes: number, where = 'AI Search'): T[][] {
  const envelope = Buffer.byteLength('{"value":[]}');
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = envelope;
  for (const a of actions) {
    const size = Buffer.byteLength(a.json) + 1; // its comma
    if (envelope + size > maxBytes) throw new AiSearchError(`${where}: the document of key ${a.key} is ${size} bytes, above the ${maxBytes}-byte request limit`);
    if (current.length > 0 && (current.length >= maxActions || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = envelope;
    }
    current.push(a);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

function parseIndex(where: string, json: unknown): IndexDefinition {
  if (!isObject(json) || !Array.isArray(json.fields) || !json.fields.every((f) => isObject(f) && typeof f.name === 'string' && typeof f.type === 'string')) {
    throw new AiSearchError(`${where}: GET index: malformed answer (no fields array)`);
  }
  return json as unknown as IndexDefinition;
}

interface IndexingResult {
  readonly key: string;
  readonly status: boolean;
  readonly statusCode: number;
  readonly errorMessage?: string | null;
}

function parseIndexingResults(where: string, json: unknown, expected: number): IndexingResult[] {
  const bad = (why: string) => new AiSearchError(`${where}: docs/index: malformed answer: ${why}`);
  if (!isObject(json) || !Array.isArray(json.value)) throw bad('no value array');
  if (json.value.length !== expected) throw bad(`${json.value.length} results for ${expected} actions`);
  return json.value.map((r, i) => {
    if (!isObject(r) || typeof r.key !== 'string' || typeof r.status !== 'boolean' || typeof r.statusCode !== 'number') throw bad(`value[${i}] is not {key, status, statusCode}`);
    return { key: r.key, status: r.status, statusCode: r.statusCode, errorMessage: typeof r.errorMessage === 'string' ? r.errorMessage : null };
  });
}
