// The router's metrics, dashboard and alarms.
//
// The bundle writes one JSON line per chat request to the function's log group (CloudWatch Embedded
// Metric Format, lib/router/log.ts): namespace `AiStack/Router`, the metrics only under the three
// dimensions route, target and tenant together, with no dimension naming the stack. Totals and
// percentiles over a whole router cannot be read from those series (a percentile does not combine
// across series, and two stacks' routers would share them), so the router's own figures come from
// metric filters on its own log group, in a namespace of its own, and the request and 5xx counts from
// the function URL's metrics in AWS/Lambda.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { fitName } from '../../design/naming';
import type { ResolvedRouterDeployment } from '../../design/router';

/** Namespace of the metrics a router's log filters publish: one per router (its name prefix). */
export function routerMetricsNamespace(namePrefix: string): string {
  return `AiStack/Router/${namePrefix}`;
}

/** The metrics the log filters publish, with the request lines (every chat request has a `status`) they count. */
export const ROUTER_LOG_METRICS = {
  /** Chat requests, served or refused. */
  requests: { name: 'Requests', pattern: '{ $.status > 0 }', value: '1' },
  /** Requests served by (or failed on) a fallback: they moved past at least one planned target. */
  fallbacks: { name: 'FallbackRequests', pattern: '{ $.fallbacks > 0 }', value: '1' },
  /** Provider calls repeated on the same target after a throttle, 5xx or timeout. */
  retries: { name: 'Retries', pattern: '{ $.retries > 0 }', value: '$.retries' },
  /** Wall time of unstreamed requests, ms (a stream's line is written at its end, so its time is the stream's length). */
  latency: { name: 'LatencyMs', pattern: '{ $.status > 0 && $.stream IS FALSE }', value: '$.latencyMs' },
  /** The router's own time, ms: wall time minus waiting for providers and backoff. */
  overhead: { name: 'OverheadMs', pattern: '{ $.status > 0 }', value: '$.overheadMs' },
  /** Cost of each request, USD: the amount settled on the ledger. */
  cost: { name: 'CostUsd', pattern: '{ $.status > 0 }', value: '$.costUsd' },
  /** The same by tenant (`none` for requests refused before a tenant was known). */
  costByTenant: { name: 'CostUsdByTenant', pattern: '{ $.status > 0 }', value: '$.costUsd', dimensions: { tenant: '$.tenant' } },
  /**
   * Percent of each tenant's monthly budget (this router's share) used, as the ledger saw it at
   * each charged request: its Maximum per period is the tenant's level at the end of the period.
   */
  budgetUsedByTenant: { name: 'BudgetUsedPercent', pattern: '{ $.budgetUsedPercent >= 0 }', value: '$.budgetUsedPercent', dimensions: { tenant: '$.tenant' } },
  /** Requests the guard stage refused (prompt or answer), by tenant and the first policy that fired. */
  guardBlocked: { name: 'GuardBlocked', pattern: '{ $.guard.action = "block" }', value: '1', dimensions: { tenant: '$.tenant', policy: '$.guard.policies[0]' } },
  /** Requests whose prompt or answer the guard stage masked, by tenant and policy. */
  guardMasked: { name: 'GuardMasked', pattern: '{ $.guard.action = "mask" }', value: '1', dimensions: { tenant: '$.tenant', policy: '$.guard.policies[0]' } },
  /** Requests a fail-open route let through unchecked during a cloud guard outage, by tenant. */
  guardFailedOpen: { name: 'GuardFailedOpen', pattern: '{ $.guard.failedOpen IS TRUE }', value: '1', dimensions: { tenant: '$.tenant' } },
  /** Refused and failed requests by outcome, the error code returned (e.g. insufficient_quota, upstream_failed). */
  failuresByOutcome: { name: 'FailedRequests', pattern: '{ $.status >= 400 }', value: '1', dimensions: { outcome: '$.outcome' } },
} as const;

export interface RouterMonitoringOptions {
  readonly namePrefix: string;
  readonly function: lambda.Function;
  readonly logGroup: logs.ILogGroup;
  readonly deployment: ResolvedRouterDeployment;
  /** GPU utilization of each endpoint the router calls, by endpoint name. */
  readonly gpuUtilization: Readonly<Record<string, cloudwatch.IMetric>>;
  readonly alarmTopic?: sns.ITopic;
}

/** Metric filters, the dashboard, the two alarms and their topic. */
export class RouterMonitoring extends Construct {
  public readonly namespace: string;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly errorRateAlarm: cloudwatch.Alarm;
  public readonly latencyAlarm: cloudwatch.Alarm;
  public readonly alarmTopic: sns.ITopic;
  private readonly fn: lambda.Function;

  constructor(scope: Construct, id: string, o: RouterMonitoringOptions) {
    super(scope, id);
    this.namespace = routerMetricsNamespace(o.namePrefix);
    this.fn = o.function;
    for (const [key, m] of Object.entries(ROUTER_LOG_METRICS)) {
      new logs.MetricFilter(this, `Filter-${key}`, {
        logGroup: o.logGroup,
        filterPattern: logs.FilterPattern.literal(m.pattern),
        metricNamespace: this.namespace,
        metricName: m.name,
        metricValue: m.value,
        ...('dimensions' in m ? { dimensions: m.dimensions } : {}),
      });
    }

    const d = o.deployment;
    this.alarmTopic = o.alarmTopic ?? this.createTopic(o.namePrefix);
    const action = new actions.SnsAction(this.alarmTopic);
    this.errorRateAlarm = new cloudwatch.Alarm(this, 'ErrorRateAlarm', {
      alarmDescription: `Router ${o.namePrefix}: more than ${d.errorRatePercent}% of requests answered with a 5xx for ${d.evaluationMinutes} min (router.alarms.errorRatePercent)`,
      metric: this.errorRate(),
      threshold: d.errorRatePercent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: d.evaluationMinutes,
      datapointsToAlarm: d.evaluationMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.latencyAlarm = new cloudwatch.Alarm(this, 'LatencyAlarm', {
      alarmDescription: `Router ${o.namePrefix}: p99 latency of unstreamed requests above ${d.p99LatencyMs} ms for ${d.evaluationMinutes} min (router.alarms.p99LatencyMs)`,
      metric: this.metricLatency('p99'),
      threshold: d.p99LatencyMs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: d.evaluationMinutes,
      datapointsToAlarm: d.evaluationMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.errorRateAlarm, this.latencyAlarm]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: fitName([o.namePrefix, 'model-router'], 255),
      defaultInterval: Duration.hours(3),
      widgets: this.widgets(o),
    });
  }

  /** Requests the function URL received (every path, `/healthz` included). */
  public metricRequests(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fn.metric('UrlRequestCount', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1), ...props });
  }

  /** Requests the function URL answered with a 5xx: the router's own 5xx, and function errors and timeouts. */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.fn.metric('Url5xxCount', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1), ...props });
  }

  /** Latency of unstreamed chat requests, ms, as the router logs it. */
  public metricLatency(statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.logMetric(ROUTER_LOG_METRICS.latency.name, statistic, props);
  }

  /** Share of requests answered with a 5xx, percent, per minute; no data without requests. */
  public errorRate(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: '100 * FILL(errors, 0) / requests',
      usingMetrics: { errors: this.metricErrors(), requests: this.metricRequests() },
      period: Duration.minutes(1),
      label: '5xx, % of requests',
    });
  }

  private logMetric(name: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: this.namespace, metricName: name, statistic, period: Duration.minutes(1), ...props });
  }

  /**
   * CloudWatch publishes to an encrypted topic only with a customer managed key whose policy lets it
   * (the AWS managed `alias/aws/sns` key does not): a key for this topic, rotated yearly.
   */
  private createTopic(namePrefix: string): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Router ${namePrefix}: encrypts the alarm topic; CloudWatch alarms of this account may use it`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    // Grants only for AWS resources or to AWS services (Control Tower CT.KMS.PR.3).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
    return new sns.Topic(this, 'AlarmTopic', { displayName: `Router ${namePrefix} alarms`, masterKey: key, enforceSSL: true });
  }

  private widgets(o: RouterMonitoringOptions): cloudwatch.IWidget[][] {
    const minute = Duration.minutes(1);
    const hour = Duration.hours(1);
    const requests = this.logMetric(ROUTER_LOG_METRICS.requests.name, cloudwatch.Stats.SUM, { label: 'chat requests' });
    const cost = this.logMetric(ROUTER_LOG_METRICS.cost.name, cloudwatch.Stats.SUM, { period: hour, label: 'cost, USD per hour' });
    // One series per dimension value (tenant, outcome), each labelled by it.
    const search = (metric: string, dimension: string, period: Duration, statistic = 'Sum') =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${this.namespace},${dimension}} MetricName="${metric}"', '${statistic}', ${period.toSeconds()})`,
        usingMetrics: {},
        period,
      });
    const latency = (stat: string) => this.metricLatency(stat, { label: stat });
    const overhead = (stat: string) => this.logMetric(ROUTER_LOG_METRICS.overhead.name, stat, { label: `overhead ${stat}` });
    const rows: cloudwatch.IWidget[][] = [
      [
        new cloudwatch.GraphWidget({
          title: 'Requests, fallbacks, retries, 5xx',
          width: 12,
          left: [
            this.metricRequests({ label: 'function URL requests' }),
            requests,
            this.logMetric(ROUTER_LOG_METRICS.fallbacks.name, cloudwatch.Stats.SUM, { label: 'requests that fell back' }),
            this.logMetric(ROUTER_LOG_METRICS.retries.name, cloudwatch.Stats.SUM, { label: 'retried calls' }),
            this.metricErrors({ label: '5xx' }),
          ],
        }),
        new cloudwatch.GraphWidget({
          title: 'Error rate, % of requests',
          width: 12,
          left: [this.errorRate()],
          leftAnnotations: [{ value: o.deployment.errorRatePercent, label: 'alarm' }],
          leftYAxis: { min: 0 },
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Refused and failed requests by outcome',
          width: 12,
          left: [search(ROUTER_LOG_METRICS.failuresByOutcome.name, 'outcome', minute)],
        }),
        new cloudwatch.GraphWidget({
          title: 'Latency of unstreamed requests (ms), and router overhead',
          width: 12,
          left: [latency('p50'), latency('p95'), latency('p99')],
          right: [overhead('p50'), overhead('p99')],
          leftAnnotations: [{ value: o.deployment.p99LatencyMs, label: 'p99 alarm' }],
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Cost by tenant, USD per hour',
          width: 12,
          left: [search(ROUTER_LOG_METRICS.costByTenant.name, 'tenant', hour)],
        }),
        new cloudwatch.GraphWidget({
          title: 'Cost, USD per hour and per 1,000 requests',
          width: 12,
          left: [cost],
          right: [
            new cloudwatch.MathExpression({
              expression: '1000 * FILL(cost, 0) / requests',
              usingMetrics: { cost, requests: this.logMetric(ROUTER_LOG_METRICS.requests.name, cloudwatch.Stats.SUM, { period: hour }) },
              period: hour,
              label: 'USD per 1,000 requests',
            }),
          ],
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Guard: blocked and masked requests by tenant and policy, unchecked by tenant (fail open)',
          width: 24,
          left: [
            search(ROUTER_LOG_METRICS.guardBlocked.name, 'policy,tenant', minute),
            search(ROUTER_LOG_METRICS.guardMasked.name, 'policy,tenant', minute),
            search(ROUTER_LOG_METRICS.guardFailedOpen.name, 'tenant', minute),
          ],
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Budget used by tenant, % of its monthly budget',
          width: 24,
          left: [search(ROUTER_LOG_METRICS.budgetUsedByTenant.name, 'tenant', hour, 'Maximum')],
          leftAnnotations: [{ value: 100, label: 'budget' }],
          leftYAxis: { min: 0 },
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Function: concurrency, throttles, errors',
          width: 12,
          left: [this.fn.metric('ConcurrentExecutions', { statistic: cloudwatch.Stats.MAXIMUM, period: minute, label: 'concurrent requests' })],
          leftAnnotations: [{ value: o.deployment.maxConcurrentRequests, label: 'reserved concurrency' }],
          right: [this.fn.metricThrottles({ period: minute, label: 'throttles (429)' }), this.fn.metricErrors({ period: minute, label: 'function errors and timeouts' })],
        }),
        new cloudwatch.GraphWidget({
          title: 'Function duration (ms)',
          width: 12,
          left: ['p50', 'p99', 'Maximum'].map((s) => this.fn.metricDuration({ statistic: s, period: minute, label: s })),
        }),
      ],
    ];
    const gpus = Object.entries(o.gpuUtilization);
    if (gpus.length > 0) {
      rows.push([
        new cloudwatch.GraphWidget({
          title: 'GPU endpoints: GPU utilization (%)',
          width: 24,
          left: gpus.map(([name, m]) => (m instanceof cloudwatch.Metric ? m.with({ label: name }) : m)),
          leftYAxis: { min: 0, max: 100 },
        }),
      ]);
    }
    return rows;
  }
}
