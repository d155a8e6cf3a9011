// The AWS vector store's freshness: the probe function, its role and schedule, the alarms and the
// metric methods, on the synthesized template; and the probe's lines landing in the alarms' metrics.
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VectorStore, type VectorStoreProps } from '../../lib/aws/vector-store';
import { VECTOR_STORE_RESOURCES } from '../../lib/aws/vector-store/rules';
import { ingestBundleDir } from '../../lib/common/router-bundle';
import { AWS_PROBE_ENV } from '../../lib/ingest/aws/deploy-env';
import { probeFromEnv, sdkLister } from '../../lib/ingest/aws/entry';
import { INGEST_ENV, PROBE_INTERVAL_SECONDS } from '../../lib/ingest/deploy-env';
import { designErrorOf } from '../support/design-error';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';
import { FakeBedrockAgent } from '../ingest/aws/bedrock-agent-fake';

withoutBuiltInTemplateValidation();

const ENV = { account: '123456789012', region: 'us-east-1' };
type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

function build(props: Partial<VectorStoreProps> = {}, configure?: (stack: Stack) => Partial<VectorStoreProps>) {
  const stack = new Stack(new App(), 'S', { env: ENV });
  const store = new VectorStore(stack, 'Docs', { name: 'support-docs', namePrefix: 'support-ai', ...props, ...configure?.(stack) });
  const template = Template.fromStack(stack);
  return { stack, store, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

function one(resources: Record<string, Resource>, type: string, idPart: string): [string, Resource] {
  const found = Object.entries(resources).filter(([id, r]) => r.Type === type && id.includes(idPart));
  expect(found).toHaveLength(1);
  return found[0];
}

function statements(resources: Record<string, Resource>, roleId: string): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((ref: { Ref: string }) => ref.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement);
}

const alarm = (resources: Record<string, Resource>, metricName: string) => Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === metricName)!.Properties;

describe('VectorStore (AWS): the freshness probe', () => {
  test('the shipped bundle on Node.js 22 (arm64), one run at a time, its own log group kept a year, and the probe contract in its environment', () => {
    const { stack, store, resources } = build();
    const [, fn] = one(resources, 'AWS::Lambda::Function', 'Freshness');
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', ReservedConcurrentExecutions: 1, Timeout: 60 });
    // The code is exactly dist/ingest/aws: the same asset as a function of that directory.
    const other = new Stack(new App(), 'Other', { env: ENV });
    new lambda.Function(other, 'F', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(ingestBundleDir('aws')) });
    expect(fn.Properties.Code.S3Key).toEqual(Object.values(Template.fromStack(other).findResources('AWS::Lambda::Function'))[0].Properties.Code.S3Key);
    const [logsId, logGroup] = one(resources, 'AWS::Logs::LogGroup', 'Freshness');
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    expect(logGroup.Properties.KmsKeyId).toBeUndefined();
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
    const kb = stack.getLogicalId(store.knowledgeBase);
    const ds = stack.getLogicalId(store.dataSource);
    expect(fn.Properties.Environment.Variables).toEqual({
      [INGEST_ENV.name]: 'support-docs',
      [AWS_PROBE_ENV.knowledgeBaseId]: { 'Fn::GetAtt': [kb, 'KnowledgeBaseId'] },
      [AWS_PROBE_ENV.dataSourceId]: { 'Fn::GetAtt': [ds, 'DataSourceId'] },
      [AWS_PROBE_ENV.dataSourceCreatedAt]: { 'Fn::GetAtt': [ds, 'CreatedAt'] },
      [AWS_PROBE_ENV.metricsNamespace]: 'AiStack/VectorStore/support-ai',
    });
    // Async retries of a failed probe carry the same schedule time, so they count the same window.
    expect(one(resources, 'AWS::Lambda::EventInvokeConfig', 'Freshness')[1].Properties).toMatchObject({ MaximumRetryAttempts: 2, Qualifier: '$LATEST' });
  });

  test("its role: bedrock:ListIngestionJobs on this knowledge base only, and writes to its own log group, nothing else", () => {
    const { stack, store, resources } = build();
    const [roleId, role] = one(resources, 'AWS::IAM::Role', 'FreshnessRole');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const [logsId] = one(resources, 'AWS::Logs::LogGroup', 'Freshness');
    const bedrock = statements(resources, roleId).filter((s) => [s.Action].flat().some((a) => a.startsWith('bedrock:')));
    expect(bedrock).toEqual([{ Action: 'bedrock:ListIngestionJobs', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(store.knowledgeBase), 'KnowledgeBaseArn'] } }]);
    expect(statements(resources, roleId)).toEqual([
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logsId, 'Arn'] } },
      bedrock[0],
    ]);
  });

  test('its schedule: every PROBE_INTERVAL_SECONDS, invoking the probe with the schedule\'s own time, by a role that may only invoke it', () => {
    const { resources } = build();
    expect(PROBE_INTERVAL_SECONDS).toBe(3600);
    const [, schedule] = one(resources, 'AWS::Scheduler::Schedule', 'Freshness');
    const [fnId] = one(resources, 'AWS::Lambda::Function', 'Freshness');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(schedule.Properties.State).toBe('ENABLED');
    expect(schedule.Properties.Target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(JSON.parse(schedule.Properties.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    expect(schedule.Properties.Target.RetryPolicy.MaximumRetryAttempts).toBe(0);
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } },
    ]);
    expect(statements(resources, roleId)).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: [{ 'Fn::GetAtt': [fnId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId, 'Arn'] }, ':*']] }] }]);
  });
});

describe('VectorStore (AWS): the freshness alarms', () => {
  test.each([
    // The default refresh, daily at 03:00: the longest gap is a day, stale after two.
    [undefined, 172_800],
    ['0 */6 * * *', 43_200],
    // Weekdays at 02:30: the longest gap is Friday to Monday, three days.
    ['30 2 * * 1-5', 518_400],
    ['0 3 * * 0', 1_209_600],
  ])('refreshSchedule %s: IndexAgeSeconds over %i seconds, missing data breaching over two probe intervals', (refreshSchedule, threshold) => {
    const { resources } = build(refreshSchedule ? { refreshSchedule } : {});
    expect(alarm(resources, 'IndexAgeSeconds')).toMatchObject({
      Namespace: 'AiStack/VectorStore/support-ai',
      Dimensions: [{ Name: 'VectorStore', Value: 'support-docs' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
  });

  test('FailedIngestionJobs: any failed job in an hour alarms; a silent hour is not a failure', () => {
    const { resources } = build();
    expect(alarm(resources, 'FailedIngestionJobs')).toMatchObject({
      Namespace: 'AiStack/VectorStore/support-ai',
      Dimensions: [{ Name: 'VectorStore', Value: 'support-docs' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('alarmTopic: both alarms notify it; without it they notify nobody', () => {
    const { resources, stack } = build({}, (s) => ({ alarmTopic: new sns.Topic(s, 'Ops') }));
    const topic = { Ref: stack.getLogicalId(stack.node.findChild('Ops').node.defaultChild as sns.CfnTopic) };
    expect(alarm(resources, 'IndexAgeSeconds').AlarmActions).toEqual([topic]);
    expect(alarm(resources, 'FailedIngestionJobs').AlarmActions).toEqual([topic]);
    const bare = build().resources;
    expect(alarm(bare, 'IndexAgeSeconds').AlarmActions).toBeUndefined();
  });

  test('the metric methods name what the probe publishes, in its namespace and dimension, and the alarms watch the same metrics', () => {
    const { store, stack } = build();
    const methods = {
      IndexAgeSeconds: [store.metricIndexAge(), 'Maximum'],
      FailedIngestionJobs: [store.metricFailedIngestionJobs(), 'Sum'],
      CompletedIngestionJobs: [store.metricCompletedIngestionJobs(), 'Sum'],
      DocumentsScanned: [store.metricDocumentsScanned(), 'Sum'],
      DocumentsChanged: [store.metricDocumentsChanged(), 'Sum'],
      DocumentsRemoved: [store.metricDocumentsRemoved(), 'Sum'],
      DocumentsFailed: [store.metricDocumentsFailed(), 'Sum'],
    } as const;
    for (const [name, [metric, statistic]] of Object.entries(methods)) {
      expect({ name: metric.metricName, namespace: metric.namespace, dimensions: metric.dimensions, statistic: metric.statistic, period: metric.period.toSeconds() }).toEqual({
        name,
        namespace: 'AiStack/VectorStore/support-ai',
        dimensions: { VectorStore: 'support-docs' },
        statistic,
        period: 3600,
      });
    }
    expect(store.metricsNamespace).toBe('AiStack/VectorStore/support-ai');
    // Options override the defaults, as every CDK metric method's do.
    expect(store.metricDocumentsChanged({ period: Duration.days(1) }).period.toSeconds()).toBe(86_400);
    expect(stack.resolve(store.indexAgeAlarm.metric)).toEqual(stack.resolve(store.metricIndexAge()));
    expect(stack.resolve(store.failedIngestionJobsAlarm.metric)).toEqual(stack.resolve(store.metricFailedIngestionJobs()));
    expect(store.alarms).toEqual([store.indexAgeAlarm, store.failedIngestionJobsAlarm]);
    expect(store.staleAfterSeconds).toBe(172_800);
  });

  test('what the deployed probe writes lands in the alarms\' metrics: same namespace, dimension and metric names', async () => {
    const { resources } = build();
    const variables = one(resources, 'AWS::Lambda::Function', 'Freshness')[1].Properties.Environment.Variables as Record<string, unknown>;
    const fake = new FakeBedrockAgent('KB12345678', 'DS12345678');
    const base = await fake.start();
    try {
      const now = Date.parse('2026-12-01T10:00:00Z');
      fake.jobs = [
        { ingestionJobId: 'JOB0000001', status: 'COMPLETE', startedAt: new Date(now - 3 * 86400_000), updatedAt: new Date(now - 3 * 86400_000 + 600_000) },
        { ingestionJobId: 'JOB0000002', status: 'FAILED', startedAt: new Date(now - 1800_000), updatedAt: new Date(now - 1200_000) },
      ];
      // The literal variables as synthesized; the ids CloudFormation resolves, as the fake's.
      const env = {
        ...Object.fromEntries(Object.entries(variables).filter(([, v]) => typeof v === 'string')),
        [AWS_PROBE_ENV.knowledgeBaseId]: 'KB12345678',
        [AWS_PROBE_ENV.dataSourceId]: 'DS12345678',
        [INGEST_ENV.apiBases]: JSON.stringify({ bedrockAgent: base }),
      } as Record<string, string>;
      const lines: Record<string, any>[] = [];
      const list = sdkLister(env, { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });
      await probeFromEnv({ scheduledTime: new Date(now).toISOString() }, env, list, new Date(now), (l) => lines.push(JSON.parse(l)));
      const published = new Map<string, number>();
      for (const line of lines) {
        // The failed-run event carries no metric: the freshness line counts the failure.
        for (const d of line._aws?.CloudWatchMetrics ?? []) {
          for (const m of d.Metrics) published.set(`${d.Namespace}|${JSON.stringify(d.Dimensions[0].map((k: string) => ({ Name: k, Value: line[k] })))}|${m.Name}`, line[m.Name]);
        }
      }
      for (const metricName of ['IndexAgeSeconds', 'FailedIngestionJobs']) {
        const a = alarm(resources, metricName);
        const value = published.get(`${a.Namespace}|${JSON.stringify(a.Dimensions)}|${a.MetricName}`);
        expect(value).toBeDefined();
        // Three days old and one failure: both alarms would fire.
        expect(value).toBeGreaterThan(a.Threshold);
      }
    } finally {
      await fake.stop();
    }
  });
});

describe('VectorStore (AWS): freshness props', () => {
  test('logRetention and a customer key for the probe\'s log group, which CloudWatch Logs may then use', () => {
    const { resources, stack } = build({ logRetention: logs.RetentionDays.ONE_MONTH }, (s) => ({ logEncryptionKey: new kms.Key(s, 'LogKey', { enableKeyRotation: true }) }));
    const keyId = stack.getLogicalId(stack.node.findChild('LogKey').node.defaultChild as kms.CfnKey);
    const [, logGroup] = one(resources, 'AWS::Logs::LogGroup', 'Freshness');
    expect(logGroup.Properties).toMatchObject({ RetentionInDays: 30, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const keyPolicy = resources[keyId].Properties.KeyPolicy.Statement as { Principal?: { Service?: string } }[];
    expect(keyPolicy.some((s) => s.Principal?.Service === 'logs.us-east-1.amazonaws.com')).toBe(true);
  });

  test('a misspelled freshness prop, with a "did you mean"', () => {
    const error = designErrorOf(() => build({ alarmTopik: {} } as Partial<VectorStoreProps>));
    expect(error.problems).toEqual([{ path: 'props.alarmTopik', message: expect.stringMatching(/^unknown key \(did you mean 'alarmTopic'\?\)/) }]);
  });

  test('VECTOR_STORE_RESOURCES counts what a vector store with its own source bucket synthesizes', () => {
    expect(Object.keys(build().resources)).toHaveLength(VECTOR_STORE_RESOURCES);
  });
});

describe('VectorStore (AWS): freshness under cdk-nag AwsSolutions', () => {
  test('no unacknowledged finding, a customer log key or not; the probe\'s acknowledgements name their findings on the exact resource', () => {
    for (const withKey of [false, true]) {
      const app = new App();
      const stack = new Stack(app, 'S', { env: ENV });
      const accessLogs = new s3.Bucket(stack, 'Logs', { enforceSSL: true });
      new VectorStore(stack, 'Docs', {
        name: 'support-docs',
        serverAccessLogsBucket: accessLogs,
        alarmTopic: new sns.Topic(stack, 'Ops', { enforceSSL: true, masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }) }),
        ...(withKey ? { logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }) } : {}),
      });
      app.synth();
      const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
      expect(JSON.stringify(report.violations, null, 1)).toBe('[]');
      const acks = stack.node
        .findAll()
        .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^Annotation::/, ''), reason }))))
        .filter((a) => a.path.startsWith('S/Docs/Freshness'));
      const fnId = stack.getLogicalId(stack.node.findChild('Docs').node.findChild('Freshness').node.findChild('Function').node.defaultChild as lambda.CfnFunction);
      expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual(
        [
          'S/Docs/Freshness/Function AwsSolutions-L1',
          'S/Docs/Freshness/Function cdk-validator-cfnguard::lambda_inside_vpc_check',
          ...(withKey ? [] : ['S/Docs/Freshness/Logs cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check']),
          `S/Docs/Freshness/SchedulerRole/DefaultPolicy AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        ].sort(),
      );
      for (const a of acks) expect(a.reason.length).toBeGreaterThan(80);
    }
  });
});
