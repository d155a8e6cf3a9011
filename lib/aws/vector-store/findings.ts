// The cdk-nag AwsSolutions findings a knowledge base implies, acknowledged with their reasons.
import { Stack, Token } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../gpu-endpoint/findings';

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
