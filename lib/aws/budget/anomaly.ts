// Cost Anomaly Detection on the stack's tagged spend: a customer managed monitor of the cost tag and
// an immediate subscription to the notification topic.
import { Stack } from 'aws-cdk-lib';
import * as ce from 'aws-cdk-lib/aws-ce';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { fitName } from '../../design/naming';

export interface BudgetAnomalyOptions {
  readonly namePrefix: string;
  readonly costTag: { readonly key: string; readonly value: string };
  /** Least total impact of an anomaly that notifies, USD. */
  readonly thresholdUsd: number;
  readonly notificationTopic: sns.ITopic;
}

/** Default least impact of a notified anomaly: 5% of the monthly limit, at least 1 USD (cents). */
export function defaultAnomalyThresholdUsd(monthlyLimitUsd: number): number {
  return Math.max(1, Math.round(monthlyLimitUsd * 5) / 100);
}

export class BudgetAnomaly extends Construct {
  public readonly monitor: ce.CfnAnomalyMonitor;
  public readonly subscription: ce.CfnAnomalySubscription;

  constructor(scope: Construct, id: string, o: BudgetAnomalyOptions) {
    super(scope, id);
    const stack = Stack.of(this);
    // CUSTOM: this stack's tagged spend watched in aggregate. A Cost Explorer expression names the tag
    // by its key alone (the `user:` prefix belongs to the budget's CostFilters).
    this.monitor = new ce.CfnAnomalyMonitor(this, 'Monitor', {
      monitorName: fitName([o.namePrefix, 'spend', `${o.costTag.key}=${o.costTag.value}`], 1024),
      monitorType: 'CUSTOM',
      monitorSpecification: stack.toJsonString({ Tags: { Key: o.costTag.key, Values: [o.costTag.value], MatchOptions: ['EQUALS'] } }),
    });
    this.subscription = new ce.CfnAnomalySubscription(this, 'Subscription', {
      subscriptionName: fitName([o.namePrefix, 'spend-anomalies'], 1024),
      monitorArnList: [this.monitor.attrMonitorArn],
      // IMMEDIATE is delivered over SNS only (DAILY and WEEKLY are email digests).
      frequency: 'IMMEDIATE',
      subscribers: [{ type: 'SNS', address: o.notificationTopic.topicArn }],
      thresholdExpression: stack.toJsonString({ Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: [String(o.thresholdUsd)] } }),
    });
  }
}
