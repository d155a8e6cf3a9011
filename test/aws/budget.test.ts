import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Budget, budgetRouterOf, DENIED_BEDROCK_ACTIONS, BUDGET_FLEET_ACTIONS, planBudgetNotifications, type BudgetProps, type IBudgetRouter } from '../../lib/aws/budget';
import { budgetResourceCount, budgetResourceCountOf } from '../../lib/aws/budget/rules';
import { GpuEndpoint } from '../../lib/aws/gpu-endpoint';
import { ModelRouter } from '../../lib/aws/model-router';
import { budgetBundleDir } from '../../lib/common/router-bundle';
import { BUDGET_ENV } from '../../lib/budget/deploy-env';
import { awsBudgetAction } from '../../lib/budget/events';
import { budgetDepsFromEnv } from '../../lib/budget/handlers/from-env';
import { collectProblems } from '../../lib/design';
import { ROUTER_ENV } from '../../lib/router/deploy-env';
import { smallDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const ENV = { account: '123456789012', region: 'us-east-1' };
const EMAILS = ['ops@example.com', 'finance@example.com'];

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: Record<string, unknown>; Principal?: unknown; Sid?: string };

/** A router of the test stack: its own ledger table and role. */
function routerIn(stack: Stack, tenantIds: readonly string[] = ['team-a', 'team-b']): IBudgetRouter {
  return {
    ledgerTable: new dynamodb.Table(stack, 'Ledger', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
    role: new iam.Role(stack, 'RouterRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }),
    metricsNamespace: 'AiStack/Router/demo',
    tenantIds,
    requestTimeout: Duration.seconds(120),
  };
}

interface BuildOptions {
  router?: boolean;
  groups?: string[];
}

function build(props: Partial<BudgetProps> = {}, o: BuildOptions = {}, configure?: (stack: Stack) => Partial<BudgetProps>) {
  const app = new App();
  const stack = new Stack(app, 'S', { env: ENV });
  const groups = (o.groups ?? ['gpu-a', 'gpu-b']).map((name) => autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, `Group-${name}`, name));
  const budget = new Budget(stack, 'Budget', {
    monthlyLimitUsd: 1000,
    notifyEmails: EMAILS,
    hardStop: { atPercent: 100 },
    costTag: { key: 'application', value: 'support' },
    autoScalingGroups: groups,
    ...(o.router === false ? {} : { router: routerIn(stack) }),
    ...props,
    ...configure?.(stack),
  });
  return { app, stack, budget, template: Template.fromStack(stack) };
}

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

function only(template: Template, type: string): [string, Resource] {
  const found = resources(template, type);
  expect(found).toHaveLength(1);
  return found[0];
}

function logicalId(template: Template, type: string, pathPart: string): string {
  const ids = resources(template, type).map(([id]) => id).filter((id) => id.includes(pathPart));
  expect(ids).toHaveLength(1);
  return ids[0];
}

/** The statements of the policies attached to the role whose logical id starts with `prefix`. */
function statementsOf(template: Template, prefix: string): Statement[] {
  return resources(template, 'AWS::IAM::Policy')
    .map(([, p]) => p)
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(prefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const groupArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/${name}`]] });

function notificationsOf(template: Template): { type: string; percent: number; operator: string; thresholdType: string; subscribers: unknown[] }[] {
  const [, b] = only(template, 'AWS::Budgets::Budget');
  return (b.Properties.NotificationsWithSubscribers as any[]).map((n) => ({
    type: n.Notification.NotificationType,
    percent: n.Notification.Threshold,
    operator: n.Notification.ComparisonOperator,
    thresholdType: n.Notification.ThresholdType,
    subscribers: n.Subscribers,
  }));
}

describe('Budget: the billed clock', () => {
  test('a monthly COST budget in USD, filtered by the cost tag with the user: prefix and the $ separator', () => {
    const { template, budget } = build();
    const [, b] = only(template, 'AWS::Budgets::Budget');
    expect(b.Properties.Budget).toEqual({
      BudgetName: 's-monthly',
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: 1000, Unit: 'USD' },
      CostFilters: { TagKeyValue: ['user:application$support'] },
    });
    expect(budget.budgetName).toBe('s-monthly');
  });

  test('the default thresholds, each with its type, GREATER_THAN a percentage, to the emails and one SNS topic; the hard stop\'s to the hard-stop topic', () => {
    const { template } = build();
    const notify = ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic'));
    const hardStop = ref(logicalId(template, 'AWS::SNS::Topic', 'HardStopTopic'));
    const emails = EMAILS.map((Address) => ({ Address, SubscriptionType: 'EMAIL' }));
    expect(notificationsOf(template)).toEqual([
      { type: 'ACTUAL', percent: 50, operator: 'GREATER_THAN', thresholdType: 'PERCENTAGE', subscribers: [...emails, { Address: notify, SubscriptionType: 'SNS' }] },
      { type: 'ACTUAL', percent: 80, operator: 'GREATER_THAN', thresholdType: 'PERCENTAGE', subscribers: [...emails, { Address: notify, SubscriptionType: 'SNS' }] },
      { type: 'FORECASTED', percent: 100, operator: 'GREATER_THAN', thresholdType: 'PERCENTAGE', subscribers: [...emails, { Address: notify, SubscriptionType: 'SNS' }] },
      // The design's 100% actual is the hard stop's notification (Budgets refuses two alike).
      { type: 'ACTUAL', percent: 100, operator: 'GREATER_THAN', thresholdType: 'PERCENTAGE', subscribers: [...emails, { Address: hardStop, SubscriptionType: 'SNS' }] },
    ]);
  });

  test('every design threshold with its type; a hard stop at a percent no threshold has gets its own notification', () => {
    const { template } = build({
      thresholds: [{ percent: 25 }, { percent: 60, type: 'forecast' }, { percent: 90, type: 'actual' }, { percent: 120, type: 'forecast' }],
      hardStop: { atPercent: 110 },
    });
    expect(notificationsOf(template).map((n) => `${n.type} ${n.percent} -> ${(n.subscribers.at(-1) as any).Address.Ref.includes('HardStop') ? 'hard-stop' : 'notify'}`)).toEqual([
      'ACTUAL 25 -> notify',
      'FORECASTED 60 -> notify',
      'ACTUAL 90 -> notify',
      'FORECASTED 120 -> notify',
      'ACTUAL 110 -> hard-stop',
    ]);
    // A forecast at the hard stop's percent is not the hard stop: only actual spend stops.
    expect(planBudgetNotifications({ thresholds: [{ percent: 100, type: 'forecast' }], hardStop: { atPercent: 100 } })).toEqual([
      { notificationType: 'FORECASTED', percent: 100, hardStop: false },
      { notificationType: 'ACTUAL', percent: 100, hardStop: true },
    ]);
  });

  test('without a hard stop: no hard-stop topic, every notification to the notification topic', () => {
    const { template } = build({ hardStop: undefined });
    expect(resources(template, 'AWS::SNS::Topic')).toHaveLength(1);
    expect(notificationsOf(template).every((n) => (n.subscribers.at(-1) as any).Address.Ref.includes('NotificationTopic'))).toBe(true);
  });

  test('the notification topic: encrypted with the budget key, TLS only, each email subscribed, AWS Budgets, CloudWatch and Cost Anomaly Detection may publish for this account', () => {
    const { template } = build();
    const topicId = logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic');
    const keyId = logicalId(template, 'AWS::KMS::Key', 'TopicKey');
    expect(template.toJSON().Resources[topicId].Properties.KmsMasterKeyId).toEqual(arnOf(keyId));
    const subs = resources(template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties).filter((p) => p.TopicArn.Ref === topicId);
    expect(subs.map((p) => `${p.Protocol} ${p.Endpoint}`).sort()).toEqual(EMAILS.map((e) => `email ${e}`).sort());
    const policy = resources(template, 'AWS::SNS::TopicPolicy').find(([, p]) => p.Properties.Topics[0].Ref === topicId)![1];
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const budgetsArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::123456789012:budget/*']] };
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'budgets.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref(topicId),
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': budgetsArn } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'costalerts.amazonaws.com' }, Action: 'sns:Publish', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:*']] } } },
      }),
    );
    // The key admits the three publishing services; CloudWatch for this account only.
    const keyStatements = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as Statement[];
    for (const service of ['budgets.amazonaws.com', 'costalerts.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      expect(keyStatements).toContainEqual(expect.objectContaining({ Effect: 'Allow', Principal: { Service: service }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }));
    }
    expect(keyStatements.find((s) => (s.Principal as any)?.Service === 'cloudwatch.amazonaws.com')!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': '123456789012' } });
    expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  test('the hard-stop topic: encrypted, its only subscriber the stop function, AWS Budgets and CloudWatch may publish', () => {
    const { template } = build();
    const topicId = logicalId(template, 'AWS::SNS::Topic', 'HardStopTopic');
    const fnId = logicalId(template, 'AWS::Lambda::Function', 'StopFunction');
    expect(template.toJSON().Resources[topicId].Properties.KmsMasterKeyId).toEqual(arnOf(logicalId(template, 'AWS::KMS::Key', 'TopicKey')));
    const subs = resources(template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties).filter((p) => p.TopicArn.Ref === topicId);
    expect(subs).toEqual([{ Protocol: 'lambda', TopicArn: ref(topicId), Endpoint: arnOf(fnId) }]);
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: arnOf(fnId), Principal: 'sns.amazonaws.com', SourceArn: ref(topicId) });
    const policy = resources(template, 'AWS::SNS::TopicPolicy').find(([, p]) => p.Properties.Topics[0].Ref === topicId)![1];
    const publishers = (policy.Properties.PolicyDocument.Statement as Statement[]).filter((s) => s.Effect === 'Allow').map((s) => (s.Principal as any).Service);
    expect(publishers).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com']);
  });

  test('the hard stop\'s AWS Budgets text notification and the hard-stop alarm\'s ALARM both make the stop function stop; its OK does not', () => {
    const record = (Message: string, Subject?: string) => ({ Records: [{ EventSource: 'aws:sns', Sns: { Message, ...(Subject ? { Subject } : {}) } }] });
    expect(awsBudgetAction(record('AWS Budget Notification ...', 'AWS Budgets: s-monthly has exceeded your alert threshold')).kind).toBe('stop');
    expect(awsBudgetAction(record(JSON.stringify({ AlarmName: 'hard stop', NewStateValue: 'ALARM' }))).kind).toBe('stop');
    expect(awsBudgetAction(record(JSON.stringify({ AlarmName: 'hard stop', NewStateValue: 'OK' }))).kind).toBe('ignore');
  });

  test('Cost Anomaly Detection: a CUSTOM monitor of the cost tag and an IMMEDIATE subscription to the notification topic at 5% of the limit', () => {
    const { template } = build();
    const [monitorId, monitor] = only(template, 'AWS::CE::AnomalyMonitor');
    expect(monitor.Properties.MonitorType).toBe('CUSTOM');
    expect(monitor.Properties.MonitorDimension).toBeUndefined();
    expect(JSON.parse(monitor.Properties.MonitorSpecification)).toEqual({ Tags: { Key: 'application', Values: ['support'], MatchOptions: ['EQUALS'] } });
    const [, sub] = only(template, 'AWS::CE::AnomalySubscription');
    expect(sub.Properties.Frequency).toBe('IMMEDIATE');
    expect(sub.Properties.MonitorArnList).toEqual([{ 'Fn::GetAtt': [monitorId, 'MonitorArn'] }]);
    expect(sub.Properties.Subscribers).toEqual([{ Type: 'SNS', Address: ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic')) }]);
    expect(JSON.parse(sub.Properties.ThresholdExpression)).toEqual({ Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: ['50'] } });
    // It may publish only once the topic policy admits it.
    expect(sub.DependsOn).toEqual(expect.arrayContaining([logicalId(template, 'AWS::SNS::TopicPolicy', 'NotificationTopic')]));
  });

  test('anomalyThresholdUsd sets the least impact; anomalyDetection false builds no anomaly resource and no costalerts grant', () => {
    const custom = build({ anomalyThresholdUsd: 12.5 });
    expect(JSON.parse(only(custom.template, 'AWS::CE::AnomalySubscription')[1].Properties.ThresholdExpression).Dimensions.Values).toEqual(['12.5']);
    const { template } = build({ anomalyDetection: false });
    expect(resources(template, 'AWS::CE::AnomalyMonitor')).toEqual([]);
    expect(resources(template, 'AWS::CE::AnomalySubscription')).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toContain('costalerts.amazonaws.com');
  });

  test('a synth-time warning says the cost tag must be activated in Billing, naming the filter value', () => {
    const { stack } = build();
    Annotations.fromStack(stack).hasWarning(
      '/S/Budget',
      Match.stringLikeRegexp('cost allocation tag application=support \\(the filter value user:application\\$support\\).*activated as a cost allocation tag in Billing.*reports 0 USD.*TagKey=application,Status=Active'),
    );
    expect(JSON.stringify(Annotations.fromStack(stack).findWarning('/S/Budget', Match.anyValue()))).toContain('ai-stack:budget-cost-tag-activation');
  });
});

describe('Budget: the near-real-time clock', () => {
  type Alarm = { id: string; p: Record<string, any> };
  const alarms = (template: Template): Alarm[] => resources(template, 'AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, p: r.Properties }));

  test('the stack\'s router-charged spend alarms at each actual threshold (to the notification topic) and at the hard stop (to the hard-stop topic)', () => {
    const { template, budget } = build();
    const notify = ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic'));
    const hardStop = ref(logicalId(template, 'AWS::SNS::Topic', 'HardStopTopic'));
    const spend = alarms(template).filter((a) => a.p.MetricName === 'RouterSpendPercent');
    expect(spend.map((a) => [a.p.Threshold, a.p.AlarmActions])).toEqual([
      [50, [notify]],
      [80, [notify]],
      [100, [notify]],
      [100, [hardStop]],
    ]);
    for (const a of spend) {
      expect(a.p).toMatchObject({
        Namespace: 'AiStack/Budget/s',
        Statistic: 'Maximum',
        Period: 300,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 2,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      expect(a.p.Dimensions).toBeUndefined();
    }
    expect(budget.spendAlarms).toHaveLength(3);
    expect(budget.hardStopAlarm).toBeDefined();
  });

  test('each tenant\'s BudgetUsedPercent alarms at 80% and 100%, in the router\'s namespace, by tenant', () => {
    const { template, budget } = build();
    const notify = ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic'));
    const tenant = alarms(template).filter((a) => a.p.MetricName === 'BudgetUsedPercent');
    expect(tenant.map((a) => `${a.p.Dimensions[0].Value} ${a.p.Threshold}`)).toEqual(['team-a 80', 'team-a 100', 'team-b 80', 'team-b 100']);
    for (const a of tenant) {
      expect(a.p).toMatchObject({
        Namespace: 'AiStack/Router/demo',
        Dimensions: [{ Name: 'tenant', Value: expect.any(String) }],
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [notify],
      });
    }
    expect(Object.keys(budget.tenantAlarms)).toEqual(['team-a', 'team-b']);
    expect(budget.alarms).toHaveLength(8);
    expect(budget.metricTenantBudgetUsed('team-a').dimensions).toEqual({ tenant: 'team-a' });
    expect(budget.metricRouterSpendUsd().metricName).toBe('RouterSpendUsd');
  });

  test('only actual thresholds alarm on the router metric: forecasts are the billed clock\'s', () => {
    const { template } = build({ thresholds: [{ percent: 70, type: 'forecast' }, { percent: 90 }], hardStop: undefined });
    expect(alarms(template).filter((a) => a.p.MetricName === 'RouterSpendPercent').map((a) => a.p.Threshold)).toEqual([90]);
  });

  test('the watch: an EventBridge Scheduler schedule every 5 minutes invoking the stop function with {"action":"watch"}, by a role only Scheduler of this account assumes', () => {
    const { template } = build();
    const fnId = logicalId(template, 'AWS::Lambda::Function', 'StopFunction');
    const [, schedule] = only(template, 'AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(schedule.Properties.State).toBe('ENABLED');
    expect(schedule.Properties.Target.Arn).toEqual(arnOf(fnId));
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ action: 'watch' });
    expect(awsBudgetAction(JSON.parse(schedule.Properties.Target.Input))).toEqual({ kind: 'watch' });
    expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
    expect(statementsOf(template, roleId).map((s) => s.Action)).toEqual(['lambda:InvokeFunction']);
  });
});

describe('Budget: the stop function', () => {
  test('Node.js 22 on arm64 from the shipped bundle, one run at a time, 5 minutes, its log group kept a year', () => {
    const { template } = build();
    const [, fn] = only(template, 'AWS::Lambda::Function');
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', ReservedConcurrentExecutions: 1, Timeout: 300 });
    // The code is exactly dist/budget/aws: the same asset as a function of that directory.
    const other = new Stack(new App(), 'Other', { env: ENV });
    new lambda.Function(other, 'F', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(budgetBundleDir('aws')) });
    expect(fn.Properties.Code.S3Key).toEqual(only(Template.fromStack(other), 'AWS::Lambda::Function')[1].Properties.Code.S3Key);
    const [logsId, logGroup] = only(template, 'AWS::Logs::LogGroup');
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: ref(logsId) });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, Qualifier: '$LATEST' });
  });

  test('its environment: the BUDGET_ENV contract and the router\'s store variables', () => {
    const { template } = build();
    const [, fn] = only(template, 'AWS::Lambda::Function');
    const ledger = ref(logicalId(template, 'AWS::DynamoDB::Table', 'Ledger'));
    expect(fn.Properties.Environment.Variables).toEqual({
      [BUDGET_ENV.fleets]: JSON.stringify([{ cloud: 'aws', id: 'gpu-a' }, { cloud: 'aws', id: 'gpu-b' }]),
      [BUDGET_ENV.tenants]: '["team-a","team-b"]',
      [BUDGET_ENV.monthlyLimitUsd]: '1000',
      [BUDGET_ENV.hardStopPercent]: '100',
      [BUDGET_ENV.notifyTopicArn]: ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic')),
      [BUDGET_ENV.metricsNamespace]: 'AiStack/Budget/s',
      [ROUTER_ENV.store]: 'dynamodb',
      [ROUTER_ENV.ledgerTable]: ledger,
      [ROUTER_ENV.rateTable]: ledger,
      [ROUTER_ENV.maxRequestMs]: '120000',
    });
  });

  test('the stop function\'s runtime accepts that environment, with and without a hard stop and a router', () => {
    const scaler = { capture: async () => ({ ref: { cloud: 'aws' as const, id: 'x' }, min: 0, max: 0, desired: 0 }), scaleToZero: async () => undefined, restore: async () => undefined };
    // References resolve at deployment: stand in for them with names.
    const literal = (v: unknown) => (typeof v === 'string' ? v : 'resolved-at-deploy');
    for (const [props, o] of [[{}, {}], [{ hardStop: undefined }, {}], [{}, { router: false }]] as [Partial<BudgetProps>, BuildOptions][]) {
      const { template } = build(props, o);
      const vars = only(template, 'AWS::Lambda::Function')[1].Properties.Environment.Variables as Record<string, unknown>;
      const env = { ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, literal(v)])), AWS_REGION: 'us-east-1' };
      const deps = budgetDepsFromEnv({ env, scaler, stores: { resolvePackage: false } });
      expect(deps.monthlyLimitUsd).toBe(1000);
      expect(deps.hardStopPercent).toBe(props.hardStop === undefined && 'hardStop' in props ? undefined : 100);
      expect(deps.tenants).toEqual(o.router === false ? [] : ['team-a', 'team-b']);
    }
  });

  test('least privilege: its log group, GetItem on the ledger, PutItem only on $stop, UpdateItem only on the tenants\' months, Publish on the topic, the key, writes only on this stack\'s groups, Describe on *', () => {
    const { template } = build();
    const roleId = logicalId(template, 'AWS::IAM::Role', 'StopFunctionRole');
    const ledger = arnOf(logicalId(template, 'AWS::DynamoDB::Table', 'Ledger'));
    expect(statementsOf(template, roleId)).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(logicalId(template, 'AWS::Logs::LogGroup', 'StopFunction')) },
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: ledger },
      { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: ledger, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['$stop'] } } },
      { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: ledger, Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['team-a#*', 'team-b#*'] } } },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic')) },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: arnOf(logicalId(template, 'AWS::KMS::Key', 'TopicKey')) },
      { Effect: 'Allow', Action: [...BUDGET_FLEET_ACTIONS], Resource: [groupArn('gpu-a'), groupArn('gpu-b')] },
      { Effect: 'Allow', Action: 'autoscaling:DescribeAutoScalingGroups', Resource: '*' },
    ]);
    expect(BUDGET_FLEET_ACTIONS).toEqual(['autoscaling:UpdateAutoScalingGroup', 'autoscaling:SuspendProcesses', 'autoscaling:ResumeProcesses']);
    // No managed policy: not even the basic execution role's.
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('the GpuEndpoints\' groups are the fleets: named in the environment and in the policy by reference', () => {
    const { template } = build({ autoScalingGroups: undefined }, {}, (stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
      const llm = new GpuEndpoint(stack, 'Llm', { name: 'llm', accelerator: 'nvidia-l4', server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' }, capacity: { min: 1, max: 2 }, vpc });
      return { gpuEndpoints: [llm] };
    });
    const groupId = logicalId(template, 'AWS::AutoScaling::AutoScalingGroup', 'Llm');
    const [, fn] = resources(template, 'AWS::Lambda::Function').find(([id]) => id.includes('StopFunction'))!;
    expect(fn.Properties.Environment.Variables[BUDGET_ENV.fleets]).toEqual({ 'Fn::Join': ['', ['[{"cloud":"aws","id":"', ref(groupId), '"}]']] });
    const writes = statementsOf(template, logicalId(template, 'AWS::IAM::Role', 'StopFunctionRole')).find((s) => [s.Action].flat().includes('autoscaling:UpdateAutoScalingGroup'))!;
    expect(writes.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/', ref(groupId)]] });
  });

  test('without a hard stop it only watches: no PutItem, no fleet permission, no hard-stop variable, no Budgets action', () => {
    const { template } = build({ hardStop: undefined });
    const statements = statementsOf(template, logicalId(template, 'AWS::IAM::Role', 'StopFunctionRole'));
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('dynamodb:PutItem');
    expect(actions.filter((a) => a.startsWith('autoscaling:'))).toEqual([]);
    const [, fn] = only(template, 'AWS::Lambda::Function');
    expect(fn.Properties.Environment.Variables[BUDGET_ENV.hardStopPercent]).toBeUndefined();
    expect(fn.Properties.Environment.Variables[BUDGET_ENV.fleets]).toBe('[]');
    expect(resources(template, 'AWS::Budgets::BudgetsAction')).toEqual([]);
    expect(resources(template, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'lambda')).toEqual([]);
  });

  test('the resume command is a stack output', () => {
    const { template, budget } = build();
    const fnId = logicalId(template, 'AWS::Lambda::Function', 'StopFunction');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const resume = Object.entries(outputs).find(([id]) => id.includes('ResumeCommand'))![1];
    expect(resume.Value).toEqual({ 'Fn::Join': ['', ['aws lambda invoke --function-name ', ref(fnId), ` --payload '{"action":"resume"}' --cli-binary-format raw-in-base64-out /dev/stdout`]] });
    expect(budget.resumeCommand).toBeDefined();
    expect(awsBudgetAction({ action: 'resume' })).toEqual({ kind: 'resume' });
  });

  test('a log encryption key encrypts the log group and admits CloudWatch Logs', () => {
    const { template } = build({}, {}, (stack) => ({ logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }) }));
    const keyId = logicalId(template, 'AWS::KMS::Key', 'LogKey');
    expect(only(template, 'AWS::Logs::LogGroup')[1].Properties.KmsKeyId).toEqual(arnOf(keyId));
    const statements = template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as Statement[];
    expect(statements).toContainEqual(expect.objectContaining({ Principal: { Service: 'logs.us-east-1.amazonaws.com' } }));
  });
});

describe('Budget: the Budgets action (second line)', () => {
  test('APPLY_IAM_POLICY at the hard stop, automatic, of a managed policy denying Bedrock invocations, to the router\'s role', () => {
    const { template, budget } = build();
    const [, action] = only(template, 'AWS::Budgets::BudgetsAction');
    const policyId = logicalId(template, 'AWS::IAM::ManagedPolicy', 'DenyBedrock');
    const execRoleId = logicalId(template, 'AWS::IAM::Role', 'ExecutionRole');
    expect(action.Properties).toEqual({
      BudgetName: 's-monthly',
      NotificationType: 'ACTUAL',
      ActionType: 'APPLY_IAM_POLICY',
      ActionThreshold: { Type: 'PERCENTAGE', Value: 100 },
      ApprovalModel: 'AUTOMATIC',
      Definition: { IamActionDefinition: { PolicyArn: ref(policyId), Roles: [ref(logicalId(template, 'AWS::IAM::Role', 'RouterRole'))] } },
      ExecutionRoleArn: arnOf(execRoleId),
      Subscribers: [{ Type: 'SNS', Address: ref(logicalId(template, 'AWS::SNS::Topic', 'NotificationTopic')) }, ...EMAILS.map((Address) => ({ Type: 'EMAIL', Address }))],
    });
    expect(action.DependsOn).toEqual(expect.arrayContaining([logicalId(template, 'AWS::Budgets::Budget', 'Budget')]));
    const policy = template.toJSON().Resources[policyId].Properties;
    expect(policy.PolicyDocument.Statement).toEqual([{ Sid: 'BudgetStopDenyBedrock', Effect: 'Deny', Action: ['bedrock:InvokeModel*', 'bedrock:Converse*'], Resource: '*' }]);
    expect(DENIED_BEDROCK_ACTIONS).toEqual(['bedrock:InvokeModel*', 'bedrock:Converse*']);
    // Attached by the action only, never at deployment.
    expect(policy.Roles).toBeUndefined();
    expect(budget.budgetsAction).toBeDefined();
  });

  test('its execution role: only budgets.amazonaws.com for this account\'s budgets assumes it, and it may attach and detach only the deny policy on only the router\'s role', () => {
    const { template } = build();
    const execRoleId = logicalId(template, 'AWS::IAM::Role', 'ExecutionRole');
    expect(template.toJSON().Resources[execRoleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'budgets.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':budgets::123456789012:budget/*']] } } },
      },
    ]);
    expect(statementsOf(template, execRoleId)).toEqual([
      {
        Effect: 'Allow',
        Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
        Resource: arnOf(logicalId(template, 'AWS::IAM::Role', 'RouterRole')),
        Condition: { ArnEquals: { 'iam:PolicyARN': ref(logicalId(template, 'AWS::IAM::ManagedPolicy', 'DenyBedrock')) } },
      },
    ]);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(Object.entries(outputs).find(([id]) => id.includes('ReverseBudgetsAction'))![1].Value)).toContain('--execution-type REVERSE_BUDGET_ACTION');
  });
});

describe('Budget: bring your own', () => {
  test('a ModelRouter through budgetRouterOf: its ledger, role, namespace and tenants', () => {
    const { template } = build({}, { router: false }, (stack) => {
      const router = new ModelRouter(stack, 'Router', {
        models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }],
        routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }],
        tenants: [{ id: 'team-x', monthlyBudgetUsd: 50 }],
        namePrefix: 'demo',
      });
      return { router: budgetRouterOf(router) };
    });
    const tenantAlarms = resources(template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'BudgetUsedPercent');
    expect(tenantAlarms.map(([, a]) => `${a.Properties.Namespace} ${a.Properties.Dimensions[0].Value} ${a.Properties.Threshold}`)).toEqual(['AiStack/Router/demo team-x 80', 'AiStack/Router/demo team-x 100']);
    const action = only(template, 'AWS::Budgets::BudgetsAction')[1];
    expect(action.Properties.Definition.IamActionDefinition.Roles).toEqual([ref(logicalId(template, 'AWS::IAM::Role', 'RouterRole'))]);
    const fn = resources(template, 'AWS::Lambda::Function').find(([id]) => id.includes('StopFunction'))![1];
    expect(fn.Properties.Environment.Variables[ROUTER_ENV.ledgerTable]).toEqual(ref(logicalId(template, 'AWS::DynamoDB::Table', 'RouterLedgerTable')));
    expect(fn.Properties.Environment.Variables[BUDGET_ENV.tenants]).toBe('["team-x"]');
  });

  test('a topic of this app: opened to the services, no topic or email subscription created', () => {
    const { template, budget } = build({}, {}, (stack) => ({ alarmTopic: new sns.Topic(stack, 'Mine') }));
    const mine = logicalId(template, 'AWS::SNS::Topic', 'Mine');
    expect(resources(template, 'AWS::SNS::Topic').map(([id]) => id).filter((id) => id.includes('NotificationTopic'))).toEqual([]);
    expect(resources(template, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'email')).toEqual([]);
    const policy = resources(template, 'AWS::SNS::TopicPolicy').find(([, p]) => p.Properties.Topics[0].Ref === mine)![1];
    expect((policy.Properties.PolicyDocument.Statement as Statement[]).map((s) => (s.Principal as any).Service)).toEqual(['budgets.amazonaws.com', 'cloudwatch.amazonaws.com', 'costalerts.amazonaws.com']);
    expect(budget.notificationTopic.topicArn).toBeDefined();
  });

  test('an imported topic keeps its owner\'s policy: a warning lists the services to admit', () => {
    const { stack } = build({}, {}, (s) => ({ alarmTopic: sns.Topic.fromTopicArn(s, 'Theirs', 'arn:aws:sns:us-east-1:123456789012:theirs') }));
    Annotations.fromStack(stack).hasWarning('/S/Budget', Match.stringLikeRegexp('alarmTopic is imported.*budgets.amazonaws.com, cloudwatch.amazonaws.com, costalerts.amazonaws.com'));
  });

  test('without a router: a warning, no watch, no router alarms, no Budgets action; the hard stop scales the fleets, recording them in a table of its own', () => {
    const { template, stack, budget } = build({}, { router: false });
    Annotations.fromStack(stack).hasWarning('/S/Budget', Match.stringLikeRegexp('watches no router.*sets no spend-stop flag'));
    expect(resources(template, 'AWS::Scheduler::Schedule')).toEqual([]);
    expect(resources(template, 'AWS::CloudWatch::Alarm')).toEqual([]);
    expect(resources(template, 'AWS::Budgets::BudgetsAction')).toEqual([]);
    const [tableId, table] = only(template, 'AWS::DynamoDB::Table');
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const actions = statementsOf(template, logicalId(template, 'AWS::IAM::Role', 'StopFunctionRole'));
    expect(actions).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: arnOf(tableId), Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['$stop'] } } });
    expect(actions.flatMap((s) => [s.Action].flat())).not.toContain('dynamodb:UpdateItem');
    expect(resources(template, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties.Protocol === 'lambda')).toHaveLength(1);
    expect(budget.stateTable).toBeDefined();
    expect(() => budget.metricTenantBudgetUsed('team-a')).toThrow(/needs the router prop/);
  });

  test('a hard stop with neither router nor fleet stops nothing: a warning, and no stop function', () => {
    const { template, stack } = build({}, { router: false, groups: [] });
    Annotations.fromStack(stack).hasWarning('/S/Budget', Match.stringLikeRegexp('the hard stop would stop nothing'));
    expect(resources(template, 'AWS::Lambda::Function')).toEqual([]);
    expect(resources(template, 'AWS::SNS::Topic')).toHaveLength(1);
    expect(notificationsOf(template).every((n) => (n.subscribers.at(-1) as any).Address.Ref.includes('NotificationTopic'))).toBe(true);
  });
});

describe('Budget: its resource count (for the stack\'s CloudFormation limit)', () => {
  const cases: [string, Partial<BudgetProps>, BuildOptions][] = [
    ['router, hard stop, two fleets', {}, {}],
    ['router, no hard stop', { hardStop: undefined }, {}],
    ['router, hard stop, no fleet, custom thresholds, no anomaly detection', { thresholds: [{ percent: 70 }, { percent: 70, type: 'forecast' }, { percent: 95 }], anomalyDetection: false }, { groups: [] }],
    ['no router, hard stop, fleets', {}, { router: false }],
    ['no router, hard stop, no fleet', {}, { router: false, groups: [] }],
    ['no router, no hard stop', { hardStop: undefined }, { router: false }],
  ];
  test.each(cases)('%s: budgetResourceCount is what is built', (_, props, o) => {
    const { template } = build(props, o);
    const built = Object.keys(template.toJSON().Resources).filter((id) => id.startsWith('Budget')).length;
    const design = { monthlyLimitUsd: 1000, notifyEmails: EMAILS, hardStop: { atPercent: 100 }, ...props };
    expect(budgetResourceCount(design, { router: o.router !== false, tenants: o.router === false ? 0 : 2, fleets: (o.groups ?? ['a', 'b']).length })).toBe(built);
  });

  test('of a design: with its router\'s tenants and its endpoints', () => {
    const design = smallDesign();
    design.budget.hardStop = { atPercent: 100 };
    expect(budgetResourceCountOf(design)).toBe(budgetResourceCount(design.budget, { router: true, tenants: 1, fleets: 1 }));
    expect(budgetResourceCountOf({ ...design, budget: undefined })).toBe(0);
  });
});

describe('Budget: validation', () => {
  const errorOf = (props: Partial<BudgetProps> | Record<string, unknown>) => designErrorOf(() => build(props as Partial<BudgetProps>)).problems;

  test('more than 10 emails: an AWS Budgets limit, at props.notifyEmails (and budget.notifyEmails in the design)', () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `ops${i}@example.com`);
    expect(errorOf({ notifyEmails: eleven })).toContainEqual({ path: 'props.notifyEmails', message: expect.stringContaining('at most 10 email subscribers') });
    expect(() => build({ notifyEmails: eleven.slice(0, 10) })).not.toThrow();
    const design = smallDesign();
    design.budget.notifyEmails = eleven;
    expect(collectProblems(design, { clouds: ['aws'] }).all).toContainEqual({ path: 'budget.notifyEmails', message: expect.stringContaining('at most 10 email subscribers') });
    expect(collectProblems(design, { clouds: ['azure'] }).all.filter((p) => p.path === 'budget.notifyEmails')).toEqual([]);
  });

  test('more than 10 notifications, the hard stop\'s included: at props.thresholds', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ({ percent: 10 + i }));
    expect(errorOf({ thresholds: ten, hardStop: { atPercent: 150 } })).toContainEqual({ path: 'props.thresholds', message: expect.stringMatching(/make 11 notifications with the hard stop's \(150 percent actual\).*at most 10/) });
    expect(() => build({ thresholds: ten, hardStop: { atPercent: 19 } })).not.toThrow();
  });

  test('the neutral rules, at props paths', () => {
    expect(errorOf({ monthlyLimitUsd: 0 })).toContainEqual({ path: 'props.monthlyLimitUsd', message: 'must be > 0 USD (got 0)' });
    expect(errorOf({ notifyEmails: ['not-an-address'] })).toContainEqual({ path: 'props.notifyEmails[0]', message: expect.stringContaining('email address') });
    expect(errorOf({ hardStop: { atPercent: 0 } })).toContainEqual({ path: 'props.hardStop.atPercent', message: 'must be between 1 and 1000 percent (got 0)' });
  });

  test('unknown props, a missing cost tag, an AWS tag as the cost tag', () => {
    expect(errorOf({ costTags: {} })).toContainEqual({ path: 'props.costTags', message: expect.stringContaining("did you mean 'costTag'") });
    expect(errorOf({ costTag: undefined })).toContainEqual({ path: 'props.costTag', message: 'is required' });
    expect(errorOf({ costTag: { key: 'aws:createdBy', value: 'x' } })).toContainEqual({ path: 'props.costTag.key', message: expect.stringContaining('user-defined cost allocation tag') });
    expect(errorOf({ costTag: { key: 'team', value: 'a$b' } })).toContainEqual({ path: 'props.costTag.value', message: expect.stringContaining('allow letters') });
    expect(errorOf({ costTag: { key: ' ', value: 'x' } })).toContainEqual({ path: 'props.costTag.key', message: expect.stringContaining('must not be empty') });
  });

  test('a router of your own with bad tenant ids or no namespace; a fleet that is not a group; an anomaly threshold without anomaly detection', () => {
    const problems = designErrorOf(() =>
      build({}, { router: false }, (stack) => ({
        router: { ...routerIn(stack), tenantIds: ['team-a', 'Team B', 'team-a'], metricsNamespace: '' },
        gpuEndpoints: [{} as never],
        anomalyDetection: false,
        anomalyThresholdUsd: 5,
      })),
    ).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'props.router.tenantIds[1]', message: expect.stringContaining('literal tenant id') },
        { path: 'props.router.tenantIds[2]', message: expect.stringContaining("duplicate tenant id 'team-a' (also props.router.tenantIds[0])") },
        { path: 'props.router.metricsNamespace', message: expect.stringContaining('CloudWatch namespace') },
        { path: 'props.gpuEndpoints[0].autoScalingGroup', message: expect.stringContaining('pass the GpuEndpoint itself') },
        { path: 'props.anomalyThresholdUsd', message: 'applies only with anomalyDetection (it is false)' },
      ]),
    );
  });
});

describe('docs/aws/budget.md', () => {
  const page = readFileSync(join(__dirname, '../../docs/aws/budget.md'), 'utf8');

  test('the example synthesizes as written: the budget, its router\'s tenant alarms, the fleet, the Budgets action', () => {
    const block = /<!-- example:start -->\n```ts\n([\s\S]*?)```\n<!-- example:end -->/.exec(page)?.[1];
    expect(block).toBeDefined();
    const { code } = transformSync(block ?? '', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const stacks: Stack[] = [];
    class DocApp extends cdk.App {
      synth(): ReturnType<App['synth']> {
        stacks.push(...this.node.children.filter((c): c is Stack => c instanceof Stack));
        return super.synth();
      }
    }
    // The package entry may not export Budget yet: the page's import is served by the budget module too.
    const aws = { ...require('../../lib/aws'), ...require('../../lib/aws/budget') };
    const modules: Record<string, unknown> = { 'aws-cdk-lib': { ...cdk, App: DocApp }, 'ai-stack-constructs/aws': aws };
    new Function('require', 'exports', 'module', code)((m: string) => modules[m] ?? require(m), {}, { exports: {} });
    expect(stacks).toHaveLength(1);
    const template = Template.fromStack(stacks[0]);
    expect(only(template, 'AWS::Budgets::Budget')[1].Properties.Budget.CostFilters).toEqual({ TagKeyValue: ['user:application$support'] });
    expect(resources(template, 'AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === 'BudgetUsedPercent').map(([, a]) => a.Properties.Dimensions[0].Value)).toEqual(['team-a', 'team-a']);
    template.resourceCountIs('AWS::Budgets::BudgetsAction', 1);
    const fn = resources(template, 'AWS::Lambda::Function').find(([id]) => id.includes('StopFunction'))![1];
    expect(fn.Properties.Environment.Variables[BUDGET_ENV.fleets]).toBe('[{"cloud":"aws","id":"support-llm-gpu"}]');
  });

  test('the resume command of the page is the one the stack outputs', () => {
    expect(page).toContain(`aws lambda invoke --function-name <stop function> --payload '{"action":"resume"}' --cli-binary-format raw-in-base64-out /dev/stdout`);
    expect(page).toContain('user:<key>$<value>');
  });
});
