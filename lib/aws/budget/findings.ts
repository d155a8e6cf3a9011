// What a Budget tells its user at synth: acknowledgeable warnings, and the cdk-nag findings inherent
// to it, acknowledged on the exact resource with their reasons.
import { Annotations, Stack, Token, type CfnElement } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { acknowledge, acknowledgeLogGroupFindings, cfnGuardRule } from '../gpu-endpoint/findings';

/** Always said: without activation in Billing, the budget and the anomaly monitor see nothing. */
export function warnCostTagActivation(scope: IConstruct, key: string, value: string): void {
  const shown = (s: string) => (Token.isUnresolved(s) ? '<token>' : s);
  Annotations.of(scope).addWarningV2(
    'ai-stack:budget-cost-tag-activation',
    `the budget filters by the cost allocation tag ${shown(key)}=${shown(value)} (the filter value user:${shown(key)}$${shown(value)}), and AWS counts a tag only once it is activated as a cost allocation tag in Billing: ` +
      `until then the budget reports 0 USD, no threshold fires and the anomaly monitor sees no spend. Activate it once per account (Billing and Cost Management > Cost allocation tags, or ` +
      `'aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=${shown(key)},Status=Active' from the management account); a tag can be activated only after it appears on a resource, and applies to costs from then on. Then acknowledge this warning.`,
  );
}

/** Said when the budget has no router: no spend-stop record, no near-real-time clock, no tenant alarms, no Budgets action. */
export function warnNoRouter(scope: IConstruct, hardStop: boolean): void {
  Annotations.of(scope).addWarningV2(
    'ai-stack:budget-no-router',
    'the budget watches no router, so only the billed clock runs (AWS Budgets and Cost Anomaly Detection, hours behind the spend): there is no 5-minute watch of router-charged spend, no per-tenant alarm' +
      (hardStop ? ', and the hard stop sets no spend-stop flag (no router reads one) and applies no Budgets action (no router role to deny); it only scales the GPU fleets to zero' : '') +
      '. Pass the router (budgetRouterOf(modelRouter), or your own IBudgetRouter).',
  );
}

/** Said when the hard stop would stop nothing. */
export function warnHardStopNothing(scope: IConstruct): void {
  Annotations.of(scope).addWarningV2(
    'ai-stack:budget-hard-stop-nothing',
    'budget.hardStop is set, but there is neither a router (to refuse paid calls) nor a GPU fleet (to scale to zero): the hard stop would stop nothing, so no stop function is built and the thresholds only notify. Pass router, gpuEndpoints or autoScalingGroups, or leave hardStop out.',
  );
}

/** Said when a bring-your-own topic (or its key) keeps its own policy: its owner must admit the services. */
export function warnTopicUnopened(scope: IConstruct, services: readonly string[]): void {
  Annotations.of(scope).addWarningV2(
    'ai-stack:budget-topic-policy',
    `the alarmTopic is imported, so its policy (and its key's, if it is encrypted) is its owner's: it must let ${services.join(', ')} publish (sns:Publish; kms:GenerateDataKey* and kms:Decrypt on its key), limited to this account, or their notifications are dropped without an error (docs/aws/budget.md, "Security").`,
  );
}

/** The stop function's inherent findings, on its function and on its role's policy. */
export function acknowledgeStopFunctionFindings(fn: lambda.IFunction, role: iam.Role, logGroup: IConstruct, o: { fleets: boolean; topicEncrypted: boolean; logRetentionDays: number; logEncrypted: boolean }): void {
  acknowledge(fn, {
    id: 'AwsSolutions-L1',
    reason:
      'The stop function bundle (dist/budget/aws) is built for and tested on the Node.js 22 runtime, whose bundled AWS SDK v3 (Auto Scaling, DynamoDB, SNS) it relies on; Node.js 22 is a supported Lambda runtime. A newer runtime is adopted with a release of the bundle.',
  });
  acknowledge(fn, {
    id: cfnGuardRule('lambda_inside_vpc_check'),
    reason:
      "The stop function serves no traffic and reaches nothing inside a VPC: it calls only AWS APIs (Auto Scaling, DynamoDB, SNS) with its role. Outside the VPC it needs no NAT gateway or interface endpoints, and it keeps working when the stack's network is what has to be stopped.",
  });
  const policy = role.node.tryFindChild('DefaultPolicy') ?? role;
  if (o.fleets) {
    acknowledge(policy, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'autoscaling:DescribeAutoScalingGroups supports no resource-level permission (the Service Authorization Reference lists no resource type for it), so it is granted on * alone; it only reads group sizes. The writes (UpdateAutoScalingGroup, SuspendProcesses, ResumeProcesses) are granted on this stack\'s groups only.',
    });
    for (const arn of groupArnFindings(role)) {
      acknowledge(policy, {
        id: `AwsSolutions-IAM5[Resource::${arn}]`,
        reason:
          "An Auto Scaling group's ARN holds a UUID assigned at creation (autoScalingGroup:<uuid>:autoScalingGroupName/<name>); the ARN names this stack's group and leaves only that id open, which no other group matches.",
      });
    }
  }
  if (o.topicEncrypted) {
    acknowledge(policy, {
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted notification topic needs kms:GenerateDataKey* (GenerateDataKey and its variants SNS may call) on that one topic key, as grantPublish grants it; the resource is the key, not a wildcard.',
    });
  }
  acknowledgeLogGroupFindings(logGroup, o.logRetentionDays, o.logEncrypted, "The stop function's logs (each run's action and outcome)");
}

/** The watch schedule's role: `LambdaInvoke` grants the function and its qualified ARNs (`<arn>:*`). */
export function acknowledgeSchedulerFindings(schedulerRole: iam.Role, fn: lambda.Function): void {
  const stack = Stack.of(fn);
  acknowledge(schedulerRole.node.tryFindChild('DefaultPolicy') ?? schedulerRole, {
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
    reason:
      "EventBridge Scheduler's Lambda target grants lambda:InvokeFunction on the stop function and its versions and aliases (<arn>:*); the wildcard is the qualifier of this one function, and the schedule invokes it unqualified.",
  });
}

/** The group ARNs of the role's policy as cdk-nag names them (`<Logical.Id>` for references). */
function groupArnFindings(role: iam.Role): string[] {
  const stack = Stack.of(role);
  const doc = stack.resolve((role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined)?.document.toJSON()) as { Statement?: { Resource?: unknown }[] } | undefined;
  const out = new Set<string>();
  for (const s of doc?.Statement ?? []) {
    for (const r of [s.Resource].flat()) {
      const text = nagString(r);
      if (text?.includes(':autoscaling:') && text.includes(':autoScalingGroup:*:')) out.add(text);
    }
  }
  return [...out];
}

/** A resolved CloudFormation value the way cdk-nag prints it in a finding id. */
function nagString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return `<${v.Ref}>`;
  if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    const texts = parts.map(nagString);
    return texts.every((t) => t !== undefined) ? texts.join(sep) : undefined;
  }
  return undefined;
}
