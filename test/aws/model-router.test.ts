import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, Annotations as CoreAnnotations, SecretValue, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AiStack } from '../../lib/aws/ai-stack';
import { BEDROCK_INVOKE_ACTIONS, ModelRouter, TABLE_ACTIONS, type ModelRouterProps } from '../../lib/aws/model-router';
import { ROUTER_CONFIG_FILE, ROUTER_CONFIG_PATH, stageRouterCode } from '../../lib/aws/model-router/asset';
import { routerSectionOf } from '../../lib/aws/model-router/config';
import { routerCloudCount } from '../../lib/design/router-placement';
import { bedrockResources, INFERENCE_PROFILE_REGIONS, routerResourceCount, validateRouterOnAwsWith } from '../../lib/aws/model-router/rules';
import { stackResourceCount } from '../../lib/aws/rules';
import { routerBundleDir } from '../../lib/common/router-bundle';
import { collectProblems, findModel, Problems, type AiStackDesign, type ModelSpec, type RouterDesign } from '../../lib/design';
import { deployedRouterConfig } from '../../lib/router/deployed-config';
import { BEDROCK_TENANT_PROFILES_ENV, ROUTER_ENV } from '../../lib/router/deploy-env';
import { LEDGER_TABLE_SCHEMA, RATE_TABLE_SCHEMA } from '../../lib/router/stores/dynamodb/schema';
import { awsExample, exampleDesign } from '../examples/synth-example';
import { bareDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const ENV = { account: '123456789012', region: 'us-east-1' };

/** Bedrock only, plus a Vertex target and a route served nowhere on AWS. */
function routerDesign(): RouterDesign {
  return {
    models: [
      { id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' },
      { id: 'nova', provider: 'bedrock', model: 'nova-lite', region: 'us-west-2' },
      { id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' },
    ],
    routes: [
      { name: 'chat', targets: [{ model: 'haiku' }], fallbacks: ['flash', 'nova'] },
      { name: 'gemini', targets: [{ model: 'flash' }] },
    ],
    tenants: [
      { id: 'team-a', monthlyBudgetUsd: 100 },
      { id: 'team-b', monthlyBudgetUsd: 30, routes: ['chat'] },
    ],
  };
}

type Resource = { Type: string; Properties: Record<string, any>; Metadata?: Record<string, any> };

function build(props: Partial<ModelRouterProps> = {}, configure?: (stack: Stack) => Partial<ModelRouterProps>, env: { account?: string; region?: string } | undefined = ENV) {
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const stack = new Stack(app, 'S', { env });
  const router = new ModelRouter(stack, 'Router', { ...routerDesign(), ...props, ...configure?.(stack) });
  return { app, stack, router, template: Template.fromStack(stack) };
}

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

function only(template: Template, type: string): Resource {
  const found = resources(template, type);
  expect(found).toHaveLength(1);
  return found[0][1];
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Statements of the policies attached to roles whose logical id starts with `prefix`. */
function statementsOf(template: Template, prefix: string): Statement[] {
  return resources(template, 'AWS::IAM::Policy')
    .map(([, p]) => p)
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref.startsWith(prefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (s: Statement) => [s.Action].flat();
const resourcesOf = (s: Statement) => [s.Resource].flat();

function functionOf(template: Template): Resource {
  return only(template, 'AWS::Lambda::Function');
}

/** A resolved CloudFormation string as text, references shown as `<{...}>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p)}>`)).join(join[0]);
  return `<${JSON.stringify(value)}>`;
}

/** The function's code package as deployed: the staged asset directory in the cloud assembly. */
function codePackage(app: App, template: Template): string {
  const assembly = app.synth();
  const key = functionOf(template).Properties.Code.S3Key as string;
  return join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
}

describe('ModelRouter (AWS): the function', () => {
  test('a function URL that streams, authenticated by the router itself (auth type NONE), invocable only through the URL', () => {
    const { template, stack, router } = build();
    const url = only(template, 'AWS::Lambda::Url');
    expect(url.Properties).toMatchObject({ AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
    expect(url.Properties.TargetFunctionArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(router.function.node.defaultChild as any), 'Arn'] });
    const permissions = resources(template, 'AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions.map((p) => [p.Action, p.Principal, p.FunctionUrlAuthType, p.InvokedViaFunctionUrl])).toEqual([
      ['lambda:InvokeFunctionUrl', '*', 'NONE', undefined],
      ['lambda:InvokeFunction', '*', undefined, true],
    ]);
    expect(stack.resolve(router.url)).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(router.functionUrl.node.defaultChild as any), 'FunctionUrl'] });
  });

  test('Node.js 22 on arm64, sized by the design: memory, timeout, reserved concurrency = maxConcurrentRequests', () => {
    const defaults = functionOf(build().template).Properties;
    expect(defaults).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 2048, Timeout: 300, ReservedConcurrentExecutions: 100 });
    const sized = functionOf(build({ deployment: { memoryMiB: 1024, timeoutSeconds: 120, maxConcurrentRequests: 40 } }).template).Properties;
    expect(sized).toMatchObject({ MemorySize: 1024, Timeout: 120, ReservedConcurrentExecutions: 40 });
    expect(sized.Environment.Variables[ROUTER_ENV.maxRequestMs]).toBe('120000');
  });

  test('the code package is the shipped AWS bundle plus the config the design deploys, read from a file', () => {
    const { app, template, router } = build({ namePrefix: 'chat-ai' });
    const dir = codePackage(app, template);
    const bundle = routerBundleDir('aws');
    expect(readFileSync(join(dir, 'index.js'))).toEqual(readFileSync(join(bundle, 'index.js')));
    const config = JSON.parse(readFileSync(join(dir, ROUTER_CONFIG_FILE), 'utf8'));
    const design: AiStackDesign = { ...bareDesign(), name: 'chat-ai', router: routerDesign() };
    expect(config).toEqual(JSON.parse(JSON.stringify(deployedRouterConfig(design, 'aws'))));
    expect(router.config).toEqual(config);
    // Only what runs on AWS: the Vertex target and the route with no AWS target are left out.
    expect(config.targets.map((t: { id: string }) => t.id)).toEqual(['haiku', 'nova']);
    expect(config.routes.map((r: { name: string }) => r.name)).toEqual(['chat']);
    expect(functionOf(template).Properties.Environment.Variables[ROUTER_ENV.config]).toBe(ROUTER_CONFIG_PATH);
  });

  test('routerClouds splits every tenant budget in the deployed config', () => {
    const { router } = build({ routerClouds: 3 });
    expect(router.config.tenants.map((t) => t.monthlyBudgetUsd)).toEqual([33.333333333, 10]);
  });

  test('the environment names the shared store, the tables, the secret by reference and the expiry rule, and no secret value', () => {
    const hashes = '{"team-a":["' + 'a'.repeat(64) + '"]}';
    const { template, stack, router } = build({}, (s) => ({ keyHashesSecret: new secretsmanager.Secret(s, 'Hashes', { secretStringValue: SecretValue.unsafePlainText(hashes) }) }));
    const env = functionOf(template).Properties.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(
      [ROUTER_ENV.config, ROUTER_ENV.store, ROUTER_ENV.ledgerTable, ROUTER_ENV.rateTable, ROUTER_ENV.keyHashes, ROUTER_ENV.maxRequestMs].sort(),
    );
    expect(env[ROUTER_ENV.store]).toBe('dynamodb');
    expect(env[ROUTER_ENV.ledgerTable]).toEqual({ Ref: stack.getLogicalId(router.ledgerTable.node.defaultChild as any) });
    expect(env[ROUTER_ENV.rateTable]).toEqual({ Ref: stack.getLogicalId(router.rateTable.node.defaultChild as any) });
    expect(env[ROUTER_ENV.keyHashes]).toEqual({ 'Fn::Join': ['', ['aws-sm:', { Ref: stack.getLogicalId(stack.node.findChild('Hashes').node.defaultChild as any) }]] });
    expect(env[ROUTER_ENV.maxRequestMs]).toBe('300000');
    expect(JSON.stringify(env)).not.toContain(hashes.slice(2, 20));
  });

  test('standing alone in a plain, environment-agnostic stack: no VPC, Bedrock ARNs in the deploying region', () => {
    const { template, router } = build({}, undefined, {});
    expect(functionOf(template).Properties.VpcConfig).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(router.securityGroup).toBeUndefined();
    const bedrock = statementsOf(template, 'RouterRole').find((s) => actionsOf(s).includes('bedrock:InvokeModel'))!;
    expect(resourcesOf(bedrock).map(text)).toEqual([
      'arn:<{"Ref":"AWS::Partition"}>:bedrock:<{"Ref":"AWS::Region"}>::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0',
      'arn:<{"Ref":"AWS::Partition"}>:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0',
    ]);
    // Without a literal region the config leaves the region to the function's own (AWS_REGION).
    expect(router.config.targets.find((t) => t.id === 'haiku')!.region).toBeUndefined();
    expect(router.config.targets.find((t) => t.id === 'nova')!.region).toBe('us-west-2');
  });

  test('the staging directory is named by its contents, and written again when a temp cleaner took a file', () => {
    const bundle = mkdtempSync(join(tmpdir(), 'bundle-'));
    writeFileSync(join(bundle, 'index.js'), 'exports.handler = 1;');
    const dir = stageRouterCode('{"a":1}', bundle);
    expect(stageRouterCode('{"a":1}', bundle)).toBe(dir);
    expect(stageRouterCode('{"a":2}', bundle)).not.toBe(dir);
    rmSync(join(dir, ROUTER_CONFIG_FILE));
    expect(stageRouterCode('{"a":1}', bundle)).toBe(dir);
    expect(readFileSync(join(dir, ROUTER_CONFIG_FILE), 'utf8')).toBe('{"a":1}');
    expect(readFileSync(join(dir, 'index.js'), 'utf8')).toBe('exports.handler = 1;');
  });

  test('every resource is created inside the construct', () => {
    const { stack } = build();
    const outside = stack.node
      .findAll()
      .filter((c) => (c as { cfnResourceType?: string }).cfnResourceType !== undefined)
      .map((c) => c.node.path)
      .filter((p) => !p.startsWith('S/Router/'));
    expect(outside).toEqual([]);
  });

  test('the template is the same across two synths in different working directories', () => {
    const cwd = process.cwd();
    const synthIn = (dir: string) => {
      process.chdir(dir);
      try {
        return { alone: build().template.toJSON(), stack: Template.fromStack(awsExample()).toJSON() };
      } finally {
        process.chdir(cwd);
      }
    };
    const a = synthIn(mkdtempSync(join(tmpdir(), 'router-a-')));
    const b = synthIn(mkdtempSync(join(tmpdir(), 'router-b-')));
    expect(b).toEqual(a);
  });
});

describe('ModelRouter (AWS): least privilege', () => {
  test('Bedrock: exactly the two invoke actions on exactly the ARNs of the models the AWS router serves', () => {
    const { template } = build();
    const statements = statementsOf(template, 'RouterRole');
    const bedrock = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('bedrock:')));
    expect(bedrock).toHaveLength(1);
    expect(actionsOf(bedrock[0])).toEqual([...BEDROCK_INVOKE_ACTIONS]);
    expect(resourcesOf(bedrock[0]).map(text)).toEqual([
      'arn:<{"Ref":"AWS::Partition"}>:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0',
      'arn:<{"Ref":"AWS::Partition"}>:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0',
    ]);
    // No wildcard anywhere in the role's policy, actions or resources.
    for (const s of statements) {
      for (const a of actionsOf(s)) expect(a).not.toContain('*');
      for (const r of resourcesOf(s)) expect(text(r)).not.toContain('*');
    }
  });

  test('DynamoDB: GetItem, PutItem and UpdateItem on the two tables only; logs on its own log group only', () => {
    const { template, stack, router } = build();
    const statements = statementsOf(template, 'RouterRole');
    const tables = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(tables.map((s) => actionsOf(s))).toEqual([[...TABLE_ACTIONS], [...TABLE_ACTIONS]]);
    expect(tables.flatMap(resourcesOf)).toEqual([router.ledgerTable, router.rateTable].map((t) => ({ 'Fn::GetAtt': [stack.getLogicalId(t.node.defaultChild as any), 'Arn'] })));
    const logs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logs.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [stack.getLogicalId(router.logGroup.node.defaultChild as any), 'Arn'] }]);
    expect(statements.map((s) => actionsOf(s)[0].split(':')[0]).sort()).toEqual(['bedrock', 'dynamodb', 'dynamodb', 'logs', 'secretsmanager']);
    const role = only(template, 'AWS::IAM::Role');
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('cross-region inference profiles: the profile where it is called, the model in every region of its geography', () => {
    const profileModel: ModelSpec = { ...findModel('claude-sonnet-4')!, id: 'sonnet-us', providerModelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' };
    const lookup = (id: string) => (id === 'sonnet-us' ? profileModel : findModel(id));
    const got = bedrockResources([{ id: 's', provider: 'bedrock', model: 'sonnet-us' }, { id: 'h', provider: 'bedrock', model: 'claude-3-5-haiku' }], 'us-east-2', lookup);
    expect(got).toEqual([
      { kind: 'inference-profile', region: 'us-east-2', id: 'us.anthropic.claude-sonnet-4-20250514-v1:0' },
      ...INFERENCE_PROFILE_REGIONS.us.map((region) => ({ kind: 'foundation-model', region, id: 'anthropic.claude-sonnet-4-20250514-v1:0' })),
      { kind: 'foundation-model', region: 'us-east-2', id: 'anthropic.claude-3-5-haiku-20241022-v1:0' },
    ]);
    // A profile is called from its own geography only; an unknown geography has no region list.
    const problems = new Problems();
    const weird: ModelSpec = { ...profileModel, id: 'mars', providerModelId: 'mars.anthropic.claude-x-v1:0' };
    validateRouterOnAwsWith(
      { models: [{ id: 's', provider: 'bedrock', model: 'sonnet-us', region: 'eu-west-1' }, { id: 'm', provider: 'bedrock', model: 'mars' }], routes: [] },
      'router',
      problems,
      (id) => (id === 'mars' ? weird : lookup(id)),
    );
    expect(problems.all).toEqual([
      { path: 'router.models[0].region', message: expect.stringContaining("called through the us cross-region inference profile, which is called from us-east-1, us-east-2, us-west-1, us-west-2 only (got 'eu-west-1')") },
      { path: 'router.models[1].model', message: expect.stringContaining("geography 'mars'") },
    ]);
  });

  test('secrets: GetSecretValue only, on exactly the key-hash secret (an imported name gets its six-character suffix)', () => {
    const { template } = build({}, (s) => ({ keyHashesSecret: secretsmanager.Secret.fromSecretNameV2(s, 'Hashes', 'router/key-hashes') }));
    const sm = statementsOf(template, 'RouterRole').filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(sm.map((s) => [actionsOf(s), resourcesOf(s).map(text)])).toEqual([
      [['secretsmanager:GetSecretValue'], ['arn:<{"Ref":"AWS::Partition"}>:secretsmanager:us-east-1:123456789012:secret:router/key-hashes-??????']],
    ]);
  });
});

describe('ModelRouter (AWS): the ledger and the key hashes', () => {
  test('two on-demand tables keyed as the store expects, encrypted, with point-in-time recovery; TTL on the rate table only', () => {
    const { template, stack, router } = build();
    const table = (t: dynamodb.ITable) => template.toJSON().Resources[stack.getLogicalId(t.node.defaultChild as any)] as Resource & { DeletionPolicy: string };
    for (const [t, schema] of [[router.ledgerTable, LEDGER_TABLE_SCHEMA], [router.rateTable, RATE_TABLE_SCHEMA]] as const) {
      const p = table(t).Properties;
      expect(p.KeySchema).toEqual([{ AttributeName: schema.partitionKey.name, KeyType: 'HASH' }]);
      expect(p.AttributeDefinitions).toEqual([{ AttributeName: schema.partitionKey.name, AttributeType: schema.partitionKey.type }]);
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      expect(p.SSESpecification).toEqual({ SSEEnabled: true }); // the AWS managed key aws/dynamodb
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table(t).DeletionPolicy).toBe('Retain');
    }
    expect(table(router.ledgerTable).Properties.TimeToLiveSpecification).toBeUndefined();
    expect(table(router.rateTable).Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  test('the key-hash secret starts as the empty map', () => {
    const { template } = build();
    expect(only(template, 'AWS::SecretsManager::Secret').Properties.SecretString).toBe('{}');
  });

  test('bring your own tables and secret: nothing is created for them, and the router uses them', () => {
    const { template, stack } = build({}, (s) => ({
      ledgerTable: dynamodb.Table.fromTableName(s, 'Ledger', 'shared-ledger'),
      rateTable: dynamodb.Table.fromTableName(s, 'Rate', 'shared-rate'),
      keyHashesSecret: secretsmanager.Secret.fromSecretCompleteArn(s, 'Hashes', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hashes-AbCdEf'),
    }));
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    const env = functionOf(template).Properties.Environment.Variables;
    expect([env[ROUTER_ENV.ledgerTable], env[ROUTER_ENV.rateTable], env[ROUTER_ENV.keyHashes]]).toEqual(['shared-ledger', 'shared-rate', 'aws-sm:arn:aws:secretsmanager:us-east-1:123456789012:secret:hashes-AbCdEf']);
    const tables = statementsOf(template, 'RouterRole').filter((s) => actionsOf(s)[0].startsWith('dynamodb:'));
    expect(tables.flatMap(resourcesOf).map((r) => text(stack.resolve(r)))).toEqual([
      'arn:<{"Ref":"AWS::Partition"}>:dynamodb:us-east-1:123456789012:table/shared-ledger',
      'arn:<{"Ref":"AWS::Partition"}>:dynamodb:us-east-1:123456789012:table/shared-rate',
    ]);
  });

  test('a customer key encrypts the request log, and CloudWatch Logs of this account and region may use it', () => {
    const { template, stack } = build({}, (s) => ({ logEncryptionKey: new kms.Key(s, 'LogKey', { enableKeyRotation: true }) }));
    const keyId = stack.getLogicalId(stack.node.findChild('LogKey').node.defaultChild as kms.CfnKey);
    expect(only(template, 'AWS::Logs::LogGroup').Properties).toEqual({ RetentionInDays: 30, KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const statements = (template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as any[]).filter((st) => st.Principal?.Service === 'logs.us-east-1.amazonaws.com');
    expect(statements).toHaveLength(1);
  });
});

describe('ModelRouter (AWS): dashboard and alarms', () => {
  test('both alarms use the design thresholds over evaluationMinutes one-minute periods and notify an encrypted, TLS-only topic', () => {
    const { template, stack, router } = build({ alarms: { errorRatePercent: 2.5, p99LatencyMs: 1500, evaluationMinutes: 3 } });
    const topic = { Ref: stack.getLogicalId(router.alarmTopic.node.defaultChild as any) };
    const alarms = resources(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    expect(alarms).toHaveLength(2);
    const [errors, latency] = router.alarms.map((a) => template.toJSON().Resources[stack.getLogicalId(a.node.defaultChild as any)].Properties);
    expect(errors).toMatchObject({ Threshold: 2.5, EvaluationPeriods: 3, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', AlarmActions: [topic], OKActions: [topic] });
    const expression = errors.Metrics.find((m: any) => m.Expression).Expression;
    expect(expression).toBe('100 * FILL(errors, 0) / requests');
    const byId = Object.fromEntries(errors.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat]));
    expect(byId.errors).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Url5xxCount' }, Period: 60, Stat: 'Sum' });
    expect(byId.requests).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'UrlRequestCount' }, Period: 60, Stat: 'Sum' });
    expect(byId.errors.Metric.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: stack.getLogicalId(router.function.node.defaultChild as any) } }]);
    expect(latency).toMatchObject({
      Namespace: 'AiStack/Router/s',
      MetricName: 'LatencyMs',
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 1500,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      AlarmActions: [topic],
    });
    const t = only(template, 'AWS::SNS::Topic').Properties;
    expect(t.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/AlarmTopicKey/), 'Arn'] });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    const key = only(template, 'AWS::KMS::Key').Properties;
    expect(key.EnableKeyRotation).toBe(true);
    expect(key.KeyPolicy.Statement).toContainEqual(expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }));
  });

  test('the metric filters read the request log lines the bundle writes', () => {
    const { template, stack, router } = build({ namePrefix: 'chat-ai' });
    const filters = resources(template, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
    for (const f of filters) expect(f.LogGroupName).toEqual({ Ref: stack.getLogicalId(router.logGroup.node.defaultChild as any) });
    expect(Object.fromEntries(filters.map((f) => [f.MetricTransformations[0].MetricName, [f.FilterPattern, f.MetricTransformations[0].MetricValue, f.MetricTransformations[0].Dimensions]]))).toEqual({
      Requests: ['{ $.status > 0 }', '1', undefined],
      FallbackRequests: ['{ $.fallbacks > 0 }', '1', undefined],
      Retries: ['{ $.retries > 0 }', '$.retries', undefined],
      BudgetUsedPercent: ['{ $.budgetUsedPercent >= 0 }', '$.budgetUsedPercent', [{ Key: 'tenant', Value: '$.tenant' }]],
      GuardBlocked: ['{ $.guard.action = "block" }', '1', [{ Key: 'tenant', Value: '$.tenant' }, { Key: 'policy', Value: '$.guard.policies[0]' }]],
      GuardMasked: ['{ $.guard.action = "mask" }', '1', [{ Key: 'tenant', Value: '$.tenant' }, { Key: 'policy', Value: '$.guard.policies[0]' }]],
      GuardFailedOpen: ['{ $.guard.failedOpen IS TRUE }', '1', [{ Key: 'tenant', Value: '$.tenant' }]],
      LatencyMs: ['{ $.status > 0 && $.stream IS FALSE }', '$.latencyMs', undefined],
      OverheadMs: ['{ $.status > 0 }', '$.overheadMs', undefined],
      CostUsd: ['{ $.status > 0 }', '$.costUsd', undefined],
      CostUsdByTenant: ['{ $.status > 0 }', '$.costUsd', [{ Key: 'tenant', Value: '$.tenant' }]],
      FailedRequests: ['{ $.status >= 400 }', '1', [{ Key: 'outcome', Value: '$.outcome' }]],
    });
    for (const f of filters) expect(f.MetricTransformations[0].MetricNamespace).toBe('AiStack/Router/chat-ai');
    // The fields exist on the bundle's lines: the EMF record of a refused and a served stream.
    const { embeddedMetricRecord } = require('../../lib/router/log') as typeof import('../../lib/router/log');
    const line = embeddedMetricRecord({ time: 't', requestId: 'r', tenant: 'acme', attempts: 2, fallbacks: 1, retries: 0, budgetUsedPercent: 12.5, guard: { action: 'block', policies: ['pii'], failedOpen: true, costUsd: 0.001 }, promptTokens: 1, completionTokens: 1, costUsd: 0.5, latencyMs: 3, overheadMs: 1, outcome: 'ok', status: 200, stream: false }, 0);
    for (const field of ['status', 'fallbacks', 'retries', 'budgetUsedPercent', 'guard.action', 'guard.policies', 'guard.failedOpen', 'stream', 'latencyMs', 'overheadMs', 'costUsd', 'tenant', 'outcome']) expect(line).toHaveProperty(field.split('.'));
  });

  test('the dashboard shows requests, errors, latency percentiles, overhead, cost by tenant and per 1,000 requests, and GPU utilization', () => {
    const stack = awsExample();
    const template = Template.fromStack(stack);
    const body = text(only(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const title of ['Requests, fallbacks, retries, 5xx', 'Budget used by tenant, % of its monthly budget', 'Guard: blocked and masked requests by tenant and policy, unchecked by tenant (fail open)', 'Error rate, % of requests', 'Refused and failed requests by outcome', 'Latency of unstreamed requests (ms), and router overhead', 'Cost by tenant, USD per hour', 'Cost, USD per hour and per 1,000 requests', 'GPU endpoints: GPU utilization (%)']) {
      expect(body).toContain(title);
    }
    for (const stat of ['p50', 'p95', 'p99']) expect(body).toContain(`"stat":"${stat}"`);
    expect(body).toContain(`SEARCH('{AiStack/Router/support-ai,tenant} MetricName=\\"CostUsdByTenant\\"', 'Sum', 3600)`);
    expect(body).toContain('1000 * FILL(cost, 0) / requests');
    expect(body).toContain(`SEARCH('{AiStack/Router/support-ai,tenant} MetricName=\\"BudgetUsedPercent\\"', 'Maximum', 3600)`);
    expect(body.match(/nvidia_smi_utilization_gpu/g)).toHaveLength(2);
    expect(only(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardName).toBe('support-ai-model-router');
  });
});

describe('ModelRouter (AWS): props', () => {
  test('a misspelled prop is refused with a "did you mean"; a construct prop of the wrong kind is named', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const error = designErrorOf(() => new ModelRouter(stack, 'Router', { ...routerDesign(), tenant: [], vpc: 'vpc-1' } as unknown as ModelRouterProps));
    expect(error.message).toContain('the props of S/Router');
    expect(error.problems).toEqual([
      { path: 'props.tenant', message: expect.stringMatching(/^unknown key \(did you mean 'tenants'\?\)/) },
      { path: 'props.vpc', message: expect.stringContaining('must be an ec2.IVpc') },
    ]);
  });

  test('the neutral rules and AWS rules report under props, with every problem at once', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const design = routerDesign();
    const props = {
      ...design,
      routes: [{ name: 'chat', targets: [{ model: 'hiaku' }] }],
      models: [...design.models, { id: 'far', provider: 'bedrock', model: 'nova-pro', region: 'europe-west4' }],
      deployment: { logRetentionDays: 45 },
    } as ModelRouterProps;
    expect(designErrorOf(() => new ModelRouter(stack, 'Router', props)).problems).toEqual([
      { path: 'props.routes[0].targets[0].model', message: expect.stringContaining("names no model target (got 'hiaku')") },
      { path: 'props.models[3].region', message: "must be an AWS region for a Bedrock target, e.g. 'us-east-1' (got 'europe-west4')" },
      { path: 'props.deployment.logRetentionDays', message: expect.stringContaining('must be a retention CloudWatch Logs offers on AWS') },
    ]);
  });

  test('endpoint targets need their endpoint, endpoints need the VPC, and a token cannot go into the config', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const vpcless: ModelRouterProps = {
      ...routerDesign(),
      models: [...routerDesign().models, { id: 'own', provider: 'endpoint', model: 'llm' }],
      routes: [{ name: 'chat', targets: [{ model: 'own' }], timeoutMs: 1 }],
    };
    expect(designErrorOf(() => new ModelRouter(stack, 'A', vpcless)).problems).toEqual([
      { path: 'props.models[3].model', message: expect.stringContaining("names no GPU endpoint (got 'llm')") },
      { path: 'props.routes[0].timeoutMs', message: 'must be a whole number between 100 and 900000 ms (got 1)' },
    ]);
    const secret = new secretsmanager.Secret(stack, 'Key');
    const connections = new ec2.Connections({ defaultPort: ec2.Port.tcp(80) });
    const withEndpoint = { ...vpcless, routes: [{ name: 'chat', targets: [{ model: 'own' }] }], endpoints: { llm: { url: 'http://llm.internal', model: 'm', apiKeySecret: secret, connections } } };
    expect(designErrorOf(() => new ModelRouter(stack, 'B', withEndpoint)).problems).toEqual([{ path: 'props.vpc', message: expect.stringContaining("is required with endpoints: the router reaches 'llm'") }]);
    const asToken = { ...routerDesign(), tenants: [{ id: 'team-a', monthlyBudgetUsd: 5, requestsPerMinute: Token.asNumber({ Ref: 'Rpm' }) }] };
    expect(designErrorOf(() => new ModelRouter(stack, 'C', asToken)).problems).toEqual([
      { path: 'props.tenants[0].requestsPerMinute', message: expect.stringContaining("must be a literal, not an unresolved token: the deployed router's config, size and alarms are fixed at synth") },
    ]);
  });

  test('check reports the AWS rules for the design too, and only for AWS', () => {
    const design = { ...bareDesign(), router: { ...routerDesign(), deployment: { logRetentionDays: 45 } } };
    expect(collectProblems(design, { clouds: ['aws'] }).all).toContainEqual({ path: 'router.deployment.logRetentionDays', message: expect.stringContaining('nearest: 30 or 60') });
    expect(collectProblems(design, { clouds: ['gcp'] }).all.filter((p) => p.path.startsWith('router.deployment'))).toEqual([]);
  });
});

describe('ModelRouter (AWS): warnings', () => {
  test('targets and routes of other clouds are named; a router with no route on AWS says so', () => {
    const { stack } = build();
    Annotations.fromStack(stack).hasWarning('/S/Router', Match.stringLikeRegexp("targets flash run on another cloud's provider and are left out of the AWS router; so are routes gemini"));
    expect(Annotations.fromStack(stack).findWarning('/S/Router', Match.stringLikeRegexp('serves none'))).toEqual([]);
    const elsewhere = build({ models: [{ id: 'flash', provider: 'vertex', model: 'gemini-2-5-flash' }], routes: [{ name: 'gemini', targets: [{ model: 'flash' }] }], tenants: [] });
    const a = Annotations.fromStack(elsewhere.stack);
    a.hasWarning('/S/Router', Match.stringLikeRegexp('no route of the design has a target on AWS'));
    a.hasWarning('/S/Router', Match.stringLikeRegexp('the router has no tenants'));
  });

  test('the warnings can be acknowledged', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    const router = new ModelRouter(stack, 'Router', routerDesign());
    CoreAnnotations.of(router).acknowledgeWarning('ai-stack:router-targets-elsewhere', 'Vertex is served by the GCP stack');
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('ModelRouter (AWS): tenant inference profiles', () => {
  test('one tagged application inference profile per tenant and Bedrock target, invocable by the router, mapped in its environment', () => {
    const models = routerDesign().models.map((m) => (m.id === 'nova' ? { ...m, region: undefined } : m));
    const { template, stack, router } = build({ models, tenantInferenceProfiles: true });
    const profiles = resources(template, 'AWS::Bedrock::ApplicationInferenceProfile').map(([id, p]) => [id, p.Properties] as const);
    expect(profiles.map(([, p]) => p.InferenceProfileName)).toEqual(['s-team-a-haiku', 's-team-a-nova', 's-team-b-haiku', 's-team-b-nova']);
    const [id, first] = profiles[0];
    expect(text(first.ModelSource.CopyFrom)).toBe('arn:<{"Ref":"AWS::Partition"}>:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0');
    expect(first.Tags).toEqual(expect.arrayContaining([{ Key: 'ai-stack:tenant', Value: 'team-a' }, { Key: 'ai-stack:target', Value: 'haiku' }]));
    const bedrock = statementsOf(template, 'RouterRole').find((s) => actionsOf(s).includes('bedrock:InvokeModel'))!;
    expect(resourcesOf(bedrock)).toContainEqual({ 'Fn::GetAtt': [id, 'InferenceProfileArn'] });
    const env = stack.resolve(functionOf(template).Properties.Environment.Variables[BEDROCK_TENANT_PROFILES_ENV]);
    expect(text(env)).toContain(`{"team-a":{"haiku":"<{"Fn::GetAtt":["${id}","InferenceProfileArn"]}>"`);
    expect(Object.keys(router.inferenceProfiles)).toEqual(['team-a', 'team-b']);
    // The shipped bundle reads the map, so no warning says the profiles attribute nothing.
    Annotations.fromStack(stack).hasNoWarning('/S/Router', Match.stringLikeRegexp(`does not read ${BEDROCK_TENANT_PROFILES_ENV}`));
  });

  test('off by default; refused where they cannot work', () => {
    expect(build().template.findResources('AWS::Bedrock::ApplicationInferenceProfile')).toEqual({});
    const stack = new Stack(new App(), 'S', { env: ENV });
    const problems = designErrorOf(() => new ModelRouter(stack, 'R', { ...routerDesign(), tenantInferenceProfiles: true })).problems;
    expect(problems).toEqual([{ path: 'props.models[1].region', message: expect.stringContaining("tenantInferenceProfiles makes application inference profiles in the stack's region (us-east-1)") }]);
    const many = {
      models: [{ id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' }],
      routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }],
      tenants: Array.from({ length: 40 }, (_, i) => ({ id: `tenant-${i}`, monthlyBudgetUsd: 1 })),
      tenantInferenceProfiles: true,
    } as ModelRouterProps;
    expect(designErrorOf(() => new ModelRouter(stack, 'M', many)).problems).toEqual([{ path: 'props.tenantInferenceProfiles', message: expect.stringContaining("do not fit the function's 4 KB environment") }]);
  });
});

describe('aws.AiStack with a router', () => {
  const stack = awsExample();
  const template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, Resource>; Outputs: Record<string, any> };
  const router = stack.router!;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as any);

  test('the router runs in the private subnets of the stack VPC, and its security group reaches each endpoint load balancer (and only that, besides HTTPS)', () => {
    const fn = json.Resources[id(router.function)].Properties;
    const privateSubnets = stack.vpc!.privateSubnets.map((s) => ({ Ref: id(s as any) }));
    expect(fn.VpcConfig.SubnetIds).toEqual(privateSubnets);
    const sgId = id(router.securityGroup as any);
    expect(fn.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sgId, 'GroupId'] }]);
    expect(json.Resources[sgId].Properties.SecurityGroupEgress).toEqual([{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS: Bedrock, DynamoDB, Secrets Manager' }]);
    for (const name of ['llama-8b', 'llama-70b']) {
      const lbSg = { 'Fn::GetAtt': [id(stack.endpoints[name].loadBalancer.connections.securityGroups[0] as any), 'GroupId'] };
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { GroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] }, DestinationSecurityGroupId: lbSg, FromPort: 80, ToPort: 80, IpProtocol: 'tcp' });
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: lbSg, SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] }, FromPort: 80, ToPort: 80, IpProtocol: 'tcp' });
    }
    const managed = JSON.stringify(json.Resources[id(router.role as any)].Properties.ManagedPolicyArns);
    expect(managed).toContain('service-role/AWSLambdaVPCAccessExecutionRole');
    // Ledger writes stay off the NAT gateway.
    expect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::EC2::VPCEndpoint').map((r) => text(r.Properties.ServiceName))).toEqual([
      'com.amazonaws.<{"Ref":"AWS::Region"}>.s3',
      'com.amazonaws.<{"Ref":"AWS::Region"}>.dynamodb',
    ]);
  });

  test('each endpoint the router calls gets a generated key: its replicas read it at boot as VLLM_API_KEY, the router by reference', () => {
    const env = json.Resources[id(router.function)].Properties.Environment.Variables as Record<string, unknown>;
    for (const [name, suffix] of [['llama-8b', 'LLAMA_8B'], ['llama-70b', 'LLAMA_70B']] as const) {
      const keyId = id(stack.endpointKeys[name] as any);
      const secret = json.Resources[keyId].Properties;
      expect(secret.GenerateSecretString).toEqual({ PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false });
      expect(secret.SecretString).toBeUndefined();
      expect(env[`AI_STACK_ENDPOINT_KEY_${suffix}`]).toEqual({ 'Fn::Join': ['', ['aws-sm:', { Ref: keyId }]] });
      expect(env[`AI_STACK_ENDPOINT_URL_${suffix}`]).toEqual({ 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [id(stack.endpoints[name].loadBalancer), 'DNSName'] }]] });
      const lt = json.Resources[id(stack.endpoints[name].launchTemplate)].Properties;
      const userData = text(lt.LaunchTemplateData.UserData['Fn::Base64']);
      expect(userData).toContain(`--secret-id '<{"Ref":"${keyId}"}>' --query SecretString --output text)`);
      expect(userData).toContain(`printf '%s=%s\\n' 'VLLM_API_KEY' "$secret_value" >> /run/ai-stack/server.env`);
      expect(userData).toContain('--env-file /run/ai-stack/server.env');
      const instanceStatements = statementsOf(template, id(stack.endpoints[name].role as any));
      expect(instanceStatements).toContainEqual(expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: keyId } }));
    }
    const sm = statementsOf(template, id(router.role as any)).find((s) => actionsOf(s)[0] === 'secretsmanager:GetSecretValue')!;
    expect(resourcesOf(sm)).toEqual([{ Ref: id(router.keyHashesSecret as any) }, { Ref: id(stack.endpointKeys['llama-8b'] as any) }, { Ref: id(stack.endpointKeys['llama-70b'] as any) }]);
    // Every variable that names a secret holds a reference, never a value.
    for (const [k, v] of Object.entries(env)) if (/KEY/.test(k)) expect(text(v)).toMatch(/^aws-sm:/);
  });

  test('the deployed config is the design\'s, for AWS, with its price overrides; outputs give the URL and the key-hash secret', () => {
    const design = exampleDesign();
    expect(router.config).toEqual(JSON.parse(JSON.stringify(deployedRouterConfig(design, 'aws', routerCloudCount(design, 'aws')))));
    const priced = { ...design, prices: { models: { 'claude-3-5-haiku': { inputPer1kUsd: 0.0005 } } } };
    expect(routerSectionOf(priced).models.find((m) => m.id === 'haiku')!.inputPer1kUsd).toBe(0.0005);
    expect(routerSectionOf(priced).models.find((m) => m.id === 'sonnet')!.inputPer1kUsd).toBeUndefined();
    expect(json.Outputs.RouterUrl.Value).toEqual({ 'Fn::GetAtt': [id(router.functionUrl), 'FunctionUrl'] });
    expect(json.Outputs.RouterKeyHashesSecret.Value).toEqual({ Ref: id(router.keyHashesSecret as any) });
  });

  test('the router warns about the targets other clouds serve', () => {
    Annotations.fromStack(stack).hasWarning('/support-ai/Router', Match.stringLikeRegexp('targets gemini-flash, gemini-pro, gpt-4o-mini run on another cloud'));
  });

  test('routerClouds counts AWS and every other cloud of the design that builds the router', () => {
    const design = exampleDesign();
    const { isDeployed } = require('../../lib/design/capabilities') as typeof import('../../lib/design/capabilities');
    const expected = 1 + (['gcp', 'azure'] as const).filter((c) => isDeployed('router', c)).length;
    expect(routerCloudCount(design, 'aws')).toBe(expected);
    expect(routerCloudCount({ ...design, clouds: ['aws'] }, 'aws')).toBe(1);
  });
});

describe('the CloudFormation resource count with a router', () => {
  const endpoint = (name: string, image = 'vllm/vllm-openai:v0.6.3') => ({ name, accelerator: 'nvidia-l4', server: { image, model: 'meta-llama/Llama-3.1-8B-Instruct' }, capacity: { min: 1, max: 2 } });
  const withRouter = (design: any, router: RouterDesign) => ({ ...design, region: { aws: 'us-east-1' }, router });
  const count = (design: AiStackDesign) => Object.keys(Template.fromStack(new AiStack(new App(), 'Count', { design })).toJSON().Resources).length;
  const cases: [string, () => AiStackDesign][] = [
    ['the example', () => exampleDesign()],
    ['Bedrock only, beside a vector store', () => withRouter({ ...bareDesign(), vectorStore: { name: 'docs' } }, routerDesign())],
    ['an endpoint the router does not call', () => withRouter({ ...bareDesign(), endpoints: [endpoint('llm')] }, routerDesign())],
    [
      'an endpoint with an ECR image the router calls',
      () =>
        withRouter({ ...bareDesign(), endpoints: [endpoint('llm', '123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:1'), endpoint('other')] }, {
          models: [{ id: 'own', provider: 'endpoint', model: 'llm' }, { id: 'o', provider: 'endpoint', model: 'other' }],
          routes: [{ name: 'chat', targets: [{ model: 'own' }], fallbacks: ['o'] }],
          tenants: [{ id: 't', monthlyBudgetUsd: 1 }],
        }),
    ],
  ];
  test.each(cases)('equals what synth makes: %s', (_label, design) => {
    expect(stackResourceCount(design())).toBe(count(design()));
  });

  test('no router, no router resources', () => {
    expect(routerResourceCount(bareDesign())).toBe(0);
  });
});

describe('docs/aws/model-router.md', () => {
  test('the example synthesizes as written, and its figures are the construct\'s', () => {
    const page = readFileSync(join(__dirname, '../../docs/aws/model-router.md'), 'utf8');
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
    const modules: Record<string, unknown> = { 'aws-cdk-lib': { ...cdk, App: DocApp }, 'ai-stack-constructs/aws': require('../../lib/aws') };
    new Function('require', 'exports', 'module', code)((m: string) => modules[m] ?? require(m), {}, { exports: {} });
    expect(stacks).toHaveLength(1);
    const template = Template.fromStack(stacks[0]);
    expect(functionOf(template).Properties).toMatchObject({ MemorySize: 1024, ReservedConcurrentExecutions: 50, Runtime: 'nodejs22.x' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 3000, ExtendedStatistic: 'p99' });
    // The page's lists are the code's.
    for (const [geo, regions] of Object.entries(INFERENCE_PROFILE_REGIONS)) expect(page).toContain(`| \`${geo}\` | ${regions.join(', ')} |`);
    expect(page).toContain(`\`AWS::Logs::MetricFilter\` × ${resources(Template.fromStack(build().stack), 'AWS::Logs::MetricFilter').length}`);
  });
});
