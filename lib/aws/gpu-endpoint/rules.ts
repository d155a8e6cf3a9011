// What `ai-stack check` must know of a GPU endpoint on AWS. Pure: no aws-cdk-lib, so the design's
// validation runs it without loading the construct library.
import { resolveGpuEndpoint, type GpuEndpointDesign } from '../../design/gpu-endpoint';
import { isToken, join, joinKey, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';

/** An ECR image URI: account, region, `.cn` for the China partition, repository. */
export const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([^:@]+)/;

/** Availability Zones of the VPC `AiStack` creates (and so the most capacity reservations an endpoint gets). */
export const STACK_VPC_ZONES = 2;

/**
 * CloudFormation resources one endpoint adds to an `AiStack` (launch template, group, hook, scaling
 * policy, load balancer, listener, target group, security groups and rules, role, policy, instance
 * profile, log group, topic and policy), plus a reservation per zone holding reserved replicas, two
 * scheduled actions for an off-peak window and the ECR pull policy. test/aws checks it against synth.
 */
export function endpointResourceCount(e: GpuEndpointDesign): number {
  const r = resolveGpuEndpoint(e, 'aws');
  const reservations = Math.min(r.purchase.reserved, STACK_VPC_ZONES);
  const offPeak = r.scaling.offPeak ? 2 : 0;
  const ecr = !isToken(r.server.image) && ECR_IMAGE.test(r.server.image) ? 1 : 0;
  return 16 + reservations + offPeak + ecr;
}

/** What the stack shares once its first endpoint exists: the VPC with its subnets, routes, NAT gateway, S3 endpoint and flow logs. */
export const STACK_NETWORK_RESOURCES = 26;

/** A CloudFormation dynamic reference (`{{resolve:ssm:…}}`, `{{resolve:secretsmanager:…}}`). */
const DYNAMIC_REFERENCE = /\{\{resolve:/;

/**
 * Rules AWS adds to the neutral endpoint rules. The server's values are written into the launch
 * template's user data, where CloudFormation replaces dynamic references at deploy: a secret resolved
 * there would sit in plain text in the launch template, readable with ec2:DescribeLaunchTemplateVersions.
 */
export function validateGpuEndpointOnAws(e: GpuEndpointDesign, path: string, problems: Problems): void {
  const server = e.server;
  if (!server) return;
  const refuse = (at: string, value: unknown) => {
    if (typeof value !== 'string' || isToken(value)) return;
    if (DYNAMIC_REFERENCE.test(value)) {
      problems.add(at, 'must not hold a CloudFormation dynamic reference ({{resolve:…}}): it would be resolved into the launch template\'s user data in plain text. Pass a secret with serverSecrets, which the replicas read at boot');
    } else if (value.includes('${')) {
      // CloudFormation's template validation (strict in ai-stack synth) reads `${…}` in user data as a
      // parameter outside Fn::Sub (E1029), and a literal `${` has no escape in Fn::Join.
      problems.add(at, `must not contain '\${' on AWS: CloudFormation reads it in the user data as a parameter reference (got ${quote(value)})`);
    }
  };
  const at = join(path, 'server');
  refuse(join(at, 'image'), server.image);
  refuse(join(at, 'model'), server.model);
  (Array.isArray(server.args) ? server.args : []).forEach((a, i) => refuse(join(join(at, 'args'), i), a));
  for (const [k, v] of Object.entries(server.env ?? {})) refuse(joinKey(join(at, 'env'), k), v);
}
