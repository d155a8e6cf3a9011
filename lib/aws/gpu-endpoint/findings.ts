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
