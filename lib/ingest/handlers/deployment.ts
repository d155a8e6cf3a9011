import type { ChunkingDesign } from '../../design/vector-store';
import { chunkText } from '../chunk';
import { INGEST_ENV } from '../deploy-env';
import { extractText } from '../extract';

/** What every cloud's ingestion entry reads from its environment (see deploy-env.ts). */
export interface IngestDeployment {
  readonly name: string;
  readonly chunking: Pick<Required<ChunkingDesign>, 'strategy' | 'maxTokens' | 'overlapPercent'>;
  readonly embeddingModel: string;
  /** The model's catalog id when the deployment gives it (`INGEST_ENV.embeddingModelId`). */
  readonly embeddingModelId?: string;
  readonly dimensions: number;
  readonly distance: 'cosine' | 'euclidean' | 'dot-product';
  readonly costPerMillionTokensUsd: number;
  /** `INGEST_ENV.embeddingRequestsPerMinute`, when set. */
  readonly embeddingRequestsPerMinute?: number;
  /** Test-only replacements of the clouds' endpoints (`INGEST_ENV.apiBases`). */
  readonly apiBases: Readonly<Record<string, string>>;
}

/** A variable the deployment must set is missing or malformed: names it and what it should hold. */
export class IngestConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestConfigError';
  }
}

export function required(env: NodeJS.ProcessEnv, variable: string, what: string): string {
  const value = env[variable];
  if (value === undefined || value.trim() === '') throw new IngestConfigError(`${variable} is not set: it must hold ${what} (the VectorStore construct sets it)`);
  return value.trim();
}

function json(env: NodeJS.ProcessEnv, variable: string, what: string): unknown {
  const text = required(env, variable, what);
  try {
    return JSON.parse(text);
  } catch {
    throw new IngestConfigError(`${variable} is not JSON: it must hold ${what}`);
  }
}

function positiveInteger(env: NodeJS.ProcessEnv, variable: string, what: string): number {
  const n = Number(required(env, variable, what));
  if (!Number.isInteger(n) || n <= 0) throw new IngestConfigError(`${variable} must be a whole number > 0: ${what}`);
  return n;
}

/** The settings common to every cloud, refused with the variable's name when one is wrong. */
export function readDeployment(env: NodeJS.ProcessEnv): IngestDeployment {
  const chunkingWhat = 'the chunking as JSON, e.g. {"strategy":"fixed","maxTokens":300,"overlapPercent":20}';
  const c = json(env, INGEST_ENV.chunking, chunkingWhat) as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || (c.strategy !== 'fixed' && c.strategy !== 'none') || typeof c.maxTokens !== 'number' || typeof c.overlapPercent !== 'number') {
    throw new IngestConfigError(`${INGEST_ENV.chunking} must hold ${chunkingWhat} with strategy 'fixed' or 'none'`);
  }
  const distance = required(env, INGEST_ENV.distance, "the distance, 'cosine', 'euclidean' or 'dot-product'");
  if (distance !== 'cosine' && distance !== 'euclidean' && distance !== 'dot-product') {
    throw new IngestConfigError(`${INGEST_ENV.distance} must be 'cosine', 'euclidean' or 'dot-product' (got '${distance.slice(0, 40)}')`);
  }
  const cost = Number(env[INGEST_ENV.costPerMillionTokensUsd] ?? '0');
  if (!Number.isFinite(cost) || cost < 0) throw new IngestConfigError(`${INGEST_ENV.costPerMillionTokensUsd} must be a number >= 0 (USD per million tokens)`);
  const rpmText = env[INGEST_ENV.embeddingRequestsPerMinute]?.trim();
  const rpm = rpmText ? Number(rpmText) : undefined;
  if (rpm !== undefined && !(Number.isFinite(rpm) && rpm > 0)) throw new IngestConfigError(`${INGEST_ENV.embeddingRequestsPerMinute} must be a number > 0 (embedding requests per minute; got '${rpmText!.slice(0, 40)}')`);
  const bases = env[INGEST_ENV.apiBases] ? json(env, INGEST_ENV.apiBases, 'a JSON object of base URLs') : {};
  return {
    name: required(env, INGEST_ENV.name, "the vector store's name"),
    chunking: { strategy: c.strategy, maxTokens: c.maxTokens, overlapPercent: c.overlapPercent },
    embeddingModel: required(env, INGEST_ENV.embeddingModel, 'the embedding model id or deployment name'),
    ...(env[INGEST_ENV.embeddingModelId]?.trim() ? { embeddingModelId: env[INGEST_ENV.embeddingModelId]!.trim() } : {}),
    dimensions: positiveInteger(env, INGEST_ENV.dimensions, "the embedding model's output dimensions"),
    distance,
    costPerMillionTokensUsd: cost,
    ...(rpm !== undefined ? { embeddingRequestsPerMinute: rpm } : {}),
    apiBases: bases as Record<string, string>,
  };
}

/**
 * The `chunk` seam of a run: the document's text (by content type, else file extension), cut by the
 * deployment's chunking, limited to what the embedding model takes.
 */
export function documentChunker(chunking: IngestDeployment['chunking'], modelMaxTokens: number) {
  return async (doc: { readonly id: string; readonly bytes: Uint8Array; readonly contentType?: string }): Promise<string[]> => {
    const { text } = await extractText(doc.bytes, { contentType: doc.contentType, fileName: doc.id });
    return chunkText(doc.id, text, { ...chunking, modelMaxTokens }).map((c) => c.text);
  };
}
