import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { AssetType, TerraformAsset, Token, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { BillingBudget } from '@cdktf/provider-google/lib/billing-budget';
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import type { BudgetDesign } from '../design/budget';
import type { NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { BUDGET_ENV } from '../budget/deploy-env';
import type { FleetRef } from '../budget/fleets/types';
import { budgetBundleDir } from '../common/router-bundle';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn } from '../cdktf/warnings';
import { ROUTER_ENV } from '../router/deploy-env';
import { FIRESTORE_LEDGER_COLLECTION } from '../router/stores/firestore/schema';
import {
  actualThresholds,
  budgetAmount,
  budgetBucketName,
  budgetNames,
  DEFAULT_COST_LABEL,
  planThresholdRules,
  type BudgetNames,
  type ThresholdRulePlan,
} from './budget/rules';
import { logMetricType, tenantBudgetCondition, watchBudgetCondition, watchMetricSpec, noticeLogFilter } from './budget/monitoring';
import { validateGcpBudgetProps } from './budget/validate';
import { defaultRouterImage } from './model-router/plan';
import type { ModelRouter } from './model-router';
import { bundleBucket } from './bundle-bucket';

export { budgetNames, planThresholdRules, DEFAULT_COST_LABEL, type BudgetNames, type ThresholdRulePlan } from './budget/rules';

/** Where the stop function's bundle is mounted in its container (a read-only Cloud Storage volume). */
export const BUDGET_MOUNT_PATH = '/budget';

/** How often Cloud Scheduler runs the watch (unix-cron, UTC). */
export const WATCH_SCHEDULE = '*/5 * * * *';

/** The tenant levels of the router's budget metric that alert, percent of each tenant's monthly budget. */
export const TENANT_ALERT_PERCENTS: readonly number[] = [80, 100];

/**
 * The stop function's compute permissions: read and resize a managed instance group, read and
 * patch its autoscaler (lib/budget/fleets/gcp.ts; Compute Engine REST reference: `resize` needs
 * compute.instanceGroupManagers.update on the group, `autoscalers.patch` compute.autoscalers.get and
 * .update on the autoscaler). Granted on the stack's groups and autoscalers only, by an IAM condition
 * on `resource.name`.
 */
export const SCALER_PERMISSIONS: readonly string[] = ['compute.autoscalers.get', 'compute.autoscalers.update', 'compute.instanceGroupManagers.get', 'compute.instanceGroupManagers.update'];

/**
 * Waiting for the resize and patch operations (`regionOperations.wait`, `zoneOperations.wait`):
 * operations have generated names, so no condition can name them; reading one's status is all this allows.
 */
export const OPERATION_PERMISSIONS: readonly string[] = ['compute.regionOperations.get', 'compute.zoneOperations.get'];

/** The router's side of the budget: where the stop function keeps its record, and what the tenant alerts read. */
export interface IBudgetRouter {
  /** The router's Firestore database, `projects/<p>/databases/<d>` (`ModelRouter.database.id`): the stop function reads the tenants' spend and writes the spend-stop record there. */
  readonly firestoreDatabase: string;
  /**
   * The ledger's collection; the record is its document `$stop`.
   * @default FIRESTORE_LEDGER_COLLECTION ('ai-stack-ledger')
   */
  readonly ledgerCollection?: string;
  /** The router's tenant ids: the watch sums their month, and each gets its own alerts. */
  readonly tenants: readonly string[];
  /** Metric type of the router's per-request budget used, labelled by tenant (`logging.googleapis.com/user/<prefix>-router-budget-used`). */
  readonly budgetMetricType: string;
}

/** The `IBudgetRouter` of a Google Cloud `ModelRouter`. */
export function budgetRouterOf(router: ModelRouter): IBudgetRouter {
  return {
    firestoreDatabase: router.database.id,
    ledgerCollection: FIRESTORE_LEDGER_COLLECTION,
    tenants: router.config.tenants.map((t) => t.id),
    // The metric's name attribute: the alerts then wait for the metric to exist.
    budgetMetricType: logMetricType(router.logMetrics.budget.name),
  };
}

/** A managed instance group the hard stop scales to zero, brought by the caller. */
export interface BudgetFleet {
  /** The group: `projects/<p>/regions/<r>/instanceGroupManagers/<name>` (or `zones/<z>`), or its self link. */
  readonly group: string;
  /**
   * The group's autoscaler (same form, `autoscalers/<name>`). The stop function may touch only the
   * autoscalers listed here: a group with an autoscaler left out cannot be stopped (permission denied).
   * @default - the group has no autoscaler
   */
  readonly autoscaler?: string;
}

/** A GPU fleet's groups (a `gcp.GpuEndpoint`'s `groups`). */
export interface IBudgetFleetSource {
  readonly groups: readonly { readonly group: { readonly id: string }; readonly autoscaler?: { readonly id: string } }[];
}

/**
 * Props of the Google Cloud {@link Budget}: the neutral budget design plus the GCP fields. Unknown
 * props are refused.
 */
export interface BudgetProps extends BudgetDesign, NamePrefixProps {
  /** Region of the stop function, its scheduler job and its bucket, e.g. `us-central1`. */
  readonly region: string;
  /**
   * Project of the stack: the budget counts its costs only, and the IAM grants are made in it.
   * @default - the provider's project
   */
  readonly project?: string;
  /** The stack's cost labels (`gcp.AiStack.costLabels.labels`): the budget filters by one of them. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * The label the budget filters by (Cloud Billing takes a single label pair): the key, whose value
   * is taken from `labels`.
   * @default DEFAULT_COST_LABEL ('application'): the standard cost tag that names the stack
   */
  readonly costLabel?: string;
  /**
   * Count only the costs of `project` (`budget_filter.projects = ["projects/<number>"]`), besides the label.
   * @default true
   */
  readonly scopeToProject?: boolean;
  /**
   * The router: its ledger holds the stop flag and each tenant's spend, and its budget metric the
   * tenants' levels. Without it there is no stop function, no watch and no tenant alerts (a warning
   * says so): only the billing budget's emails.
   * @default - no router
   */
  readonly router?: IBudgetRouter;
  /**
   * GPU endpoints whose groups the hard stop scales to zero (each `gcp.GpuEndpoint`).
   * @default - none
   */
  readonly endpoints?: readonly IBudgetFleetSource[];
  /**
   * More managed instance groups the hard stop scales to zero.
   * @default - none
   */
  readonly fleets?: readonly BudgetFleet[];
  /**
   * Container image that runs the stop function's bundle (`node` 22 or later on its PATH).
   * @default - `defaultRouterImage(region)`, the Node.js 22 runtime image of Cloud Run's own Node.js runtime
   */
  readonly image?: string;
  /**
   * The stop function bundle file.
   * @default - `index.js` of `budgetBundleDir('gcp')`, shipped in the package
   */
  readonly bundlePath?: string;
  /**
   * IAM members allowed to call the stop function (roles/run.invoker on its service), for the
   * operator's `{"action":"resume"}` and `{"action":"status"}`.
   * @default - none: only the push subscription's and the scheduler's service accounts (grant an operator with gcloud when needed)
   */
  readonly operatorMembers?: readonly string[];
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** `projects/...` from a self link (IAM conditions name Compute Engine resources that way). */
const resourcePath = (locator: string) => (Token.isUnresolved(locator) ? locator : locator.replace(/^https:\/\/(?:www|compute)\.googleapis\.com\/compute\/v1\//, ''));

/**
 * The budget of a stack on Google Cloud, on two clocks. Billed spend: a Cloud Billing budget on the
 * design's billing account, filtered to the stack's project and cost label, with the design's
 * thresholds as fractions (actual and forecast), emails through Cloud Monitoring channels and every
 * update to a Pub/Sub topic. Router-charged spend: a stop function on Cloud Run that Cloud Scheduler
 * runs every 5 minutes to sum the month from the router's ledger, alerts on that figure and on each
 * tenant's level, and, at `hardStop.atPercent` of either clock, the stop: the flag the routers answer
 * 402 on, and every GPU group scaled to zero, resumable. See docs/gcp/budget.md.
 */
export class Budget extends Construct {
  public readonly namePrefix: string;
  public readonly names: BudgetNames;
  /** The budget's threshold rules, as planned (fractions). */
  public readonly thresholdRules: readonly ThresholdRulePlan[];
  /** The label pair the budget filters by. */
  public readonly costLabel: { readonly key: string; readonly value: string };

  public readonly budget: BillingBudget;
  /** One email channel per address of `notifyEmails`, in order. */
  public readonly emailChannels: readonly MonitoringNotificationChannel[];

  /** The stop function and its triggers: present with a router. */
  public readonly stopFunction?: CloudRunV2Service;
  public readonly stopServiceAccount?: ServiceAccount;
  /** Bucket of the stop function's bundle (mounted read-only), and the bundle in it. */
  public readonly bucket?: StorageBucket;
  public readonly bundleObject?: StorageBucketObject;
  /** SHA-256 of the deployed bundle file. */
  public readonly bundleSha256?: string;
  /** The topic of the budget's updates and the push subscription to the stop function: present with a hard stop. */
  public readonly topic?: PubsubTopic;
  public readonly pushSubscription?: PubsubSubscription;
  public readonly pushServiceAccount?: ServiceAccount;
  /** The watch every 5 minutes, and the account it calls as. */
  public readonly watchJob?: CloudSchedulerJob;
  public readonly schedulerServiceAccount?: ServiceAccount;
  /** The compute permissions of the stop: present with a hard stop and at least one group. */
  public readonly scalerRole?: ProjectIamCustomRole;
  public readonly operationsRole?: ProjectIamCustomRole;
  /** Every IAM grant the construct makes (project bindings, the service's invokers, the bucket, the push account). */
  public readonly grants: readonly TerraformResource[];
  /** The groups the stop scales to zero, as the function reads them. */
  public readonly fleets: readonly FleetRef[];

  /** The log-based metric of the watch line, and its alerts by percent. */
  public readonly watchMetric?: LoggingMetric;
  public readonly stackAlerts: Readonly<Record<number, MonitoringAlertPolicy>>;
  /** Alerts on each tenant's level, by tenant then percent. */
  public readonly tenantAlerts: Readonly<Record<string, Readonly<Record<number, MonitoringAlertPolicy>>>>;
  /** Emails the stop function's notices (a stop, or a resume) to the design's addresses; absent without a hard stop. */
  public readonly stopNoticeAlert?: MonitoringAlertPolicy;
  /** `https://…run.app`: the stop function's URL (POST `{"action":"resume"}` with an identity token). */
  public readonly stopUrl?: string;

  private clientConfig?: DataGoogleClientConfig;

  constructor(scope: Construct, id: string, props: BudgetProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateGcpBudgetProps(props, 'props', problems));
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    const names = budgetNames(this.namePrefix);
    this.names = names;
    const project = this.projectOf(props);
    const region = props.region;
    const router = props.router;
    const hardStop = props.hardStop;

    // Emails: one channel per address (a budget takes channels, not addresses).
    this.emailChannels = props.notifyEmails.map(
      (email, i) =>
        new MonitoringNotificationChannel(this, `Email${i}`, {
          type: 'email',
          displayName: `${this.namePrefix} budget: ${email}`,
          description: `Budget and spend alerts of the stack ${this.namePrefix}`,
          labels: { email_address: email },
        }),
    );
    const channelIds = this.emailChannels.map((c) => c.id);

    const key = props.costLabel ?? DEFAULT_COST_LABEL;
    this.costLabel = { key, value: props.labels[key] };
    this.thresholdRules = planThresholdRules(props);
    if (this.thresholdRules.some((r) => r.source === 'anomaly-forecast')) {
      warn(
        this,
        'gcp-budget-anomaly-forecast',
        'Google Cloud has no cost anomaly detection a budget can use: anomalyDetection is rendered as a forecast threshold at 100% (FORECASTED_SPEND), which emails when the month is forecast to exceed the budget. Add forecast thresholds to choose the levels, or set anomalyDetection: false.',
      );
    } else if (props.anomalyDetection ?? true) {
      warn(this, 'gcp-budget-anomaly-forecast', "Google Cloud has no cost anomaly detection a budget can use: anomalyDetection is covered by the design's forecast thresholds (FORECASTED_SPEND).");
    }

    // The topic exists only for the hard stop: the budget publishes its state there several times a day.
    if (hardStop && router) {
      this.topic = new PubsubTopic(this, 'Topic', { name: names.topic, messageRetentionDuration: '86400s' });
    }

    // The project number: the budget's project filter and the Pub/Sub service agent are named by it.
    const projectData = props.scopeToProject !== false || this.topic ? new DataGoogleProject(this, 'Project', { projectId: project }) : undefined;
    const amount = budgetAmount(props.monthlyLimitUsd);
    this.budget = new BillingBudget(this, 'Budget', {
      billingAccount: props.billingAccountId!,
      displayName: names.budget,
      // The design's limit is in USD; Cloud Billing refuses a currency other than the account's, so a
      // mismatch fails the apply instead of silently comparing other units.
      amount: { specifiedAmount: { currencyCode: 'USD', units: amount.units, nanos: amount.nanos } },
      budgetFilter: {
        projects: props.scopeToProject === false ? undefined : [`projects/${projectData!.number}`],
        labels: { [key]: this.costLabel.value },
        calendarPeriod: 'MONTH',
        creditTypesTreatment: 'INCLUDE_ALL_CREDITS',
      },
      thresholdRules: this.thresholdRules.map((r) => ({ thresholdPercent: r.thresholdPercent, spendBasis: r.spendBasis })),
      allUpdatesRule: {
        monitoringNotificationChannels: channelIds,
        ...(this.topic ? { pubsubTopic: this.topic.id, schemaVersion: '1.0' } : {}),
      },
    });

    const grants: TerraformResource[] = [];
    const fleets: FleetRef[] = [];
    const stackAlerts: Record<number, MonitoringAlertPolicy> = {};
    const tenantAlerts: Record<string, Record<number, MonitoringAlertPolicy>> = {};
    this.stackAlerts = stackAlerts;
    this.tenantAlerts = tenantAlerts;

    if (!router) {
      warn(
        this,
        'budget-no-router',
        `the budget on Google Cloud has no router: only the billing budget is built (emails at its thresholds, hours after the spend).${hardStop ? ` The hard stop at ${hardStop.atPercent}% is not built: its record lives in the router's ledger.` : ''} There is no stop flag, no watch of the router-charged spend and no tenant alerts. Pass budgetRouterOf(router) as router.`,
      );
      this.fleets = fleets;
      this.grants = grants;
      return;
    }

    // Who the stop scales: only with a hard stop (without one the function only watches).
    if (hardStop) {
      for (const e of props.endpoints ?? []) for (const g of e.groups) fleets.push({ cloud: 'gcp', id: g.group.id, ...(g.autoscaler ? { autoscaler: g.autoscaler.id } : {}) });
      for (const f of props.fleets ?? []) fleets.push({ cloud: 'gcp', id: resourcePath(f.group), ...(f.autoscaler ? { autoscaler: resourcePath(f.autoscaler) } : {}) });
      if (fleets.length === 0) warn(this, 'budget-no-fleets', `the hard stop at ${hardStop.atPercent}% has no GPU fleet to scale to zero: it sets the routers' stop flag only. Pass the stack's GPU endpoints as endpoints (or their groups as fleets).`);
    }
    this.fleets = fleets;

    // Identities: the function's own, and one per caller, each allowed only what it does.
    const account = (cid: string, accountId: string, displayName: string, description: string) => new ServiceAccount(this, cid, { accountId, displayName, description });
    const stopSa = account('StopServiceAccount', names.stopAccount, `Budget stop ${this.namePrefix}`, "Runs the ai-stack budget stop function: reads the router's ledger, writes the spend-stop record, resizes the stack's GPU groups.");
    this.stopServiceAccount = stopSa;
    const schedulerSa = account('SchedulerServiceAccount', names.schedulerAccount, `Budget watch ${this.namePrefix}`, 'Identity Cloud Scheduler calls the budget stop function with, every 5 minutes.');
    this.schedulerServiceAccount = schedulerSa;

    const database = router.firestoreDatabase;
    grants.push(
      new ProjectIamMember(this, 'DatastoreUser', {
        project,
        role: 'roles/datastore.user',
        member: stopSa.member,
        condition: { title: 'router ledger only', description: `Read the tenants' spend and write the spend-stop record in the router's database ${this.namePrefix}, no other database`, expression: `resource.name == "${database}"` },
      }),
    );
    if (fleets.length > 0) {
      this.scalerRole = new ProjectIamCustomRole(this, 'ScalerRole', {
        project,
        roleId: names.scalerRole,
        title: `ai-stack budget stop ${this.namePrefix}: GPU groups`,
        description: 'Read and resize managed instance groups, read and switch their autoscalers: the budget hard stop and its resume',
        permissions: [...SCALER_PERMISSIONS],
      });
      this.operationsRole = new ProjectIamCustomRole(this, 'OperationsRole', {
        project,
        roleId: names.operationsRole,
        title: `ai-stack budget stop ${this.namePrefix}: operations`,
        description: 'Read the status of Compute Engine operations: the budget hard stop waits for its resizes',
        permissions: [...OPERATION_PERMISSIONS],
      });
      const resources = [...new Set(fleets.flatMap((f) => [f.id, ...(f.autoscaler ? [f.autoscaler] : [])]))];
      grants.push(
        new ProjectIamMember(this, 'Scaler', {
          project,
          role: this.scalerRole.id,
          member: stopSa.member,
          condition: {
            title: 'stack GPU groups only',
            description: `The managed instance groups and autoscalers of the stack ${this.namePrefix}`,
            expression: resources.map((r) => `resource.name == "${r}"`).join(' || '),
          },
        }),
        new ProjectIamMember(this, 'OperationsReader', { project, role: this.operationsRole.id, member: stopSa.member }),
      );
    }

    // Code without a build: the bundle as an object named by its content, mounted read-only.
    const bundlePath = props.bundlePath ?? joinPath(budgetBundleDir('gcp'), 'index.js');
    this.bundleSha256 = sha256(readFileSync(bundlePath));
    this.bucket = bundleBucket(this, 'Bucket', budgetBucketName(this.namePrefix, project), region);
    const asset = new TerraformAsset(this, 'BundleAsset', { path: bundlePath, type: AssetType.FILE, assetHash: this.bundleSha256 });
    const bundleName = `${this.namePrefix}-budget-stop-${this.bundleSha256}.js`;
    this.bundleObject = new StorageBucketObject(this, 'BundleObject', { bucket: this.bucket.name, name: bundleName, source: asset.path, contentType: 'application/javascript' });
    grants.push(new StorageBucketIamMember(this, 'BundleReader', { bucket: this.bucket.name, role: 'roles/storage.objectViewer', member: stopSa.member }));

    const env: Record<string, string> = {
      [BUDGET_ENV.fleets]: JSON.stringify(fleets),
      [BUDGET_ENV.tenants]: JSON.stringify(router.tenants),
      [BUDGET_ENV.monthlyLimitUsd]: String(props.monthlyLimitUsd),
      ...(hardStop ? { [BUDGET_ENV.hardStopPercent]: String(hardStop.atPercent) } : {}),
      [ROUTER_ENV.store]: 'firestore',
      [ROUTER_ENV.firestoreDatabase]: database,
      [ROUTER_ENV.ledgerCollection]: router.ledgerCollection ?? FIRESTORE_LEDGER_COLLECTION,
    };
    this.stopFunction = new CloudRunV2Service(this, 'StopFunction', {
      name: names.service,
      location: region,
      description: `ai-stack budget stop ${this.namePrefix}: the watch every 5 minutes, the hard stop and its resume`,
      // Pub/Sub push, Cloud Scheduler and operators reach it with an identity token; IAM lets only the invokers below in.
      ingress: 'INGRESS_TRAFFIC_ALL',
      invokerIamDisabled: false,
      deletionProtection: false,
      template: {
        serviceAccount: stopSa.email,
        executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
        // A stop waits for each resize (minutes at worst); Pub/Sub and Scheduler wait as long.
        timeout: '600s',
        maxInstanceRequestConcurrency: 4,
        scaling: { minInstanceCount: 0, maxInstanceCount: 2 },
        volumes: [{ name: 'budget', gcs: { bucket: this.bucket.name, readOnly: true } }],
        containers: [
          {
            name: 'budget-stop',
            image: props.image ?? defaultRouterImage(region),
            command: ['node'],
            args: [`${BUDGET_MOUNT_PATH}/${bundleName}`],
            ports: { name: 'http1', containerPort: 8080 },
            resources: { limits: { cpu: '1', memory: '512Mi' }, cpuIdle: true },
            env: Object.entries(env).map(([name, value]) => ({ name, value })),
            volumeMounts: [{ name: 'budget', mountPath: BUDGET_MOUNT_PATH }],
          },
        ],
      },
      dependsOn: [this.bundleObject, ...grants],
    });
    this.stopUrl = this.stopFunction.uri;
    const invoker = (cid: string, member: string) =>
      new CloudRunV2ServiceIamMember(this, cid, { project, location: region, name: this.stopFunction!.name, role: 'roles/run.invoker', member });
    const schedulerInvoker = invoker('SchedulerInvoker', schedulerSa.member);
    grants.push(schedulerInvoker);
    (props.operatorMembers ?? []).forEach((m, i) => grants.push(invoker(`OperatorInvoker${i}`, m)));

    // The watch: `{"action":"watch"}` every 5 minutes, with the scheduler account's identity token.
    this.watchJob = new CloudSchedulerJob(this, 'WatchJob', {
      name: names.watchJob,
      region,
      description: `Sums the router-charged spend of the month for the stack ${this.namePrefix}${hardStop ? ` and stops at ${hardStop.atPercent}%` : ''}`,
      schedule: WATCH_SCHEDULE,
      timeZone: 'Etc/UTC',
      attemptDeadline: '600s',
      // The next run is 5 minutes away: one retry, not a pile-up.
      retryConfig: { retryCount: 1, minBackoffDuration: '30s', maxBackoffDuration: '60s' },
      httpTarget: {
        uri: this.stopFunction.uri,
        httpMethod: 'POST',
        body: Buffer.from(JSON.stringify({ action: 'watch' })).toString('base64'),
        headers: { 'Content-Type': 'application/json' },
        oidcToken: { serviceAccountEmail: schedulerSa.email, audience: this.stopFunction.uri },
      },
      dependsOn: [schedulerInvoker],
    });

    // The billed clock's stop: the budget's updates pushed to the function with the push account's token.
    if (this.topic) {
      const pushSa = account('PushServiceAccount', names.pushAccount, `Budget push ${this.namePrefix}`, "Identity the budget's Pub/Sub push subscription calls the budget stop function with.");
      this.pushServiceAccount = pushSa;
      const pushInvoker = invoker('PushInvoker', pushSa.member);
      grants.push(pushInvoker);
      // Pub/Sub mints the push tokens as its service agent; one created on or before 8 April 2021 lacks
      // the grant (Pub/Sub push authentication docs). On this one account only.
      grants.push(
        new ServiceAccountIamMember(this, 'PushTokenCreator', {
          serviceAccountId: pushSa.name,
          role: 'roles/iam.serviceAccountTokenCreator',
          member: `serviceAccount:service-${projectData!.number}@gcp-sa-pubsub.iam.gserviceaccount.com`,
        }),
      );
      this.pushSubscription = new PubsubSubscription(this, 'PushSubscription', {
        name: names.subscription,
        topic: this.topic.id,
        ackDeadlineSeconds: 600,
        messageRetentionDuration: '86400s',
        // Never expire: a month of quiet budget updates must not delete the stop's trigger.
        expirationPolicy: { ttl: '' },
        retryPolicy: { minimumBackoff: '10s', maximumBackoff: '600s' },
        pushConfig: {
          pushEndpoint: this.stopFunction.uri,
          oidcToken: { serviceAccountEmail: pushSa.email, audience: this.stopFunction.uri },
        },
        dependsOn: [pushInvoker],
      });
    }
    this.grants = grants;

    // Alerts: the stack's figure at the design's actual thresholds, each tenant at 80% and 100%.
    const levels = actualThresholds(props);
    this.watchMetric = new LoggingMetric(this, 'WatchMetric', watchMetricSpec(names.watchMetric, names.service, [...levels, ...(hardStop ? [hardStop.atPercent] : [])]));
    const watchType = logMetricType(this.watchMetric.name);
    const runbook = `Stack ${this.namePrefix}: router-charged spend of the month, summed from the router's ledger by the budget stop function ${names.service} every 5 minutes. Billed spend: the billing budget ${names.budget}.`;
    for (const percent of levels) {
      stackAlerts[percent] = new MonitoringAlertPolicy(this, `StackAlert${percent}`, {
        displayName: `${this.namePrefix}: ${percent}% of the monthly budget charged by the routers`,
        combiner: 'OR',
        severity: percent >= 100 ? 'CRITICAL' : 'WARNING',
        conditions: [{ displayName: `router-charged spend at or above ${percent}% of ${props.monthlyLimitUsd} USD`, conditionThreshold: watchBudgetCondition(watchType, percent) }],
        notificationChannels: channelIds,
        documentation: { mimeType: 'text/markdown', content: runbook },
      });
    }
    if (hardStop) {
      // The stop function's own notice: what it stopped or restored, the moment it did.
      (this as { stopNoticeAlert?: MonitoringAlertPolicy }).stopNoticeAlert = new MonitoringAlertPolicy(this, 'StopNoticeAlert', {
        displayName: `${this.namePrefix}: budget stop function acted (stop or resume)`,
        combiner: 'OR',
        severity: 'CRITICAL',
        conditions: [{ displayName: 'a stop or resume notice of the budget stop function', conditionMatchedLog: { filter: noticeLogFilter(names.service) } }],
        // Log-match alerts need a rate limit: one email per 5 minutes at most.
        alertStrategy: { notificationRateLimit: { period: '300s' }, autoClose: '1800s' },
        notificationChannels: channelIds,
        documentation: { mimeType: 'text/markdown', content: `The budget stop function ${names.service} of the stack ${this.namePrefix} stopped paid calls and scaled the GPU fleets to zero, or resumed them; its log line says which and why. Resume: POST {"action":"resume"} to the function with an identity token (docs/gcp/budget.md).` },
      });
    }
    for (const tenant of router.tenants) {
      tenantAlerts[tenant] = {};
      for (const percent of TENANT_ALERT_PERCENTS) {
        tenantAlerts[tenant][percent] = new MonitoringAlertPolicy(this, `TenantAlert-${tenant}-${percent}`, {
          displayName: `${this.namePrefix}: tenant ${tenant} at ${percent}% of its monthly budget`,
          combiner: 'OR',
          severity: percent >= 100 ? 'ERROR' : 'WARNING',
          conditions: [{ displayName: `tenant ${tenant}: budget used at or above ${percent}%`, conditionThreshold: tenantBudgetCondition(router.budgetMetricType, tenant, percent) }],
          notificationChannels: channelIds,
          documentation: {
            mimeType: 'text/markdown',
            content: `Tenant ${tenant} of the stack ${this.namePrefix} has used ${percent}% of its monthly budget (this router's share). At 100% the router answers its paid calls 402 until the month ends or the budget is raised.`,
          },
        });
      }
    }
  }

  /** `props.project`, or the provider's project (read once through `data.google_client_config`). */
  private projectOf(props: BudgetProps): string {
    if (props.project !== undefined) return props.project;
    this.clientConfig ??= new DataGoogleClientConfig(this, 'ClientConfig');
    return this.clientConfig.project;
  }
}
