// AWS's rules, which `ai-stack check` runs without aws-cdk-lib: each is held against what synth does.
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Template } from 'aws-cdk-lib/assertions';
import { AiStack } from '../../lib/aws/ai-stack';
import { GpuEndpoint, type GpuEndpointProps } from '../../lib/aws/gpu-endpoint';
import { CLOUDFORMATION_RESOURCE_LIMIT, stackResourceCount } from '../../lib/aws/rules';
import { collectProblems, type GpuEndpointDesign } from '../../lib/design';
import { bareDesign } from '../fixtures/designs';
import { designErrorOf } from '../support/design-error';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const endpoint = (name: string, extra: Partial<GpuEndpointDesign> = {}): GpuEndpointDesign => ({
  name,
  accelerator: 'nvidia-l4',
  server: { image: 'vllm/vllm-openai:v0.6.3', model: 'meta-llama/Llama-3.1-8B-Instruct' },
  capacity: { min: 1, max: 4 },
  ...extra,
});

const designOf = (endpoints: GpuEndpointDesign[], vectorStore?: { name: string }) => ({ ...bareDesign(), region: { aws: 'us-east-1' }, endpoints, vectorStore });

function resourceCount(endpoints: GpuEndpointDesign[], vectorStore?: { name: string }): number {
  const stack = new AiStack(new App(), 'Count', { design: designOf(endpoints, vectorStore) });
  return Object.keys(Template.fromStack(stack).toJSON().Resources).length;
}

describe('the CloudFormation resource count that validation predicts', () => {
  test.each([
    ['plain', endpoint('a')],
    ['one reserved replica', endpoint('a', { purchase: { reserved: 1 } })],
    ['reservations in both zones', endpoint('a', { capacity: { min: 3, max: 6 }, purchase: { reserved: 3 } })],
    ['an off-peak window', endpoint('a', { scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 1 } } })],
    ['an ECR image', endpoint('a', { server: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:1', model: 'm' } })],
  ])('equals what synth makes: %s', (_label, e) => {
    expect(stackResourceCount(designOf([e]))).toBe(resourceCount([e]));
  });

  test('adds up over endpoints', () => {
    const es = [endpoint('a', { purchase: { reserved: 2 } }), endpoint('b'), endpoint('c', { scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 1 } } })];
    expect(stackResourceCount(designOf(es))).toBe(resourceCount(es));
  });

  test('a vector store alone, and beside endpoints', () => {
    expect(stackResourceCount(designOf([], { name: 'docs' }))).toBe(resourceCount([], { name: 'docs' }));
    expect(stackResourceCount(designOf([endpoint('a')], { name: 'docs' }))).toBe(resourceCount([endpoint('a')], { name: 'docs' }));
  });

  test('a design over 500 resources is refused by check, naming how many fit', () => {
    const endpoints = Array.from({ length: 30 }, (_, i) => endpoint(`e${i}`));
    const problems = collectProblems({ ...bareDesign(), endpoints }, { clouds: ['aws'] }).all;
    const total = stackResourceCount(designOf(endpoints));
    expect(total).toBeGreaterThan(CLOUDFORMATION_RESOURCE_LIMIT);
    expect(problems).toEqual([
      { path: 'endpoints', message: expect.stringContaining(`30 endpoints make ${total} CloudFormation resources on AWS with the rest of the design, over the 500 one stack may hold (the first 29 fit)`) },
    ]);
    // The largest design check accepts stays within the limit (the count is the one checked against synth above).
    expect(collectProblems({ ...bareDesign(), endpoints: endpoints.slice(0, 29) }, { clouds: ['aws'] }).count).toBe(0);
    expect(stackResourceCount(designOf(endpoints.slice(0, 29)))).toBeLessThanOrEqual(CLOUDFORMATION_RESOURCE_LIMIT);
  });

  test('a design that builds nothing on AWS is refused (CloudFormation refuses an empty template), on AWS only', () => {
    const design = bareDesign();
    expect(collectProblems(design, { clouds: ['aws'] }).all).toEqual([
      { path: 'endpoints', message: expect.stringMatching(/^the design builds no resource on AWS, and CloudFormation refuses an empty stack: there are no endpoints/) },
    ]);
    expect(collectProblems(design, { clouds: ['gcp', 'azure'] }).count).toBe(0);
    // A budget alone builds the AWS budget, so the stack is not empty.
    expect(collectProblems({ ...design, budget: { monthlyLimitUsd: 100, notifyEmails: ['ops@example.com'] } }, { clouds: ['aws'] }).count).toBe(0);
  });
});

describe('GpuEndpoint props are one shape', () => {
  test('a misspelled prop is refused with a "did you mean", not ignored', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
    const props = { ...endpoint('llm'), purchse: { reserved: 1 } } as unknown as GpuEndpointProps;
    const error = designErrorOf(() => new GpuEndpoint(stack, 'Llm', props));
    expect(error.problems).toEqual([{ path: 'props.purchse', message: expect.stringMatching(/^unknown key \(did you mean 'purchase'\?\)/) }]);
    expect(error.message).toContain('the props of S/Llm');
  });

  test('a construct prop of the wrong kind is named with what it takes', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
    const error = designErrorOf(() => new GpuEndpoint(stack, 'Llm', { ...endpoint('llm'), vpc: 'vpc-123' } as unknown as GpuEndpointProps));
    expect(error.problems).toEqual([{ path: 'props.vpc', message: expect.stringContaining('must be an ec2.IVpc') }]);
  });
});

describe('the VPC an endpoint or AiStack creates', () => {
  test('its public subnets (NAT gateway only) give nothing launched there a public address', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
    new GpuEndpoint(stack, 'Llm', endpoint('llm'));
    const subnets = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')) as { Properties: { MapPublicIpOnLaunch?: boolean } }[];
    expect(subnets).toHaveLength(4);
    for (const s of subnets) expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
  });
});

describe('a customer-managed key for the server logs', () => {
  test("encrypts the log group, and the key lets only CloudWatch Logs of the stack's account and region use it", () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1' } });
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    const built = new GpuEndpoint(stack, 'Llm', { ...endpoint('llm'), logEncryptionKey: key });
    const template = Template.fromStack(stack);
    const keyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const statements = (Object.values(template.findResources('AWS::KMS::Key'))[0] as any).Properties.KeyPolicy.Statement as any[];
    const logs = statements.find((st) => st.Principal?.Service === 'logs.us-east-1.amazonaws.com');
    expect(JSON.stringify(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(':logs:us-east-1:');
    expect(JSON.stringify(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(':log-group:*');
    expect(built.logGroup).toBeDefined();
  });
});

describe('dynamic references in the server values', () => {
  test('are refused: CloudFormation would resolve a secret into the user data in plain text', () => {
    const e = endpoint('llm', { server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', env: { HF_TOKEN: '{{resolve:secretsmanager:hf-token}}' } } });
    expect(collectProblems({ ...bareDesign(), endpoints: [e] }, { clouds: ['aws'] }).all).toEqual([
      { path: 'endpoints[0].server.env.HF_TOKEN', message: expect.stringContaining('must not hold a CloudFormation dynamic reference') },
    ]);
    expect(collectProblems({ ...bareDesign(), endpoints: [e] }, { clouds: ['gcp'] }).count).toBe(0);
  });
});

test('"${" in a server value is refused on AWS, where CloudFormation reads it as a parameter in the user data', () => {
  const e = endpoint('llm', { server: { image: 'vllm/vllm-openai:v0.6.3', model: 'm', args: ['--max-model-len${AWS::Region}'] } });
  expect(collectProblems({ ...bareDesign(), endpoints: [e] }, { clouds: ['aws'] }).all).toEqual([
    { path: 'endpoints[0].server.args[0]', message: expect.stringContaining("must not contain '${' on AWS") },
  ]);
});

test('a list token\'s marker inside a string is refused everywhere (CDK and cdktf fail on it at synth)', () => {
  const e = endpoint('llm', { server: { image: 'vllm/vllm-openai:v0.6.3', model: '0.92#{Token[X]}' } });
  expect(collectProblems({ ...bareDesign(), endpoints: [e] }, { clouds: ['gcp'] }).all).toEqual([
    { path: 'endpoints[0].server.model', message: expect.stringContaining('holds an encoded list token where one string belongs') },
  ]);
});
