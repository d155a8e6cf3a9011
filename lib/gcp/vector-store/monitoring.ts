// Freshness of the index on Google Cloud as data: the log-based metrics of the ingestion job's events
// (lib/ingest/events.ts: `ai-stack.ingest.run` after each run, `ai-stack.ingest.freshness` after each
// probe, one JSON line each on stdout, which Cloud Logging parses into `jsonPayload`) and the alert
// conditions on them. Pure; the construct turns them into resources.
import type { LoggingMetricConfig } from '@cdktf/provider-google/lib/logging-metric';
import type { MonitoringAlertPolicyConditionsConditionAbsent, MonitoringAlertPolicyConditionsConditionThreshold } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { FRESHNESS_EVENT, PROBE_INTERVAL_SECONDS, RUN_EVENT } from '../../ingest/deploy-env';
import { logMetricType } from '../budget/monitoring';

export { logMetricType };

/** The job's structured stdout lines of one event. */
export function eventLogFilter(job: string, event: string): string {
  return ['resource.type = "cloud_run_job"', `resource.labels.job_name = "${job}"`, 'log_id("run.googleapis.com/stdout")', `jsonPayload.event = "${event}"`].join(' AND ');
}

/** The run event's figures, each a distribution metric (`EXTRACT(jsonPayload.<field>)`). */
export const RUN_FIGURES = [
  { field: 'documentsSeen', id: 'documents-seen', unit: '1', displayName: 'Documents seen per run' },
  { field: 'documentsChanged', id: 'documents-changed', unit: '1', displayName: 'Documents changed (re-embedded) per run' },
  { field: 'documentsRemoved', id: 'documents-removed', unit: '1', displayName: 'Documents removed per run' },
  { field: 'documentsSkipped', id: 'documents-skipped', unit: '1', displayName: 'Documents skipped (unreadable) per run' },
  { field: 'chunksEmbedded', id: 'chunks-embedded', unit: '1', displayName: 'Chunks embedded per run' },
  { field: 'embeddingTokens', id: 'embedding-tokens', unit: '1', displayName: 'Embedding tokens per run' },
  { field: 'costUsd', id: 'cost', unit: 'USD', displayName: 'Embedding cost per run (USD)' },
] as const;

export type RunFigure = (typeof RUN_FIGURES)[number]['field'];

type MetricSpec = Omit<LoggingMetricConfig, 'project'>;

/** One figure of the successful runs. Counts grow by powers of 2 from 1; the cost from a hundredth of a cent. */
export function runFigureMetricSpec(name: string, job: string, figure: (typeof RUN_FIGURES)[number]): MetricSpec {
  return {
    name,
    description: `${figure.displayName}, from the ${RUN_EVENT} event of each successful run of the ingestion job ${job}`,
    filter: `${eventLogFilter(job, RUN_EVENT)} AND jsonPayload.outcome = "succeeded"`,
    valueExtractor: `EXTRACT(jsonPayload.${figure.field})`,
    metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: figure.unit, displayName: figure.displayName },
    bucketOptions: { exponentialBuckets: { numFiniteBuckets: 40, growthFactor: 2, scale: figure.field === 'costUsd' ? 0.0001 : 1 } },
  };
}

/** Failed runs: a counter of the run events with outcome `failed`. */
export function failedRunsMetricSpec(name: string, job: string): MetricSpec {
  return {
    name,
    description: `Failed runs of the ingestion job ${job} (the ${RUN_EVENT} event with outcome "failed")`,
    filter: `${eventLogFilter(job, RUN_EVENT)} AND jsonPayload.outcome = "failed"`,
    metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1', displayName: 'Failed ingestion runs' },
  };
}

/**
 * Bucket bounds of the index-age metric: every probe interval up to a day (the chart), and the stale
 * threshold and its multiples, so an age at or above the threshold lands in a bucket that starts at
 * or above it and the alert's percentile cannot round below it.
 */
export function ageBucketBounds(staleAfterSeconds: number): number[] {
  const hourly = Array.from({ length: 24 }, (_, i) => (i + 1) * PROBE_INTERVAL_SECONDS);
  return [...new Set([0, ...hourly, staleAfterSeconds / 2, staleAfterSeconds, staleAfterSeconds * 2, staleAfterSeconds * 4])].sort((a, b) => a - b);
}

/** The index's age at each probe (`ageSeconds` of the freshness event: seconds since the last successful run). */
export function indexAgeMetricSpec(name: string, job: string, staleAfterSeconds: number): MetricSpec {
  return {
    name,
    description: `Age of the index: seconds since the last successful run, from the hourly ${FRESHNESS_EVENT} probe of the ingestion job ${job}`,
    filter: `${eventLogFilter(job, FRESHNESS_EVENT)} AND jsonPayload.ageSeconds:*`,
    valueExtractor: 'EXTRACT(jsonPayload.ageSeconds)',
    metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: 's', displayName: 'Index age (s)' },
    bucketOptions: { explicitBuckets: { bounds: ageBucketBounds(staleAfterSeconds) } },
  };
}

/** Probes seen: a counter of the freshness events, with or without an age (the absence alert watches it). */
export function probesMetricSpec(name: string, job: string): MetricSpec {
  return {
    name,
    description: `Freshness probes of the ingestion job ${job} (every ${PROBE_INTERVAL_SECONDS} s)`,
    filter: eventLogFilter(job, FRESHNESS_EVENT),
    metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1', displayName: 'Freshness probes' },
  };
}

/** Resource type of the job's log-based metrics (the monitored resource of its log entries). */
const RESOURCE = 'resource.type = "cloud_run_job"';

/** Any failed run within five minutes. */
export function failedRunCondition(metricType: string): MonitoringAlertPolicyConditionsConditionThreshold {
  return {
    filter: `metric.type = "${metricType}" AND ${RESOURCE}`,
    aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' }],
    comparison: 'COMPARISON_GT',
    thresholdValue: 0,
    duration: '0s',
    trigger: { count: 1 },
  };
}

/** How long the age alert looks back: two probes, so one late probe does not leave the window empty. */
export const AGE_ALIGNMENT = `${PROBE_INTERVAL_SECONDS * 2}s`;

/** The index older than `staleAfterSeconds` at a probe. */
export function staleIndexCondition(metricType: string, staleAfterSeconds: number): MonitoringAlertPolicyConditionsConditionThreshold {
  return {
    filter: `metric.type = "${metricType}" AND ${RESOURCE}`,
    aggregations: [{ alignmentPeriod: AGE_ALIGNMENT, perSeriesAligner: 'ALIGN_PERCENTILE_99', crossSeriesReducer: 'REDUCE_MAX' }],
    comparison: 'COMPARISON_GE',
    thresholdValue: staleAfterSeconds,
    duration: '0s',
    trigger: { count: 1 },
  };
}

/** No probe for `absentSeconds`: the job, its image or its scheduler is broken. */
export function probeAbsentCondition(metricType: string, absentSeconds: number): MonitoringAlertPolicyConditionsConditionAbsent {
  return {
    filter: `metric.type = "${metricType}" AND ${RESOURCE}`,
    aggregations: [{ alignmentPeriod: `${PROBE_INTERVAL_SECONDS}s`, perSeriesAligner: 'ALIGN_SUM', crossSeriesReducer: 'REDUCE_SUM' }],
    duration: `${absentSeconds}s`,
    trigger: { count: 1 },
  };
}
