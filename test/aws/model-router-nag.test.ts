import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AiStack } from '../../lib/aws/ai-stack';
import { GpuEndpoint } from '../../lib/aws/gpu-endpoint';
import { ModelRouter, type ModelRouterProps } from '../../lib/aws/model-router';
import { exampleDesign } from '../examples/synth-example';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

// cdk-nag 3 is a policy-validation plugin; it reads acknowledgements recorded with
// Validations.of(construct).acknowledge({ id, reason }) (lib/aws/gpu-endpoint/findings.ts `acknowledge`).

const ENV = { account: '123456789012', region: 'us-east-1' };

const router: ModelRouterProps = {
  models: [
    { id: 'haiku', provider: 'bedrock', model: 'claude-3-5-haiku' },
    { id: 'own', provider: 'endpoint', model: 'llm' },
  ],
  routes: [{ name: 'chat', targets: [{ model: 'haiku' }], fallbacks: ['own'] }],
  tenants: [{ id: 'team-a', monthlyBudgetUsd: 100 }],
};

function checked(build: (stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'S', { env: ENV });
  build(stack);
  app.synth();
  return { stack, report: new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack) };
}

/** AwsSolutions acknowledgements (path, rule id) recorded anywhere under `stack`. */
function acknowledgements(stack: Stack): Array<{ path: string; id: string; reason: string }> {
  return stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^Annotation::/, ''), reason }))),
    )
    .filter((a) => a.id.startsWith('AwsSolutions-'));
}

function withEndpoint(s: Stack): ModelRouter {
  const vpc = new ec2.Vpc(s, 'Vpc', { flowLogs: { all: {} } });
  const key = new secretsmanager.Secret(s, 'LlmKey', { generateSecretString: { excludePunctuation: true } });
  Validations.of(key).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'Test fixture: the endpoint key is rotated with an instance refresh.' });
  const llm = new GpuEndpoint(s, 'Llm', {
    name: 'llm',
    accelerator: 'nvidia-l4',
    server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
    capacity: { min: 1, max: 2 },
    vpc,
    serverSecrets: { VLLM_API_KEY: key },
  });
  return new ModelRouter(s, 'Router', { ...router, vpc, endpoints: { llm: { url: llm.url, model: llm.resolved.server.model, apiKeySecret: key, connections: llm } } });
}

describe('ModelRouter under cdk-nag AwsSolutions', () => {
  test('alone, Bedrock only, outside a VPC: no unacknowledged finding', () => {
    const { stack, report } = checked((s) => new ModelRouter(s, 'Router', { ...router, models: [router.models[0]], routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }] }));
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  test('in a VPC, calling a GPU endpoint: no unacknowledged finding', () => {
    const { report } = checked(withEndpoint);
    expect(report.violations).toEqual([]);
  });

  test('the example design\'s AiStack (endpoints, router, vector store): no unacknowledged finding', () => {
    const app = new App();
    const design = exampleDesign();
    const stack = new AiStack(app, design.name, { design });
    app.synth();
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    expect(report.violations).toEqual([]);
    const routerAcks = acknowledgements(stack).filter((a) => a.path.startsWith('support-ai/Router') || /ApiKey/.test(a.path));
    expect(routerAcks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      'support-ai/Endpoint-llama-70b-ApiKey AwsSolutions-SMG4',
      'support-ai/Endpoint-llama-8b-ApiKey AwsSolutions-SMG4',
      'support-ai/Router/Function AwsSolutions-L1',
      'support-ai/Router/KeyHashes AwsSolutions-SMG4',
      'support-ai/Router/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    ]);
  });

  test('every acknowledgement names a specific finding on the exact resource and gives a specific reason; the VPC one only in a VPC', () => {
    const { stack } = checked(withEndpoint);
    const acks = acknowledgements(stack).filter((a) => a.path.startsWith('S/Router'));
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      'S/Router/Function AwsSolutions-L1',
      'S/Router/KeyHashes AwsSolutions-SMG4',
      'S/Router/Role AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(80);
    const alone = checked((s) => new ModelRouter(s, 'Router', { ...router, models: [router.models[0]], routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }] }));
    expect(acknowledgements(alone.stack).map((a) => a.id)).not.toContainEqual(expect.stringContaining('IAM4'));
  });

  test('a bring-your-own key-hash secret is not acknowledged by the router (its rotation is its owner\'s call)', () => {
    const { stack, report } = checked((s) => {
      const hashes = new secretsmanager.Secret(s, 'Hashes');
      new ModelRouter(s, 'Router', { ...router, models: [router.models[0]], routes: [{ name: 'chat', targets: [{ model: 'haiku' }] }], keyHashesSecret: hashes });
    });
    expect(acknowledgements(stack).filter((a) => a.id === 'AwsSolutions-SMG4')).toEqual([]);
    expect(report.violations.map((v: any) => v.ruleName)).toEqual(['AwsSolutions-SMG4']);
  });
});
