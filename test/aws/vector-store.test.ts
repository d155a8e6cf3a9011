import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VectorStore, type VectorStoreProps } from '../../lib/aws/vector-store';
import { eventBridgeCron } from '../../lib/aws/vector-store/rules';
import { collectProblems, type AiStackDesign } from '../../lib/design';
import { bareDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const ENV = { account: '123456789012', region: 'us-east-1' };

function build(props: Partial<VectorStoreProps> = {}, configure?: (stack: Stack) => Partial<VectorStoreProps>) {
  const stack = new Stack(new App(), 'S', { env: ENV });
  const store = new VectorStore(stack, 'Docs', { name: 'support-docs', ...props, ...configure?.(stack) });
  return { stack, store, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
function statementsOf(template: Template, roleLogicalIdPrefix: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }[];
  return policies.filter((p) => p.Properties.Roles.some((r) => r.Ref.startsWith(roleLogicalIdPrefix))).flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('VectorStore (AWS): what it builds', () => {
  test('a private, encrypted, versioned, TLS-only source bucket, kept when the stack goes', () => {
    const { template } = build();
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('an S3 Vectors index sized for the embedding model, with Bedrock\'s metadata stored but not filterable', () => {
    const { template } = build({ distance: 'euclidean' });
    template.hasResourceProperties('AWS::S3Vectors::VectorBucket', { EncryptionConfiguration: { SseType: 'AES256' } });
    template.hasResourceProperties('AWS::S3Vectors::Index', {
      DataType: 'float32',
      Dimension: 1024, // titan-embed-text-v2
      DistanceMetric: 'euclidean',
      MetadataConfiguration: { NonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
    });
  });

  test('a knowledge base on the index by ARN alone, embedding with the design\'s model', () => {
    const { template, stack } = build({ namePrefix: 'support-ai' });
    const kb = Object.values(template.findResources('AWS::Bedrock::KnowledgeBase'))[0] as { Properties: Record<string, any> };
    expect(kb.Properties.Name).toBe('support-ai-support-docs');
    expect(kb.Properties.StorageConfiguration.Type).toBe('S3_VECTORS');
    expect(Object.keys(kb.Properties.StorageConfiguration.S3VectorsConfiguration)).toEqual(['IndexArn']);
    const vkb = kb.Properties.KnowledgeBaseConfiguration.VectorKnowledgeBaseConfiguration;
    expect(stack.resolve(vkb.EmbeddingModelArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0']] });
    expect(vkb.EmbeddingModelConfiguration).toEqual({ BedrockEmbeddingModelConfiguration: { Dimensions: 1024, EmbeddingDataType: 'FLOAT32' } });
  });

  test.each([
    [undefined, { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 300, OverlapPercentage: 20 } }],
    [{ strategy: 'fixed', maxTokens: 512, overlapPercent: 10 }, { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 512, OverlapPercentage: 10 } }],
    [{ strategy: 'none' }, { ChunkingStrategy: 'NONE' }],
    [{ strategy: 'hierarchical' }, { ChunkingStrategy: 'HIERARCHICAL', HierarchicalChunkingConfiguration: { LevelConfigurations: [{ MaxTokens: 1500 }, { MaxTokens: 300 }], OverlapTokens: 60 } }],
    [{ strategy: 'hierarchical', parentMaxTokens: 2000, maxTokens: 200, overlapTokens: 40 }, { ChunkingStrategy: 'HIERARCHICAL', HierarchicalChunkingConfiguration: { LevelConfigurations: [{ MaxTokens: 2000 }, { MaxTokens: 200 }], OverlapTokens: 40 } }],
    [{ strategy: 'semantic', maxTokens: 500, bufferSize: 1, breakpointPercentile: 90 }, { ChunkingStrategy: 'SEMANTIC', SemanticChunkingConfiguration: { MaxTokens: 500, BufferSize: 1, BreakpointPercentileThreshold: 90 } }],
  ] as const)('data source chunking %j', (chunking, expected) => {
    const { template } = build({ chunking: chunking as VectorStoreProps['chunking'] });
    template.hasResourceProperties('AWS::Bedrock::DataSource', {
      DataDeletionPolicy: 'DELETE',
      VectorIngestionConfiguration: { ChunkingConfiguration: expected },
    });
  });

  test('the refresh schedule starts one ingestion job per run through the universal target, never retried', () => {
    const { template, stack, store } = build({ refreshSchedule: '30 2 * * 1-5' });
    const schedule = (Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as { Properties: Record<string, any> }).Properties;
    expect(schedule.ScheduleExpression).toBe('cron(30 2 ? * 2-6 *)');
    expect(schedule.ScheduleExpressionTimezone).toBe('Etc/UTC');
    expect(schedule.State).toBe('ENABLED');
    expect(stack.resolve(schedule.Target.Arn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:bedrockagent:startIngestionJob']] });
    expect(schedule.Target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    expect(stack.resolve(schedule.Target.Input)).toEqual({
      'Fn::Join': ['', ['{"KnowledgeBaseId":"', { 'Fn::GetAtt': [stack.getLogicalId(store.knowledgeBase), 'KnowledgeBaseId'] }, '","DataSourceId":"', { 'Fn::GetAtt': [stack.getLogicalId(store.dataSource), 'DataSourceId'] }, '"}']],
    });
  });

  test('least privilege: the scheduler may start ingestion jobs of this knowledge base only; the knowledge base may embed with one model, read its bucket, write its index', () => {
    const { template, stack, store } = build();
    const kbArn = { 'Fn::GetAtt': [stack.getLogicalId(store.knowledgeBase), 'KnowledgeBaseArn'] };
    expect(statementsOf(template, 'DocsSchedulerRole')).toEqual([{ Action: 'bedrock:StartIngestionJob', Effect: 'Allow', Resource: kbArn }]);
    const kb = statementsOf(template, 'DocsKnowledgeBaseRole');
    expect(kb.map((s) => s.Action)).toEqual([
      'bedrock:InvokeModel',
      's3:ListBucket',
      's3:GetObject',
      ['s3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors', 's3vectors:GetIndex'],
    ]);
    expect(kb[3].Resource).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(store.index), 'IndexArn'] });
    for (const s of kb) for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
    const role = (Object.values(template.findResources('AWS::IAM::Role')) as { Properties: { AssumeRolePolicyDocument: { Statement: any[] } } }[]).find(
      (r) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'bedrock.amazonaws.com',
    )!;
    expect(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals).toEqual({ 'aws:SourceAccount': '123456789012' });
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument.Statement[0].Condition.ArnLike)).toContain(':bedrock:us-east-1:123456789012:knowledge-base/*');
  });

  test('a customer key encrypts both buckets and the knowledge base may use it', () => {
    const { template, stack } = build({}, (s) => ({ encryptionKey: new kms.Key(s, 'Key', { enableKeyRotation: true }) }));
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(stack.node.findChild('Key').node.defaultChild as kms.CfnKey), 'Arn'] };
    template.hasResourceProperties('AWS::S3Vectors::VectorBucket', { EncryptionConfiguration: { SseType: 'aws:kms', KmsKeyArn: keyArn } });
    template.hasResourceProperties('AWS::S3::Bucket', { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }] } });
    expect(statementsOf(template, 'DocsKnowledgeBaseRole').some((s) => [s.Action].flat().includes('kms:Decrypt'))).toBe(true);
  });

  test('bring your own source bucket: nothing else is created for it, and the knowledge base reads it', () => {
    const { template, stack } = build({}, (s) => ({ sourceBucket: s3.Bucket.fromBucketName(s, 'Existing', 'team-docs') }));
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(stack.resolve(statementsOf(template, 'DocsKnowledgeBaseRole')[1].Resource)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-docs']] });
  });

  test('grantQuery lets an application retrieve from this knowledge base only', () => {
    const stack = new Stack(new App(), 'S', { env: ENV });
    const store = new VectorStore(stack, 'Docs', { name: 'support-docs' });
    const app = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    store.grantQuery(app);
    const statements = statementsOf(Template.fromStack(stack), 'App');
    expect(statements).toEqual([{ Action: 'bedrock:Retrieve', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(store.knowledgeBase), 'KnowledgeBaseArn'] } }]);
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding with the server access logs given', () => {
    const app = new App();
    const stack = new Stack(app, 'S', { env: ENV });
    const logs = new s3.Bucket(stack, 'Logs', { enforceSSL: true });
    new VectorStore(stack, 'Docs', { name: 'support-docs', serverAccessLogsBucket: logs });
    app.synth();
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    // The log bucket is the test's own; everything the vector store builds passes.
    expect(JSON.stringify(report.violations, null, 1)).toBe('[]');
  });
});

describe('VectorStore (AWS): what it refuses', () => {
  test('dot-product distance: S3 Vectors has none, and `ai-stack check` says so for AWS only', () => {
    const error = designErrorOf(() => build({ distance: 'dot-product' }));
    expect(error.problems).toEqual([{ path: 'props.distance', message: expect.stringContaining("'dot-product' is not offered on AWS") }]);
    const design: AiStackDesign = { ...bareDesign(), vectorStore: { name: 'docs', distance: 'dot-product' } };
    expect(collectProblems(design, { clouds: ['gcp', 'azure'] }).count).toBe(0);
    expect(collectProblems(design, { clouds: ['aws'] }).all).toContainEqual({ path: 'vectorStore.distance', message: expect.stringContaining("'dot-product' is not offered on AWS") });
  });

  test('a refresh schedule EventBridge cannot express', () => {
    const error = designErrorOf(() => build({ refreshSchedule: '0 3 1 * 1' }));
    expect(error.problems).toEqual([{ path: 'props.refreshSchedule', message: expect.stringContaining('restricts both day-of-month and day-of-week') }]);
  });

  test('a chunking field of another strategy, and child chunks not smaller than their parents', () => {
    expect(designErrorOf(() => build({ chunking: { strategy: 'semantic', overlapPercent: 10 } })).problems).toEqual([
      { path: 'props.chunking.overlapPercent', message: "does not apply to 'semantic' chunking, which takes maxTokens, bufferSize, breakpointPercentile" },
    ]);
    expect(designErrorOf(() => build({ chunking: { strategy: 'hierarchical', maxTokens: 1500 } })).problems).toEqual([
      { path: 'props.chunking.maxTokens', message: 'child chunks must be smaller than parent chunks (maxTokens 1500 >= parentMaxTokens 1500)' },
    ]);
    expect(designErrorOf(() => build({ chunking: { strategy: 'semantic', breakpointPercentile: 30 } })).problems).toEqual([
      { path: 'props.chunking.breakpointPercentile', message: expect.stringContaining('between 50 and 99') },
    ]);
  });

  test('a misspelled prop, with a "did you mean"', () => {
    const error = designErrorOf(() => build({ chunkin: { maxTokens: 200 } } as Partial<VectorStoreProps>));
    expect(error.problems).toEqual([{ path: 'props.chunkin', message: expect.stringMatching(/^unknown key \(did you mean 'chunking'\?\)/) }]);
  });
});

describe('eventBridgeCron', () => {
  test.each([
    ['0 3 * * *', 'cron(0 3 * * ? *)'],
    ['30 2 * * 1-5', 'cron(30 2 ? * 2-6 *)'],
    ['0 3 * * 0-7', 'cron(0 3 ? * 1-7 *)'],
    ['0 3 * * 5-7', 'cron(0 3 ? * 1,6-7 *)'],
    ['0 3 * * 0,6', 'cron(0 3 ? * 1,7 *)'],
    ['0 3 1 * *', 'cron(0 3 1 * ? *)'],
    ['*/15 * * * *', 'cron(0/15 * * * ? *)'],
  ])('%s → %s', (cron, expected) => {
    expect(eventBridgeCron(cron)).toEqual({ expression: expected });
  });

  test('steps in the day of week have no EventBridge form', () => {
    expect(eventBridgeCron('0 3 * * */2')).toEqual({ problem: expect.stringContaining('without steps') });
  });
});

describe('docs/aws/vector-store.md', () => {
  test('the example builds the vector store and grants the application retrieval', () => {
    const markdown = readFileSync(join(__dirname, '../../docs/aws/vector-store.md'), 'utf8');
    const source = /```ts\n([\s\S]*?)```/.exec(markdown)![1];
    const { code } = transformSync(source, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    const cdk = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
    const stacks: Stack[] = [];
    class DocApp extends cdk.App {
      synth(): ReturnType<App['synth']> {
        stacks.push(...this.node.children.filter((c): c is Stack => c instanceof Stack));
        return super.synth();
      }
    }
    const modules: Record<string, unknown> = { 'aws-cdk-lib': { ...cdk, App: DocApp }, 'ai-stack-constructs/aws': require('../../lib/aws') };
    new Function('require', 'exports', 'module', code)((id: string) => modules[id] ?? require(id), {}, { exports: {} });
    expect(stacks).toHaveLength(1);
    const template = Template.fromStack(stacks[0]);
    template.resourceCountIs('AWS::Bedrock::KnowledgeBase', 1);
    template.hasResourceProperties('AWS::Bedrock::DataSource', { VectorIngestionConfiguration: { ChunkingConfiguration: { FixedSizeChunkingConfiguration: { MaxTokens: 400, OverlapPercentage: 15 } } } });
    expect(statementsOf(template, 'Api').map((s) => s.Action)).toEqual(['bedrock:Retrieve']);
  });
});

test("Bedrock's name pattern holds for any valid prefix: repeated hyphens collapse", () => {
  const { template } = build({ name: 'docs--x', namePrefix: 'a--b-' });
  const kb = Object.values(template.findResources('AWS::Bedrock::KnowledgeBase'))[0] as { Properties: { Name: string } };
  expect(kb.Properties.Name).toBe('a-b-docs-x');
  expect(kb.Properties.Name).toMatch(/^([0-9a-zA-Z][_-]?){1,100}$/);
});
