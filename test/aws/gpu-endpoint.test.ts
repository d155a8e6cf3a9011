import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from '@swc/core';
import { App, CfnParameter, Annotations as CoreAnnotations, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DEFAULT_GPU_AMI_PARAMETER, GPU_METRICS_NAMESPACE, GpuEndpoint, type GpuEndpointProps } from '../../lib/aws/gpu-endpoint';
import { splitAcrossZones } from '../../lib/aws/gpu-endpoint/reservations';
import { shellQuote } from '../../lib/aws/gpu-endpoint/user-data';
import { Accelerator, DesignError, estimateMonthlyCost, HOURS_PER_MONTH, type AiStackDesign } from '../../lib/design';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

const ENV = { account: '123456789012', region: 'us-east-1' };

function baseProps(overrides: Partial<GpuEndpointProps> = {}): GpuEndpointProps {
  return {
    name: 'llm',
    accelerator: Accelerator.NVIDIA_L4,
    server: {
      image: 'vllm/vllm-openai:v0.6.3',
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      args: ['--max-model-len', '8192'],
      env: { VLLM_LOGGING_LEVEL: 'INFO' },
    },
    capacity: { min: 2, max: 8 },
    purchase: { reserved: 2, onDemandBase: 1, spotPercentAboveBase: 70 },
    scaling: { targetGpuUtilization: 60 },
    ...overrides,
  };
}

/** A stack in strict template-validation mode (CloudFormation rule findings are synth errors). */
function newStack(): Stack {
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  return new Stack(app, 'S', { env: ENV });
}

function synth(props: GpuEndpointProps = baseProps(), configure?: (stack: Stack, e: GpuEndpoint) => void) {
  const stack = newStack();
  const endpoint = new GpuEndpoint(stack, 'Llm', props);
  configure?.(stack, endpoint);
  return { stack, endpoint, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): { Properties: Record<string, any> } {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, any> };
}

/** The launch template's user data as one string; CloudFormation references shown as `<{...}>`. */
function userDataOf(template: Template): string {
  const ud = only(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData.UserData['Fn::Base64'];
  if (typeof ud === 'string') return ud;
  return (ud['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p)}>`)).join('');
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}

describe('GpuEndpoint: purchase mix', () => {
  test('MixedInstancesPolicy carries the fleet plan: base, spot share, strategies, instance types cheapest first', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2',
      MaxSize: '8',
      CapacityRebalance: true,
      MixedInstancesPolicy: {
        InstancesDistribution: {
          OnDemandBaseCapacity: 3, // reserved 2 + onDemandBase 1
          OnDemandPercentageAboveBaseCapacity: 30, // 100 - 70% spot
          OnDemandAllocationStrategy: 'prioritized',
          SpotAllocationStrategy: 'price-capacity-optimized',
        },
        LaunchTemplate: {
          Overrides: [
            { InstanceType: 'g6.xlarge' },
            { InstanceType: 'g6.2xlarge' },
            { InstanceType: 'g6.4xlarge' },
            { InstanceType: 'g6.8xlarge' },
            { InstanceType: 'g6.16xlarge' },
          ],
        },
      },
    });
  });

  test('instanceTypes override the plan\'s types, in the given priority order, and warn that the estimate prices another type', () => {
    const { template, stack } = synth(baseProps({ instanceTypes: [new ec2.InstanceType('g6.2xlarge'), new ec2.InstanceType('g6.4xlarge')] }));
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MixedInstancesPolicy: { LaunchTemplate: { Overrides: [{ InstanceType: 'g6.2xlarge' }, { InstanceType: 'g6.4xlarge' }] } },
    });
    template.hasResourceProperties('AWS::EC2::CapacityReservation', { InstanceType: 'g6.2xlarge' });
    Annotations.fromStack(stack).hasWarning('/S/Llm', Match.stringLikeRegexp('the cost estimate prices g6.xlarge'));
  });

  // Expected values computed by hand from the catalog (lib/design/catalog/accelerators.ts) and the
  // rule in docs/design.md: reserved first, then onDemandBase, then of the replicas above that base
  // spotPercentAboveBase percent on spot with the on-demand share rounded up, as EC2 Auto Scaling does.
  test.each([
    [
      'L4 x1, reserved + base + spot',
      baseProps(),
      // base 2 + 1 = 3; at max 8: 5 above the base, on-demand ⌈5 × 30%⌉ = ⌈1.5⌉ = 2 → 2 reserved, 1 + 2 on-demand, 3 spot
      { min: 2, max: 8, base: 3, onDemandAbove: 30, types: ['g6.xlarge', 'g6.2xlarge', 'g6.4xlarge', 'g6.8xlarge', 'g6.16xlarge'], reserved: 2, atMax: { reserved: 2, onDemand: 3, spot: 3 } },
    ],
    [
      'A10G x4, no reservation, all spot above a base of 1',
      baseProps({ accelerator: 'nvidia-a10g', acceleratorsPerReplica: 4, capacity: { min: 1, max: 5 }, purchase: { onDemandBase: 1, spotPercentAboveBase: 100 } }),
      // base 1; at max 5: 4 above the base, all spot
      { min: 1, max: 5, base: 1, onDemandAbove: 0, types: ['g5.12xlarge', 'g5.24xlarge'], reserved: 0, atMax: { reserved: 0, onDemand: 1, spot: 4 } },
    ],
    [
      'L40S x1, defaults (70% spot)',
      baseProps({ accelerator: Accelerator.NVIDIA_L40S, purchase: undefined, scaling: undefined, capacity: { min: 1, max: 3 } }),
      // base 0; at max 3: on-demand ⌈3 × 30%⌉ = ⌈0.9⌉ = 1, spot 2
      { min: 1, max: 3, base: 0, onDemandAbove: 30, types: ['g6e.xlarge', 'g6e.2xlarge', 'g6e.4xlarge', 'g6e.8xlarge'], reserved: 0, atMax: { reserved: 0, onDemand: 1, spot: 2 } },
    ],
    [
      'H100 x8, all reserved, no spot',
      baseProps({ accelerator: Accelerator.NVIDIA_H100, acceleratorsPerReplica: 8, capacity: { min: 3, max: 3 }, purchase: { reserved: 3, spotPercentAboveBase: 0 }, scaling: undefined }),
      // base 3 = max: everything on the reservation
      { min: 3, max: 3, base: 3, onDemandAbove: 100, types: ['p5.48xlarge'], reserved: 3, atMax: { reserved: 3, onDemand: 0, spot: 0 } },
    ],
  ])('estimate and resources agree: %s', (_label, props, expected) => {
    const { template, endpoint } = synth(props);

    const asg = only(template, 'AWS::AutoScaling::AutoScalingGroup').Properties;
    const dist = asg.MixedInstancesPolicy.InstancesDistribution;
    expect(dist.OnDemandBaseCapacity).toBe(expected.base);
    expect(dist.OnDemandPercentageAboveBaseCapacity).toBe(expected.onDemandAbove);
    expect(Number(asg.MinSize)).toBe(expected.min);
    expect(Number(asg.MaxSize)).toBe(expected.max);
    expect(asg.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o: { InstanceType: string }) => o.InstanceType)).toEqual(expected.types);

    const reservations = Object.values(template.findResources('AWS::EC2::CapacityReservation')).map((r) => r.Properties);
    expect(reservations.reduce((n, r) => n + r.InstanceCount, 0)).toBe(expected.reserved);
    for (const r of reservations) expect(r.InstanceType).toBe(expected.types[0]);

    // What EC2 Auto Scaling does with the synthesized numbers at max size is the hand-computed mix...
    const onDemandAtMax = Math.min(expected.max, dist.OnDemandBaseCapacity) + Math.ceil((Math.max(expected.max - dist.OnDemandBaseCapacity, 0) * dist.OnDemandPercentageAboveBaseCapacity) / 100);
    expect(onDemandAtMax).toBe(expected.atMax.reserved + expected.atMax.onDemand);
    expect(Number(asg.MaxSize) - onDemandAtMax).toBe(expected.atMax.spot);
    // ...and the plan the estimate prices says the same.
    expect(endpoint.plan.atMax).toEqual(expected.atMax);
    expect(endpoint.plan.instanceTypes[0].type).toBe(expected.types[0]);
  });
});

describe('GpuEndpoint: capacity reservation', () => {
  test('targeted, unlimited reservations of the primary type split over the group\'s zones; the group consumes them first', () => {
    const { template, endpoint } = synth();
    const zones = endpoint.vpc.privateSubnets.map((s) => s.availabilityZone);
    expect(endpoint.capacityReservations).toHaveLength(2);
    for (const [i, zone] of zones.entries()) {
      template.hasResourceProperties('AWS::EC2::CapacityReservation', {
        AvailabilityZone: zone,
        InstanceCount: 1,
        InstanceType: 'g6.xlarge',
        InstancePlatform: 'Linux/UNIX',
        InstanceMatchCriteria: 'targeted',
        EndDateType: 'unlimited',
        TagSpecifications: [{ ResourceType: 'capacity-reservation', Tags: Match.arrayWith([{ Key: 'Name', Value: `s-llm-reserved-${i + 1}` }, { Key: 'ai-stack:endpoint', Value: 'llm' }]) }],
      });
    }
    const refs = Object.keys(template.findResources('AWS::EC2::CapacityReservation')).map((id) => ({ Ref: id }));
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      CapacityReservationSpecification: {
        CapacityReservationPreference: 'capacity-reservations-first',
        CapacityReservationTarget: { CapacityReservationIds: Match.arrayEquals(refs) },
      },
    });
  });

  test('an odd reservation puts the extra replica in the first private subnet\'s zone', () => {
    const { template, endpoint } = synth(baseProps({ purchase: { reserved: 3, onDemandBase: 0 } }));
    const [first, second] = endpoint.vpc.privateSubnets.map((s) => s.availabilityZone);
    template.hasResourceProperties('AWS::EC2::CapacityReservation', { AvailabilityZone: first, InstanceCount: 2 });
    template.hasResourceProperties('AWS::EC2::CapacityReservation', { AvailabilityZone: second, InstanceCount: 1 });
  });

  test('no reservation and no reservation preference without purchase.reserved', () => {
    const { template, endpoint } = synth(baseProps({ purchase: { onDemandBase: 1 } }));
    template.resourceCountIs('AWS::EC2::CapacityReservation', 0);
    expect(endpoint.capacityReservations).toEqual([]);
    expect(only(template, 'AWS::AutoScaling::AutoScalingGroup').Properties.CapacityReservationSpecification).toBeUndefined();
  });

  test('splitAcrossZones balances like EC2 Auto Scaling', () => {
    expect(splitAcrossZones(5, ['a', 'b'])).toEqual([{ zone: 'a', count: 3 }, { zone: 'b', count: 2 }]);
    expect(splitAcrossZones(1, ['a', 'b', 'c'])).toEqual([{ zone: 'a', count: 1 }]);
    expect(splitAcrossZones(0, ['a'])).toEqual([]);
  });
});

describe('GpuEndpoint: instances', () => {
  test('launch template: IMDSv2 only with one hop, encrypted gp3 root volume of rootVolumeGiB, no public IP, GPU AMI from SSM', () => {
    const { template } = synth(baseProps({ rootVolumeGiB: 300 }));
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: {
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 300, VolumeType: 'gp3', DeleteOnTermination: true } }],
        NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false }],
      },
    });
    template.hasParameter('*', { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', Default: DEFAULT_GPU_AMI_PARAMETER });
  });

  test('a given machine image replaces the SSM default', () => {
    const { template } = synth(baseProps({ machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }) }));
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { ImageId: 'ami-0123456789abcdef0' } });
    expect(JSON.stringify(template.toJSON().Parameters ?? {})).not.toContain('deeplearning');
  });

  test('instance role: only the SSM and CloudWatch agent managed policies, and no inline policy for a public image', () => {
    const { template } = synth();
    const roles = Object.values(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] } } }));
    expect(roles).toHaveLength(1);
    const role = roles[0].Properties;
    const names = role.ManagedPolicyArns.map((a: { 'Fn::Join': [string, unknown[]] }) => String(a['Fn::Join'][1].slice(-1)[0]));
    expect(names).toEqual([':iam::aws:policy/AmazonSSMManagedInstanceCore', ':iam::aws:policy/CloudWatchAgentServerPolicy']);
    template.resourceCountIs('AWS::IAM::Policy', 1); // the VPC flow log role's, not the instance role's
    template.hasResourceProperties('AWS::IAM::Policy', { Roles: [{ Ref: Match.stringLikeRegexp('VpcallIAMRole') }] });
  });

  test('an ECR image grants pull on that repository only, and the boot script logs in to its registry', () => {
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/vllm:v0.6.3';
    const { template } = synth(baseProps({ server: { ...baseProps().server, image } }));
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('LlmInstanceRole') }],
      PolicyDocument: {
        Statement: [
          { Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Effect: 'Allow', Resource: 'arn:aws:ecr:us-east-1:123456789012:repository/team/vllm' },
          { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
        ],
      },
    });
    expect(userDataOf(template)).toMatch(/aws ecr get-login-password --region 'us-east-1' \| docker login --username AWS --password-stdin '<.*Fn::Split.*>'/);
  });

  test('imageRepository grants pull on a repository given by reference', () => {
    expect(userDataOf(synth().template)).not.toContain('docker login'); // a public image needs no login
    const stack = newStack();
    const repo = new ecr.Repository(stack, 'Repo');
    new GpuEndpoint(stack, 'Llm', baseProps({ imageRepository: repo, server: { image: repo.repositoryUriForTag('v1'), model: 'm' } }));
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['ecr:BatchGetImage']), Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Repo'), 'Arn'] } })]) },
    });
    expect(userDataOf(t)).toContain('docker login');
  });

  test('no IAM statement anywhere grants a wildcard action', () => {
    const { template } = synth(baseProps({ server: { ...baseProps().server, image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/vllm:v1' } }));
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement) {
        for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
      }
    }
  });

  test('serverSecrets: read access to each secret, fetched at boot into a root-only env file', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Hf', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:hf-token-AbCdEf');
    new GpuEndpoint(stack, 'Llm', baseProps({ serverSecrets: { HF_TOKEN: secret } }));
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Effect: 'Allow', Resource: secret.secretArn }] },
    });
    const ud = userDataOf(t);
    expect(ud).toContain(`--secret-id '${secret.secretArn}'`);
    expect(ud).toContain("printf '%s=%s\\n' 'HF_TOKEN'");
    expect(ud).toContain('--env-file /run/ai-stack/server.env');
    expect(ud).not.toMatch(/-e 'HF_TOKEN=/);
  });
});

describe('GpuEndpoint: boot script', () => {
  test('runs the server container with GPUs, port mapping, restart policy, model, args and env', () => {
    const ud = userDataOf(synth().template);
    expect(ud).toContain('docker run -d');
    expect(ud).toContain('--gpus all');
    expect(ud).toContain('--restart unless-stopped');
    expect(ud).toContain('-p 8000:8000');
    expect(ud).toContain("-e 'VLLM_LOGGING_LEVEL=INFO'");
    expect(ud).toContain("'vllm/vllm-openai:v0.6.3' \\\n  '--model' \\\n  'meta-llama/Llama-3.1-8B-Instruct' \\\n  '--port' \\\n  '8000' \\\n  '--max-model-len' \\\n  '8192'");
    expect(ud).toContain("--shm-size 4g");
    expect(ud).toContain('-v /opt/ai-stack/cache:/root/.cache/huggingface');
    expect(ud).toMatch(/docker pull 'vllm\/vllm-openai:v0\.6\.3'/);
    expect(ud).toMatch(/--log-driver awslogs[\s\S]*awslogs-group='<\{"Ref":"LlmServerLogs/);
  });

  test('a custom port is mapped and health-checked', () => {
    const { template } = synth(baseProps({ server: { ...baseProps().server, port: 9000, healthPath: '/ready' } }));
    expect(userDataOf(template)).toContain('-p 9000:9000');
    expect(userDataOf(template)).toContain("'--port' \\\n  '9000'");
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 9000, HealthCheckPath: '/ready', HealthCheckPort: 'traffic-port' });
  });

  test('installs the CloudWatch agent with NVIDIA GPU metrics per Auto Scaling group', () => {
    const ud = userDataOf(synth().template);
    const json = /<<'AI_STACK_EOF'\n([\s\S]*?)\nAI_STACK_EOF/.exec(ud)?.[1];
    const config = JSON.parse(json ?? 'null');
    expect(config.metrics.namespace).toBe(GPU_METRICS_NAMESPACE);
    expect(config.metrics.append_dimensions).toEqual({ AutoScalingGroupName: '${aws:AutoScalingGroupName}' });
    expect(config.metrics.aggregation_dimensions).toEqual([['AutoScalingGroupName']]);
    expect(config.metrics.metrics_collected.nvidia_gpu.measurement).toEqual(expect.arrayContaining(['utilization_gpu', 'memory_used']));
    expect(ud).toContain('amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s');
  });

  test('every instance metadata call carries an IMDSv2 session token', () => {
    const ud = userDataOf(synth().template);
    const calls = ud.split('\n').filter((l) => l.includes('169.254.169.254'));
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]).toContain("-X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300'");
    for (const call of calls.slice(1)) expect(call).toContain('X-aws-ec2-metadata-token: ${IMDS_TOKEN}');
  });

  test('shellQuote survives quotes and shell metacharacters', () => {
    expect(shellQuote("it's $HOME; rm -rf /")).toBe(`'it'\\''s $HOME; rm -rf /'`);
  });
});

describe('GpuEndpoint: load balancer and network', () => {
  test('internal ALB in private subnets, invalid headers dropped, access logs to an encrypted TLS-only bucket', () => {
    const { template, endpoint } = synth();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Subnets: endpoint.vpc.privateSubnets.map((s) => ({ Ref: Match.stringLikeRegexp(Stack.of(s).getLogicalId(s.node.defaultChild as ec2.CfnSubnet)) })),
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('HTTP listener on port 80 forwarding to the server port; target group drains for drainSeconds', () => {
    const { template, endpoint, stack } = synth(baseProps({ drainSeconds: 90 }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8000,
      Protocol: 'HTTP',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([
        { Key: 'deregistration_delay.timeout_seconds', Value: '90' },
        { Key: 'load_balancing.algorithm.type', Value: 'least_outstanding_requests' },
      ]),
    });
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 90 });
    expect(JSON.stringify(stack.resolve(endpoint.url))).toMatch(/^\{"Fn::Join":\["",\["http:\/\/",\{"Fn::GetAtt":\["LlmLoadBalancer[0-9A-F]+","DNSName"\]\}\]\]\}$/);
  });

  test('instances admit the server port from the load balancer only and reach out on 443 only', () => {
    const { template } = synth();
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 8000,
        ToPort: 8000,
        GroupId: { 'Fn::GetAtt': [expect.stringMatching(/^LlmInstanceSecurityGroup/), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^LlmLoadBalancerSecurityGroup/), 'GroupId'] },
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('replicas'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
    // The load balancer admits nobody by default.
    const lbSg = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('internal load balancer') } }));
    expect(lbSg).toHaveLength(1);
    expect(lbSg[0].Properties.SecurityGroupIngress).toBeUndefined();
  });

  test('grantInvoke opens the listener port to a peer; allowFromVpc to the VPC CIDR', () => {
    const { template } = synth(baseProps({ allowFromVpc: true }), (stack, e) => {
      e.grantInvoke(ec2.SecurityGroup.fromSecurityGroupId(stack, 'Caller', 'sg-0123456789abcdef0'));
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 80, ToPort: 80, SourceSecurityGroupId: 'sg-0123456789abcdef0' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('internal load balancer'),
      SecurityGroupIngress: [{ CidrIp: { 'Fn::GetAtt': [Match.stringLikeRegexp('LlmVpc'), 'CidrBlock'] }, FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: 'the VPC CIDR' }],
    });
  });

  test('an existing VPC is used instead of a new one', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Shared', { maxAzs: 3 });
    const e = new GpuEndpoint(stack, 'Llm', baseProps({ vpc }));
    const t = Template.fromStack(stack);
    expect(e.vpc).toBe(vpc);
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::EC2::FlowLog', 0); // flow logs are the VPC owner's business
    const subnetRefs = vpc.privateSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as ec2.CfnSubnet) }));
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { VPCZoneIdentifier: subnetRefs });
    t.resourceCountIs('AWS::EC2::CapacityReservation', 2); // 2 reserved over 3 zones: the first two get one each
  });

  test('the default VPC: two zones, one NAT gateway, flow logs, S3 gateway endpoint', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });
});

describe('GpuEndpoint: scaling, draining, notifications', () => {
  test('Auto Scaling group: ELB health checks with a model-load grace period, private subnets', () => {
    const { template, endpoint } = synth(baseProps({ startupGraceSeconds: 1200 }));
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      HealthCheckType: 'ELB',
      HealthCheckGracePeriod: 1200,
      DefaultInstanceWarmup: 1200,
      VPCZoneIdentifier: endpoint.vpc.privateSubnets.map((s) => ({ Ref: Stack.of(s).getLogicalId(s.node.defaultChild as ec2.CfnSubnet) })),
    });
  });

  test('target tracking on the fleet\'s average GPU utilization', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        TargetValue: 60,
        CustomizedMetricSpecification: {
          Namespace: 'AiStack/GpuEndpoint',
          MetricName: 'nvidia_smi_utilization_gpu',
          Statistic: 'Average',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: Match.stringLikeRegexp('LlmAutoScalingGroupASG') } }],
        },
      },
    });
  });

  test('off-peak schedule: lower floor at start, the normal minimum back at end, in the given time zone', () => {
    const { template } = synth(
      baseProps({
        purchase: { reserved: 1, onDemandBase: 1, spotPercentAboveBase: 70 },
        scaling: { targetGpuUtilization: 60, offPeak: { start: '0 20 * * 1-5', end: '0 7 * * 1-5', min: 1, timeZone: 'Europe/Berlin' } },
      }),
    );
    template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 2);
    template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { Recurrence: '0 20 * * 1-5', TimeZone: 'Europe/Berlin', MinSize: 1 });
    template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { Recurrence: '0 7 * * 1-5', TimeZone: 'Europe/Berlin', MinSize: 2 });
  });

  test('no schedule without scaling.offPeak; time zone defaults to UTC', () => {
    synth(baseProps({ scaling: undefined })).template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 0);
    const { template } = synth(baseProps({ purchase: { spotPercentAboveBase: 70 }, scaling: { offPeak: { start: '0 22 * * *', end: '0 6 * * *', min: 0 } } }));
    template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { Recurrence: '0 22 * * *', TimeZone: 'UTC', MinSize: 0 });
  });

  test('termination lifecycle hook holds a leaving replica while it drains', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 120,
      DefaultResult: 'CONTINUE',
    });
  });

  test('launch, terminate and error notifications to an encrypted topic', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':kms:us-east-1:123456789012:alias/aws/sns'])] }) });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [
        {
          TopicARN: { Ref: Match.stringLikeRegexp('LlmNotifications') },
          NotificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH', 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR'],
        },
      ],
    });
  });

  test('metricGpuUtilization: the scaling metric, overridable', () => {
    const { endpoint, stack } = synth();
    const m = endpoint.metricGpuUtilization({ period: Duration.minutes(5) });
    expect(m.namespace).toBe(GPU_METRICS_NAMESPACE);
    expect(m.metricName).toBe('nvidia_smi_utilization_gpu');
    expect(m.period.toMinutes()).toBe(5);
    expect(stack.resolve(m.dimensions)).toEqual({ AutoScalingGroupName: { Ref: expect.stringMatching(/^LlmAutoScalingGroupASG/) } });
  });
});

describe('GpuEndpoint: warnings', () => {
  test('one instance type with spot in use', () => {
    const { stack } = synth(baseProps({ accelerator: Accelerator.NVIDIA_H100, capacity: { min: 1, max: 4 }, purchase: { spotPercentAboveBase: 50 } }));
    Annotations.fromStack(stack).hasWarning('/S/Llm', Match.stringLikeRegexp('has one instance type \\(p5.4xlarge\\)'));
  });

  test('a fleet that can reach zero replicas', () => {
    const { stack } = synth(baseProps({ purchase: { spotPercentAboveBase: 70 }, scaling: { offPeak: { start: '0 22 * * *', end: '0 6 * * *', min: 0 } } }));
    Annotations.fromStack(stack).hasWarning('/S/Llm', Match.stringLikeRegexp('shrink to zero replicas'));
  });

  test('acknowledgeable by id', () => {
    const { stack } = synth(baseProps({ capacity: { min: 0, max: 2 }, purchase: { reserved: 0 }, scaling: undefined }), (_s, e) => {
      CoreAnnotations.of(e).acknowledgeWarning('ai-stack:gpu-endpoint-scale-from-zero', 'dev fleet, scaled by hand');
      CoreAnnotations.of(e).acknowledgeWarning('ai-stack:gpu-endpoint-own-vpc', 'a sandbox account with one endpoint');
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('none for the base design in the stack\'s own VPC', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    new GpuEndpoint(stack, 'Llm', baseProps({ vpc }));
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('an endpoint given no vpc says it builds its own; a second one in the stack adds one stack warning with the fix', () => {
    const stack = newStack();
    new GpuEndpoint(stack, 'Llm', baseProps());
    const annotations = () => Annotations.fromStack(stack);
    annotations().hasWarning('/S/Llm', Match.stringLikeRegexp('No vpc was given, so this endpoint creates its own VPC'));
    expect(annotations().findWarning('/S', Match.anyValue())).toEqual([]);
    new GpuEndpoint(stack, 'Small', baseProps({ name: 'small' }));
    new GpuEndpoint(stack, 'Third', baseProps({ name: 'third' }));
    const stackWarnings = annotations().findWarning('/S', Match.stringLikeRegexp('S/Llm and S/Small .*each build a VPC'));
    expect(stackWarnings).toHaveLength(1);
  });
});

describe('GpuEndpoint: validation', () => {
  test('reserved above capacity.max names the path, the values and the rule', () => {
    const err = thrown(() => synth(baseProps({ capacity: { min: 1, max: 2 }, purchase: { reserved: 3 } })));
    expect(err).toBeInstanceOf(DesignError);
    expect(err.message).toMatch(/props\.purchase\.reserved: must be <= capacity\.max \(3 > 2\)/);
  });

  test('an accelerator count AWS does not offer names the path and the counts on offer', () => {
    const err = thrown(() => synth(baseProps({ accelerator: Accelerator.NVIDIA_A100_40GB, acceleratorsPerReplica: 1 })));
    expect(err).toBeInstanceOf(DesignError);
    expect(err.message).toMatch(/props\.acceleratorsPerReplica: nvidia-a100-40gb on aws comes 8 per instance, not 1/);
  });

  test('every problem is reported at once, AWS overrides included', () => {
    const err = thrown(() =>
      synth(
        baseProps({
          name: 'Bad_Name',
          server: { image: 'vllm/vllm-openai:latest', model: 'm', env: { '1BAD': 'x' } },
          instanceTypes: [],
          drainSeconds: 10,
          scaling: { targetGpuUtilization: 99 },
        }),
      ),
    ) as DesignError;
    expect(err.problems.map((p) => p.path)).toEqual([
      'props.name',
      'props.drainSeconds',
      'props.scaling.targetGpuUtilization',
      'props.server.image',
      'props.server.env.1BAD',
      'props.instanceTypes',
    ]);
    expect(err.message).toContain("got '1BAD'");
    expect(err.message).toContain('drainSeconds: must be a whole number between 30 and 3600 seconds (got 10)');
  });

  test('a whole spot percentage (EC2 Auto Scaling takes a whole on-demand percentage), a real time zone', () => {
    const err = thrown(() =>
      synth(baseProps({ purchase: { spotPercentAboveBase: 33.3 }, scaling: { offPeak: { start: '0 20 * * *', end: '0 7 * * *', min: 1, timeZone: 'Mars/Olympus' } } })),
    );
    expect(err.message).toMatch(/props\.purchase\.spotPercentAboveBase: must be a whole number between 0 and 100 percent \(got 33\.3\)/);
    expect(err.message).toMatch(/props\.scaling\.offPeak\.timeZone: must be an IANA time zone.*got 'Mars\/Olympus'/);
  });

  test('a secret and a plain variable of the same name are rejected', () => {
    const stack = newStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'x');
    expect(() => new GpuEndpoint(stack, 'Llm', baseProps({ serverSecrets: { VLLM_LOGGING_LEVEL: secret } }))).toThrow(/props\.serverSecrets\.VLLM_LOGGING_LEVEL: is also set in server\.env/);
  });

  test('tokens are not validated as literals, except where the plan needs a number', () => {
    const stack = newStack();
    const max = new CfnParameter(stack, 'Max', { type: 'Number' }).valueAsNumber;
    expect(() => new GpuEndpoint(stack, 'A', baseProps({ capacity: { min: 1, max }, purchase: { reserved: 1 } }))).not.toThrow();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MaxSize: { Ref: 'Max' } });
    const reserved = new CfnParameter(stack, 'Reserved', { type: 'Number' }).valueAsNumber;
    expect(() => new GpuEndpoint(stack, 'B', baseProps({ purchase: { reserved } }))).toThrow(/props\.purchase\.reserved: must be a literal number/);
  });

  test('an environment-agnostic stack is refused with the fix', () => {
    const stack = new Stack(new App(), 'Agnostic');
    expect(() => new GpuEndpoint(stack, 'Llm', baseProps())).toThrow(/Agnostic\/Llm: .*give the stack a concrete env\.region/);
  });
});

describe('GpuEndpoint: construct hygiene', () => {
  test('synthesis is deterministic', () => {
    expect(synth().template.toJSON()).toEqual(synth().template.toJSON());
  });

  test('every resource is created inside the construct', () => {
    const { stack } = synth();
    const outside = stack.node
      .findAll()
      .filter((c) => c.node.defaultChild === undefined && (c as { cfnResourceType?: string }).cfnResourceType !== undefined)
      .map((c) => c.node.path)
      .filter((p) => !p.startsWith('S/Llm/'));
    expect(outside).toEqual([]);
  });
});

describe('docs/aws/gpu-endpoint.md', () => {
  test('the minimal example synthesizes as written', () => {
    const page = readFileSync(join(__dirname, '../../docs/aws/gpu-endpoint.md'), 'utf8');
    const block = /<!-- example:start -->\n```ts\n([\s\S]*?)```\n<!-- example:end -->/.exec(page)?.[1];
    expect(block).toBeDefined();
    const { code } = transformSync(block ?? '', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
    // The example's endpoint props, as it passes them, for the cost figures below.
    const given: GpuEndpointProps[] = [];
    class RecordingGpuEndpoint extends GpuEndpoint {
      constructor(scope: Stack, id: string, props: GpuEndpointProps) {
        super(scope, id, props);
        given.push(props);
      }
    }
    const packages: Record<string, unknown> = {
      'ai-stack-constructs': require('../../lib/design'),
      'ai-stack-constructs/aws': { ...require('../../lib/aws/gpu-endpoint'), GpuEndpoint: RecordingGpuEndpoint },
    };
    const exported: Record<string, any> = {};
    new Function('require', 'exports', code)((m: string) => packages[m] ?? require(m), exported);
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new exported.InferenceStack(app, 'Inference', { env: ENV });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '2',
      MaxSize: '8',
      MixedInstancesPolicy: { InstancesDistribution: { OnDemandBaseCapacity: 2, OnDemandPercentageAboveBaseCapacity: 30 } },
    });
    template.resourceCountIs('AWS::EC2::CapacityReservation', 1);
    // The cost section's figures come from this example's plan.
    expect(stack.llm.plan.expected).toEqual({ reserved: 1, onDemand: 2, spot: 1 });
    // The cost section's sentence, computed from the estimate of the example's endpoint: a changed
    // catalog price or purchase rule changes the figures, and the page must follow.
    expect(given).toHaveLength(1);
    const design: AiStackDesign = {
      name: 'docs-example',
      region: { aws: ENV.region },
      tags: { team: 't', costCenter: 'c', environment: 'e', application: 'a' },
      endpoints: [given[0]],
    };
    const estimate = estimateMonthlyCost(design, { clouds: ['aws'] }).clouds[0];
    const [fleet] = estimate.endpoints;
    const lines = estimate.lines.filter((l) => l.component === 'gpu-fleet');
    const usd = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;
    const { reserved, onDemand, spot } = fleet.replicas;
    expect(page).toContain(
      `(${fleet.instanceType}, ${ENV.region}, expected ${reserved + onDemand + spot} replicas → ${reserved} reserved, ${onDemand} on-demand, ${spot} spot):\n` +
        `${lines.map((l) => `${l.replicas} × ${l.hourlyUsd} × ${HOURS_PER_MONTH}`).join(' + ')} ≈ **${usd(fleet.monthlyUsd)}/month** against ${usd(fleet.allOnDemandMonthlyUsd)} all`,
    );
  });
});
