import type { Cloud } from '../cloud';

/**
 * What the deployed router costs on each cloud, per unit, and the assumptions that turn the design's
 * traffic into units. List prices noted 2026-11, no free tiers (a stack shares the account's):
 *
 * AWS us-east-1: Lambda $0.20 per 1M requests, arm64 $0.0000133334 per GB-second; DynamoDB on-demand
 * $0.625 per 1M write and $0.125 per 1M read request units; Secrets Manager $0.40 per secret-month;
 * CloudWatch Logs ingestion $0.50 per GB, a custom dashboard $3 per month, a standard alarm $0.10 per
 * metric per month (the error-rate alarm's metric math reads two metrics).
 *
 * Google Cloud us-central1 (Cloud Run request-based billing, tier 1): $0.40 per 1M requests,
 * $0.000024 per vCPU-second, $0.0000025 per GiB-second; Firestore in a regional location (the
 * router's database is regional) $0.09 per 100k writes and $0.03 per 100k reads; Secret Manager $0.06 per active secret version per month; Cloud Logging $0.50 per GiB;
 * dashboards free; alerting $0.10 per condition-month.
 *
 * Azure East US: Flex Consumption on demand $0.40 per 1M executions and $0.000026 per GB-second of
 * instance memory; Table storage (LRS) $0.00036 per 10k transactions; Key Vault secrets have no
 * monthly fee ($0.03 per 10k operations); Log Analytics ingestion $2.30 per GB; a metric or log
 * alert rule $0.10 per month (log alerts bill more by frequency: see docs/azure/model-router.md).
 */

export interface RouterUnitPrices {
  readonly perMillionRequestsUsd: number;
  /** Compute per instance-second of the configured size: GB-s (AWS, Azure) or vCPU-s + GiB-s (GCP). */
  readonly perGbSecondUsd: number;
  readonly perVcpuSecondUsd: number;
  readonly perMillionWritesUsd: number;
  readonly perMillionReadsUsd: number;
  /** Each secret (the key-hash secret and one key per GPU endpoint), per month. */
  readonly perSecretMonthUsd: number;
  readonly perLogGbUsd: number;
  /** The dashboard and the two alarms, per month. */
  readonly monitoringMonthUsd: number;
  readonly computeItem: string;
  readonly databaseItem: string;
  readonly secretsItem: string;
  readonly monitoringItem: string;
}

export const ROUTER_UNIT_PRICES: Readonly<Record<Cloud, RouterUnitPrices>> = {
  aws: {
    perMillionRequestsUsd: 0.2,
    perGbSecondUsd: 0.0000133334,
    perVcpuSecondUsd: 0,
    perMillionWritesUsd: 0.625,
    perMillionReadsUsd: 0.125,
    perSecretMonthUsd: 0.4,
    perLogGbUsd: 0.5,
    monitoringMonthUsd: 3 + 0.1 * 3,
    computeItem: 'Lambda arm64 duration',
    databaseItem: 'DynamoDB on-demand (ledger and rate limits)',
    secretsItem: 'Secrets Manager',
    monitoringItem: 'CloudWatch dashboard and alarms',
  },
  gcp: {
    perMillionRequestsUsd: 0.4,
    perGbSecondUsd: 0.0000025,
    perVcpuSecondUsd: 0.000024,
    perMillionWritesUsd: 0.9,
    perMillionReadsUsd: 0.3,
    perSecretMonthUsd: 0.06,
    perLogGbUsd: 0.5,
    monitoringMonthUsd: 0.1 * 2,
    computeItem: 'Cloud Run vCPU and memory',
    databaseItem: 'Firestore (ledger and rate limits)',
    secretsItem: 'Secret Manager',
    monitoringItem: 'Cloud Monitoring alert conditions',
  },
  azure: {
    perMillionRequestsUsd: 0.4,
    perGbSecondUsd: 0.000026,
    perVcpuSecondUsd: 0,
    perMillionWritesUsd: 0.036,
    perMillionReadsUsd: 0.036,
    perSecretMonthUsd: 0,
    perLogGbUsd: 2.3,
    monitoringMonthUsd: 0.1 * 2,
    computeItem: 'Flex Consumption execution time',
    databaseItem: 'Table storage transactions (ledger and rate limits)',
    secretsItem: 'Key Vault secrets',
    monitoringItem: 'Azure Monitor alert rules',
  },
};

/**
 * The assumptions that price a request (docs/cost-model.md):
 * - a request lasts `baseSeconds` plus its output at `outputTokensPerSecond` — a serverless router is
 *   billed while it waits for the model;
 * - Cloud Run and Flex Consumption instances serve `sharedRequestsPerInstance` requests at once on
 *   average (Lambda serves one per environment);
 * - each request writes `writesPerRequest` and reads `readsPerRequest` items (reserve, settle, one
 *   rate-limit admission);
 * - each request writes one log line of `logBytesPerRequest`.
 */
export const ROUTER_ASSUMPTIONS = {
  baseSeconds: 0.5,
  outputTokensPerSecond: 50,
  sharedRequestsPerInstance: 10,
  writesPerRequest: 3,
  readsPerRequest: 3,
  logBytesPerRequest: 800,
} as const;
