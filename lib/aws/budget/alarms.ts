// The near-real-time clock's alarms: the stack's router-charged spend, which the stop function's
// watch publishes every 5 minutes, and each tenant's share of its own budget, which the router
// publishes at every charged request.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ROUTER_LOG_METRICS } from '../model-router/monitoring';

/** Namespace of the metrics the stop function's watch publishes (Embedded Metric Format, no dimension). */
export function budgetMetricsNamespace(namePrefix: string): string {
  return `AiStack/Budget/${namePrefix}`;
}

/** The watch's metrics (lib/budget/handlers/from-env.ts `watchLine`). */
export const BUDGET_WATCH_METRICS = { spendPercent: 'RouterSpendPercent', spendUsd: 'RouterSpendUsd' } as const;

/** Each tenant's early warnings, percent of its monthly budget. */
export const BUDGET_TENANT_ALARM_PERCENTS = [80, 100] as const;

/** The watch runs every 5 minutes, so a 5-minute period holds at most one point (sometimes none, by jitter). */
const WATCH_PERIOD = Duration.minutes(5);
/**
 * Alarm when any of the last two periods breached: a period the schedule's jitter left empty (missing
 * is not breaching) then does not flip the alarm to OK and back, which would notify again.
 */
const WATCH_EVALUATION = { evaluationPeriods: 2, datapointsToAlarm: 1 };
/**
 * A tenant's level arrives only with its requests, and stays put while it is idle: the alarm
 * remembers a breach for an hour, so an idle tenant re-notifies at most hourly, not at each request.
 */
const TENANT_EVALUATION = { evaluationPeriods: 12, datapointsToAlarm: 1 };

/** A metric of the watch (`BUDGET_WATCH_METRICS`): Maximum per 5 minutes. */
export function watchMetric(namespace: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace, metricName, statistic: cloudwatch.Stats.MAXIMUM, period: WATCH_PERIOD, ...props });
}

/** Percent of `tenant`'s monthly budget used, as the router's ledger saw it at its last charged request: Maximum per 5 minutes. */
export function tenantBudgetUsedMetric(routerNamespace: string, tenant: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: routerNamespace,
    metricName: ROUTER_LOG_METRICS.budgetUsedByTenant.name,
    dimensionsMap: { tenant },
    statistic: cloudwatch.Stats.MAXIMUM,
    period: WATCH_PERIOD,
    ...props,
  });
}

export interface BudgetAlarmsOptions {
  readonly namePrefix: string;
  readonly monthlyLimitUsd: number;
  /** Percents of the `actual` thresholds. */
  readonly actualPercents: readonly number[];
  readonly hardStopPercent?: number;
  readonly notificationTopic: sns.ITopic;
  readonly hardStopTopic?: sns.ITopic;
  readonly routerNamespace: string;
  readonly tenantIds: readonly string[];
}

export class BudgetAlarms extends Construct {
  public readonly namespace: string;
  public readonly spendAlarms: readonly cloudwatch.Alarm[];
  public readonly hardStopAlarm?: cloudwatch.Alarm;
  public readonly tenantAlarms: Readonly<Record<string, readonly cloudwatch.Alarm[]>>;

  constructor(scope: Construct, id: string, o: BudgetAlarmsOptions) {
    super(scope, id);
    this.namespace = budgetMetricsNamespace(o.namePrefix);
    const notify = new actions.SnsAction(o.notificationTopic);
    this.spendAlarms = [...new Set(o.actualPercents)].map((percent) => {
      const alarm = this.spendAlarm(`Spend${String(percent).replace('.', 'p')}`, percent, `Budget ${o.namePrefix}: the routers have charged ${percent}% of the ${o.monthlyLimitUsd} USD monthly budget (budget.thresholds, actual; the billed clock lags by hours)`);
      alarm.addAlarmAction(notify);
      return alarm;
    });
    if (o.hardStopPercent !== undefined && o.hardStopTopic) {
      this.hardStopAlarm = this.spendAlarm(
        'HardStop',
        o.hardStopPercent,
        `Budget ${o.namePrefix}: the routers have charged ${o.hardStopPercent}% of the ${o.monthlyLimitUsd} USD monthly budget: the hard stop (budget.hardStop.atPercent) runs`,
      );
      // To the hard-stop topic only: the stop function stops on ALARM (an OK is ignored) and notifies people itself.
      this.hardStopAlarm.addAlarmAction(new actions.SnsAction(o.hardStopTopic));
    }
    const tenantAlarms: Record<string, cloudwatch.Alarm[]> = {};
    for (const tenant of o.tenantIds) {
      tenantAlarms[tenant] = BUDGET_TENANT_ALARM_PERCENTS.map((percent) => {
        const alarm = new cloudwatch.Alarm(this, `Tenant-${tenant}-${percent}`, {
          alarmDescription: `Budget ${o.namePrefix}: tenant ${tenant} has used ${percent}% of its monthly budget${percent >= 100 ? ': the router answers its paid calls 402 until the month ends or the budget is raised' : ''}`,
          metric: tenantBudgetUsedMetric(o.routerNamespace, tenant),
          threshold: percent,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          ...TENANT_EVALUATION,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(notify);
        return alarm;
      });
    }
    this.tenantAlarms = tenantAlarms;
  }

  private spendAlarm(id: string, percent: number, description: string): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric: watchMetric(this.namespace, BUDGET_WATCH_METRICS.spendPercent),
      threshold: percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...WATCH_EVALUATION,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
