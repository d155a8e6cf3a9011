import { Duration, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
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
import { FRESHNESS_METRICS } from '../ingest/aws/deploy-env';
import { VectorStoreFreshness } from './vector-store/freshness';
import { eventBridgeCron } from './vector-store/rules';
import { acknowledgeKnowledgeBaseFindings, acknowledgeSourceBucketFindings } from './vector-store/findings';
import { validateAwsVectorStoreProps } from './vector-store/validate';

/** Metadata keys Bedrock writes on every vector (chunk text and source metadata): stored, never filtered on. */
export const BEDROCK_METADATA_KEYS = ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] as const;

/** Actions the knowledge base needs on its index: write and delete chunks, read them back, query. */
export const INDEX_ACTIONS = ['s3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors', 's3vectors:GetIndex'] as const;

export { FRESHNESS_DIMENSION, FRESHNESS_METRICS } from '../ingest/aws/deploy-env';
export { INDEX_AGE_EVALUATION_PERIODS, PROBE_ACTIONS, PROBE_RATE, staleAfterSeconds, vectorStoreMetricsNamespace } from './vector-store/freshness';

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
  /**
   * Topic the freshness alarms (index older than twice the refresh interval, a failed ingestion job)
   * notify on ALARM. An encrypted topic needs a customer managed key that lets `cloudwatch.amazonaws.com`
   * use it, as the router's and the budget's topics have.
   * @default - the alarms notify nobody: watch them, or add actions to `alarms`
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * How long the freshness probe's logs (each probe's age, each finished ingestion job) are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer managed KMS key of the freshness probe's log group. For a `kms.Key` of this app the
   * construct lets CloudWatch Logs of this account and region use it.
   * @default - encrypted by CloudWatch Logs with an AWS owned key
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A RAG index on AWS, native end to end: source documents in S3, a Bedrock knowledge base that chunks
 * and embeds them with the design's chunking and embedding model, vectors in an S3 Vectors index, and
 * an EventBridge Scheduler schedule that starts an ingestion job on the design's refresh schedule
 * (Bedrock re-embeds only the documents that changed since the last job). Freshness is observable: a
 * probe function lists the ingestion jobs every hour and publishes the index's age, failed jobs and
 * each completed job's document counts as CloudWatch metrics; two alarms watch the age (over twice
 * the refresh interval) and failed jobs.
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
  /** The freshness probe: its function, role, log group and hourly schedule, and the two alarms. */
  public readonly freshness: VectorStoreFreshness;
  /** Lists the ingestion jobs every hour and publishes the freshness metrics (the shipped dist/ingest/aws bundle). */
  public readonly probeFunction: lambda.IFunction;
  public readonly probeRole: iam.IRole;
  public readonly probeLogGroup: logs.ILogGroup;
  /** Invokes the probe every PROBE_INTERVAL_SECONDS with the schedule's time. */
  public readonly probeSchedule: scheduler.Schedule;
  /** `IndexAgeSeconds` over twice the refresh schedule's longest gap, or no age published for two probe intervals. */
  public readonly indexAgeAlarm: cloudwatch.Alarm;
  /** An ingestion job ended FAILED. */
  public readonly failedIngestionJobsAlarm: cloudwatch.Alarm;
  /** Both alarms. */
  public readonly alarms: readonly cloudwatch.Alarm[];
  /** CloudWatch namespace of the freshness metrics (dimension `VectorStore`: the design's name). */
  public readonly metricsNamespace: string;
  /** The age alarm's threshold, seconds: twice the longest gap between two refresh runs. */
  public readonly staleAfterSeconds: number;

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

    this.freshness = new VectorStoreFreshness(this, 'Freshness', {
      namePrefix: this.namePrefix,
      name: r.name,
      refreshSchedule: r.refreshSchedule,
      knowledgeBaseId: this.knowledgeBaseId,
      knowledgeBaseArn: this.knowledgeBaseArn,
      dataSourceId: this.dataSource.attrDataSourceId,
      dataSourceCreatedAt: this.dataSource.attrCreatedAt,
      alarmTopic: props.alarmTopic,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      logEncryptionKey: props.logEncryptionKey,
    });
    this.probeFunction = this.freshness.function;
    this.probeRole = this.freshness.role;
    this.probeLogGroup = this.freshness.logGroup;
    this.probeSchedule = this.freshness.schedule;
    this.indexAgeAlarm = this.freshness.indexAgeAlarm;
    this.failedIngestionJobsAlarm = this.freshness.failedIngestionJobsAlarm;
    this.alarms = [this.indexAgeAlarm, this.failedIngestionJobsAlarm];
    this.metricsNamespace = this.freshness.namespace;
    this.staleAfterSeconds = this.freshness.staleAfterSeconds;

    acknowledgeKnowledgeBaseFindings(this.knowledgeBaseRole, this.sourceBucket);
  }

  /** Seconds since the last completed ingestion job ended (since the data source was created, before the first): Maximum per hour. */
  public metricIndexAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.indexAge, 'Maximum', props);
  }

  /** Ingestion jobs that ended FAILED: Sum per hour. */
  public metricFailedIngestionJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.failedJobs, 'Sum', props);
  }

  /** Ingestion jobs that ended COMPLETE: Sum per hour. */
  public metricCompletedIngestionJobs(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.completedJobs, 'Sum', props);
  }

  /** Documents each completed job scanned in the source bucket: Sum per hour. */
  public metricDocumentsScanned(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.documentsScanned, 'Sum', props);
  }

  /** Documents new or modified since the previous job, which the job (re-)embedded: Sum per hour. */
  public metricDocumentsChanged(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.documentsChanged, 'Sum', props);
  }

  /** Documents removed from the source whose vectors the job deleted: Sum per hour. */
  public metricDocumentsRemoved(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.documentsRemoved, 'Sum', props);
  }

  /** Documents a completed job could not ingest (a COMPLETE job may still have some): Sum per hour. */
  public metricDocumentsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.freshness.metric(FRESHNESS_METRICS.documentsFailed, 'Sum', props);
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
