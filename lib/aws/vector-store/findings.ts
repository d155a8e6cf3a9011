// The cdk-nag AwsSolutions findings a knowledge base implies, acknowledged with their reasons.
import { Stack, Token, type CfnElement } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { acknowledge, acknowledgeLogGroupFindings, cfnGuardRule } from '../gpu-endpoint/findings';

/**
 * The knowledge base reads every object of its source bucket: `s3:GetObject` on `<bucket>/*` is the
 * grant, and cdk-nag names it by the bucket's logical id (a bucket of this stack) or its literal ARN.
 */
export function acknowledgeKnowledgeBaseFindings(knowledgeBaseRole: iam.IRole, sourceBucket: s3.IBucket): void {
  const stack = Stack.of(knowledgeBaseRole);
  const cfn = sourceBucket.node.defaultChild;
  let objects: string | undefined;
  if (cfn && Stack.of(sourceBucket) === stack) objects = `<${stack.getLogicalId(cfn as s3.CfnBucket)}.Arn>/*`;
  else if (!Token.isUnresolved(sourceBucket.bucketName)) objects = `arn:<AWS::Partition>:s3:::${sourceBucket.bucketName}/*`;
  acknowledge(knowledgeBaseRole.node.tryFindChild('DefaultPolicy') ?? knowledgeBaseRole, {
    id: objects ? `AwsSolutions-IAM5[Resource::${objects}]` : 'AwsSolutions-IAM5',
    reason: 'The knowledge base ingests every object of its own source bucket (s3:GetObject on <bucket>/*); the action and the bucket are fixed.',
  });
}

/** The Control Tower (cfn-guard) findings of the source bucket the construct creates, each with its reason. */
export function acknowledgeSourceBucketFindings(bucket: s3.Bucket, options: { kms: boolean; logged: boolean }): void {
  const reasons: Record<string, string> = {
    s3_event_notifications_enabled_check:
      'Ingestion runs on the design\'s refresh schedule (EventBridge Scheduler starts a Bedrock ingestion job, which re-embeds only changed documents); no consumer of per-object events exists.',
    s3_bucket_object_lock_enabled_check:
      'Documents must stay deletable: removing one from the bucket removes its vectors at the next ingestion (data deletion policy DELETE), which Object Lock retention would prevent. Versioning keeps overwritten and deleted documents recoverable.',
  };
  if (!options.kms) {
    reasons.s3_bucket_default_encryption_kms_check =
      'Encrypted with SSE-S3 by default; a customer managed key (SSE-KMS with a bucket key) is opt-in with the encryptionKey prop.';
  }
  if (!options.logged) {
    reasons.s3_bucket_logging_enabled_check =
      'No serverAccessLogsBucket was given: server access logs need a log bucket, which AiStack passes (its access-log bucket) and a standalone VectorStore leaves to its user.';
  }
  for (const [rule, reason] of Object.entries(reasons)) acknowledge(bucket, { id: `cdk-validator-cfnguard::${rule}`, reason });
}

/** The freshness probe's inherent findings: its runtime, its place outside a VPC, its schedule's grant, its log group. */
export function acknowledgeProbeFindings(fn: lambda.Function, schedulerRole: iam.Role, logGroup: IConstruct, o: { logRetentionDays: number; logEncrypted: boolean }): void {
  acknowledge(fn, {
    id: 'AwsSolutions-L1',
    reason:
      'The freshness probe bundle (dist/ingest/aws) is built for and tested on the Node.js 22 runtime, whose bundled AWS SDK v3 (Bedrock Agent) it relies on; Node.js 22 is a supported Lambda runtime. A newer runtime is adopted with a release of the bundle.',
  });
  acknowledge(fn, {
    id: cfnGuardRule('lambda_inside_vpc_check'),
    reason:
      'The freshness probe serves no traffic and reaches nothing inside a VPC: it calls one AWS API (bedrock:ListIngestionJobs) with its role and writes its log group. Outside a VPC it needs no NAT gateway or interface endpoint.',
  });
  const stack = Stack.of(fn);
  acknowledge(schedulerRole.node.tryFindChild('DefaultPolicy') ?? schedulerRole, {
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnElement)}.Arn>:*]`,
    reason:
      "EventBridge Scheduler's Lambda target grants lambda:InvokeFunction on the probe function and its versions and aliases (<arn>:*); the wildcard is the qualifier of this one function, and the schedule invokes it unqualified.",
  });
  acknowledgeLogGroupFindings(logGroup, o.logRetentionDays, o.logEncrypted, "The freshness probe's logs (each probe's age and each finished ingestion job's outcome and document counts)");
}

/** A freshness alarm built without `alarmTopic`: it changes state for dashboards and the console, and notifies nobody. */
export function acknowledgeAlarmWithoutAction(alarm: IConstruct): void {
  acknowledge(alarm, {
    id: cfnGuardRule('cloudwatch_alarm_action_check'),
    reason:
      'No alarmTopic was given, so the freshness alarm has no action: its state shows in CloudWatch and on dashboards, and a topic to notify is the user\'s choice (the alarmTopic prop, or addAlarmAction on the alarm); creating an unsubscribed topic would notify nobody either.',
  });
}
