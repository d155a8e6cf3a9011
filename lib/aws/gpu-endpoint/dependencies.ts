// The dependencies a GpuEndpoint creates or derives when the caller does not give them.
import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeLogGroupFindings, cfnGuardRule } from './findings';

/**
 * A VPC over two zones: public subnets for the one NAT gateway, private subnets with egress for the
 * fleet and its load balancer, flow logs to CloudWatch Logs and a (free) S3 gateway endpoint.
 */
export function createDefaultVpc(scope: Construct): ec2.Vpc {
  const flowLogs = new logs.LogGroup(scope, 'VpcFlowLogs', { retention: logs.RetentionDays.ONE_MONTH });
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      // The public subnets hold only the NAT gateway, whose Elastic IP is its own: nothing launched
      // there gets a public address by default.
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
    flowLogs: {
      all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL },
    },
  });
  acknowledgeLogGroupFindings(flowLogs, logs.RetentionDays.ONE_MONTH, false, 'VPC flow logs (connection metadata, no payloads)');
  // ECR image layers are served from S3: the gateway endpoint keeps them off the NAT gateway.
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  return vpc;
}

/** The load balancer's access-log bucket: SSE-S3 (all ELB can write to), TLS only, private, 90-day expiry. */
export function createAccessLogsBucket(scope: Construct): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ expiration: Duration.days(90) }],
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This bucket is itself the access-log destination of the load balancer; logging its own access would need yet another bucket with the same finding.',
  });
  acknowledgeAccessLogsBucketFindings(bucket);
  return bucket;
}

/** The Control Tower (cfn-guard) findings of the access-log bucket, each with its reason. */
function acknowledgeAccessLogsBucketFindings(bucket: s3.Bucket): void {
  const reasons: Record<string, string> = {
    s3_bucket_default_encryption_kms_check:
      'Elastic Load Balancing delivers access logs only to buckets encrypted with SSE-S3: a KMS default encryption would make every log delivery fail.',
    s3_bucket_logging_enabled_check:
      'This bucket is itself the access-log destination of the load balancers and the source bucket; logging its own access would need yet another bucket with the same finding.',
    s3_bucket_versioning_enabled_check:
      'Log objects are written once by the log delivery services and never overwritten; they expire after 90 days, and versioning would only keep the expired copies as noncurrent versions.',
    s3_event_notifications_enabled_check: 'Nothing consumes log deliveries as events: the logs are read on demand (Athena, downloads) during investigations.',
    s3_bucket_object_lock_enabled_check:
      'The logs expire after 90 days by lifecycle rule; Object Lock (which needs versioning and retention settings chosen per organization) would keep them against that rule. An organization that must make logs immutable passes its own accessLogsBucket.',
  };
  for (const [rule, reason] of Object.entries(reasons)) acknowledge(bucket, { id: cfnGuardRule(rule), reason });
}

import { ECR_IMAGE } from './rules';

/** The ECR repository of a literal ECR image URI (this or another account), or undefined for any other image. */
export function repositoryOfImage(scope: Construct, image: string): ecr.IRepository | undefined {
  if (Token.isUnresolved(image)) return undefined;
  const m = ECR_IMAGE.exec(image);
  if (!m) return undefined;
  const [, account, region, cn, name] = m;
  const partition = cn ? 'aws-cn' : 'aws';
  return ecr.Repository.fromRepositoryArn(scope, 'ImageRepository', `arn:${partition}:ecr:${region}:${account}:repository/${name}`);
}
