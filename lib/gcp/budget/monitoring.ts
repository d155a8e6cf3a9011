// The budget's near-real-time clock on Google Cloud as data: the log-based metric of the stop
// function's watch line (lib/budget/handlers/from-env.ts `watchLine`) and the alert conditions on it
// and on the router's per-tenant budget metric. Pure; the construct turns them into resources.
import type { LoggingMetricConfig } from '@cdktf/provider-google/lib/logging-metric';
import type { MonitoringAlertPolicyConditionsConditionThreshold } from '@cdktf/provider-google/lib/monitoring-alert-policy';

/** The user-defined log-based metric type of a metric id. */
export function logMetricType(id: string): string {
  return `logging.googleapis.com/user/${id}`;
}

/** The watch's lines: `{ "budgetWatch": true, "budgetUsedPercent": … }` on the stop function's stdout. */
export function watchLogFilter(service: string): string {
  return [
    'resource.type = "cloud_run_revision"',
    `resource.labels.service_name = "${service}"`,
    'log_id("run.googleapis.com/stdout")',
    'jsonPayload.budgetWatch = true',
  ].join(' AND ');
}

/** The stop function's notices (`{ "budgetNotice": <subject>, "message": … }`): a stop or a resume, each run that did one. */
export function noticeLogFilter(service: string): string {
  return ['resource.type = "cloud_run_revision"', `resource.labels.service_name = "${service}"`, 'log_id("run.googleapis.com/stdout")', 'jsonPayload.budgetNotice:*'].join(' AND ');
}

/**
 * Bucket bounds of the watch metric: every alert level (so a line at or above a level falls in a
 * bucket that starts at or above it, and an alert's percentile cannot round across it), and every
 * 10 percent up to 200 for the chart.
 */
export function watchBucketBounds(levels: readonly number[]): number[] {
  const grid = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
  return [...new Set([0, ...grid, ...levels])].sort((a, b) => a - b);
}

/** The log-based metric of the watch's figure: percent of the stack's monthly budget the router has charged. */
export function watchMetricSpec(name: string, service: string, levels: readonly number[]): Omit<LoggingMetricConfig, 'project'> {
  return {
    name,
    description: "Percent of the stack's monthly budget the routers charged this month, as the budget stop function's watch summed it from the ledger (every 5 minutes)",
    filter: watchLogFilter(service),
    valueExtractor: 'EXTRACT(jsonPayload.budgetUsedPercent)',
    metricDescriptor: { metricKind: 'DELTA', valueType: 'DISTRIBUTION', unit: '%', displayName: 'Stack budget used (router-charged)' },
    bucketOptions: { explicitBuckets: { bounds: watchBucketBounds(levels) } },
  };
}

/** How long one alert looks back: three watch runs, so one late run does not close an open incident. */
export const WATCH_ALIGNMENT = '900s';

/** The router logs a tenant's level with each charged request: five minutes' highest. */
export const TENANT_ALIGNMENT = '300s';

const highest = (alignmentPeriod: string) => ({ alignmentPeriod, perSeriesAligner: 'ALIGN_PERCENTILE_99', crossSeriesReducer: 'REDUCE_MAX' });

/**
 * A tenant's budget used, from the router's per-request metric (`<prefix>-router-budget-used`,
 * labelled by tenant), at or above `percent`. The router metric's buckets are 2.5 points wide from
 * 0 to 100, so levels on that grid (80, 100) are exact.
 */
export function tenantBudgetCondition(metricType: string, tenant: string, percent: number): MonitoringAlertPolicyConditionsConditionThreshold {
  return {
    filter: `metric.type = "${metricType}" AND resource.type = "cloud_run_revision" AND metric.labels.tenant = "${tenant}"`,
    aggregations: [highest(TENANT_ALIGNMENT)],
    comparison: 'COMPARISON_GE',
    thresholdValue: percent,
    duration: '0s',
    trigger: { count: 1 },
  };
}

/** The stack's budget used, from the watch metric, at or above `percent`. */
export function watchBudgetCondition(metricType: string, percent: number): MonitoringAlertPolicyConditionsConditionThreshold {
  return {
    filter: `metric.type = "${metricType}" AND resource.type = "cloud_run_revision"`,
    aggregations: [highest(WATCH_ALIGNMENT)],
    comparison: 'COMPARISON_GE',
    thresholdValue: percent,
    duration: '0s',
    trigger: { count: 1 },
  };
}
