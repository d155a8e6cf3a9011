import { App, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Budget, type BudgetProps } from '../../lib/aws/budget';
import { withoutBuiltInTemplateValidation } from '../support/cdk-validation';

withoutBuiltInTemplateValidation();

// cdk-nag 3 is a policy-validation plugin; it reads acknowledgements recorded with
// Validations.of(construct).acknowledge({ id, reason }) (lib/aws/gpu-endpoint/findings.ts `acknowledge`).

const ENV = { account: '123456789012', region: 'us-east-1' };

function checked(props: Partial<BudgetProps>, withRouter = true) {
  const app = new App();
  const stack = new Stack(app, 'S', { env: ENV });
  const ledger = new dynamodb.Table(stack, 'Ledger', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } });
  const role = new iam.Role(stack, 'RouterRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  new Budget(stack, 'Budget', {
    monthlyLimitUsd: 1000,
    notifyEmails: ['ops@example.com'],
    hardStop: { atPercent: 100 },
    costTag: { key: 'application', value: 'support' },
    autoScalingGroups: [autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Gpu', 'gpu-a')],
    ...(withRouter ? { router: { ledgerTable: ledger, role, metricsNamespace: 'AiStack/Router/demo', tenantIds: ['team-a'] } } : {}),
    ...props,
  });
  app.synth();
  return { stack, report: new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack) };
}

/** AwsSolutions acknowledgements (path, rule id, reason) recorded under the budget. */
function acknowledgements(stack: Stack): Array<{ path: string; id: string; reason: string }> {
  return stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^Annotation::/, ''), reason }))),
    )
    .filter((a) => a.id.startsWith('AwsSolutions-') && a.path.startsWith('S/Budget'));
}

describe('Budget under cdk-nag AwsSolutions', () => {
  test('with a router, a hard stop and a fleet: no unacknowledged finding; each acknowledgement names its finding on the exact resource with a specific reason', () => {
    const { stack, report } = checked({});
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
    const acks = acknowledgements(stack);
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      'S/Budget/StopFunction/Function AwsSolutions-L1',
      'S/Budget/StopFunction/Role/DefaultPolicy AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'S/Budget/StopFunction/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'S/Budget/StopFunction/Role/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/gpu-a]',
      `S/Budget/StopFunction/SchedulerRole/DefaultPolicy AwsSolutions-IAM5[Resource::<${stack.getLogicalId(stack.node.findChild('Budget').node.findChild('StopFunction').node.findChild('Function').node.defaultChild as never)}.Arn>:*]`,
    ]);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(80);
    // DescribeAutoScalingGroups' `*` is the only Resource::* acknowledged, and it says why.
    expect(acks.find((a) => a.id === 'AwsSolutions-IAM5[Resource::*]')!.reason).toMatch(/DescribeAutoScalingGroups supports no resource-level permission/);
  });

  test('a hard stop without a router (its own state table) and a log key: no unacknowledged finding', () => {
    const { report } = checked({}, false);
    expect(report.violations).toEqual([]);
    const withKey = (() => {
      const app = new App();
      const stack = new Stack(app, 'S', { env: ENV });
      new Budget(stack, 'Budget', {
        monthlyLimitUsd: 1000,
        notifyEmails: ['ops@example.com'],
        hardStop: { atPercent: 100 },
        costTag: { key: 'application', value: 'support' },
        autoScalingGroups: [autoscaling.AutoScalingGroup.fromAutoScalingGroupName(stack, 'Gpu', 'gpu-a')],
        logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }),
      });
      app.synth();
      return new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
    })();
    expect(withKey.violations).toEqual([]);
  });

  test('a router without a hard stop: no fleet permission, so no Resource::* to acknowledge', () => {
    const { stack, report } = checked({ hardStop: undefined });
    expect(report.violations).toEqual([]);
    expect(acknowledgements(stack).map((a) => a.id)).not.toContain('AwsSolutions-IAM5[Resource::*]');
  });
});
