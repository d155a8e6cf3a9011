// Entry of the Azure ingestion function bundle (dist/ingest/azure/index.js, the `main` of the function
// app package): two timer functions, `ingest` on the design's refresh schedule and `freshness` every
// hour. `@azure/functions` is bundled and registers the functions only inside the Functions worker,
// so importing this file (tests, the bundler) has no side effect.
import { StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { findModel } from '../../design/catalog/models';
import { INGEST_ENV } from '../deploy-env';
import { AzureOpenAIEmbedder } from '../embed/azure-openai';
import { embedAll } from '../embed/embed-all';
import { RateLimiter } from '../embed/rate-limit';
import type { RetryOptions } from '../embed/retry';
import { formatEvent, runFailed } from '../events';
import { documentChunker, IngestConfigError, readDeployment, required, type IngestDeployment } from '../handlers/deployment';
import { probeAndReport, runAndReport, type EventSink } from '../handlers/report';
import { EMPTY_MANIFEST, type ManifestStore, type RunRecord } from '../manifest';
import type { IngestSeams } from '../run';
import { AiSearchIndex } from './ai-search';
import { azureIngestAuth, staticTokenCredential } from './auth';
import { blobService, BlobManifestStore, listDocuments, readDocument } from './blob';
import { inFunctionsWorker } from '../../common/azure-functions-worker';

/** Every hour on the hour (NCRONTAB, with seconds): the freshness alerts' resolution. */
export const FRESHNESS_SCHEDULE = '0 0 * * * *';
/** The ingestion timer reads its NCRONTAB from the app setting the construct writes. */
export const INGEST_SCHEDULE = `%${INGEST_ENV.schedule}%`;

/** Input limit of Azure OpenAI embedding models not in the catalog (ada-002 and text-embedding-3 take 8,191). */
const DEFAULT_MODEL_MAX_TOKENS = 8191;

/** What an Azure ingestion run reads from its environment (see deploy-env.ts). */
export interface AzureIngestConfig {
  readonly deployment: IngestDeployment;
  readonly blobEndpoint: string;
  readonly sourceContainer: string;
  readonly stateContainer: string;
  readonly searchEndpoint: string;
  readonly openAiEndpoint: string;
  /** Client id of the user-assigned identity; absent only when the test credentials replace it. */
  readonly clientId?: string;
  /** From `INGEST_ENV.apiBases`: a storage shared key (azurite) and a fixed bearer token (the fakes). */
  readonly testCredentials?: { readonly storageAccount?: string; readonly storageKey?: string; readonly token?: string };
}

/*
 * Tests only, `INGEST_ENV.apiBases` (JSON): `blob`, `search`, `openai` replace the three endpoints;
 * `storageAccount` + `storageKey` sign Blob calls with a shared key (azurite's development account);
 * `token` is sent as the bearer token to AI Search and Azure OpenAI. A deployment never sets it.
 */
export function readAzureConfig(env: NodeJS.ProcessEnv): AzureIngestConfig {
  const deployment = readDeployment(env);
  const bases = deployment.apiBases;
  const url = (variable: string, base: string | undefined, what: string) => {
    const value = base ?? required(env, variable, what);
    // Plain http only for the local servers of tests.
    if (!(base === undefined ? /^https:\/\/[^\s/]+/ : /^https?:\/\/[^\s/]+/).test(value)) {
      throw new IngestConfigError(`${base === undefined ? variable : `${INGEST_ENV.apiBases} entry`} must be an https:// URL: ${what} (got '${value.slice(0, 60)}')`);
    }
    return value.replace(/\/+$/, '');
  };
  const sourceContainer = required(env, INGEST_ENV.sourceContainer, 'the Blob container of the source documents');
  const stateContainer = required(env, INGEST_ENV.stateContainer, 'the Blob container of the ingestion manifest');
  // The manifest would be listed, and embedded, as a document.
  if (sourceContainer === stateContainer) throw new IngestConfigError(`${INGEST_ENV.sourceContainer} and ${INGEST_ENV.stateContainer} must name two containers (both are '${sourceContainer}')`);
  const testCredentials = Object.keys(bases).length > 0 ? { storageAccount: bases.storageAccount, storageKey: bases.storageKey, token: bases.token } : undefined;
  const clientId = env[INGEST_ENV.clientId]?.trim() || undefined;
  if (!clientId && !testCredentials?.token) {
    throw new IngestConfigError(`${INGEST_ENV.clientId} is not set: it must hold the client id of the function's user-assigned identity (the VectorStore construct sets it)`);
  }
  return {
    deployment,
    blobEndpoint: url(INGEST_ENV.blobEndpoint, bases.blob, 'the storage account Blob endpoint, https://<account>.blob.core.windows.net'),
    sourceContainer,
    stateContainer,
    searchEndpoint: url(INGEST_ENV.searchEndpoint, bases.search, 'the AI Search endpoint, https://<service>.search.windows.net'),
    openAiEndpoint: url(INGEST_ENV.openAiEndpoint, bases.openai, 'the Azure OpenAI endpoint, https://<account>.openai.azure.com'),
    ...(clientId ? { clientId } : {}),
    ...(testCredentials ? { testCredentials } : {}),
  };
}

/** Test hooks; a deployment passes none. */
export interface AzureRunOptions {
  /** Retries of the embedding and AI Search calls. @default - withRetries' defaults */
  readonly retry?: RetryOptions;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Blobs per List Blobs page. @default 5000 */
  readonly listPageSize?: number;
}

interface AzureWiring {
  readonly config: AzureIngestConfig;
  readonly source: ContainerClient;
  readonly manifest: BlobManifestStore;
  readonly index: AiSearchIndex;
  readonly openAiToken: () => Promise<string>;
}

function wire(env: NodeJS.ProcessEnv, options: AzureRunOptions): AzureWiring {
  const config = readAzureConfig(env);
  const t = config.testCredentials;
  const auth = azureIngestAuth(config.clientId);
  const credential = t?.storageAccount && t.storageKey ? new StorageSharedKeyCredential(t.storageAccount, t.storageKey) : t?.token ? staticTokenCredential(t.token) : auth.credential;
  const token = t?.token;
  const blobs = blobService({ endpoint: config.blobEndpoint, credential });
  const { deployment } = config;
  return {
    config,
    source: blobs.getContainerClient(config.sourceContainer),
    manifest: new BlobManifestStore(blobs.getContainerClient(config.stateContainer)),
    index: new AiSearchIndex({
      endpoint: config.searchEndpoint,
      indexName: deployment.name,
      dimensions: deployment.dimensions,
      distance: deployment.distance,
      accessToken: token ? async () => token : auth.searchToken,
      retry: options.retry,
    }),
    openAiToken: token ? async () => token : auth.openAiToken,
  };
}

/** text-embedding-3 models take `dimensions` (shortened embeddings); ada-002 refuses it. */
function takesDimensions(deployment: IngestDeployment): boolean {
  const id = deployment.embeddingModelId ?? deployment.embeddingModel;
  const model = findModel(id)?.providerModelId ?? id;
  return /^text-embedding-3/.test(model);
}

/**
 * The manifest of an index that was just created: its documents and pending deletes describe an index
 * that is gone (deleted by hand to rebuild it), so the run starts from none of them and re-embeds
 * every document. The stored version is kept: the run's writes stay compare-and-set.
 */
function forgetIndexedDocuments(store: ManifestStore): ManifestStore {
  return {
    read: async () => {
      const stored = await store.read();
      if (!stored) return undefined;
      const lastRun = stored.manifest.lastRun;
      return { version: stored.version, manifest: { ...EMPTY_MANIFEST, ...(lastRun ? { lastRun } : {}) } };
    },
    write: (manifest, expectedVersion) => store.write(manifest, expectedVersion),
  };
}

const consoleSink: EventSink = (line) => console.log(line);

/**
 * One ingestion run: ensure the index, then list, embed what changed, upsert, delete, record. Every
 * failure, a configuration or index schema one included, writes the failed-run event and throws, so
 * Functions records the invocation as failed too.
 */
export async function runOnce(env: NodeJS.ProcessEnv, sink: EventSink = consoleSink, options: AzureRunOptions = {}): Promise<RunRecord> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  let wiring: AzureWiring;
  let indexState: Awaited<ReturnType<AiSearchIndex['ensureIndex']>>;
  try {
    wiring = wire(env, options);
    indexState = await wiring.index.ensureIndex();
  } catch (error) {
    sink(formatEvent(runFailed(env[INGEST_ENV.name]?.trim() || '(unnamed)', startedAt, error)));
    throw error;
  }
  const { config, source, index } = wiring;
  const { deployment } = config;
  const embedder = new AzureOpenAIEmbedder({
    endpoint: config.openAiEndpoint,
    deployment: deployment.embeddingModel,
    ...(takesDimensions(deployment) ? { dimensions: deployment.dimensions } : {}),
    accessToken: wiring.openAiToken,
  });
  const rateLimiter = deployment.embeddingRequestsPerMinute ? new RateLimiter(deployment.embeddingRequestsPerMinute) : undefined;
  const seams: IngestSeams = {
    listDocuments: () => listDocuments(source, { pageSize: options.listPageSize }),
    readDocument: (id) => readDocument(source, id),
    chunk: documentChunker(deployment.chunking, findModel(deployment.embeddingModelId ?? deployment.embeddingModel)?.contextWindowTokens ?? DEFAULT_MODEL_MAX_TOKENS),
    embed: (texts, label) => embedAll(embedder, texts, { label, retry: options.retry, rateLimiter }),
    upsertChunks: (chunks) => index.upsertChunks(chunks),
    deleteChunks: (ids) => index.deleteChunks(ids),
    manifest: indexState === 'created' ? forgetIndexedDocuments(wiring.manifest) : wiring.manifest,
    now,
    costPerMillionTokensUsd: deployment.costPerMillionTokensUsd,
  };
  return runAndReport(deployment.name, seams, sink);
}

/** The hourly freshness probe: the index's age from the manifest's last successful run. */
export async function probeOnce(env: NodeJS.ProcessEnv, sink: EventSink = consoleSink, options: Pick<AzureRunOptions, 'now'> = {}): Promise<void> {
  const { config, manifest } = wire(env, {});
  await probeAndReport(config.deployment.name, manifest, (options.now ?? (() => new Date()))(), sink);
}

export async function ingestTimer(): Promise<void> {
  await runOnce(process.env);
}

export async function freshnessTimer(): Promise<void> {
  await probeOnce(process.env);
}

interface AzureFunctionsApp {
  timer(name: string, options: { schedule: string; runOnStartup?: boolean; handler: () => Promise<void> }): void;
}

/** Registers the two timers on `app` (exported so a test can check names and schedules). */
export function register(app: AzureFunctionsApp): void {
  // No run on start-up: a scale-out or a restart must not start an unscheduled run.
  app.timer('ingest', { schedule: INGEST_SCHEDULE, runOnStartup: false, handler: ingestTimer });
  app.timer('freshness', { schedule: FRESHNESS_SCHEDULE, runOnStartup: false, handler: freshnessTimer });
}

if (inFunctionsWorker()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  register((require('@azure/functions') as { app: AzureFunctionsApp }).app);
}
