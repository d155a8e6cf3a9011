import { findModel } from './catalog/models';
import type { Cloud } from './cloud';
import { join, Problems } from './problems';
import { isCron } from './gpu-endpoint';
import { num, obj, oneOf, str } from './shape';

/** How source documents are split before embedding. */
export interface ChunkingDesign {
  /**
   * `fixed` splits into windows of `maxTokens` with `overlapPercent`; `none` embeds each file whole.
   * @default 'fixed'
   */
  readonly strategy?: 'fixed' | 'none';
  /**
   * Tokens per chunk.
   * @default 300
   */
  readonly maxTokens?: number;
  /**
   * Overlap between neighbouring chunks, percent.
   * @default 20
   */
  readonly overlapPercent?: number;
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
}

export const vectorStoreShape = obj(
  {
    name: str,
    distance: oneOf('cosine', 'euclidean', 'dot-product'),
    chunking: obj({ strategy: oneOf('fixed', 'none'), maxTokens: num, overlapPercent: num }),
    embeddingModels: obj({ aws: str, gcp: str, azure: str }),
    refreshSchedule: str,
    expectedSourceGiB: num,
  },
  ['name'],
);

export const VECTOR_STORE_DEFAULTS = {
  distance: 'cosine' as const,
  chunking: { strategy: 'fixed' as const, maxTokens: 300, overlapPercent: 20 },
  embeddingModels: { aws: 'titan-embed-text-v2', gcp: 'text-embedding-005', azure: 'text-embedding-3-small' } as Record<Cloud, string>,
  refreshSchedule: '0 3 * * *',
  expectedSourceGiB: 1,
};

const PROVIDER_OF: Record<Cloud, string> = { aws: 'bedrock', gcp: 'vertex', azure: 'azure-openai' };

export function validateVectorStore(v: VectorStoreDesign, clouds: readonly Cloud[], problems: Problems): void {
  const p = 'vectorStore';
  if (typeof v.name === 'string' && !/^[a-z][a-z0-9-]{2,39}$/.test(v.name)) {
    problems.add(join(p, 'name'), `must be 3-40 lowercase letters, digits or hyphens starting with a letter (got '${v.name}')`);
  }
  const c = v.chunking;
  if (c?.maxTokens !== undefined && (!Number.isInteger(c.maxTokens) || c.maxTokens < 20 || c.maxTokens > 8192)) {
    problems.add(join(p, 'chunking.maxTokens'), `must be a whole number from 20 to 8192 (got ${c.maxTokens})`);
  }
  if (c?.overlapPercent !== undefined && (c.overlapPercent < 1 || c.overlapPercent > 99)) {
    problems.add(join(p, 'chunking.overlapPercent'), `must be between 1 and 99 (got ${c.overlapPercent})`);
  }
  if (v.refreshSchedule !== undefined && typeof v.refreshSchedule === 'string' && !isCron(v.refreshSchedule)) {
    problems.add(join(p, 'refreshSchedule'), `must be a five-field cron such as '0 3 * * *' (got '${v.refreshSchedule}')`);
  }
  if (v.expectedSourceGiB !== undefined && !(v.expectedSourceGiB >= 0)) problems.add(join(p, 'expectedSourceGiB'), `must be >= 0 (got ${v.expectedSourceGiB})`);
  for (const cloud of clouds) {
    const id = v.embeddingModels?.[cloud];
    if (id === undefined) continue;
    const spec = findModel(id);
    const path = join(p, `embeddingModels.${cloud}`);
    if (!spec) problems.add(path, `unknown model '${id}'`);
    else if (spec.kind !== 'embedding') problems.add(path, `'${id}' is a chat model, not an embedding model`);
    else if (spec.provider !== PROVIDER_OF[cloud]) problems.add(path, `'${id}' is a ${spec.provider} model; ${cloud} needs a ${PROVIDER_OF[cloud]} embedding model`);
  }
}
