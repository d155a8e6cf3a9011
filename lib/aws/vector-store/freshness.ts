// Freshness of the AWS vector store: Bedrock ingestion jobs publish no CloudWatch metric or event,
// so the shipped probe (dist/ingest/aws, lib/ingest/aws/entry.ts) lists them every
// PROBE_INTERVAL_SECONDS and publishes Embedded Metric Format metrics; two alarms watch them.
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ingestBundleDir } from '../../common/router-bundle';
import { cronLongestGapSeconds } from '../../design/cron-count';
import { AWS_PROBE_ENV, FRESHNESS_DIMENSION, FRESHNESS_METRICS } from '../../ingest/aws/deploy-env';
import { INGEST_ENV, PROBE_INTERVAL_SECONDS } from '../../ingest/deploy-env';
import { allowLogsToUseKey } from '../log-encryption';
import { acknowledgeAlarmWithoutAction, acknowledgeProbeFindings } from './findings';

/** The only action the probe's role has on Bedrock, on its own knowledge base. */
export const PROBE_ACTIONS = ['bedrock:ListIngestionJobs'] as const;
/** How often the probe runs: the resolution of the freshness alarms. */
export const PROBE_RATE = Duration.seconds(PROBE_INTERVAL_SECONDS);
/**
 * Consecutive probe intervals the age must be over its threshold, or unreported, before the age
 * alarm fires: one late or lost probe run is not a stale index; two in a row are worth a look.
 */
export const INDEX_AGE_EVALUATION_PERIODS = 2;

/** Namespace of the freshness metrics of the vector stores named with `namePrefix`. */
export function vectorStoreMetricsNamespace(namePrefix: string): string {
  return `AiStack/VectorStore/${namePrefix}`;
}

/** Seconds after which the index is stale: twice the longest wait between two runs of the refresh schedule. */
export function staleAfterSeconds(refreshSchedule: string): number {
  return 2 * cronLongestGapSeconds(refreshSchedule);
}

export interface VectorStoreFreshnessOptions {
  readonly namePrefix: string;
  /** The design's vector store name: the metrics' dimension value and the events' `name`. */
  readonly name: string;
  readonly refreshSchedule: string;
  readonly knowledgeBaseId: string;
  readonly knowledgeBaseArn: string;
  readonly dataSourceId: string;
  /** CloudFormation's `CreatedAt` of the data source. */
  readonly dataSourceCreatedAt: string;
  readonly alarmTopic?: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
  readonly logEncryptionKey?: kms.IKey;
}

export class VectorStoreFreshness extends Construct {
  public readonly namespace: string;
  public readonly dimensions: Readonly<Record<string, string>>;
  /** The index-age threshold, seconds. */
  public readonly staleAfterSeconds: number;
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  public readonly schedule: scheduler.Schedule;
  public readonly schedulerRole: iam.Role;
  public readonly indexAgeAlarm: cloudwatch.Alarm;
  public readonly failedIngestionJobsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, o: VectorStoreFreshnessOptions) {
    super(scope, id);
    const stack = Stack.of(this);
    this.namespace = vectorStoreMetricsNamespace(o.namePrefix);
    this.dimensions = { [FRESHNESS_DIMENSION]: o.name };
    this.staleAfterSeconds = staleAfterSeconds(o.refreshSchedule);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: o.logRetention, encryptionKey: o.logEncryptionKey });
    if (o.logEncryptionKey) allowLogsToUseKey(o.logEncryptionKey, this.logGroup);

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Freshness probe of vector store ${o.name}: lists its ingestion jobs, writes its log group`,
    });
    this.logGroup.grantWrite(this.role);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...PROBE_ACTIONS], resources: [o.knowledgeBaseArn] }));

    this.function = new lambda.Function(this, 'Function', {
      description: `Vector store ${o.name} (ai-stack-constructs): publishes the index's age and its ingestion jobs' outcomes every ${PROBE_RATE.toHumanString()}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(ingestBundleDir('aws')),
      handler: 'index.handler',
      memorySize: 256,
      // A page or two of ListIngestionJobs, with the SDK's retries of a throttled call.
      timeout: Duration.minutes(1),
      // One probe at a time: a retried run never overlaps the next one.
      reservedConcurrentExecutions: 1,
      // The schedule invokes asynchronously; a retry carries the same schedule time, so it counts the
      // same window and no failure is counted twice or missed.
      retryAttempts: 2,
      environment: {
        [INGEST_ENV.name]: o.name,
        [AWS_PROBE_ENV.knowledgeBaseId]: o.knowledgeBaseId,
        [AWS_PROBE_ENV.dataSourceId]: o.dataSourceId,
        [AWS_PROBE_ENV.dataSourceCreatedAt]: o.dataSourceCreatedAt,
        [AWS_PROBE_ENV.metricsNamespace]: this.namespace,
      },
      role: this.role,
      logGroup: this.logGroup,
    });
    // The role's policy must be in place before the first run.
    this.function.node.addDependency(this.role);

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: `Invokes the freshness probe of vector store ${o.name} every ${PROBE_RATE.toHumanString()}`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Vector store ${o.name}: publishes the index's age and the ingestion jobs that finished in the last ${PROBE_RATE.toHumanString()}`,
      schedule: scheduler.ScheduleExpression.rate(PROBE_RATE),
      target: new targets.LambdaInvoke(this.function, {
        role: this.schedulerRole,
        // The probe's window ends at the schedule's time, not at the moment it runs: consecutive
        // windows then meet exactly, whatever the invocation's delay.
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        // The next probe runs within the hour and the age does not depend on this one.
        retryAttempts: 0,
      }),
    });

    const notify = o.alarmTopic ? new actions.SnsAction(o.alarmTopic) : undefined;
    this.indexAgeAlarm = new cloudwatch.Alarm(this, 'IndexAgeAlarm', {
      alarmDescription:
        `Vector store ${o.name}: no ingestion job has completed for over ${Duration.seconds(this.staleAfterSeconds).toHumanString()} (twice the longest gap of refreshSchedule ${o.refreshSchedule}), ` +
        `or the freshness probe has published nothing for ${INDEX_AGE_EVALUATION_PERIODS} hours. See the probe's log group and the data source's ingestion jobs.`,
      metric: this.metric(FRESHNESS_METRICS.indexAge, cloudwatch.Stats.MAXIMUM),
      threshold: this.staleAfterSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: INDEX_AGE_EVALUATION_PERIODS,
      datapointsToAlarm: INDEX_AGE_EVALUATION_PERIODS,
      // The probe publishes the age every hour, from the data source's creation until the first job
      // completes: no data means the probe (or its schedule, role or bundle) is broken.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.failedIngestionJobsAlarm = new cloudwatch.Alarm(this, 'FailedIngestionJobsAlarm', {
      alarmDescription: `Vector store ${o.name}: an ingestion job ended FAILED; the probe's log line names it, and aws bedrock-agent get-ingestion-job gives its failureReasons`,
      metric: this.metric(FRESHNESS_METRICS.failedJobs, cloudwatch.Stats.SUM),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // A silent probe is the age alarm's to report.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [this.indexAgeAlarm, this.failedIngestionJobsAlarm];
    if (notify) for (const alarm of alarms) alarm.addAlarmAction(notify);

    acknowledgeProbeFindings(this.function, this.schedulerRole, this.logGroup, { logRetentionDays: o.logRetention, logEncrypted: o.logEncryptionKey !== undefined });
    if (!notify) for (const alarm of alarms) acknowledgeAlarmWithoutAction(alarm);
  }

  /** A freshness metric (`FRESHNESS_METRICS`) of this vector store, per probe interval. */
  public metric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: this.namespace, metricName, dimensionsMap: { ...this.dimensions }, statistic, period: PROBE_RATE, ...props });
  }
}
