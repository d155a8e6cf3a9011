/**
 * The variables the AWS `VectorStore` sets for its freshness probe (dist/ingest/aws), beside
 * INGEST_ENV.name (lib/ingest/deploy-env.ts): the probe only lists ingestion jobs, so it needs none of
 * the ingestion settings the GCP and Azure runtimes read. Pure constants, imported by both sides.
 */
export const AWS_PROBE_ENV = {
  /** The Bedrock knowledge base and its data source whose ingestion jobs the probe lists. */
  knowledgeBaseId: 'AI_STACK_INGEST_KNOWLEDGE_BASE_ID',
  dataSourceId: 'AI_STACK_INGEST_DATA_SOURCE_ID',
  /** CloudFormation's `CreatedAt` of the data source: the index's age until its first job completes. */
  dataSourceCreatedAt: 'AI_STACK_INGEST_DATA_SOURCE_CREATED_AT',
  /** CloudWatch namespace of the Embedded Metric Format lines. */
  metricsNamespace: 'AI_STACK_INGEST_METRICS_NAMESPACE',
} as const;

/** Key of INGEST_ENV.apiBases (tests only) that replaces the Bedrock Agent endpoint. */
export const BEDROCK_AGENT_API_BASE_KEY = 'bedrockAgent';

/** Names of the metrics the probe publishes; the construct's alarms and `metric*` methods use the same. */
export const FRESHNESS_METRICS = {
  indexAge: 'IndexAgeSeconds',
  failedJobs: 'FailedIngestionJobs',
  completedJobs: 'CompletedIngestionJobs',
  documentsScanned: 'DocumentsScanned',
  documentsChanged: 'DocumentsChanged',
  documentsRemoved: 'DocumentsRemoved',
  documentsFailed: 'DocumentsFailed',
} as const;

/** The one dimension of every freshness metric, valued with the design's vector store name. */
export const FRESHNESS_DIMENSION = 'VectorStore';
