// Log queries (KQL) over the router's request log in Application Insights: the dashboard's charts and
// the two alerts read the same rows. Pure strings.
//
// The router writes one JSON line per chat request to stdout (lib/router/log.ts `RequestLog`); the
// Functions host sends the worker's output to Application Insights as `traces`. The row is found by
// its fields, whatever the host puts before the JSON.

/** One row per chat request: the fields of `RequestLog` the charts and alerts use, typed. */
export const ROUTER_REQUESTS = [
  'traces',
  '| where message has \'"requestId"\' and message has \'"outcome"\'',
  "| extend r = parse_json(substring(message, indexof(message, '{')))",
  '| where isnotnull(r.status)',
  '| project timestamp, tenant = tostring(r.tenant), route = tostring(r.route), target = tostring(r.target), attempts = toint(r.attempts),',
  '  fallbacks = toint(r.fallbacks), retries = toint(r.retries), budgetUsedPercent = todouble(r.budgetUsedPercent),',
  '  guardAction = tostring(r.guard.action), guardFailedOpen = tobool(r.guard.failedOpen), guardPolicies = tostring(r.guard.policies),',
  '  costUsd = todouble(r.costUsd), latencyMs = todouble(r.latencyMs), outcome = tostring(r.outcome), status = toint(r.status), stream = tobool(r.stream)',
].join('\n');

const base = (rest: readonly string[]) => [ROUTER_REQUESTS, ...rest].join('\n');

/** Requests per 5 minutes. */
export const REQUESTS_QUERY = base(['| summarize requests = count() by bin(timestamp, 5m)', '| render timechart']);

/** Refused and failed requests per 5 minutes by error class (the `outcome` code: `rate_limit_exceeded`, `upstream_failed`, …). */
export const ERRORS_BY_CLASS_QUERY = base(['| where status >= 400', '| summarize requests = count() by bin(timestamp, 5m), outcome', '| render timechart']);

/**
 * Latency percentiles of requests answered in one piece. A stream's logged latency is the whole
 * stream (minutes for a long answer), not its time to first byte, so streams are left out.
 */
export const LATENCY_QUERY = base(['| where stream == false', '| summarize p50 = percentile(latencyMs, 50), p95 = percentile(latencyMs, 95), p99 = percentile(latencyMs, 99) by bin(timestamp, 5m)', '| render timechart']);

/** Requests that fell back (moved past a planned target) and requests that retried a call on one target, per 5 minutes. */
export const FALLBACKS_QUERY = base(['| summarize fellBack = countif(fallbacks > 0), retried = countif(retries > 0) by bin(timestamp, 5m)', '| render timechart']);

/** Requests the guard stage blocked or masked, and those a fail-open route let through unchecked, per 5 minutes by tenant. */
export const GUARD_QUERY = base([
  "| where isnotempty(guardAction) or guardFailedOpen == true",
  "| summarize blocked = countif(guardAction == 'block'), masked = countif(guardAction == 'mask'), unchecked = countif(guardFailedOpen == true) by bin(timestamp, 5m), tenant",
  '| render timechart',
]);

/**
 * Percent of each tenant's monthly budget (this router's share) used, as the ledger saw it at the
 * charged requests of each hour: the hour's highest is the tenant's level at its end.
 */
export const BUDGET_USED_QUERY = base(['| where isnotnull(budgetUsedPercent) and isnotempty(tenant)', '| summarize budgetUsedPercent = max(budgetUsedPercent) by bin(timestamp, 1h), tenant', '| render timechart']);

/** Spend per tenant per hour, USD (what the ledger charged: the cost each answer reported). */
export const COST_BY_TENANT_QUERY = base(['| where isnotempty(tenant)', '| summarize costUsd = sum(costUsd) by bin(timestamp, 1h), tenant', '| render columnchart']);

/** The error-rate alert's measure: percent of requests answered with a 5xx (router or upstream) in the window. */
export const ERROR_RATE_ALERT_QUERY = base(['| summarize total = count(), errors = countif(status >= 500)', '| project errorRatePercent = iff(total == 0, 0.0, 100.0 * errors / total)']);

/** The latency alert's measure: p99 latency of requests answered in one piece in the window, ms. */
export const P99_ALERT_QUERY = base(['| where stream == false', '| summarize p99LatencyMs = percentile(latencyMs, 99)', '| where isnotnull(p99LatencyMs)']);
