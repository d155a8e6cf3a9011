import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GpuEndpoint, type GpuEndpointProps } from '../../lib/aws/gpu-endpoint';
import { Accelerator } from '../../lib/design';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

// cdk-nag 3 is a policy-validation plugin (Validations.of(app).addPlugins), not an Aspect, and reads
// acknowledgements recorded with Validations.of(construct).acknowledge({ id, reason }).

const props: GpuEndpointProps = {
  name: 'llm',
  accelerator: Accelerator.NVIDIA_L4,
  server: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
  capacity: { min: 2, max: 8 },
  purchase: { reserved: 2, onDemandBase: 1 },
  scaling: { offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 2 } },
};

function checked(build: (stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'S', { env: { account: '123456789012', region: 'us-east-1' } });
  build(stack);
  app.synth();
  return { stack, report: new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack) };
}

/** Acknowledgements (rule id → reason) recorded anywhere under `stack`. */
function acknowledgements(stack: Stack): Array<{ path: string; id: string; reason: string }> {
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

describe('GpuEndpoint under cdk-nag AwsSolutions', () => {
  test('default VPC, ECR image: no unacknowledged finding', () => {
    const { stack, report } = checked((s) => new GpuEndpoint(s, 'Llm', props));
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
  });

  test('existing VPC, public image, secrets, granted caller: no unacknowledged finding', () => {
    const { report } = checked((s) => {
      const vpc = new ec2.Vpc(s, 'Shared', { flowLogs: { all: {} } });
      const caller = new ec2.SecurityGroup(s, 'Caller', { vpc, description: 'router' });
      const hf = new secretsmanager.Secret(s, 'HfToken');
      Validations.of(hf).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'Test fixture: a Hugging Face token cannot be rotated by Secrets Manager.' });
      const e = new GpuEndpoint(s, 'Llm', { ...props, vpc, server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' }, serverSecrets: { HF_TOKEN: hf } });
      e.grantInvoke(caller);
    });
    expect(report.violations).toEqual([]);
  });

  test('every acknowledgement inside the construct names a specific finding and gives a specific reason', () => {
    const { stack } = checked((s) => new GpuEndpoint(s, 'Llm', props));
    // aws-cdk-lib records an acknowledged id under its 'Annotation::' namespace; its own constructs
    // acknowledge CloudFormation-Validate findings, which are not ours.
    const acks = acknowledgements(stack)
      .filter((a) => a.path.startsWith('S/Llm') && a.id.includes('AwsSolutions-'))
      .map((a) => ({ ...a, id: a.id.replace(/^Annotation::/, '') }));
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      'S/Llm/AccessLogs AwsSolutions-S1',
      'S/Llm/AutoScalingGroup AwsSolutions-EC26',
      'S/Llm/InstanceRole AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'S/Llm/InstanceRole AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]',
      'S/Llm/InstanceRole AwsSolutions-IAM5[Resource::*]',
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(60);
  });

  test('the wildcard-resource acknowledgement is only made when an ECR image needs it', () => {
    const { stack } = checked((s) => new GpuEndpoint(s, 'Llm', { ...props, server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm' } }));
    expect(acknowledgements(stack).map((a) => a.id)).not.toContainEqual(expect.stringContaining('IAM5'));
  });
});
