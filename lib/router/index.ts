// The router runtime: `ai-stack-constructs/router`. It loads no construct library; the cloud
// handlers are also bundled on their own (scripts/build-router.js).
export * from './config';
export { parseRouterConfig, checkRouterConfig } from './engine/config-check';
export { RouterEngine, DEFAULT_MAX_TOKENS, type EngineOptions, type ChatInput, type ChatResult, type ResultMeta } from './engine/engine';
export type { EngineStreamEvent } from './engine/stream';
export { RouterError, type OpenAiErrorBody, type RouterErrorType } from './engine/errors';
export { parseChatBody, type ParsedChat } from './engine/request';
export { DEFAULT_REQUEST_LIMITS, type RequestLimits } from './engine/limits';
export { clip, quote, QUOTE_MAX_CHARS } from './engine/quote';
export { brokenStreamUsage, STREAM_TAIL_TOKENS, type BrokenStream } from './engine/stream-charge';
export { planTargets, pickWeighted, type TargetPlan } from './engine/select';
export { CircuitBreaker, BreakerRegistry, type BreakerState, type BreakerCause } from './engine/breaker';
export { backoffMs, BACKOFF_BASE_MS, BACKOFF_CAP_MS } from './engine/backoff';
export { systemClock, seededRandom, budgetMonth, type Clock, type Random } from './engine/clock';
export { Cancellation, linkedAbortController, type CancelSignal, type LinkedAbortController } from './engine/cancel';
export { NANO_PER_USD, nanoPerToken, usdToNano, formatUsd, costNano } from './engine/cost';
export { estimatePromptTokens, promptTokenBound } from './engine/tokens';
export { hashKey, parseTenantKeys, readTenantKeysFile, hashTenantKeys, type TenantKeys } from './engine/keys';
export { TenantDirectory, type Tenant } from './engine/tenants';
export type { Ledger, Reservation, ReserveRequest, ReserveResult, LedgerBalance } from './stores/ledger';
export { MemoryLedger } from './stores/memory-ledger';
export type { RateLimiter, AdmitRequest, AdmitResult } from './stores/rate-limiter';
export { MemoryRateLimiter } from './stores/memory-rate-limiter';
export { MemorySpendStop, SPEND_STOP_KEY, encodeSpendStop, decodeSpendStop, type SpendStopState, type SpendStopStore, type VersionedSpendStop } from './stores/spend-stop';
export { SpendStopGate, DEFAULT_SPEND_STOP_REFRESH_MS } from './engine/spend-stop-gate';
// The guard stage: the local filter and the cloud guards (lib/router/guard).
export * from './guard';
export { guardCostBoundNano, MAX_CHARS_PER_TOKEN } from './guard/cost-bound';
export * from './log';
export { createPipeline, HEADER, PIPELINE_DEFAULTS, type HandleRequest, type Pipeline, type PipelineOptions, type Preflight, type Admitted, type RequestHeaders, type RouterResponse } from './handlers/pipeline';
export { createNodeServer, listen, nodeListener, writeResponse, NODE_SERVER_DEFAULTS, type ListenOptions, type NodeServerLimits, type RunningServer } from './handlers/node-http';
export { createLambdaHandler, type FunctionUrlEvent, type FunctionUrlResult, type AwsLambdaGlobal } from './handlers/lambda';
export { createGcpHandler, type GcpRequest, type GcpResponse } from './handlers/gcp';
export { createAzureHandler, type AzureHttpRequest, type AzureHttpResponseInit } from './handlers/azure';
export { routerConfigFromEnv, runtimeConnections, engineFromEnv, lazyPipeline, pipelineFromEnv, pipelineOptionsFromEnv, deployedRouter, PIPELINE_ENV, type DeployedRouter, type DeployedRouterOptions } from './handlers/from-env';
export { secretGate, secretUnavailable } from './handlers/secret-gate';
export { storesFromEnv, storeFromEnv, storePackages, maxRequestMsFromEnv, type RouterStores, type StoresFromEnvOptions, type AzureTablesCredential } from './handlers/stores-from-env';
// The deployment contract (constructs ↔ bundle) and the config the constructs deploy.
export * from './deploy-env';
export { deployedRouterConfig, splitBudget } from './deployed-config';
// Secret references, read and refreshed.
export * from './secrets';
export { parseKeyHashes } from './secrets/key-hashes';
// The shared stores. Their SDKs are optional peer dependencies, loaded only when a store is used.
export { DynamoDbLedger, DynamoDbRateLimiter, LEDGER_TABLE_SCHEMA, RATE_TABLE_SCHEMA, createTableInput, ledgerKey, DynamoDbSpendStop, type DynamoDbLedgerOptions, type DynamoDbRateLimiterOptions, type DynamoDbSpendStopOptions } from './stores/dynamodb';
export { AzureTablesLedger, AzureTablesRateLimiter, AZURE_LEDGER_TABLE, AZURE_RATE_TABLE, RATE_ROW_KEY, AzureTablesSpendStop, type AzureTablesLedgerOptions, type AzureTablesRateLimiterOptions, type AzureTablesSpendStopOptions } from './stores/azure-tables';
export * from './stores/firestore';
export { DEFAULT_MAX_REQUEST_MS, DEFAULT_EXPIRY_MARGIN_MS, DEFAULT_LATE_SETTLE_GRACE_MS, type ExpiryOptions } from './stores/distributed/expiry';
export { createAdapter } from './providers';
export type { EndpointAdapterOptions } from './providers/endpoint';
export { adapterPackages, missingAdapterPackages, resolveFromHere, type PackageResolver } from './providers/dependencies';
export { SimulatedAdapter, simulatedAdapterFactory, SIMULATE_DEFAULTS, SIMULATED_TARGET_OVERRIDES, type SimulateOptions } from './simulate/adapter';
export { simulatedTokenCount, simulatedPromptTokens } from './simulate/tokens';
export type { AdapterFactory, ProviderAdapter, TargetConfig, ChatRequest, ProviderRequest, CompletionResult, StreamEvent, Usage } from './providers/types';
export { ProviderError, type ProviderErrorKind } from './providers/types';
