/**
 * One structured record per request. The engine hands it to a `RequestLogger`; the default writes
 * one JSON line to stdout, and the Lambda handler adds CloudWatch Embedded Metric Format so the
 * same line becomes metrics (requests, cost, latency, overhead, tokens by route/target/tenant).
 */
export interface RequestLog {
  readonly time: string;
  readonly requestId: string;
  readonly tenant?: string;
  readonly route?: string;
  /** Target that served the request (or the last one tried). */
  readonly target?: string;
  readonly tier?: string;
  readonly attempts: number;
  /**
   * Planned targets the request moved past (failed, or skipped for an open circuit, too small a
   * window or the deadline) before the one that served it or the last one reached: 0 when the
   * first choice served. Absent on requests refused before routing.
   */
  readonly fallbacks?: number;
  /** Calls repeated on the same target after a retryable failure (throttled, 5xx, timeout). */
  readonly retries?: number;
  /**
   * Percent of the tenant's monthly budget (this router's share) used once this request was
   * charged: spent, plus what other requests had reserved, plus this cost, as the ledger saw it.
   * Absent when the request was not charged or the ledger did not report its balance.
   */
  readonly budgetUsedPercent?: number;
  /**
   * What the guard stage did (lib/router/guard), when it did anything: `block` (the request or
   * its answer was refused, outcome `content_filter`) or `mask`, the policies that fired, whether
   * a guard outage was let through on a fail-open route, and the guard calls' cost (part of
   * `costUsd`). Never any text.
   */
  readonly guard?: { readonly action?: 'block' | 'mask'; readonly policies: readonly string[]; readonly failedOpen?: true; readonly costUsd: number };
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number;
  readonly latencyMs: number;
  readonly overheadMs: number;
  /** `ok`, or the error code returned (e.g. `insufficient_quota`, `upstream_failed`). */
  readonly outcome: string;
  readonly status: number;
  readonly stream: boolean;
  /** Error message when the request failed. */
  readonly error?: string;
}

export type RequestLogger = (record: RequestLog) => void;

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `new Date(epochMs).toISOString()`, with the part up to the second formatted once per second
 * (one record per request: a Date and a full format each cost more than the rest of the record).
 */
export function isoTime(epochMs: number): string {
  const ms = Math.trunc(epochMs);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const full = new Date(ms).toISOString();
    // Years before 0 or after 9999 have a longer form: not cached.
    if (full.length !== 24) return full;
    isoSecond = second;
    isoPrefix = full.slice(0, 20);
  }
  const frac = ms - second * 1000;
  return `${isoPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/** Writes each record as one JSON line. */
export function jsonLineLogger(write: (line: string) => void = (line) => process.stdout.write(line)): RequestLogger {
  return (record) => write(`${JSON.stringify(record)}\n`);
}

/** Drops records (benchmarks, or when a platform logs requests itself). */
export const silentLogger: RequestLogger = () => undefined;

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * The record as a CloudWatch Embedded Metric Format document: CloudWatch Logs extracts the metrics
 * in namespace `AiStack/Router` with dimensions route, target and tenant; the other fields stay
 * searchable in Logs Insights.
 */
export function embeddedMetricRecord(record: RequestLog, timestampMs: number): Record<string, unknown> {
  const budget = record.budgetUsedPercent;
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: 'AiStack/Router',
          Dimensions: [['route', 'target', 'tenant']],
          Metrics: [
            { Name: 'Requests', Unit: 'Count' },
            { Name: 'CostUsd', Unit: 'None' },
            { Name: 'LatencyMs', Unit: 'Milliseconds' },
            { Name: 'OverheadMs', Unit: 'Milliseconds' },
            { Name: 'Tokens', Unit: 'Count' },
            { Name: 'Fallbacks', Unit: 'Count' },
            { Name: 'Retries', Unit: 'Count' },
          ],
        },
        // Only on charged requests (a declared metric must have its value in the record).
        ...(budget === undefined ? [] : [{ Namespace: 'AiStack/Router', Dimensions: [['tenant']], Metrics: [{ Name: 'BudgetUsedPercent', Unit: 'Percent' }] }]),
      ],
    },
    ...record,
    // Dimension values must be strings: refused requests have no route or target.
    route: record.route ?? 'none',
    target: record.target ?? 'none',
    tenant: record.tenant ?? 'none',
    Requests: 1,
    CostUsd: record.costUsd,
    LatencyMs: round3(record.latencyMs),
    OverheadMs: round3(record.overheadMs),
    Tokens: record.promptTokens + record.completionTokens,
    Fallbacks: record.fallbacks ?? 0,
    Retries: record.retries ?? 0,
    ...(budget === undefined ? {} : { BudgetUsedPercent: budget }),
  };
}

/** A logger writing EMF lines (for Lambda, where stdout goes to CloudWatch Logs). */
export function embeddedMetricLogger(write: (line: string) => void = (line) => process.stdout.write(line), now: () => number = Date.now): RequestLogger {
  return (record) => write(`${JSON.stringify(embeddedMetricRecord(record, now()))}\n`);
}
