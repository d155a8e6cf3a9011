// Entry of the Google Cloud ingestion bundle (dist/ingest/gcp/index.js): the program of the Cloud Run
// job. Cloud Scheduler starts an execution with `node index.js run` on the design's refresh schedule
// (one ingestion run) and with `node index.js probe` every hour (the freshness event). Both write one
// JSON line to stdout, which Cloud Logging keeps and the VectorStore's log metrics and alerts read.
import { embedAll } from '../embed/embed-all';
import { RateLimiter } from '../embed/rate-limit';
import type { RetryOptions } from '../embed/retry';
import { VertexEmbedder } from '../embed/vertex';
import { googleAccessToken } from '../embed/auth';
import { INGEST_ENV, type IngestMode } from '../deploy-env';
import { formatEvent, runFailed } from '../events';
import { documentChunker, IngestConfigError, readDeployment, required, type IngestDeployment } from '../handlers/deployment';
import { probeAndReport, runAndReport, type EventSink } from '../handlers/report';
import type { IngestSeams } from '../run';
import { ChunkTextStore } from './chunk-texts';
import { metadataAccessToken } from './metadata-token';
import { GcsClient, GcsManifestStore } from './storage';
import { VectorSearchIndex } from './vector-search';

/** Input limit of Vertex AI's text embedding models (text-embedding-005, gemini-embedding-001): longer inputs are truncated. */
export const VERTEX_EMBEDDING_MAX_INPUT_TOKENS = 2048;

/**
 * Embedding requests per minute the run spaces itself to. Vertex AI's per-region quota for the
 * embedding models is per project and shared with the application's query-time embeddings, so the
 * run keeps well under a typical default rather than living on 429s (which it would still survive:
 * they are retried). The figure is an assumption, not read from the project's quota.
 */
export const EMBEDDING_REQUESTS_PER_MINUTE = 600;

/** What the job reads from its environment: the common settings and Google Cloud's. */
export interface GcpIngestConfig {
  readonly deployment: IngestDeployment;
  readonly project: string;
  readonly location: string;
  readonly sourceBucket: string;
  /** Holds `manifest.json` and the chunk texts (`chunks/`, see chunk-texts.ts). */
  readonly stateBucket: string;
  /** `projects/<p>/locations/<l>/indexes/<id>` */
  readonly vectorIndex: string;
}

/** Test seams of `main`; a deployment passes none. */
export interface GcpEntryOptions {
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default 600 (EMBEDDING_REQUESTS_PER_MINUTE) */
  readonly embeddingRequestsPerMinute?: number;
  /** Retries of every Google call (storage, embeddings, index). @default - 5 attempts, backoff from 500 ms */
  readonly retry?: RetryOptions;
}

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const INDEX = /^projects\/[^/]+\/locations\/[^/]+\/indexes\/[^/]+$/;

/** The environment, refused with the variable's name when one is missing or malformed. */
export function readGcpConfig(env: NodeJS.ProcessEnv): GcpIngestConfig {
  const deployment = readDeployment(env);
  const bucket = (variable: string, what: string) => {
    const value = required(env, variable, what);
    if (!BUCKET.test(value)) throw new IngestConfigError(`${variable} must be a Cloud Storage bucket name (lowercase letters, digits, '-', '_', '.'; got '${value.slice(0, 80)}')`);
    return value;
  };
  const vectorIndex = required(env, INGEST_ENV.vectorIndex, 'the Vector Search index, projects/<project>/locations/<location>/indexes/<id>');
  if (!INDEX.test(vectorIndex)) throw new IngestConfigError(`${INGEST_ENV.vectorIndex} must be projects/<project>/locations/<location>/indexes/<id> (got '${vectorIndex.slice(0, 120)}')`);
  const bases: unknown = deployment.apiBases;
  if (typeof bases !== 'object' || bases === null || Array.isArray(bases)) throw new IngestConfigError(`${INGEST_ENV.apiBases} must be a JSON object of base URLs`);
  for (const key of Object.keys(deployment.apiBases)) {
    if (typeof deployment.apiBases[key] !== 'string') throw new IngestConfigError(`${INGEST_ENV.apiBases}.${key} must be a base URL string`);
  }
  return {
    deployment,
    project: required(env, INGEST_ENV.project, 'the Google Cloud project id of the Vertex AI calls'),
    location: required(env, INGEST_ENV.location, 'the Vertex AI region of the embedding model, e.g. us-central1'),
    sourceBucket: bucket(INGEST_ENV.sourceBucket, 'the bucket of the source documents'),
    stateBucket: bucket(INGEST_ENV.stateBucket, 'the bucket of the ingestion state (manifest.json, chunks/)'),
    vectorIndex,
  };
}

/** The run's seams on Google Cloud: Cloud Storage source, manifest and chunk texts, Vertex AI embeddings, Vector Search index. */
export function gcpSeams(config: GcpIngestConfig, options: GcpEntryOptions = {}): IngestSeams {
  const { deployment } = config;
  const bases = deployment.apiBases;
  const accessToken = bases.metadata ? metadataAccessToken(bases.metadata) : googleAccessToken;
  const storage = new GcsClient({ baseUrl: bases.storage, accessToken, retry: options.retry });
  const embedder = new VertexEmbedder({
    project: config.project,
    region: config.location,
    model: deployment.embeddingModel,
    outputDimensionality: deployment.dimensions,
    baseUrl: bases.vertex,
    accessToken,
  });
  const index = new VectorSearchIndex({ index: config.vectorIndex, baseUrl: bases.vertex, accessToken, retry: options.retry });
  // The private endpoint's Match answers ids, not embeddingMetadata: the texts are also objects the
  // application reads by id. Object before datapoints, datapoints before object: see ChunkTextStore.
  const chunkTexts = new ChunkTextStore(storage, config.stateBucket);
  const rateLimiter = new RateLimiter(options.embeddingRequestsPerMinute ?? deployment.embeddingRequestsPerMinute ?? EMBEDDING_REQUESTS_PER_MINUTE);
  return {
    listDocuments: () => storage.listDocuments(config.sourceBucket),
    readDocument: (id) => storage.readDocument(config.sourceBucket, id),
    chunk: documentChunker(deployment.chunking, VERTEX_EMBEDDING_MAX_INPUT_TOKENS),
    embed: (texts, label) => embedAll(embedder, texts, { label, rateLimiter, retry: options.retry }),
    // All of a version's texts in one object, before any of its datapoints (which come in slices).
    beforeUpsert: (v) => chunkTexts.write(v.ids.map((id, i) => ({ id, documentId: v.documentId, index: i, text: v.texts[i], vector: [] }))),
    upsertChunks: (chunks) => index.upsertChunks(chunks),
    deleteChunks: async (ids) => {
      await index.removeDatapoints(ids);
      await chunkTexts.deleteGroupsOf(ids);
    },
    manifest: new GcsManifestStore(storage, config.stateBucket),
    ...(options.now ? { now: options.now } : {}),
    costPerMillionTokensUsd: deployment.costPerMillionTokensUsd,
  };
}

const stdout: EventSink = (line) => process.stdout.write(`${line}\n`);
const MODES: readonly IngestMode[] = ['run', 'probe'];

/**
 * `run` or `probe` (argv[0]); resolves to the process's exit code: 0, 1 when the run or probe failed
 * (the failed-run event is on stdout; Cloud Run records the execution as failed), 2 on a wrong argument.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, sink: EventSink = stdout, options: GcpEntryOptions = {}): Promise<number> {
  const mode = argv[0] as IngestMode;
  if (argv.length !== 1 || !MODES.includes(mode)) {
    process.stderr.write(`usage: node index.js run|probe (got ${JSON.stringify(argv.slice(0, 3).join(' ').slice(0, 80))})\n`);
    return 2;
  }
  const now = options.now ?? (() => new Date());
  let config: GcpIngestConfig;
  try {
    config = readGcpConfig(env);
  } catch (error) {
    // A run that cannot start is a failed run to the alert, which matches on the event.
    const name = env[INGEST_ENV.name]?.trim() || '(unnamed)';
    if (mode === 'run') sink(formatEvent(runFailed(name, now().toISOString(), error)));
    else process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: `freshness probe of ${name} failed: ${(error as Error).message}` })}\n`);
    return 1;
  }
  const seams = gcpSeams(config, options);
  try {
    if (mode === 'run') await runAndReport(config.deployment.name, seams, sink);
    else await probeAndReport(config.deployment.name, seams.manifest, now(), sink);
    return 0;
  } catch (error) {
    // runAndReport has written the failed-run event; a probe that cannot read the manifest says so on stderr.
    if (mode === 'probe') process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: `freshness probe of ${config.deployment.name} failed: ${(error as Error).message}` })}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      process.stderr.write(`${error.stack ?? error.message}\n`);
      process.exitCode = 1;
    },
  );
}
