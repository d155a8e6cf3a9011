import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import type * as ce from 'aws-cdk-lib/aws-ce';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
// The design's index first: it loads lib/design/design.ts, which loads the cloud rules (./rules)
// that ./budget/validate imports; entering that cycle from ./rules would find the design half-loaded.
import { BUDGET_DEFAULTS, defaultNamePrefix, fitName, refuseInvalidProps, type BudgetDesign, type BudgetThresholdDesign, type NamePrefixProps } from '../design';
import { LEDGER_TABLE_SCHEMA } from '../router/stores/dynamodb/schema';
import { BudgetAlarms, budgetMetricsNamespace, BUDGET_WATCH_METRICS, tenantBudgetUsedMetric, watchMetric } from './budget/alarms';
import { BudgetAnomaly, defaultAnomalyThresholdUsd } from './budget/anomaly';
import { RouterDenyAction } from './budget/budgets-action';
import { acknowledgeStopFunctionFindings, warnCostTagActivation, warnHardStopNothing, warnNoRouter, warnTopicUnopened } from './budget/findings';
import type { IBudgetRouter } from './budget/router';
import { planBudgetNotifications, type BudgetNotificationPlan } from './budget/rules';
import { StopFunction } from './budget/stop-function';
import { BudgetTopics } from './budget/topics';
import { validateBudgetProps } from './budget/validate';

export { budgetRouterOf, type IBudgetRouter } from './budget/router';
export { budgetMetricsNamespace, BUDGET_WATCH_METRICS, BUDGET_TENANT_ALARM_PERCENTS } from './budget/alarms';
export { DENIED_BEDROCK_ACTIONS, BUDGETS_ACTION_IAM_ACTIONS } from './budget/budgets-action';
export { BUDGET_FLEET_ACTIONS, BUDGET_WATCH_INPUT, BUDGET_WATCH_RATE } from './budget/stop-function';
export { planBudgetNotifications, type BudgetNotificationPlan } from './budget/rules';

/** The one cost-allocation tag the budget and the anomaly monitor filter by. */
export interface BudgetCostTag {
  /** Tag key, as on the resources (without the `user:` prefix: the construct adds it to the budget's filter). */
  readonly key: string;
  readonly value: string;
}

/** A GPU fleet the hard stop scales to zero: a `GpuEndpoint` gives it. */
export interface BudgetGpuEndpoint {
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
}

/**
 * Properties of a {@link Budget}: the design's budget section (`BudgetDesign`: monthly limit,
 * thresholds, emails, anomaly detection, hard stop) plus the AWS props. Unknown props are refused.
 */
export interface BudgetProps extends BudgetDesign, NamePrefixProps {
  /**
   * The cost-allocation tag that marks this stack's spend: the budget's filter is
   * `TagKeyValue: ['user:<key>$<value>']` and the anomaly monitor watches the same tag. The tag must
   * be activated as a cost allocation tag in Billing, or the budget reports 0 USD (a synth warning,
   * `ai-stack:budget-cost-tag-activation`, says so). `aws.AiStack` passes the design's `application`
   * tag (`tags.application`).
   */
  readonly costTag: BudgetCostTag;
  /**
   * GPU endpoints whose fleets the hard stop scales to zero (and resume restores): pass the
   * `GpuEndpoint`s. Only with `hardStop`.
   * @default - none
   */
  readonly gpuEndpoints?: readonly BudgetGpuEndpoint[];
  /**
   * Further Auto Scaling groups of your own the hard stop scales to zero, beside `gpuEndpoints`.
   * @default - none
   */
  readonly autoScalingGroups?: readonly autoscaling.IAutoScalingGroup[];
  /**
   * The router the budget watches and stops: `budgetRouterOf(modelRouter)`, or your own
   * {@link IBudgetRouter}. With it: the 5-minute watch of router-charged spend and its alarms, each
   * tenant's 80% and 100% alarms, the spend-stop record the hard stop writes (the router then refuses
   * paid calls with 402), and the Budgets action denying Bedrock to its role.
   * @default - no router: the billed clock only (a warning says so); a hard stop only scales the fleets
   */
  readonly router?: IBudgetRouter;
  /**
   * Topic of the notifications (alarms, anomalies, the stop function's notices; the budget's
   * notifications besides their emails). A topic of this app is opened to AWS Budgets, CloudWatch and
   * Cost Anomaly Detection; an imported one must be opened by its owner (a warning lists them).
   * @default - a new topic, encrypted with a new customer managed key those services may use,
   *   refusing publishers without TLS, with each of `notifyEmails` subscribed
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Customer managed KMS key of the stop function's log group. For a `kms.Key` of this app the
   * construct lets CloudWatch Logs of this account and region use it.
   * @default - encrypted by CloudWatch Logs with an AWS owned key
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * How long the stop function's logs (each stop, resume and watch) are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Least total impact of a cost anomaly that notifies, USD. Only with `anomalyDetection`.
   * @default - 5% of `monthlyLimitUsd`, at least 1 USD
   */
  readonly anomalyThresholdUsd?: number;
}

/**
 * The design's monthly budget on AWS, on two clocks. The billed clock: an AWS budget filtered by the
 * stack's cost tag with the design's actual and forecast thresholds, and Cost Anomaly Detection on the
 * same tag, hours behind the spend. The near-real-time clock: the routers' own charges, summed every
 * 5 minutes by the stop function and alarmed at each actual threshold, and each tenant's budget at
 * 80% and 100%. At `hardStop.atPercent` of either clock the stop function sets the spend stop (the
 * router refuses paid calls with 402) and scales every GPU fleet to zero; an AWS Budgets action also
 * denies Bedrock to the router's role. `{"action":"resume"}` undoes the stop.
 */
export class Budget extends Construct {
  /** Prefix of the names this budget gives. */
  public readonly namePrefix: string;
  /** The design's thresholds with their defaults applied. */
  public readonly thresholds: readonly Required<BudgetThresholdDesign>[];
  /** The budget's notifications, the hard stop's included. */
  public readonly notifications: readonly BudgetNotificationPlan[];
  public readonly budget: budgets.CfnBudget;
  public readonly budgetName: string;
  /** The notification topic: the given `alarmTopic`, or the one created. */
  public readonly notificationTopic: sns.ITopic;
  /** The stop function's trigger; absent without a hard stop. */
  public readonly hardStopTopic?: sns.ITopic;
  /** The key of the topics this construct created; absent when it created none. */
  public readonly topicKey?: kms.IKey;
  public readonly anomalyMonitor?: ce.CfnAnomalyMonitor;
  public readonly anomalySubscription?: ce.CfnAnomalySubscription;
  /** The GPU fleets the hard stop scales to zero. */
  public readonly fleets: readonly autoscaling.IAutoScalingGroup[];
  /** The stop function; absent when there is neither a router to watch nor anything to stop. */
  public readonly stopFunction?: lambda.IFunction;
  public readonly stopFunctionRole?: iam.IRole;
  public readonly logGroup?: logs.ILogGroup;
  /** Invokes the stop function with `{"action":"watch"}` every 5 minutes; absent without a router. */
  public readonly watchSchedule?: scheduler.Schedule;
  public readonly schedulerRole?: iam.IRole;
  /** The spend-stop record's table when there is no router (the router's ledger otherwise). */
  public readonly stateTable?: dynamodb.ITable;
  /** CloudWatch namespace of the watch's metrics (`RouterSpendPercent`, `RouterSpendUsd`). */
  public readonly metricsNamespace: string;
  /** Alarms on the router-charged spend, one per `actual` threshold; empty without a router. */
  public readonly spendAlarms: readonly cloudwatch.Alarm[];
  /** The router-charged spend at `hardStop.atPercent`, to the hard-stop topic. */
  public readonly hardStopAlarm?: cloudwatch.Alarm;
  /** Each tenant's alarms at 80% and 100% of its budget, by tenant id. */
  public readonly tenantAlarms: Readonly<Record<string, readonly cloudwatch.Alarm[]>>;
  /** Every alarm above. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** The policy the Budgets action attaches to the router's role: Deny `bedrock:InvokeModel*`, `bedrock:Converse*`. */
  public readonly denyPolicy?: iam.IManagedPolicy;
  /** The role AWS Budgets assumes to attach and detach `denyPolicy`. */
  public readonly budgetsActionRole?: iam.IRole;
  public readonly budgetsAction?: budgets.CfnBudgetsAction;
  /** The operator's resume command (also a stack output); absent without a stop function. */
  public readonly resumeCommand?: string;
  private readonly routerNamespace?: string;

  constructor(scope: Construct, id: string, props: BudgetProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateBudgetProps(props, 'props', problems));
    const stack = Stack.of(this);
    this.namePrefix = props.namePrefix ?? defaultNamePrefix(stack.stackName);
    this.thresholds = (props.thresholds ?? BUDGET_DEFAULTS.thresholds).map((t) => ({ percent: t.percent, type: t.type ?? 'actual' }));
    this.notifications = planBudgetNotifications(props);
    const anomalyDetection = props.anomalyDetection ?? BUDGET_DEFAULTS.anomalyDetection;
    const router = props.router;
    this.fleets = [...(props.gpuEndpoints ?? []).map((e) => e.autoScalingGroup), ...(props.autoScalingGroups ?? [])];
    const atPercent = props.hardStop?.atPercent;
    const stops = atPercent !== undefined && (router !== undefined || this.fleets.length > 0);
    this.metricsNamespace = budgetMetricsNamespace(this.namePrefix);
    this.routerNamespace = router?.metricsNamespace;

    const topics = new BudgetTopics(this, 'Topics', {
      namePrefix: this.namePrefix,
      alarmTopic: props.alarmTopic,
      emails: props.notifyEmails,
      hardStop: stops,
      anomalyDetection,
    });
    this.notificationTopic = topics.notificationTopic;
    this.hardStopTopic = topics.hardStopTopic;
    this.topicKey = topics.key;

    this.budgetName = fitName([this.namePrefix, 'monthly'], 100);
    const emails = props.notifyEmails.map((address) => ({ subscriptionType: 'EMAIL', address }));
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: this.budgetName,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyLimitUsd, unit: 'USD' },
        // `user:` marks a user-defined cost allocation tag and `$` separates key and value; without the
        // prefix the filter matches nothing and the budget silently reports 0 USD.
        costFilters: { TagKeyValue: [`user:${props.costTag.key}$${props.costTag.value}`] },
      },
      notificationsWithSubscribers: this.notifications.map((n) => ({
        notification: { notificationType: n.notificationType, comparisonOperator: 'GREATER_THAN', threshold: n.percent, thresholdType: 'PERCENTAGE' },
        subscribers: [...emails, { subscriptionType: 'SNS', address: (n.hardStop && this.hardStopTopic ? this.hardStopTopic : this.notificationTopic).topicArn }],
      })),
    });
    // The topics' policies must admit AWS Budgets before its first notification.
    this.budget.node.addDependency(topics);
    warnCostTagActivation(this, props.costTag.key, props.costTag.value);
    if (topics.unopened.length > 0) warnTopicUnopened(this, topics.unopened);

    if (anomalyDetection) {
      const anomaly = new BudgetAnomaly(this, 'Anomaly', {
        namePrefix: this.namePrefix,
        costTag: props.costTag,
        thresholdUsd: props.anomalyThresholdUsd ?? defaultAnomalyThresholdUsd(props.monthlyLimitUsd),
        notificationTopic: this.notificationTopic,
      });
      anomaly.subscription.node.addDependency(topics);
      this.anomalyMonitor = anomaly.monitor;
      this.anomalySubscription = anomaly.subscription;
    }

    if (!router) warnNoRouter(this, atPercent !== undefined);
    if (atPercent !== undefined && !stops) warnHardStopNothing(this);
    if (router || stops) {
      const table = router?.ledgerTable ?? this.createStateTable();
      if (!router) this.stateTable = table;
      const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
      const stop = new StopFunction(this, 'StopFunction', {
        namePrefix: this.namePrefix,
        monthlyLimitUsd: props.monthlyLimitUsd,
        hardStopPercent: stops ? atPercent : undefined,
        fleets: this.fleets,
        table,
        tenantIds: router?.tenantIds ?? [],
        requestTimeout: router?.requestTimeout,
        notificationTopic: this.notificationTopic,
        hardStopTopic: this.hardStopTopic,
        metricsNamespace: this.metricsNamespace,
        watch: router !== undefined,
        logRetention,
        logEncryptionKey: props.logEncryptionKey,
      });
      this.stopFunction = stop.function;
      this.stopFunctionRole = stop.role;
      this.logGroup = stop.logGroup;
      this.watchSchedule = stop.schedule;
      this.schedulerRole = stop.schedulerRole;
      acknowledgeStopFunctionFindings(stop.function, stop.role, stop.logGroup, {
        fleets: stops && this.fleets.length > 0,
        topicEncrypted: this.notificationTopic.masterKey !== undefined,
        logRetentionDays: logRetention,
        logEncrypted: props.logEncryptionKey !== undefined,
      });
      this.resumeCommand = Fn.join('', ['aws lambda invoke --function-name ', stop.function.functionName, ` --payload '{"action":"resume"}' --cli-binary-format raw-in-base64-out /dev/stdout`]);
      new CfnOutput(this, 'ResumeCommand', { description: `Budget ${this.namePrefix}: lifts the hard stop (restores the GPU fleets, clears the spend stop)`, value: this.resumeCommand });
    }

    if (router) {
      const alarms = new BudgetAlarms(this, 'Alarms', {
        namePrefix: this.namePrefix,
        monthlyLimitUsd: props.monthlyLimitUsd,
        actualPercents: this.thresholds.filter((t) => t.type === 'actual').map((t) => t.percent),
        hardStopPercent: stops ? atPercent : undefined,
        notificationTopic: this.notificationTopic,
        hardStopTopic: this.hardStopTopic,
        routerNamespace: router.metricsNamespace,
        tenantIds: router.tenantIds,
      });
      this.spendAlarms = alarms.spendAlarms;
      this.hardStopAlarm = alarms.hardStopAlarm;
      this.tenantAlarms = alarms.tenantAlarms;
    } else {
      this.spendAlarms = [];
      this.tenantAlarms = {};
    }
    this.alarms = [...this.spendAlarms, ...(this.hardStopAlarm ? [this.hardStopAlarm] : []), ...Object.values(this.tenantAlarms).flat()];

    if (router && atPercent !== undefined) {
      const deny = new RouterDenyAction(this, 'DenyBedrock', {
        namePrefix: this.namePrefix,
        budget: this.budget,
        budgetName: this.budgetName,
        atPercent,
        routerRole: router.role,
        notificationTopic: this.notificationTopic,
        emails: props.notifyEmails,
      });
      this.denyPolicy = deny.denyPolicy;
      this.budgetsActionRole = deny.executionRole;
      this.budgetsAction = deny.action;
      new CfnOutput(this, 'ReverseBudgetsActionCommand', {
        description: `Budget ${this.namePrefix}: detaches the Bedrock deny policy from the router's role after the Budgets action ran (resume does not)`,
        value: Fn.join('', ['aws budgets execute-budget-action --account-id ', stack.account, ' --budget-name ', this.budgetName, ' --action-id ', deny.action.attrActionId, ' --execution-type REVERSE_BUDGET_ACTION']),
      });
    }
  }

  /** The stack's router-charged spend this month, percent of the monthly limit (Maximum per 5 minutes). */
  public metricRouterSpendPercent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return watchMetric(this.metricsNamespace, BUDGET_WATCH_METRICS.spendPercent, props);
  }

  /** The stack's router-charged spend this month, USD (Maximum per 5 minutes). */
  public metricRouterSpendUsd(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return watchMetric(this.metricsNamespace, BUDGET_WATCH_METRICS.spendUsd, props);
  }

  /** Percent of `tenant`'s monthly budget used, as the router's ledger saw it (Maximum per 5 minutes). Needs a router. */
  public metricTenantBudgetUsed(tenant: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (this.routerNamespace === undefined) throw new Error(`${this.node.path}: metricTenantBudgetUsed needs the router prop (the tenants' metrics are the router's)`);
    return tenantBudgetUsedMetric(this.routerNamespace, tenant, props);
  }

  /** Without a router, the stop record (the fleets' replaced capacities) lives in a table of its own. */
  private createStateTable(): dynamodb.Table {
    return new dynamodb.Table(this, 'StateTable', {
      partitionKey: { name: LEDGER_TABLE_SCHEMA.partitionKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
  }
}
