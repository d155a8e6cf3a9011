import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import {
  defaultNamePrefix,
  fitName,
  refuseInvalidProps,
  resolveVectorStore,
  type NamePrefixProps,
  type ResolvedVectorStore,
  type VectorStoreDesign,
} from '../design';
import { eventBridgeCron } from './vector-store/rules';
import { acknowledgeKnowledgeBaseFindings, acknowledgeSourceBucketFindings } from './vector-store/findings';
import { validateAwsVectorStoreProps } from './vector-store/validate';

/** Metadata keys Bedrock writes on every vector (chunk text and source metadata): stored, never filtered on. */
export const BEDROCK_METADATA_KEYS = ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] as const;

/** Actions the knowledge base needs on its index: write and delete chunks, read them back, query. */
export const INDEX_ACTIONS = ['s3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors', 's3vectors:GetIndex'] as const;

/**
 * Properties of a {@link VectorStore}: the cloud-neutral design plus AWS-only props. Unknown props are
 * refused.
 */
export interface VectorStoreProps extends VectorStoreDesign, NamePrefixProps {
  /**
   * Bucket of the source documents the knowledge base ingests.
   * @default - a new bucket: encrypted (SSE-S3, or `encryptionKey`), versioned, public access blocked,
   *   TLS only, retained when the stack is deleted
   */
  readonly sourceBucket?: s3.IBucket;
  /**
   * Customer-managed key for the source bucket the construct creates and for the vector bucket.
   * @default - SSE-S3 on both buckets
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Bucket receiving the server access logs of the source bucket the construct creates (it must allow
   * the S3 logging service to write, as an ALB access-log bucket does).
   * @default - no server access logs (a cdk-nag acknowledgement says why; `AiStack` passes its log bucket)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
}

/**
 * A RAG index on AWS, native end to end: source documents in S3, a Bedrock knowledge base that chunks
 * and embeds them with the design's chunking and embedding model, vectors in an S3 Vectors index, and
 * an EventBridge Scheduler schedule that starts an ingestion job on the design's refresh schedule
 * (Bedrock re-embeds only the documents that changed since the last job).
 */
export class VectorStore extends Construct {
  /** The design with every default filled in, for AWS. */
  public readonly resolved: ResolvedVectorStore;
  /** Prefix of the names this vector store gives. */
  public readonly namePrefix: string;
  /** Bucket of the source documents. */
  public readonly sourceBucket: s3.IBucket;
  public readonly vectorBucket: s3vectors.CfnVectorBucket;
  public readonly index: s3vectors.CfnIndex;
  public readonly knowledgeBase: bedrock.CfnKnowledgeBase;
  public readonly dataSource: bedrock.CfnDataSource;
  /** Role the knowledge base assumes to read the sources, embed and write the index. */
  public readonly knowledgeBaseRole: iam.Role;
  /** The refresh schedule (an ingestion job per run). */
  public readonly schedule: scheduler.Schedule;
  /** Role EventBridge Scheduler assumes to start ingestion jobs of this knowledge base only. */
  public readonly schedulerRole: iam.Role;
  /** ARN of the knowledge base, for `bedrock:Retrieve`. */
  public readonly knowledgeBaseArn: string;
  public readonly knowledgeBaseId: string;

  constructor(scope: Construct, id: string, props: VectorStoreProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAwsVectorStoreProps(props, 'props', problems));

    const r = resolveVectorStore(props, 'aws');
    this.resolved = r;
    this.namePrefix = props.namePrefix ?? defaultNamePrefix(Stack.of(this).stackName);
    // Bedrock names allow one '-' or '_' between letters and digits, so `a--b` or `a-` + `-docs` collapse.
    const name = fitName([this.namePrefix, r.name], 100).replace(/[-_]{2,}/g, '-');

    this.sourceBucket = props.sourceBucket ?? this.createSourceBucket(props);

    this.vectorBucket = new s3vectors.CfnVectorBucket(this, 'VectorBucket', {
      encryptionConfiguration: props.encryptionKey ? { sseType: 'aws:kms', kmsKeyArn: props.encryptionKey.keyArn } : { sseType: 'AES256' },
    });
    this.index = new s3vectors.CfnIndex(this, 'Index', {
      vectorBucketArn: this.vectorBucket.attrVectorBucketArn,
      dataType: 'float32',
      dimension: r.embedding.dimensions,
      distanceMetric: r.distance,
      // Bedrock stores each chunk's text and source metadata on its vector; filtering on them is never needed.
      metadataConfiguration: { nonFilterableMetadataKeys: [...BEDROCK_METADATA_KEYS] },
    });

    this.knowledgeBaseRole = new iam.Role(this, 'KnowledgeBaseRole', {
      description: `Knowledge base ${name}: reads its sources, embeds with ${r.embedding.providerModelId}, writes its index`,
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: '*' }) },
        },
      }),
    });
    const embeddingModelArn = Stack.of(this).formatArn({ service: 'bedrock', account: '', resource: 'foundation-model', resourceName: r.embedding.providerModelId });
    this.knowledgeBaseRole.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [embeddingModelArn] }));
    this.knowledgeBaseRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.sourceBucket.bucketArn] }));
    this.knowledgeBaseRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.sourceBucket.arnForObjects('*')] }));
    this.knowledgeBaseRole.addToPolicy(new iam.PolicyStatement({ actions: [...INDEX_ACTIONS], resources: [this.index.attrIndexArn] }));
    this.sourceBucket.encryptionKey?.grantDecrypt(this.knowledgeBaseRole);
    props.encryptionKey?.grantEncryptDecrypt(this.knowledgeBaseRole);

    this.knowledgeBase = new bedrock.CfnKnowledgeBase(this, 'KnowledgeBase', {
      name,
      description: `RAG index ${r.name} (ai-stack-constructs)`,
      roleArn: this.knowledgeBaseRole.roleArn,
      knowledgeBaseConfiguration: {
        type: 'VECTOR',
        vectorKnowledgeBaseConfiguration: {
          embeddingModelArn,
          embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions: r.embedding.dimensions, embeddingDataType: 'FLOAT32' } },
        },
      },
      // The index by ARN alone: Bedrock takes indexArn, or indexName with vectorBucketArn, not both.
      storageConfiguration: { type: 'S3_VECTORS', s3VectorsConfiguration: { indexArn: this.index.attrIndexArn } },
    });
    // The role's policy must exist before Bedrock checks it when creating the knowledge base.
    this.knowledgeBase.node.addDependency(this.knowledgeBaseRole);
    this.knowledgeBaseArn = this.knowledgeBase.attrKnowledgeBaseArn;
    this.knowledgeBaseId = this.knowledgeBase.attrKnowledgeBaseId;

    this.dataSource = new bedrock.CfnDataSource(this, 'DataSource', {
      knowledgeBaseId: this.knowledgeBaseId,
      name: fitName([r.name, 'source'], 100).replace(/[-_]{2,}/g, '-'),
      description: `Source documents of ${r.name}`,
      // Vectors of documents removed from the bucket are deleted at the next ingestion.
      dataDeletionPolicy: 'DELETE',
      dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: this.sourceBucket.bucketArn } },
      vectorIngestionConfiguration: { chunkingConfiguration: chunkingConfiguration(r) },
    });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: `Starts ingestion jobs of knowledge base ${name} on its refresh schedule`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
    });
    const converted = eventBridgeCron(r.refreshSchedule);
    if ('problem' in converted) throw new Error(`internal error: ${converted.problem} passed validation`);
    this.schedule = new scheduler.Schedule(this, 'Refresh', {
      description: `Re-ingests ${r.name}: only changed documents are embedded again`,
      schedule: scheduler.ScheduleExpression.expression(converted.expression, TimeZone.ETC_UTC),
      target: new targets.Universal({
        service: 'bedrockagent',
        action: 'startIngestionJob',
        role: this.schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject({ KnowledgeBaseId: this.knowledgeBaseId, DataSourceId: this.dataSource.attrDataSourceId }),
        policyStatements: [new iam.PolicyStatement({ actions: ['bedrock:StartIngestionJob'], resources: [this.knowledgeBaseArn] })],
        // Only one ingestion job runs at a time: a run that finds one in progress is refused by Bedrock
        // (ConflictException) and dropped, never retried into the next; the schedule itself stays on.
        retryAttempts: 0,
      }),
    });

    acknowledgeKnowledgeBaseFindings(this.knowledgeBaseRole, this.sourceBucket);
  }

  /** Lets `grantee` query the index through the knowledge base (`bedrock:Retrieve`). */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:Retrieve'], resourceArns: [this.knowledgeBaseArn] });
  }

  private createSourceBucket(props: VectorStoreProps): s3.Bucket {
    const bucket = new s3.Bucket(this, 'SourceBucket', {
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey !== undefined,
      versioned: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Uploads never completed are invisible and billed: removed after a week. Documents and their
      // noncurrent versions are kept (the operator's data).
      lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      // Source documents are the customer's data: deleting the stack must not delete them.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.serverAccessLogsBucket) logAccessTo(bucket, props.serverAccessLogsBucket, `s3/${fitName([this.namePrefix, this.resolved.name], 60)}/`);
    acknowledgeSourceBucketFindings(bucket, { kms: props.encryptionKey !== undefined, logged: props.serverAccessLogsBucket !== undefined });
    return bucket;
  }
}

/**
 * Server access logs delivered by bucket policy, not ACL: the log bucket keeps object ownership
 * enforced (the `serverAccessLogsBucket` bucket prop would grant an ACL unless the app sets
 * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`). The statement admits the logging service for
 * this source bucket and prefix only.
 */
function logAccessTo(bucket: s3.Bucket, logs: s3.IBucket, prefix: string): void {
  (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: prefix };
  logs.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logs.arnForObjects(`${prefix}*`)],
      conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account } },
    }),
  );
}

/** The design's chunking as Bedrock's. */
function chunkingConfiguration(r: ResolvedVectorStore): bedrock.CfnDataSource.ChunkingConfigurationProperty {
  const c = r.chunking;
  switch (c.strategy) {
    case 'none':
      return { chunkingStrategy: 'NONE' };
    case 'hierarchical':
      // Bedrock's two levels, parent first.
      return {
        chunkingStrategy: 'HIERARCHICAL',
        hierarchicalChunkingConfiguration: { levelConfigurations: [{ maxTokens: c.parentMaxTokens }, { maxTokens: c.maxTokens }], overlapTokens: c.overlapTokens },
      };
    case 'semantic':
      return {
        chunkingStrategy: 'SEMANTIC',
        semanticChunkingConfiguration: { maxTokens: c.maxTokens, bufferSize: c.bufferSize, breakpointPercentileThreshold: c.breakpointPercentile },
      };
    case 'fixed':
      return { chunkingStrategy: 'FIXED_SIZE', fixedSizeChunkingConfiguration: { maxTokens: c.maxTokens, overlapPercentage: c.overlapPercent } };
  }
}
