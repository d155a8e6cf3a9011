// The second line of defence: an AWS Budgets action that, at the hard stop's percent of billed
// spend, attaches a policy denying Bedrock invocations to the router's role, whatever the router does.
import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * Denied while the action is applied. Converse and ConverseStream authorize as InvokeModel and
 * InvokeModelWithResponseStream, which `bedrock:InvokeModel*` covers (with
 * InvokeModelWithBidirectionalStream); `bedrock:Converse*` is kept for any action of that name.
 */
export const DENIED_BEDROCK_ACTIONS = ['bedrock:InvokeModel*', 'bedrock:Converse*'] as const;

/** What the Budgets execution role may do, and only with the deny policy on the router's role. */
export const BUDGETS_ACTION_IAM_ACTIONS = ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'] as const;

export interface RouterDenyActionOptions {
  readonly namePrefix: string;
  /** The budget and its name. */
  readonly budget: budgets.CfnBudget;
  readonly budgetName: string;
  readonly atPercent: number;
  readonly routerRole: iam.IRole;
  readonly notificationTopic: sns.ITopic;
  readonly emails: readonly string[];
}

export class RouterDenyAction extends Construct {
  /** The policy the action attaches: Deny `bedrock:InvokeModel*` and `bedrock:Converse*` on `*`. */
  public readonly denyPolicy: iam.ManagedPolicy;
  /** The role AWS Budgets assumes to attach and detach that policy. */
  public readonly executionRole: iam.Role;
  public readonly action: budgets.CfnBudgetsAction;

  constructor(scope: Construct, id: string, o: RouterDenyActionOptions) {
    super(scope, id);
    const stack = Stack.of(this);
    // Attached to nothing at deployment: only the Budgets action attaches it.
    this.denyPolicy = new iam.ManagedPolicy(this, 'DenyBedrock', {
      description: `Budget ${o.namePrefix}: the router may not call Bedrock (attached by AWS Budgets at ${o.atPercent}% of the monthly budget)`,
      statements: [new iam.PolicyStatement({ sid: 'BudgetStopDenyBedrock', effect: iam.Effect.DENY, actions: [...DENIED_BEDROCK_ACTIONS], resources: ['*'] })],
    });

    // Confused-deputy guard the Cost Management guide gives for Budgets: this account's budgets only.
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      description: `AWS Budgets attaches and detaches the budget ${o.namePrefix} deny policy on the router's role, nothing else`,
      assumedBy: new iam.ServicePrincipal('budgets.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': Arn.format({ service: 'budgets', region: '', resource: 'budget', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, stack) },
        },
      }),
    });
    this.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...BUDGETS_ACTION_IAM_ACTIONS],
        resources: [o.routerRole.roleArn],
        conditions: { ArnEquals: { 'iam:PolicyARN': this.denyPolicy.managedPolicyArn } },
      }),
    );

    this.action = new budgets.CfnBudgetsAction(this, 'Action', {
      budgetName: o.budgetName,
      notificationType: 'ACTUAL',
      actionType: 'APPLY_IAM_POLICY',
      actionThreshold: { type: 'PERCENTAGE', value: o.atPercent },
      definition: { iamActionDefinition: { policyArn: this.denyPolicy.managedPolicyArn, roles: [o.routerRole.roleName] } },
      executionRoleArn: this.executionRole.roleArn,
      // The stop must not wait for a person: that is the point of a hard stop.
      approvalModel: 'AUTOMATIC',
      subscribers: [{ type: 'SNS', address: o.notificationTopic.topicArn }, ...o.emails.map((address) => ({ type: 'EMAIL', address }))],
    });
    // The budget must exist, and Budgets checks the role when the action is created.
    this.action.node.addDependency(o.budget, this.executionRole);
  }
}
