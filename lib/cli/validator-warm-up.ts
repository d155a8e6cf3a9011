import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPolicyValidationContext, IPolicyValidationPlugin } from 'aws-cdk-lib';

/**
 * The CloudFormation resource types `AiStack` emits on AWS: those of the example design, which uses
 * every capability, and of 71 generated variants of it (test/property/generator.ts). A type missing
 * here costs time, never a finding (see `warmUp`); test/examples/examples.test.ts fails when
 * the example's template has one that is not listed.
 */
export const AI_STACK_RESOURCE_TYPES: readonly string[] = [
  'AWS::AutoScaling::AutoScalingGroup', 'AWS::AutoScaling::LifecycleHook',
  'AWS::AutoScaling::ScalingPolicy', 'AWS::AutoScaling::ScheduledAction',
  'AWS::Bedrock::DataSource', 'AWS::Bedrock::Guardrail', 'AWS::Bedrock::GuardrailVersion',
  'AWS::Bedrock::KnowledgeBase', 'AWS::Budgets::Budget', 'AWS::Budgets::BudgetsAction',
  'AWS::CE::AnomalyMonitor', 'AWS::CE::AnomalySubscription', 'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::Dashboard', 'AWS::DynamoDB::Table', 'AWS::EC2::CapacityReservation',
  'AWS::EC2::EIP', 'AWS::EC2::FlowLog', 'AWS::EC2::InternetGateway', 'AWS::EC2::LaunchTemplate',
  'AWS::EC2::NatGateway', 'AWS::EC2::Route', 'AWS::EC2::RouteTable', 'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupEgress', 'AWS::EC2::SecurityGroupIngress', 'AWS::EC2::Subnet',
  'AWS::EC2::SubnetRouteTableAssociation', 'AWS::EC2::VPC', 'AWS::EC2::VPCEndpoint',
  'AWS::EC2::VPCGatewayAttachment', 'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::IAM::InstanceProfile', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy', 'AWS::IAM::Role',
  'AWS::KMS::Key', 'AWS::Lambda::EventInvokeConfig', 'AWS::Lambda::Function',
  'AWS::Lambda::Permission', 'AWS::Lambda::Url', 'AWS::Logs::LogGroup', 'AWS::Logs::MetricFilter',
  'AWS::S3::Bucket', 'AWS::S3::BucketPolicy', 'AWS::S3Vectors::Index',
  'AWS::S3Vectors::VectorBucket', 'AWS::SNS::Subscription', 'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy', 'AWS::Scheduler::Schedule', 'AWS::SecretsManager::Secret',
];

/**
 * Starts the engine of CDK's validation plugin for `AI_STACK_RESOURCE_TYPES`, before the synth's
 * template exists. The plugin starts its engine for the resource types of what it validates, and
 * starts it again when a later template has a type the engine was not started for: warmed with an
 * empty request, the synth's own request restarted it, 0.5–0.7 s on the synth's longest path. The
 * warm-up validates a template of one bare resource of each type (its findings are dropped) in a
 * temporary folder, removed at once. The engine's configuration is the same for every type but
 * GameLift's (CDK's only type-specific rules), which is not listed: the engine started here is the
 * one CDK would start for the synth's template. `tempRoot` is where the temporary folder goes; when
 * it cannot be written the engine is started for no type, as before.
 */
export function warmUp(plugin: IPolicyValidationPlugin, types: readonly string[] = AI_STACK_RESOURCE_TYPES, tempRoot: string = tmpdir()): void {
  let dir: string | undefined;
  let context: object = { templatePaths: [], stackTemplates: [] };
  try {
    dir = mkdtempSync(join(tempRoot, 'ai-stack-warm-up-'));
    const templatePath = join(dir, 'warm-up.template.json');
    writeFileSync(templatePath, JSON.stringify({ Resources: Object.fromEntries(types.map((type, i) => [`R${i}`, { Type: type }])) }));
    context = { templatePaths: [templatePath], stackTemplates: [{ stackConstructPath: 'warm-up', templatePath }] };
  } catch {
    // No writable temporary folder: the engine still starts, for no type (the request restarts it).
  }
  try {
    plugin.validate(context as IPolicyValidationContext);
  } catch {
    // The request's own validation starts the engine again and reports what is wrong.
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
