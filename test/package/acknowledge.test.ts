import { App, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GpuEndpoint } from '../../lib/aws';

/**
 * aws-cdk-lib releases before the '::'-aware validation ids (2.260 among them) refuse cdk-nag finding
 * ids such as `AwsSolutions-IAM4[Policy::arn:…]` in `Validations.acknowledge`. This replays that
 * refusal on the installed aws-cdk-lib; the packaging test proves the same on a real 2.260.
 */
function refuseDoubleColonIds(): jest.SpyInstance {
  const original = Validations.prototype.acknowledge;
  return jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    for (const rule of rules) {
      const parts = rule.id.split('::');
      if (parts.length > 2 || (parts.length === 2 && parts[0].length === 0)) {
        throw new Error(`«InvalidValidationId» Invalid validation rule ID '${rule.id}'. The '::' delimiter is reserved for separating the prefix from the rule name (e.g. 'prefix::RuleName').`);
      }
    }
    return original.apply(this, rules);
  });
}

function endpoint(): { app: App; endpoint: GpuEndpoint } {
  const app = new App();
  const stack = new Stack(app, 'Old', { env: { region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, flowLogs: { all: {} } });
  const e = new GpuEndpoint(stack, 'Llm', {
    vpc,
    name: 'llama-8b',
    accelerator: 'nvidia-l4',
    server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
    capacity: { min: 2, max: 10 },
    purchase: { reserved: 1, onDemandBase: 1, spotPercentAboveBase: 70 },
  });
  return { app, endpoint: e };
}

describe('GpuEndpoint acknowledgements on an aws-cdk-lib that reserves :: in validation ids', () => {
  afterEach(() => jest.restoreAllMocks());

  test('the construct builds, and cdk-nag still finds every inherent finding acknowledged', () => {
    const spy = refuseDoubleColonIds();
    const { app } = endpoint();
    expect(spy).toHaveBeenCalledWith(expect.objectContaining({ id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]' }));
    const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('the acknowledgement is recorded as the metadata entry cdk-nag reads, with its reason', () => {
    refuseDoubleColonIds();
    const { endpoint: e } = endpoint();
    const acknowledged = e.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => Object.keys(m.data as object)))
      .flat();
    expect(acknowledged).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]',
      ]),
    );
  });
});
