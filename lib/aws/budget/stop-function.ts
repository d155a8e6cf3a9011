// The stop function: the shipped budget bundle (dist/budget/aws) on Lambda, its least-privilege
// role, its log group, the hard-stop topic's subscription and the watch schedule.
import { Duration, Stack } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { budgetBundleDir } from '../../common/router-bundle';
import { BUDGET_ENV } from '../../budget/deploy-env';
import { ROUTER_ENV } from '../../router/deploy-env';
import { ledgerKey } from '../../router/stores/dynamodb/schema';
import { SPEND_STOP_KEY } from '../../router/stores/spend-stop';
import { allowLogsToUseKey } from '../log-encryption';
import { acknowledgeSchedulerFindings } from './findings';

/** The Auto Scaling actions of the fleet adapter (lib/budget/fleets/aws.ts) that change a group. */
export const BUDGET_FLEET_ACTIONS = ['autoscaling:UpdateAutoScalingGroup', 'autoscaling:SuspendProcesses', 'autoscaling:ResumeProcesses'] as const;
/** How often the watch sums the routers' spend. */
export const BUDGET_WATCH_RATE = Duration.minutes(5);
/** The input of the watch schedule (lib/budget/events.ts `awsBudgetAction`). */
export const BUDGET_WATCH_INPUT = { action: 'watch' } as const;

export interface StopFunctionOptions {
  readonly namePrefix: string;
  readonly monthlyLimitUsd: number;
  /** Unset: no hard stop; the function only watches. */
  readonly hardStopPercent?: number;
  /** The stack's GPU fleets, scaled to zero by a stop. */
  readonly fleets: readonly autoscaling.IAutoScalingGroup[];
  /** The table of the spend-stop record: the router's ledger, or the budget's own without a router. */
  readonly table: dynamodb.ITable;
  readonly tenantIds: readonly string[];
  readonly requestTimeout?: Duration;
  readonly notificationTopic: sns.ITopic;
  /** The function's trigger for stops, when there is a hard stop. */
  readonly hardStopTopic?: sns.ITopic;
  readonly metricsNamespace: string;
  /** Run the watch every 5 minutes (there is a router to watch). */
  readonly watch: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
}

export class StopFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule?: scheduler.Schedule;
  public readonly schedulerRole?: iam.Role;

  constructor(scope: Construct, id: string, o: StopFunctionOptions) {
    super(scope, id);
    const stack = Stack.of(this);
    const stops = o.hardStopPercent !== undefined;

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: o.logRetention, encryptionKey: o.logEncryptionKey });
    if (o.logEncryptionKey) allowLogsToUseKey(o.logEncryptionKey, this.logGroup);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Budget ${o.namePrefix} stop function: the spend-stop record, the stack's GPU fleets, its topic and log group`,
    });
    this.logGroup.grantWrite(this.role);
    this.grantTable(o.table, o.tenantIds, stops);
    o.notificationTopic.grantPublish(this.role);
    if (stops && o.fleets.length > 0) {
      // Writes only on this stack's groups: their ARNs name the group and leave its id (a UUID) open.
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...BUDGET_FLEET_ACTIONS], resources: o.fleets.map((g) => g.autoScalingGroupArn) }));
      // DescribeAutoScalingGroups supports no resource-level permission: it is granted on `*` or not at all.
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['autoscaling:DescribeAutoScalingGroups'], resources: ['*'] }));
    }

    const environment: Record<string, string> = {
      [BUDGET_ENV.fleets]: stack.toJsonString(stops ? o.fleets.map((g) => ({ cloud: 'aws', id: g.autoScalingGroupName })) : []),
      [BUDGET_ENV.tenants]: JSON.stringify(o.tenantIds),
      [BUDGET_ENV.monthlyLimitUsd]: String(o.monthlyLimitUsd),
      ...(stops ? { [BUDGET_ENV.hardStopPercent]: String(o.hardStopPercent) } : {}),
      [BUDGET_ENV.notifyTopicArn]: o.notificationTopic.topicArn,
      [BUDGET_ENV.metricsNamespace]: o.metricsNamespace,
      [ROUTER_ENV.store]: 'dynamodb',
      [ROUTER_ENV.ledgerTable]: o.table.tableName,
      // The store loader requires a rate table; the stop function never uses the rate limiter, and its
      // role may not touch any table but this one, so it names the same table.
      [ROUTER_ENV.rateTable]: o.table.tableName,
      ...(o.requestTimeout ? { [ROUTER_ENV.maxRequestMs]: String(o.requestTimeout.toMilliseconds()) } : {}),
    };

    this.function = new lambda.Function(this, 'Function', {
      description: `Budget ${o.namePrefix} (ai-stack-constructs): ${o.watch ? "watches the routers' spend every 5 minutes" : 'watches no router'}${stops ? `; the hard stop at ${o.hardStopPercent}% sets the spend stop and scales ${o.fleets.length} GPU fleet(s) to zero` : ''}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(budgetBundleDir('aws')),
      handler: 'index.handler',
      memorySize: 256,
      timeout: Duration.minutes(5),
      // One run at a time: a stop and a resume never race (the record's compare-and-set would
      // only retry), and the schedule's next watch waits for the last.
      reservedConcurrentExecutions: 1,
      // SNS and the schedule invoke asynchronously: a stop that left a fleet unchanged throws and runs again.
      retryAttempts: 2,
      environment,
      role: this.role,
      logGroup: this.logGroup,
    });
    // The role's policy must be in place before the first run.
    this.function.node.addDependency(this.role);

    if (o.hardStopTopic) o.hardStopTopic.addSubscription(new subscriptions.LambdaSubscription(this.function));

    if (o.watch) {
      this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
        description: `Invokes the budget ${o.namePrefix} stop function with {"action":"watch"} every 5 minutes`,
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      });
      this.schedule = new scheduler.Schedule(this, 'Watch', {
        description: `Budget ${o.namePrefix}: sums the routers' spend of the month and publishes it${stops ? '; stops at the hard stop' : ''}`,
        schedule: scheduler.ScheduleExpression.rate(BUDGET_WATCH_RATE),
        target: new targets.LambdaInvoke(this.function, {
          role: this.schedulerRole,
          input: scheduler.ScheduleTargetInput.fromObject(BUDGET_WATCH_INPUT),
          // The next watch runs in 5 minutes; a missed one is not worth a retry that would queue behind it.
          retryAttempts: 0,
        }),
      });
      acknowledgeSchedulerFindings(this.schedulerRole, this.function);
    }
  }

  /**
   * The ledger table: GetItem anywhere (the record and each tenant's month); PutItem only on the
   * spend-stop record; UpdateItem only on the tenants' month items, because reading a month releases
   * the reservations a crashed router instance left behind (the ledger's sweep) before it sums them.
   */
  private grantTable(table: dynamodb.ITable, tenantIds: readonly string[], stops: boolean): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [table.tableArn] }));
    if (stops) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [table.tableArn], conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [SPEND_STOP_KEY] } } }),
      );
    }
    if (tenantIds.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': tenantIds.map((t) => ledgerKey(t, '*')) } },
        }),
      );
    }
    table.encryptionKey?.grantEncryptDecrypt(this.role);
  }
}
