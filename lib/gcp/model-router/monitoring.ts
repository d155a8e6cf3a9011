// The router's observability on Google Cloud as data: log filters, the log-based metrics of the
// router's JSON request lines (lib/router/log.ts `RequestLog`), the dashboard and the two alert
// conditions. Pure; the construct turns them into resources.
import type { LoggingMetricConfig } from '@cdktf/provider-google/lib/logging-metric';
import type { MonitoringAlertPolicyConditionsConditionThreshold } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { GPU_UTILIZATION_METRIC } from '../gpu-endpoint';
import type { RouterNames } from './plan';

/** Cloud Run's built-in metrics the alerts and the dashboard use. */
export const CLOUD_RUN_METRICS = {
  requestCount: 'run.googleapis.com/request_count',
  requestLatencies: 'run.googleapis.com/request_latencies',
  instanceCount: 'run.googleapis.com/container/instance_count',
} as const;

/** Filter of the Cloud Run service's time series. */
export function serviceMetricFilter(metricType: string, service: string, extra = ''): string {
  return `metric.type = "${metricType}" AND resource.type = "cloud_run_revision" AND resource.labels.service_name = "${service}"${extra}`;
}

/** The service's own logs (its stdout and stderr, and Cloud Run's request log), never audit logs. */
export function serviceLogFilter(service: string): string {
  return [
    'resource.type = "cloud_run_revision"',
    `resource.labels.service_name = "${service}"`,
    '(log_id("run.googleapis.com/stdout") OR log_id("run.googleapis.com/stderr") OR log_id("run.googleapis.com/requests"))',
  ].join(' AND ');
}

/** The router's request records: one JSON line per request on stdout (`jsonLineLogger`). */
export function requestLogFilter(service: string): string {
  return [
    'resource.type = "cloud_run_revision"',
    `resource.labels.service_name = "${service}"`,
    'log_id("run.googleapis.com/stdout")',
    'jsonPayload.requestId:*',
    'jsonPayload.outcome:*',
  ].join(' AND ');
}

/** The user-defined log-based metric type of a metric id. */
export function logMetricType(id: string): string {
  return `logging.googleapis.com/user/${id}`;
}

/**
 * The PromQL name Cloud Monitoring gives a metric type: the first `/` becomes `:`, every other
 * character that is not a letter, digit or `_` becomes `_`.
 */
export function promQlMetricName(metricType: string): string {
  const slash = metricType.indexOf('/');
  const domain = metricType.slice(0, slash).replace(/[^A-Za-z0-9_]/g, '_');
  const path = metricType.slice(slash + 1).replace(/[^A-Za-z0-9_]/g, '_');
  return `${domain}:${path}`;
}

type LogMetricSpec = Omit<LoggingMetricConfig, 'project'>;

const label = (key: string, description: string) => ({ key, valueType: 'STRING', description });
const extract = (field: string) => `EXTRACT(jsonPayload.${field})`;

/** A count of the request lines `filter` selects, by route and target. */
function routeTargetCount(name: string, description: string, filter: string, displayName: string): LogMetricSpec {
  return {
    name,
    description,
    filter,
    metricDescriptor: { metricKind: 'DELTA', valueType: 'INT64', unit: '1', displayName, labels: [label('route', 'Route'), label('target', 'Target that answered, or the last one tried')] },
    labelExtractors: { route: extract('route'), target: extract('target') },
  };
}

export type RouterLogMetric = 'requests' | 'cost' | 'overhead' | 'fallbacks' | 'retries' | 'budget' | 'guard';

/** The log-based metrics, by role. */
export function logMetrics(names: RouterNames): Record<RouterLogMetric, LogMetricSpec> {
  const requests = requestLogFilter(names.service);
  return {
    requests: {
      name: names.requestsMetric,
      description: 'Router requests by tenant, route, target and outcome (ok, or the error code returned)',
      filter: requests,
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'INT64',
        unit: '1',
        displayName: 'Router requests',
        labels: [label('tenant', 'Tenant id'), label('route', 'Route (the model name the client sent)'), label('target', 'Target that answered, or the last one tried'), label('outcome', "'ok' or the error code")],
      },
      labelExtractors: { tenant: extract('tenant'), route: extract('route'), target: extract('target'), outcome: extract('outcome') },
    },
    cost: {
      name: names.costMetric,
      description: 'Cost the router charged per request, USD (its sum per tenant is the spend the ledger counts)',
      filter: requests,
      valueExtractor: extract('costUsd'),
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'DISTRIBUTION',
        unit: '{USD}',
        displayName: 'Router cost per request',
        labels: [label('tenant', 'Tenant id'), label('route', 'Route'), label('target', 'Target that answered')],
      },
      labelExtractors: { tenant: extract('tenant'), route: extract('route'), target: extract('target') },
      // 1 micro-dollar doubling up to about 4,300 USD; the sum is exact whatever the buckets.
      bucketOptions: { exponentialBuckets: { numFiniteBuckets: 32, growthFactor: 2, scale: 0.000001 } },
    },
    overhead: {
      name: names.overheadMetric,
      description: "The router's own time per request, ms: wall time minus waiting for providers and backoff sleeps",
      filter: requests,
      valueExtractor: extract('overheadMs'),
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'DISTRIBUTION',
        unit: 'ms',
        displayName: 'Router overhead',
        labels: [label('route', 'Route')],
      },
      labelExtractors: { route: extract('route') },
      bucketOptions: { exponentialBuckets: { numFiniteBuckets: 24, growthFactor: 2, scale: 0.1 } },
    },
    fallbacks: routeTargetCount(
      names.fallbacksMetric,
      'Requests that moved past at least one planned target (a fallback), by route and the target that answered',
      `${requests} AND jsonPayload.fallbacks > 0`,
      'Router fallbacks',
    ),
    retries: routeTargetCount(
      names.retriesMetric,
      'Requests that repeated a provider call on the same target (after a throttle, 5xx or timeout), by route and target',
      `${requests} AND jsonPayload.retries > 0`,
      'Router requests with retries',
    ),
    budget: {
      name: names.budgetMetric,
      description: "Percent of each tenant's monthly budget (this router's share) used, as the ledger saw it at each charged request",
      filter: `${requests} AND jsonPayload.budgetUsedPercent >= 0`,
      valueExtractor: extract('budgetUsedPercent'),
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'DISTRIBUTION',
        unit: '%',
        displayName: 'Router budget used per tenant',
        labels: [label('tenant', 'Tenant id')],
      },
      labelExtractors: { tenant: extract('tenant') },
      // 2.5-point buckets up to 100%, where the warnings sit, then the overflow bucket.
      bucketOptions: { linearBuckets: { numFiniteBuckets: 40, width: 2.5, offset: 0 } },
    },
    guard: {
      name: names.guardMetric,
      description: "Requests the guard stage acted on: blocked or masked (action), or let through unchecked during a guard outage (failed_open), by tenant",
      filter: `${requests} AND jsonPayload.guard:*`,
      metricDescriptor: {
        metricKind: 'DELTA',
        valueType: 'INT64',
        unit: '1',
        displayName: 'Router guard actions',
        labels: [label('tenant', 'Tenant id'), label('action', "'block', 'mask', or empty"), label('failed_open', "'true' when a fail-open route let the request through unchecked")],
      },
      labelExtractors: { tenant: extract('tenant'), action: extract('guard.action'), failed_open: extract('guard.failedOpen') },
    },
  };
}

/** The thresholds of the two alerts (the design's `router.alarms` with defaults). */
export interface AlertThresholds {
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
  readonly evaluationMinutes: number;
}

const MINUTE = '60s';

/** Share of requests answered 5xx (router or upstream) above `errorRatePercent`, for `evaluationMinutes`. */
export function errorRateCondition(service: string, t: AlertThresholds): MonitoringAlertPolicyConditionsConditionThreshold {
  const rate = { alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM' };
  return {
    filter: serviceMetricFilter(CLOUD_RUN_METRICS.requestCount, service, ' AND metric.labels.response_code_class = "5xx"'),
    aggregations: [rate],
    denominatorFilter: serviceMetricFilter(CLOUD_RUN_METRICS.requestCount, service),
    denominatorAggregations: [rate],
    comparison: 'COMPARISON_GT',
    thresholdValue: t.errorRatePercent / 100,
    duration: `${t.evaluationMinutes * 60}s`,
    trigger: { count: 1 },
  };
}

/**
 * p99 of Cloud Run's request latency above `p99LatencyMs`, for `evaluationMinutes`: the latencies of
 * every revision and response code merged per minute, then their 99th percentile.
 */
export function latencyCondition(service: string, t: AlertThresholds): MonitoringAlertPolicyConditionsConditionThreshold {
  return {
    filter: serviceMetricFilter(CLOUD_RUN_METRICS.requestLatencies, service),
    aggregations: [{ alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_PERCENTILE_99' }],
    comparison: 'COMPARISON_GT',
    thresholdValue: t.p99LatencyMs,
    duration: `${t.evaluationMinutes * 60}s`,
    trigger: { count: 1 },
  };
}

/** Filter of the GPU utilization the Ops Agent publishes for one endpoint's VMs (labelled by name). */
export function gpuUtilizationFilter(endpoint: string): string {
  return `metric.type = "${GPU_UTILIZATION_METRIC}" AND resource.type = "gce_instance" AND metadata.user_labels."ai-stack-endpoint" = "${endpoint}"`;
}

interface Aggregation {
  readonly alignmentPeriod: string;
  readonly perSeriesAligner: string;
  readonly crossSeriesReducer?: string;
  readonly groupByFields?: readonly string[];
}

const filterSet = (filter: string, aggregation: Aggregation, legend?: string) => ({
  plotType: 'LINE',
  targetAxis: 'Y1',
  ...(legend ? { legendTemplate: legend } : {}),
  timeSeriesQuery: { timeSeriesFilter: { filter, aggregation } },
});

const chart = (title: string, dataSets: readonly unknown[], yLabel: string) => ({ title, xyChart: { dataSets, yAxis: { label: yLabel, scale: 'LINEAR' } } });

/**
 * The stack's dashboard: traffic and latency from Cloud Run, cost and budget used per tenant, errors
 * by class, fallbacks and retries and the router's own overhead from the request log, instances, and the GPU
 * utilization of each endpoint the router calls. Deterministic JSON.
 */
export function dashboardJson(displayName: string, names: RouterNames, endpoints: readonly string[]): string {
  const svc = names.service;
  const sum = (groupBy: string) => ({ alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM', groupByFields: [groupBy] });
  const percentile = (p: 50 | 99, groupBy?: string) => ({ alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: `REDUCE_PERCENTILE_${p}`, ...(groupBy ? { groupByFields: [groupBy] } : {}) });
  const total = { alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM' };
  const costSum = `${promQlMetricName(logMetricType(names.costMetric))}_sum`;
  const widgets = [
    chart('Requests per second by response class', [filterSet(serviceMetricFilter(CLOUD_RUN_METRICS.requestCount, svc), sum('metric.label.response_code_class'))], 'requests/s'),
    chart(
      'Request latency (Cloud Run; whole stream for streams), ms',
      [filterSet(serviceMetricFilter(CLOUD_RUN_METRICS.requestLatencies, svc), percentile(50), 'p50'), filterSet(serviceMetricFilter(CLOUD_RUN_METRICS.requestLatencies, svc), percentile(99), 'p99')],
      'ms',
    ),
    chart(
      'Cost per tenant, USD per hour',
      [{ plotType: 'LINE', targetAxis: 'Y1', timeSeriesQuery: { prometheusQuery: `sum by (tenant) (increase(${costSum}{monitored_resource="cloud_run_revision",service_name="${svc}"}[1h]))` } }],
      'USD/h',
    ),
    chart('Errors per second by outcome', [filterSet(`metric.type = "${logMetricType(names.requestsMetric)}" AND metric.labels.outcome != "ok"`, sum('metric.label.outcome'))], 'requests/s'),
    chart(
      'Requests that fell back, and requests with retries, per second',
      [filterSet(`metric.type = "${logMetricType(names.fallbacksMetric)}"`, total, 'fell back'), filterSet(`metric.type = "${logMetricType(names.retriesMetric)}"`, total, 'retried')],
      'requests/s',
    ),
    chart('Guard: blocked, masked and unchecked requests per second by action', [filterSet(`metric.type = "${logMetricType(names.guardMetric)}"`, sum('metric.label.action'))], 'requests/s'),
    chart(
      "Budget used by tenant, % of its monthly budget (each hour's highest)",
      [filterSet(`metric.type = "${logMetricType(names.budgetMetric)}"`, { alignmentPeriod: '3600s', perSeriesAligner: 'ALIGN_PERCENTILE_99', crossSeriesReducer: 'REDUCE_MAX', groupByFields: ['metric.label.tenant'] })],
      '%',
    ),
    chart('Router overhead p99 by route, ms', [filterSet(`metric.type = "${logMetricType(names.overheadMetric)}"`, percentile(99, 'metric.label.route'))], 'ms'),
    chart('Instances', [filterSet(serviceMetricFilter(CLOUD_RUN_METRICS.instanceCount, svc), { alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_MAX', crossSeriesReducer: 'REDUCE_SUM', groupByFields: ['metric.label.state'] })], 'instances'),
    ...(endpoints.length > 0
      ? [
          chart(
            'GPU utilization of the GPU endpoints, %',
            endpoints.map((e) => filterSet(gpuUtilizationFilter(e), { alignmentPeriod: MINUTE, perSeriesAligner: 'ALIGN_MEAN', crossSeriesReducer: 'REDUCE_MEAN' }, e)),
            '%',
          ),
        ]
      : []),
  ];
  const width = 24;
  const height = 16;
  const tiles = widgets.map((widget, i) => ({ xPos: (i % 2) * width, yPos: Math.floor(i / 2) * height, width, height, widget }));
  return JSON.stringify({ displayName, mosaicLayout: { columns: 48, tiles } });
}
