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
