import { findModel } from './catalog/models';
import type { Cloud } from './cloud';
import { isToken, join, Problems } from './problems';
import { quote } from './quote';
import { isCron } from './gpu-endpoint';
import { checkNumbers, num, obj, oneOf, str, type NumberRules } from './shape';

/** How source documents are split before embedding. */
export interface ChunkingDesign {
  /**
   * `fixed`: windows of `maxTokens` overlapping by `overlapPercent`. `hierarchical`: parent chunks of
   * `parentMaxTokens` split into child chunks of `maxTokens` (children are searched, their parents
   * returned), neighbours overlapping by `overlapTokens`. `semantic`: chunks of at most `maxTokens`
   * cut where the meaning changes (sentence embeddings compared within `bufferSize` sentences, cut at
   * the `breakpointPercentile` of their distances). `none`: each file one chunk. Hierarchical and
   * semantic chunking are Bedrock's (AWS).
   * @default 'fixed'
   */
  readonly strategy?: 'fixed' | 'hierarchical' | 'semantic' | 'none';
  /**
   * Tokens per chunk (`fixed`, `semantic`) or per child chunk (`hierarchical`).
   * @default 300
   */
  readonly maxTokens?: number;
  /**
   * `fixed`: overlap between neighbouring chunks, percent.
   * @default 20
   */
  readonly overlapPercent?: number;
  /**
   * `hierarchical`: tokens per parent chunk, more than `maxTokens`.
   * @default 1500
   */
  readonly parentMaxTokens?: number;
  /**
   * `hierarchical`: tokens shared by neighbouring child chunks.
   * @default 60
   */
  readonly overlapTokens?: number;
  /**
   * `semantic`: sentences on each side compared with each sentence (0 or 1).
   * @default 0
   */
  readonly bufferSize?: number;
  /**
   * `semantic`: percentile of sentence-to-sentence distances at which a chunk is cut (50-99).
   * @default 95
   */
  readonly breakpointPercentile?: number;
}

/** Embedding models per cloud (catalog ids). */
export interface EmbeddingModelsDesign {
  /** @default 'titan-embed-text-v2' */
  readonly aws?: string;
  /** @default 'text-embedding-005' */
  readonly gcp?: string;
  /** @default 'text-embedding-3-small' */
  readonly azure?: string;
}

/** A vector index for retrieval-augmented generation, kept fresh by scheduled re-ingestion. */
export interface VectorStoreDesign {
  /** Index name: lowercase letters, digits and hyphens, at most 40 characters. */
  readonly name: string;
  /**
   * Similarity metric.
   * @default 'cosine'
   */
  readonly distance?: 'cosine' | 'euclidean' | 'dot-product';
  /** @default - fixed 300-token chunks with 20% overlap */
  readonly chunking?: ChunkingDesign;
  /** @default - titan-embed-text-v2 on AWS, text-embedding-005 on GCP, text-embedding-3-small on Azure */
  readonly embeddingModels?: EmbeddingModelsDesign;
  /**
   * Five-field cron (UTC) of re-ingestion, so embeddings follow the source documents.
   * @default '0 3 * * *' (daily at 03:00 UTC)
   */
  readonly refreshSchedule?: string;
  /**
   * Expected size of the source corpus, GiB, for the estimate.
   * @default 1
   */
  readonly expectedSourceGiB?: number;
  /**
   * Share of the corpus that changes between two refreshes, percent, for the estimate: each refresh
   * re-embeds only the documents that changed.
   * @default 5
   */
  readonly expectedChangedPercent?: number;
  /**
   * Searches of the index a month, for the estimate: each embeds its question, and S3 Vectors bills
   * its query calls.
   * @default 100000
   */
  readonly expectedQueriesPerMonth?: number;
}

export const vectorStoreShape = obj(
  {
    name: str,
    distance: oneOf('cosine', 'euclidean', 'dot-product'),
    chunking: obj({
      strategy: oneOf('fixed', 'hierarchical', 'semantic', 'none'),
      maxTokens: num,
      overlapPercent: num,
      parentMaxTokens: num,
      overlapTokens: num,
      bufferSize: num,
      breakpointPercentile: num,
    }),
    embeddingModels: obj({ aws: str, gcp: str, azure: str }),
    refreshSchedule: str,
    expectedSourceGiB: num,
    expectedChangedPercent: num,
    expectedQueriesPerMonth: num,
  },
  ['name'],
);

export const VECTOR_STORE_DEFAULTS = {
  distance: 'cosine' as const,
  chunking: { strategy: 'fixed' as const, maxTokens: 300, overlapPercent: 20, parentMaxTokens: 1500, overlapTokens: 60, bufferSize: 0, breakpointPercentile: 95 },
  embeddingModels: { aws: 'titan-embed-text-v2', gcp: 'text-embedding-005', azure: 'text-embedding-3-small' } as Record<Cloud, string>,
  refreshSchedule: '0 3 * * *',
  expectedSourceGiB: 1,
  expectedChangedPercent: 5,
  expectedQueriesPerMonth: 100_000,
};

const PROVIDER_OF: Record<Cloud, string> = { aws: 'bedrock', gcp: 'vertex', azure: 'azure-openai' };

/** Bedrock's fixed-size chunking takes 20-8192 tokens with an overlap of 1-99 percent, the tightest of the three clouds. */
const CHUNKING_NUMBERS: NumberRules<ChunkingDesign> = {
  maxTokens: { whole: true, min: 20, max: 8192 },
  overlapPercent: { whole: true, min: 1, max: 99, unit: 'percent' },
  parentMaxTokens: { whole: true, min: 21, max: 8192 },
  overlapTokens: { whole: true, min: 1, max: 8192 },
  bufferSize: { whole: true, min: 0, max: 1 },
  breakpointPercentile: { whole: true, min: 50, max: 99, unit: 'percent' },
};

/** The chunking fields each strategy takes; a field of another strategy would be silently ignored. */
const CHUNKING_FIELDS: Readonly<Record<NonNullable<ChunkingDesign['strategy']>, readonly (keyof ChunkingDesign)[]>> = {
  fixed: ['maxTokens', 'overlapPercent'],
  hierarchical: ['maxTokens', 'parentMaxTokens', 'overlapTokens'],
  semantic: ['maxTokens', 'bufferSize', 'breakpointPercentile'],
  none: [],
};

function validateChunking(c: ChunkingDesign, path: string, problems: Problems): void {
  const strategy = c.strategy ?? VECTOR_STORE_DEFAULTS.chunking.strategy;
  const fields = CHUNKING_FIELDS[strategy];
  if (!fields) return; // the shape check reported it
  for (const key of Object.keys(c) as (keyof ChunkingDesign)[]) {
    if (key !== 'strategy' && !fields.includes(key)) {
      problems.add(join(path, key), `does not apply to '${strategy}' chunking, which takes ${fields.join(', ') || 'no other field'}`);
    }
  }
  if (strategy === 'hierarchical') {
    const child = c.maxTokens ?? VECTOR_STORE_DEFAULTS.chunking.maxTokens;
    const parent = c.parentMaxTokens ?? VECTOR_STORE_DEFAULTS.chunking.parentMaxTokens;
    if (typeof child === 'number' && typeof parent === 'number' && !isToken(child) && !isToken(parent) && child >= parent) {
      problems.add(join(path, 'maxTokens'), `child chunks must be smaller than parent chunks (maxTokens ${child} >= parentMaxTokens ${parent})`);
    }
  }
}

const VECTOR_STORE_NUMBERS: NumberRules<VectorStoreDesign> = {
  // 1 PiB: far above any corpus, and low enough that its token count stays finite in the estimate.
  expectedSourceGiB: { min: 0, max: 1048576, unit: 'GiB' },
  expectedChangedPercent: { min: 0, max: 100, unit: 'percent' },
  expectedQueriesPerMonth: { whole: true, min: 0, max: 1e12 },
};

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);

export function validateVectorStore(v: VectorStoreDesign, clouds: readonly Cloud[], problems: Problems, path = 'vectorStore'): void {
  const p = path;
  if (literal(v.name) && !/^[a-z][a-z0-9-]{2,39}$/.test(v.name)) {
    problems.add(join(p, 'name'), `must be 3-40 lowercase letters, digits or hyphens starting with a letter (got ${quote(v.name)})`);
  }
  checkNumbers(v.chunking, CHUNKING_NUMBERS, join(p, 'chunking'), problems);
  if (v.chunking) validateChunking(v.chunking, join(p, 'chunking'), problems);
  checkNumbers(v, VECTOR_STORE_NUMBERS, p, problems);
  if (literal(v.refreshSchedule) && !isCron(v.refreshSchedule)) {
    problems.add(join(p, 'refreshSchedule'), `must be a five-field cron such as '0 3 * * *' (got ${quote(v.refreshSchedule)})`);
  }
  for (const cloud of clouds) {
    const id = (v.embeddingModels as Record<string, unknown> | undefined)?.[cloud];
    if (!literal(id)) continue;
    const spec = findModel(id);
    const path = join(join(p, 'embeddingModels'), cloud);
    if (!spec) problems.add(path, `unknown model ${quote(id)}; ${cloud} needs a ${PROVIDER_OF[cloud]} embedding model of the model catalog, e.g. '${VECTOR_STORE_DEFAULTS.embeddingModels[cloud]}'`);
    else if (spec.kind !== 'embedding') problems.add(path, `${quote(id)} is a chat model, not an embedding model (e.g. '${VECTOR_STORE_DEFAULTS.embeddingModels[cloud]}')`);
    else if (spec.provider !== PROVIDER_OF[cloud]) problems.add(path, `${quote(id)} is a ${spec.provider} model; ${cloud} needs a ${PROVIDER_OF[cloud]} embedding model (e.g. '${VECTOR_STORE_DEFAULTS.embeddingModels[cloud]}')`);
  }
}

/** A vector store design with every default filled in, for one cloud. */
export interface ResolvedVectorStore {
  readonly name: string;
  readonly cloud: Cloud;
  readonly distance: 'cosine' | 'euclidean' | 'dot-product';
  readonly chunking: Required<ChunkingDesign>;
  /** The embedding model on this cloud: catalog id, the provider's model id, output dimensions. */
  readonly embedding: { readonly id: string; readonly providerModelId: string; readonly dimensions: number };
  readonly refreshSchedule: string;
  readonly expectedSourceGiB: number;
  readonly expectedChangedPercent: number;
}

/** The design resolved for `cloud` (validated first: the embedding model is a catalog embedding model). */
export function resolveVectorStore(v: VectorStoreDesign, cloud: Cloud): ResolvedVectorStore {
  const d = VECTOR_STORE_DEFAULTS;
  const id = v.embeddingModels?.[cloud] ?? d.embeddingModels[cloud];
  const spec = findModel(id);
  if (!spec || spec.dimensions === undefined) throw new Error(`internal error: embedding model '${id}' passed validation without dimensions in the catalog`);
  return {
    name: v.name,
    cloud,
    distance: v.distance ?? d.distance,
    chunking: { ...d.chunking, ...v.chunking },
    embedding: { id, providerModelId: spec.providerModelId, dimensions: spec.dimensions },
    refreshSchedule: v.refreshSchedule ?? d.refreshSchedule,
    expectedSourceGiB: v.expectedSourceGiB ?? d.expectedSourceGiB,
    expectedChangedPercent: v.expectedChangedPercent ?? d.expectedChangedPercent,
  };
}
