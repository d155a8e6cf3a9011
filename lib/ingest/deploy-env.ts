/**
 * The contract between a cloud's `VectorStore` construct and the ingestion bundle it deploys
 * (dist/ingest/<cloud>): the environment variables the construct sets and the entry reads, like
 * lib/router/deploy-env.ts for the router. Pure constants, imported by both sides.
 */
export const INGEST_ENV = {
  /** The design's `vectorStore.name`: names the index in the run events. */
  name: 'AI_STACK_INGEST_NAME',
  /** JSON of the resolved chunking: `{ "strategy": "fixed", "maxTokens": 300, "overlapPercent": 20 }`. */
  chunking: 'AI_STACK_INGEST_CHUNKING',
  /** The embedding model: Vertex's model id (`text-embedding-005`), or the Azure OpenAI deployment name. */
  embeddingModel: 'AI_STACK_INGEST_EMBEDDING_MODEL',
  /**
   * The embedding model's catalog id (`text-embedding-3-small`): its input limit, and whether it takes
   * `dimensions`, when the deployment is named otherwise. Optional: `embeddingModel` is looked up instead.
   */
  embeddingModelId: 'AI_STACK_INGEST_EMBEDDING_MODEL_ID',
  /** Output dimensions of the embedding model (the index's). */
  dimensions: 'AI_STACK_INGEST_DIMENSIONS',
  /** The design's distance: `cosine`, `euclidean` or `dot-product` (Azure creates its index with it). */
  distance: 'AI_STACK_INGEST_DISTANCE',
  /**
   * Embedding requests per minute the run spaces itself to, under the model's quota. Unset: 600 on
   * GCP; none on Azure (its 429s carry `retry-after-ms` and are retried).
   */
  embeddingRequestsPerMinute: 'AI_STACK_INGEST_EMBEDDING_RPM',
  /** Price of the embedding model, USD per million input tokens: the run record's cost. */
  costPerMillionTokensUsd: 'AI_STACK_INGEST_COST_PER_MTOK_USD',

  /** GCP: project id and region of the Vertex AI calls. */
  project: 'AI_STACK_INGEST_PROJECT',
  location: 'AI_STACK_INGEST_LOCATION',
  /** GCP: bucket of the source documents. */
  sourceBucket: 'AI_STACK_INGEST_SOURCE_BUCKET',
  /** GCP: bucket of the ingestion state: the manifest object and the chunk texts (`chunks/`, what queries read). */
  stateBucket: 'AI_STACK_INGEST_STATE_BUCKET',
  /** GCP: the Vector Search index, `projects/<p>/locations/<l>/indexes/<id>`. */
  vectorIndex: 'AI_STACK_INGEST_VECTOR_INDEX',

  /** Azure: Blob endpoint of the storage account, `https://<account>.blob.core.windows.net`. */
  blobEndpoint: 'AI_STACK_INGEST_BLOB_ENDPOINT',
  /** Azure: container of the source documents, and container of the ingestion state (the manifest blob). */
  sourceContainer: 'AI_STACK_INGEST_SOURCE_CONTAINER',
  stateContainer: 'AI_STACK_INGEST_STATE_CONTAINER',
  /** Azure: the AI Search service, `https://<service>.search.windows.net`; the index is named `name`. */
  searchEndpoint: 'AI_STACK_INGEST_SEARCH_ENDPOINT',
  /** Azure: the Azure OpenAI (Foundry) account endpoint, `https://<account>.openai.azure.com`. */
  openAiEndpoint: 'AI_STACK_INGEST_OPENAI_ENDPOINT',
  /** Azure: NCRONTAB (six fields, with seconds) of the ingestion timer, read by the function's `%...%` binding. */
  schedule: 'AI_STACK_INGEST_SCHEDULE',
  /** Azure: client id of the user-assigned managed identity (Azure's standard variable name). */
  clientId: 'AZURE_CLIENT_ID',

  /**
   * Tests only: base URLs that replace the clouds' public endpoints, so the entries run against local
   * servers speaking the same APIs (JSON object; GCP: `storage`, `vertex`, `metadata`; Azure: `blob`,
   * `search`, `openai`, and the test credentials `storageAccount`, `storageKey` (azurite), `token`).
   */
  apiBases: 'AI_STACK_INGEST_API_BASES',
} as const;

/** Argument (GCP job) or function name (Azure) of the two things an ingestion deployment does. */
export type IngestMode = 'run' | 'probe';

/** Name of the structured event of a finished or failed run; log metrics and alerts match on it. */
export const RUN_EVENT = 'ai-stack.ingest.run';
/** Name of the structured event of a freshness probe (the index's age, published every hour). */
export const FRESHNESS_EVENT = 'ai-stack.ingest.freshness';

/** Seconds between two freshness probes: the alarms' resolution. */
export const PROBE_INTERVAL_SECONDS = 3600;
