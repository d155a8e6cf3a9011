// What `ai-stack check` must know of a vector store on Google Cloud, and the plans the construct builds
// from (names, the index's distance, the freshness thresholds). Pure: no cdktf or provider, so the
// design's validation runs it without loading them; the construct runs the same functions on its props.
import { findModel } from '../../design/catalog/models';
import { cronLongestGapSeconds } from '../../design/cron-count';
import { isCron } from '../../design/gpu-endpoint';
import { fitName } from '../../design/naming';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { VECTOR_STORE_DEFAULTS, type ResolvedVectorStore, type VectorStoreDesign } from '../../design/vector-store';
import { PROBE_INTERVAL_SECONDS } from '../../ingest/deploy-env';

/** The chunking strategies the shipped ingestion runtime implements (lib/ingest/chunk.ts). */
export const GCP_CHUNKING_STRATEGIES: readonly string[] = ['fixed', 'none'];

/** Cloud Storage refuses bucket names that begin with `goog` or hold `google` or a close misspelling. */
const GOOGLE_IN_BUCKET = /^goog|g[o0][o0]g[l1]e/;

/** Google Cloud's rules of the design's vector store, with `path` its path (`vectorStore`, or `props`). */
export function validateVectorStoreOnGcp(v: VectorStoreDesign, path: string, problems: Problems): void {
  const chunking = join(path, 'chunking');
  const strategy = v.chunking?.strategy;
  if (typeof strategy === 'string' && !isToken(strategy) && !GCP_CHUNKING_STRATEGIES.includes(strategy)) {
    problems.add(
      join(chunking, 'strategy'),
      `'${strategy}' chunking is Amazon Bedrock's and is not offered on Google Cloud, where the shipped ingestion runtime chunks the documents itself: use 'fixed' (token windows with overlapPercent) or 'none' (each file one chunk)`,
    );
  }
  // The runtime cuts chunks to the embedding model's input limit: a larger maxTokens would be cut
  // silently, so the design's number would not be what is embedded.
  const modelId = v.embeddingModels?.gcp ?? VECTOR_STORE_DEFAULTS.embeddingModels.gcp;
  const model = typeof modelId === 'string' && !isToken(modelId) ? findModel(modelId) : undefined;
  const maxTokens = v.chunking?.maxTokens;
  // Above the neutral bound (8192) the neutral rule has already refused it: one problem per value.
  if (model?.kind === 'embedding' && typeof maxTokens === 'number' && !isToken(maxTokens) && maxTokens > model.contextWindowTokens && maxTokens <= 8192) {
    problems.add(
      join(chunking, 'maxTokens'),
      `must be at most ${model.contextWindowTokens} on Google Cloud: ${quote(modelId)} embeds at most ${model.contextWindowTokens} input tokens, and a longer chunk would be cut (got ${maxTokens})`,
    );
  }
}

/** A part of the vector store's bucket names (the prefix, the name), at `path`: Cloud Storage refuses one that holds `google`. */
export function validateBucketNamePart(value: unknown, path: string, problems: Problems): void {
  if (typeof value !== 'string' || isToken(value) || !GOOGLE_IN_BUCKET.test(value)) return;
  problems.add(path, `must not begin with 'goog' or contain 'google' (or a look-alike such as 'g00gle') for a vector store on Google Cloud: it names the vector store's Cloud Storage buckets, which Cloud Storage refuses (got ${quote(value)})`);
}

/** The index's distance as Vector Search's, with the vector normalization that goes with it. */
export interface VertexDistance {
  readonly distanceMeasureType: 'DOT_PRODUCT_DISTANCE' | 'SQUARED_L2_DISTANCE';
  readonly featureNormType: 'UNIT_L2_NORM' | 'NONE';
}

/**
 * Cosine similarity is the dot product of unit vectors: Vector Search recommends DOT_PRODUCT_DISTANCE
 * with UNIT_L2_NORM over COSINE_DISTANCE (it ranks the same and is faster). Euclidean is
 * SQUARED_L2_DISTANCE (the same order as L2); dot product is DOT_PRODUCT_DISTANCE on the raw vectors.
 * (cloud.google.com/vertex-ai/docs/vector-search/configuring-indexes, DistanceMeasureType.)
 */
export function vertexDistance(distance: ResolvedVectorStore['distance']): VertexDistance {
  switch (distance) {
    case 'cosine':
      return { distanceMeasureType: 'DOT_PRODUCT_DISTANCE', featureNormType: 'UNIT_L2_NORM' };
    case 'euclidean':
      return { distanceMeasureType: 'SQUARED_L2_DISTANCE', featureNormType: 'NONE' };
    case 'dot-product':
      return { distanceMeasureType: 'DOT_PRODUCT_DISTANCE', featureNormType: 'NONE' };
  }
}

/** The index is stale (alert) when its last successful run is older than twice the longest refresh gap. */
export function staleAfterSeconds(refreshSchedule: string): number {
  return cronLongestGapSeconds(refreshSchedule) * 2;
}

/** Probes missed before the "no freshness probe" alert fires: the job or its scheduler is broken. */
export const MISSED_PROBES = 3;

export function probeAbsentSeconds(): number {
  return PROBE_INTERVAL_SECONDS * MISSED_PROBES;
}

/** Unix-cron of the hourly freshness probe (Cloud Scheduler): every PROBE_INTERVAL_SECONDS. */
export function probeSchedule(): string {
  const minutes = PROBE_INTERVAL_SECONDS / 60;
  if (minutes === 60) return '0 * * * *';
  if (Number.isInteger(minutes) && minutes < 60 && 60 % minutes === 0) return `*/${minutes} * * * *`;
  throw new Error(`internal error: PROBE_INTERVAL_SECONDS ${PROBE_INTERVAL_SECONDS} has no unix-cron form`);
}

/** Physical names of one vector store, from the stack's prefix and the design's name. */
export interface VectorStoreNames {
  /** Buckets (globally unique: the project id is part of each, at most 63 characters). */
  readonly sourceBucket: string;
  readonly stateBucket: string;
  readonly bundleBucket: string;
  /** Index and endpoint display names. */
  readonly index: string;
  readonly endpoint: string;
  /** Deployed index id: letters, digits and underscores, starting with a letter. */
  readonly deployedIndexId: string;
  /** Cloud Run job (at most 49 characters here). */
  readonly job: string;
  /** Service accounts (6-30 characters): the job's and the schedulers'. */
  readonly jobAccount: string;
  readonly invokerAccount: string;
  /** Custom role ids (letters, digits, `_` and `.`, at most 64). */
  readonly indexWriterRole: string;
  readonly embedderRole: string;
  /** Cloud Scheduler jobs. */
  readonly refreshJob: string;
  readonly probeJob: string;
  /** Private Service Connect endpoint: address and forwarding rule; and the network the construct may create. */
  readonly pscEndpoint: string;
  readonly network: string;
  readonly subnetwork: string;
  /** Key ring and key the construct may create. */
  readonly keyRing: string;
  readonly key: string;
  /** Prefix of the log-based metric ids. */
  readonly metricPrefix: string;
}

/** `<prefix>-<name>` cut to fit what the project id leaves of a bucket name (24 + 7 + 30 <= 63). */
const bucketStem = (prefix: string, name: string) => fitName([prefix, name], 24);
const roleId = (what: string, prefix: string, name: string) => `aiStackIngest${what}_${`${prefix}_${name}`.replace(/-/g, '_')}`.slice(0, 64);

export function vectorStoreNames(prefix: string, name: string, project: string): VectorStoreNames {
  const stem = bucketStem(prefix, name);
  return {
    sourceBucket: `${stem}-docs-${project}`,
    stateBucket: `${stem}-state-${project}`,
    bundleBucket: `${stem}-code-${project}`,
    index: fitName([prefix, name], 128),
    endpoint: fitName([prefix, name], 128),
    deployedIndexId: fitName([prefix, name], 128).replace(/-/g, '_'),
    job: fitName([prefix, name, 'ingest'], 49),
    jobAccount: fitName([prefix, name, 'ingest'], 30),
    invokerAccount: fitName([prefix, name, 'ingest-run'], 30),
    indexWriterRole: roleId('IndexWriter', prefix, name),
    embedderRole: roleId('Embedder', prefix, name),
    refreshJob: fitName([prefix, name, 'refresh'], 500),
    probeJob: fitName([prefix, name, 'freshness-probe'], 500),
    pscEndpoint: fitName([prefix, name, 'psc'], 63),
    network: fitName([prefix, name, 'vs-net'], 63),
    subnetwork: fitName([prefix, name, 'vs-subnet'], 63),
    keyRing: fitName([prefix, name], 63),
    key: fitName([prefix, name, 'docs'], 63),
    metricPrefix: fitName([prefix, name, 'ingest'], 80),
  };
}

/** True when `cron` is a literal five-field cron (the schedules are built from it). */
export function literalCron(cron: unknown): cron is string {
  return typeof cron === 'string' && !isToken(cron) && isCron(cron);
}
