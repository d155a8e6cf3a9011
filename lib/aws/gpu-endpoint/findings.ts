// What a GpuEndpoint tells its user at synth: acknowledgeable warnings about the design, and the
// cdk-nag findings the design implies, acknowledged with their reasons.
import { Annotations, Validations } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { FleetPlan, ResolvedGpuEndpoint } from '../../design';

/** Adds a warning (id `ai-stack:gpu-endpoint-…`) for each risky but valid choice. */
export function warnAboutDesign(scope: IConstruct, r: ResolvedGpuEndpoint, plan: FleetPlan, instanceTypes: readonly ec2.InstanceType[]): void {
  const spotUsed = r.purchase.spotPercentAboveBase > 0 && r.capacity.max > plan.baseCapacity;
  if (spotUsed && instanceTypes.length === 1) {
    Annotations.of(scope).addWarningV2(
      'ai-stack:gpu-endpoint-single-instance-type',
      `${r.accelerator} x${r.acceleratorsPerReplica} on AWS has one instance type (${instanceTypes[0]}): spot capacity cannot be diversified across types, so interruptions and unfilled spot requests are more likely. Lower purchase.spotPercentAboveBase or list more instanceTypes.`,
    );
  }
  const priced = plan.instanceTypes[0].type;
  if (instanceTypes[0].toString() !== priced) {
    Annotations.of(scope).addWarningV2(
      'ai-stack:gpu-endpoint-unpriced-instance-type',
      `instanceTypes[0] is ${instanceTypes[0]}, but the cost estimate prices ${priced}; the estimate of this endpoint will not match its bill.`,
    );
  }
  const floor = Math.min(r.capacity.min, r.scaling.offPeak?.min ?? r.capacity.min);
  if (floor === 0) {
    Annotations.of(scope).addWarningV2(
      'ai-stack:gpu-endpoint-scale-from-zero',
      'The fleet can shrink to zero replicas; GPU utilization has no data without replicas, so load alone will not scale it out again (a scheduled minimum, a manual change of desired capacity or capacity.min >= 1 will).',
    );
  }
}

/** Acknowledges, each with its reason, the cdk-nag AwsSolutions findings inherent to the design. */
export function acknowledgeInherentFindings(role: iam.IRole, group: autoscaling.AutoScalingGroup, pullsFromEcr: boolean): void {
  acknowledge(role, {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
    reason: 'The AWS managed policy for Session Manager access (no SSH, no open port) is the documented minimum for the SSM agent and is kept current by AWS.',
  });
  acknowledge(role, {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchAgentServerPolicy]',
    reason: 'The AWS managed policy is the documented minimum for the CloudWatch agent that publishes the GPU utilization the fleet scales on.',
  });
  acknowledge(group, {
    id: 'AwsSolutions-EC26',
    reason:
      'cdk-nag EC26 reads only the LaunchTemplate property of a group and throws on a MixedInstancesPolicy; the launch template in that policy has a single block device, encrypted (gp3, Encrypted: true).',
  });
  if (pullsFromEcr) {
    acknowledge(role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; image pulls themselves are scoped to the server image repository.',
    });
  }
}

/**
 * `Validations.of(scope).acknowledge(rule)`, also on aws-cdk-lib releases (2.260 among them) that
 * reserve `::` in rule ids and so refuse cdk-nag's finding ids such as
 * `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/…]`. There the acknowledgement is
 * recorded as the same `aws:cdk:acknowledged-rules` metadata entry that `acknowledge` writes and that
 * cdk-nag reads, so the finding is acknowledged on every version.
 */
export function acknowledge(scope: IConstruct, rule: { id: string; reason: string }): void {
  try {
    Validations.of(scope).acknowledge(rule);
  } catch (e) {
    if (!rule.id.includes('::') || !/InvalidValidationId|'::' delimiter/.test(String((e as Error).message))) throw e;
    scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [rule.id]: rule.reason });
  }
}

/** The id of a finding of the cfn-guard policy-validation plugin (`@cdklabs/cdk-validator-cfnguard`), e.g. a Control Tower rule. */
export function cfnGuardRule(rule: string): string {
  return `cdk-validator-cfnguard::${rule}`;
}

/** Instance families of the accelerator catalog and their GPU siblings: all built on the AWS Nitro System. */
const NITRO_GPU_FAMILIES = new Set(['g4ad', 'g4dn', 'g5', 'g5g', 'g6', 'g6e', 'gr6', 'p3dn', 'p4d', 'p4de', 'p5', 'p5e', 'p5en']);

/**
 * A log group's Control Tower findings (CT.CLOUDWATCH.PR.2 and PR.3): a retention under a year is
 * the design's choice, and KMS encryption is the `logEncryptionKey` prop's.
 */
export function acknowledgeLogGroupFindings(logGroup: IConstruct, retentionDays: number, encrypted: boolean, what: string): void {
  if (retentionDays < 365) {
    acknowledge(logGroup, {
      id: cfnGuardRule('cloudwatch_log_group_retention_period_check'),
      reason: `${what} are kept ${retentionDays} days, as configured: keeping a year of them is a privacy and cost choice the operator makes with the retention setting, not a default of this construct.`,
    });
  }
  if (!encrypted) {
    acknowledge(logGroup, {
      id: cfnGuardRule('cloudwatch_log_group_encrypted_check'),
      reason: `${what} are encrypted at rest by CloudWatch Logs with an AWS owned key; a customer managed key (billed monthly, its policy must admit CloudWatch Logs) is opt-in with the logEncryptionKey prop.`,
    });
  }
}

/** The Control Tower (cfn-guard) findings of a GPU endpoint's fleet and load balancer, each with its reason. */
export function acknowledgeControlTowerFindings(parts: {
  group: autoscaling.AutoScalingGroup;
  instanceTypes: readonly ec2.InstanceType[];
  loadBalancer: IConstruct;
  listener: IConstruct;
  logGroup: IConstruct;
  logRetentionDays: number;
  logEncrypted: boolean;
}): void {
  const { group } = parts;
  acknowledge(group, {
    id: cfnGuardRule('autoscaling_multiple_az_check'),
    reason:
      'The group is placed by subnets (VPCZoneIdentifier), which span two Availability Zones in the default VPC and must span two for the load balancer; the rule reads only the AvailabilityZones property, which a group in a VPC does not need.',
  });
  if (parts.instanceTypes.every((t) => NITRO_GPU_FAMILIES.has(t.toString().split('.')[0]))) {
    const families = [...new Set(parts.instanceTypes.map((t) => t.toString().split('.')[0]))].join(', ');
    acknowledge(group, {
      id: cfnGuardRule('autoscaling_group_nitro_instance_override_check'),
      reason: `The overrides use only ${families} instances, which are built on the AWS Nitro System; the rule's list of Nitro types predates the G6, G6e and P5en families.`,
    });
    acknowledge(group, {
      id: cfnGuardRule('autoscaling_group_nitro_encryption_in_transit_override_check'),
      reason: `The overrides use only ${families} instances, Nitro GPU families that EC2 lists as encrypting traffic between instances in transit; the rule's list of types predates the G6, G6e and P5en families.`,
    });
  }
  acknowledge(parts.listener, {
    id: cfnGuardRule('alb_http_to_https_redirection_check'),
    reason:
      "The load balancer is internal and its listener admits only granted security groups (the router's); TLS would need an ACM certificate for a private DNS name the design does not have (docs/aws/model-router.md). Behind the AiStack router, each request also carries the endpoint's API key.",
  });
  acknowledge(parts.loadBalancer, {
    id: cfnGuardRule('elbv2_deletion_protection_enabled_check'),
    reason:
      'The internal load balancer holds no data and belongs to its endpoint: deletion protection would make every removal or replacement of the endpoint (cdk destroy included) fail until it is switched off by hand.',
  });
  acknowledgeLogGroupFindings(parts.logGroup, parts.logRetentionDays, parts.logEncrypted, 'The model server\'s logs (which may hold prompts)');
}
