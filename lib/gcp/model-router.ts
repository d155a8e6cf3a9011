import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { AssetType, TerraformAsset, Token } from 'cdktf';
import { Construct } from 'constructs';
import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { FirestoreDatabase } from '@cdktf/provider-google/lib/firestore-database';
import { FirestoreField } from '@cdktf/provider-google/lib/firestore-field';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { LoggingProjectBucketConfig } from '@cdktf/provider-google/lib/logging-project-bucket-config';
import { LoggingProjectExclusion } from '@cdktf/provider-google/lib/logging-project-exclusion';
import { LoggingProjectSink } from '@cdktf/provider-google/lib/logging-project-sink';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringDashboard } from '@cdktf/provider-google/lib/monitoring-dashboard';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { SecretManagerSecretVersion } from '@cdktf/provider-google/lib/secret-manager-secret-version';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import type { TerraformResource } from 'cdktf';
import {
  refuseInvalidProps,
  resolveRouterDeployment,
  type AiStackDesign,
  type GpuEndpointDesign,
  type ModelPriceOverride,
  type NamePrefixProps,
  type ResolvedRouterDeployment,
  type RouterDesign,
} from '../design';
import { placeRouter, type RouterPlacement } from '../design/router-placement';
import { routerBundleDir } from '../common/router-bundle';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn } from '../cdktf/warnings';
import { serializeRouterConfig, type RouterConfig } from '../router/config';
import { deployedRouterConfig } from '../router/deployed-config';
import { DEFAULT_SECRET_REFRESH_SECONDS, endpointKeyEnv, endpointUrlEnv, ROUTER_ENV, secretRef } from '../router/deploy-env';
import { FIRESTORE_LEDGER_COLLECTION, FIRESTORE_RATE_COLLECTION } from '../router/stores/firestore/schema';
import { parseSecretRef, SECRET_ACCESSOR_ROLE } from './gpu-endpoint/secrets';
import type { IRouterGuardrail } from './guardrail';
import { EndpointApiKey } from './model-router/endpoint-key';
import { dashboardJson, errorRateCondition, latencyCondition, logMetrics, serviceLogFilter, type RouterLogMetric } from './model-router/monitoring';
import {
  BUNDLE_MOUNT_PATH,
  bundleBucketName,
  bundleObjectName,
  cloudRunCpu,
  cloudRunScaling,
  configObjectName,
  DEFAULT_REQUESTS_PER_INSTANCE,
  defaultRouterImage,
  HEALTH_PATH,
  ROUTER_CONTAINER_PORT,
  routerNames,
  type CloudRunScaling,
  type RouterNames,
} from './model-router/plan';
import { validateGcpModelRouterProps } from './model-router/validate';
import { bundleBucket } from './bundle-bucket';

export { EndpointApiKey, type EndpointApiKeyProps } from './model-router/endpoint-key';
export { cloudRunCpu, cloudRunScaling, defaultRouterImage, DEFAULT_REQUESTS_PER_INSTANCE, type CloudRunScaling } from './model-router/plan';

/** The VPC network and subnetwork of the GPU endpoints, which the router joins with Direct VPC egress. */
export interface ModelRouterNetwork {
  /** The network's id (`projects/<p>/global/networks/<name>`) or name; not a self link URL. */
  readonly network: string;
  /** The subnetwork's id (`projects/<p>/regions/<region>/subnetworks/<name>`) or name, in `region`; the router's instances take addresses from it. */
  readonly subnetwork: string;
}

/** A GPU endpoint the router calls. */
export interface ModelRouterEndpoint {
  /** Base URL of the endpoint, without `/v1` (`GpuEndpoint.url`: `http://<internal address>:<port>`). */
  readonly url: string;
  /** The model id the endpoint's server serves (its `server.model`), sent as the request's `model`. */
  readonly model: string;
  /**
   * Secret Manager secret (`projects/<p>/secrets/<name>`, or `<name>` in the router's project) of the
   * API key the endpoint requires; the router reads its `latest` version. The endpoint must be given
   * the same secret (`serverSecrets: { VLLM_API_KEY: ... }`): share one `EndpointApiKey`.
   * @default - the router creates one (`endpointKeys[name]`); pass its `secretId` to the endpoint's serverSecrets
   */
  readonly apiKeySecret?: string;
}

/**
 * Props of the Google Cloud {@link ModelRouter}: the neutral router design (models, routes, tenants,
 * deployment size, alarms) plus the GCP fields. Unknown props are refused.
 */
export interface ModelRouterProps extends RouterDesign, NamePrefixProps {
  /** Region of the Cloud Run service, the Firestore database, the secrets' replicas, the bucket and the log bucket, e.g. `us-central1`. */
  readonly region: string;
  /**
   * Project of the IAM grants and of the bucket's name.
   * @default - the provider's project
   */
  readonly project?: string;
  /**
   * The network and subnetwork of the GPU endpoints: the service joins them with Direct VPC egress
   * (egress PRIVATE_RANGES_ONLY: only private addresses go through the VPC). Required when a target
   * is a GPU endpoint.
   * @default - no VPC access (the router calls only managed models)
   */
  readonly network?: ModelRouterNetwork;
  /**
   * The GPU endpoints the router's `endpoint` targets name, by endpoint name: one entry for each.
   * @default - none
   */
  readonly endpoints?: Readonly<Record<string, ModelRouterEndpoint>>;
  /**
   * Service account the service runs as. When given, the construct creates no service account and
   * grants it no project roles (it needs roles/logging.logWriter and roles/monitoring.metricWriter,
   * and roles/aiplatform.user when a target is on Vertex AI); it still grants it access to what the
   * construct creates: each secret, the Firestore database, the bundle bucket.
   * @default - a new service account with roles/logging.logWriter, roles/monitoring.metricWriter and, when a target is on Vertex AI, roles/aiplatform.user on the project
   */
  readonly serviceAccountEmail?: string;
  /**
   * Container image that runs the bundle: `node` (22 or later) on its PATH; the service runs
   * `node /router/<prefix>-router-<sha256>.js`.
   * @default - `defaultRouterImage(region)`: `<region>-docker.pkg.dev/serverless-runtimes/google-22/runtimes/nodejs22`, the image Cloud Run's own Node.js 22 runtime runs on (a tag Google patches, resolved to a digest per revision)
   */
  readonly image?: string;
  /**
   * Requests one instance serves at once at most (`max_instance_request_concurrency`); the instance
   * count is `ceil(deployment.maxConcurrentRequests / this)` and the requests are spread evenly.
   * @default DEFAULT_REQUESTS_PER_INSTANCE (80)
   */
  readonly maxRequestsPerInstance?: number;
  /**
   * Instances kept warm. 0 scales to zero (a cold start of about a second on the first request).
   * @default 0
   */
  readonly minInstances?: number;
  /**
   * Cloud Monitoring notification channels (`projects/<p>/notificationChannels/<id>`) of the two alerts.
   * @default - none: the alerts open incidents in Cloud Monitoring only
   */
  readonly notificationChannels?: readonly string[];
  /**
   * Your own per-1K-token prices by catalog model id (the design's `prices.models`).
   * @default - catalog prices
   */
  readonly modelPrices?: Readonly<Record<string, ModelPriceOverride>>;
  /**
   * How many clouds run this design's router: each keeps its own ledger, so each gets this share of
   * every tenant's monthly budget (`splitBudget`).
   * @default 1
   */
  readonly routerClouds?: number;
  /**
   * The router bundle file to deploy.
   * @default - the `index.js` of `routerBundleDir('gcp')`, shipped in the package
   */
  readonly bundlePath?: string;
  /**
   * The guard the router calls before any paid call and on every answer (a `Guardrail`, or your own
   * `IRouterGuardrail`): its variables go into the service's environment, its section into the
   * router config, and the service account gets its grant (also when `serviceAccountEmail` is given).
   * @default - no cloud guard: the router runs no guard stage
   */
  readonly guardrail?: IRouterGuardrail;
}

/** The router fields of the props: what the design's `router` section holds. */
function routerDesignOf(props: ModelRouterProps): RouterDesign {
  const { models, routes, tenants, circuitBreaker, traffic, deployment, alarms } = props;
  return Object.fromEntries(Object.entries({ models, routes, tenants, circuitBreaker, traffic, deployment, alarms }).filter(([, v]) => v !== undefined)) as unknown as RouterDesign;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The OpenAI-compatible model router on Google Cloud: the shipped router bundle on a Cloud Run
 * service (no image build: the bundle is an object in a bucket mounted read-only into a Node.js
 * runtime image), a Firestore ledger shared by every instance, tenant key hashes and GPU endpoint
 * keys in Secret Manager, a service account with only the roles it needs, and a dashboard, two
 * alerts and a log bucket of its own.
 */
export class ModelRouter extends Construct {
  /** Prefix of every physical name of the router. */
  public readonly namePrefix: string;
  /** Physical names (service, database, secret, metrics, …). */
  public readonly names: RouterNames;
  /** What this cloud serves of the design: only Vertex AI and GPU endpoint targets run here. */
  public readonly placement: RouterPlacement;
  /** The config the service deploys (the Cloud Storage object `configObject`). */
  public readonly config: RouterConfig;
  /** Size, timeout and alarm thresholds with defaults applied. */
  public readonly deployment: ResolvedRouterDeployment;
  /** Instances and requests per instance. */
  public readonly scaling: CloudRunScaling;

  public readonly service: CloudRunV2Service;
  /** `https://…run.app`: the router's URL (append `/v1` for OpenAI clients). */
  public readonly url: string;
  /** The service account the construct created; undefined when `serviceAccountEmail` was given. */
  public readonly serviceAccount?: ServiceAccount;
  public readonly serviceAccountEmail: string;

  /** Firestore database (Native mode) of the ledger and the rate limiter. */
  public readonly database: FirestoreDatabase;
  /** The secret of the tenant key hashes: JSON `{ "<tenant>": ["<sha256 hex>", …] }`, edited by adding versions. */
  public readonly keyHashesSecret: SecretManagerSecret;
  /** Its first version, `{}` (Terraform never replaces it: operators add the versions that count). */
  public readonly keyHashesVersion: SecretManagerSecretVersion;
  /** The endpoint keys the construct created, by endpoint name (endpoints given `apiKeySecret` have none). */
  public readonly endpointKeys: Readonly<Record<string, EndpointApiKey>>;

  /** Bucket of the bundle and the config (mounted read-only at /router). */
  public readonly bucket: StorageBucket;
  public readonly bundleObject: StorageBucketObject;
  public readonly configObject: StorageBucketObject;
  /** SHA-256 of the deployed bundle file. */
  public readonly bundleSha256: string;

  /** Log bucket keeping the service's logs `logRetentionDays`, the sink routing them there, and their exclusion from `_Default`. */
  public readonly logBucket: LoggingProjectBucketConfig;
  public readonly logSink: LoggingProjectSink;
  public readonly logExclusion: LoggingProjectExclusion;
  /** Log-based metrics of the request log. */
  public readonly logMetrics: Readonly<Record<RouterLogMetric, LoggingMetric>>;
  public readonly dashboard: MonitoringDashboard;
  public readonly errorRateAlert: MonitoringAlertPolicy;
  public readonly latencyAlert: MonitoringAlertPolicy;

  private clientConfig?: DataGoogleClientConfig;

  constructor(scope: Construct, id: string, props: ModelRouterProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateGcpModelRouterProps(props, 'props', problems));
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    const names = routerNames(this.namePrefix);
    this.names = names;
    const region = props.region;
    const project = this.projectOf(props);
    const router = routerDesignOf(props);
    const endpoints = props.endpoints ?? {};

    // What runs here, and the config the bundle reads.
    this.placement = placeRouter(router, 'gcp');
    this.warnAboutPlacement();
    const design = {
      name: this.namePrefix,
      region: { gcp: region },
      tags: {},
      endpoints: Object.entries(endpoints).map(([name, e]) => ({ name, server: { model: e.model } }) as unknown as GpuEndpointDesign),
      router,
      ...(props.modelPrices ? { prices: { models: props.modelPrices } } : {}),
      ...(props.guardrail?.design ? { guardrails: props.guardrail.design } : {}),
    } as unknown as AiStackDesign;
    this.config = deployedRouterConfig(design, 'gcp', props.routerClouds ?? 1);
    this.deployment = resolveRouterDeployment(router);
    this.scaling = cloudRunScaling(this.deployment.maxConcurrentRequests, props.maxRequestsPerInstance ?? DEFAULT_REQUESTS_PER_INSTANCE);
    const usesVertex = this.placement.router.models.some((m) => m.provider === 'vertex');

    // Identity: least privilege, or the caller's account.
    let member: string;
    const grants: TerraformResource[] = [];
    if (props.serviceAccountEmail) {
      this.serviceAccountEmail = props.serviceAccountEmail;
      member = `serviceAccount:${props.serviceAccountEmail}`;
    } else {
      const sa = new ServiceAccount(this, 'ServiceAccount', {
        accountId: names.serviceAccount,
        displayName: `Model router ${this.namePrefix}`,
        description: 'Runs the ai-stack model router on Cloud Run: calls Vertex AI, reads its secrets, keeps its ledger in Firestore, writes logs and metrics.',
      });
      this.serviceAccount = sa;
      this.serviceAccountEmail = sa.email;
      member = sa.member;
      const roles: [string, string][] = [
        ['LogWriter', 'roles/logging.logWriter'],
        ['MetricWriter', 'roles/monitoring.metricWriter'],
      ];
      // Vertex AI has no IAM on a publisher model: the role is project-wide, and only when a target needs it.
      if (usesVertex) roles.push(['VertexUser', 'roles/aiplatform.user']);
      for (const [cid, role] of roles) grants.push(new ProjectIamMember(this, cid, { project, role, member }));
    }
    if (props.guardrail) grants.push(...props.guardrail.grantUse(this.serviceAccountEmail));

    // Ledger: a Native-mode database of its own, recoverable, protected from deletion.
    this.database = new FirestoreDatabase(this, 'Database', {
      name: names.database,
      locationId: region,
      type: 'FIRESTORE_NATIVE',
      pointInTimeRecoveryEnablement: 'POINT_IN_TIME_RECOVERY_ENABLED',
      deleteProtectionState: 'DELETE_PROTECTION_ENABLED',
      // With delete protection on, `terraform destroy` fails here until protection is turned off: the
      // ledger is never removed (or left behind) silently.
      deletionPolicy: 'DELETE',
      appEngineIntegrationMode: 'DISABLED',
    });
    grants.push(
      new ProjectIamMember(this, 'DatastoreUser', {
        project,
        role: 'roles/datastore.user',
        member,
        condition: {
          title: `${names.database} only`,
          description: `Read and write the router's Firestore database ${names.database}, no other database of the project`,
          expression: `resource.name == "${this.database.id}"`,
        },
      }),
    );
    // The ledger's maps of open and expired reservations and the rate ring are never queried: no
    // single-field indexes on them (each map entry would add index entries towards Firestore's
    // 40,000 per document, and latency to every write).
    const exempt: [string, string, string][] = [
      ['LedgerOpenField', FIRESTORE_LEDGER_COLLECTION, 'open'],
      ['LedgerExpiredField', FIRESTORE_LEDGER_COLLECTION, 'expired'],
      ['RateSlotsField', FIRESTORE_RATE_COLLECTION, 'slots'],
    ];
    for (const [cid, collection, field] of exempt) {
      const f = new FirestoreField(this, cid, { database: this.database.name, collection, field });
      f.addOverride('index_config', {});
    }

    // Secrets: the tenant key hashes, and one key per GPU endpoint.
    const replication = { userManaged: { replicas: [{ location: region }] } };
    this.keyHashesSecret = new SecretManagerSecret(this, 'KeyHashes', { secretId: names.keyHashesSecret, replication });
    this.keyHashesVersion = new SecretManagerSecretVersion(this, 'KeyHashesInitial', {
      secret: this.keyHashesSecret.id,
      secretData: '{}',
      // Keys are added as new versions by operators; a changed initial value must never become a new
      // `latest` over theirs.
      lifecycle: { ignoreChanges: ['secret_data'] },
    });
    grants.push(new SecretManagerSecretIamMember(this, 'KeyHashesAccessor', { secretId: this.keyHashesSecret.id, role: SECRET_ACCESSOR_ROLE, member }));
    const endpointKeys: Record<string, EndpointApiKey> = {};
    const keyRefs: Record<string, string> = {};
    for (const name of Object.keys(endpoints).sort()) {
      const given = endpoints[name].apiKeySecret;
      let secretId: string;
      if (given === undefined) {
        endpointKeys[name] = new EndpointApiKey(this, `EndpointKey-${name}`, { namePrefix: this.namePrefix, endpointName: name, region });
        secretId = endpointKeys[name].secretId;
      } else if (Token.isUnresolved(given)) {
        secretId = given;
      } else {
        const ref = parseSecretRef(given)!;
        secretId = `projects/${ref.project ?? project}/secrets/${ref.secretId}`;
      }
      grants.push(new SecretManagerSecretIamMember(this, `EndpointKeyAccessor-${name}`, { secretId, role: SECRET_ACCESSOR_ROLE, member }));
      keyRefs[name] = secretRef('gcp-sm', `${secretId}/versions/latest`);
    }
    this.endpointKeys = endpointKeys;

    // Code without a build: the bundle and the config as objects named by their content.
    const bundlePath = props.bundlePath ?? joinPath(routerBundleDir('gcp'), 'index.js');
    this.bundleSha256 = sha256(readFileSync(bundlePath));
    const configJson = serializeRouterConfig(this.config);
    const configSha256 = sha256(configJson);
    this.bucket = bundleBucket(this, 'Bucket', bundleBucketName(this.namePrefix, project), region);
    const asset = new TerraformAsset(this, 'BundleAsset', { path: bundlePath, type: AssetType.FILE, assetHash: this.bundleSha256 });
    const bundleName = bundleObjectName(this.namePrefix, this.bundleSha256);
    const configName = configObjectName(this.namePrefix, configSha256);
    this.bundleObject = new StorageBucketObject(this, 'BundleObject', { bucket: this.bucket.name, name: bundleName, source: asset.path, contentType: 'application/javascript' });
    this.configObject = new StorageBucketObject(this, 'ConfigObject', { bucket: this.bucket.name, name: configName, content: configJson, contentType: 'application/json' });
    grants.push(new StorageBucketIamMember(this, 'BundleReader', { bucket: this.bucket.name, role: 'roles/storage.objectViewer', member }));

    // The service.
    const d = this.deployment;
    const env: Record<string, string> = {
      [ROUTER_ENV.config]: `${BUNDLE_MOUNT_PATH}/${configName}`,
      [ROUTER_ENV.keyHashes]: secretRef('gcp-sm', `${this.keyHashesVersion.secret}/versions/latest`),
      [ROUTER_ENV.secretRefreshSeconds]: String(DEFAULT_SECRET_REFRESH_SECONDS),
      [ROUTER_ENV.store]: 'firestore',
      [ROUTER_ENV.firestoreDatabase]: this.database.id,
      [ROUTER_ENV.ledgerCollection]: FIRESTORE_LEDGER_COLLECTION,
      [ROUTER_ENV.rateCollection]: FIRESTORE_RATE_COLLECTION,
      [ROUTER_ENV.maxRequestMs]: String(d.timeoutSeconds * 1000),
      [ROUTER_ENV.gcpProject]: project,
      // Guard variables only (validated): they cannot replace the router's own.
      ...props.guardrail?.routerEnvironment,
    };
    for (const name of Object.keys(endpoints).sort()) {
      env[endpointUrlEnv(name)] = endpoints[name].url;
      env[endpointKeyEnv(name)] = keyRefs[name];
    }
    const probe = { httpGet: { path: HEALTH_PATH, port: ROUTER_CONTAINER_PORT } };
    this.service = new CloudRunV2Service(this, 'Service', {
      name: names.service,
      location: region,
      description: `ai-stack model router ${this.namePrefix}: OpenAI-compatible endpoint, tenants authenticated by key`,
      // Clients call it from anywhere; the router authenticates every request but /healthz by tenant key.
      ingress: 'INGRESS_TRAFFIC_ALL',
      invokerIamDisabled: true,
      // Stateless (the ledger is in Firestore): a destroy or replace loses nothing.
      deletionProtection: false,
      template: {
        serviceAccount: this.serviceAccountEmail,
        executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
        timeout: `${d.timeoutSeconds}s`,
        maxInstanceRequestConcurrency: this.scaling.requestsPerInstance,
        scaling: { minInstanceCount: props.minInstances ?? 0, maxInstanceCount: this.scaling.maxInstances },
        vpcAccess: props.network
          ? { networkInterfaces: [{ network: props.network.network, subnetwork: props.network.subnetwork }], egress: 'PRIVATE_RANGES_ONLY' }
          : undefined,
        volumes: [{ name: 'router', gcs: { bucket: this.bucket.name, readOnly: true } }],
        containers: [
          {
            name: 'router',
            image: props.image ?? defaultRouterImage(region),
            command: ['node'],
            args: [`${BUNDLE_MOUNT_PATH}/${bundleName}`],
            ports: { name: 'http1', containerPort: ROUTER_CONTAINER_PORT },
            resources: { limits: { cpu: String(cloudRunCpu(d.memoryMiB)), memory: `${d.memoryMiB}Mi` }, cpuIdle: true, startupCpuBoost: true },
            env: Object.entries(env).map(([name, value]) => ({ name, value })),
            volumeMounts: [{ name: 'router', mountPath: BUNDLE_MOUNT_PATH }],
            startupProbe: { ...probe, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
            livenessProbe: { ...probe, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
          },
        ],
      },
      // A revision starts only once its code, config and every grant it uses exist.
      dependsOn: [this.bundleObject, this.configObject, ...grants],
    });
    this.url = this.service.uri;

    // Logs: the service's own bucket with the design's retention, and out of _Default (no double storage).
    const logFilter = serviceLogFilter(names.service);
    this.logBucket = new LoggingProjectBucketConfig(this, 'LogBucket', {
      project,
      location: region,
      bucketId: names.logBucket,
      retentionDays: d.logRetentionDays,
      description: `Logs of the model router ${names.service}, kept ${d.logRetentionDays} days`,
    });
    this.logSink = new LoggingProjectSink(this, 'LogSink', {
      name: names.logBucket,
      description: `Routes the logs of ${names.service} to its log bucket`,
      destination: `logging.googleapis.com/${this.logBucket.id}`,
      filter: logFilter,
      uniqueWriterIdentity: true,
    });
    this.logExclusion = new LoggingProjectExclusion(this, 'LogExclusion', {
      name: names.logBucket,
      description: `The logs of ${names.service} are kept in ${names.logBucket}, not in _Default`,
      filter: logFilter,
    });

    // Metrics from the request log, the dashboard and the alerts.
    const specs = logMetrics(names);
    this.logMetrics = {
      requests: new LoggingMetric(this, 'RequestsMetric', specs.requests),
      cost: new LoggingMetric(this, 'CostMetric', specs.cost),
      overhead: new LoggingMetric(this, 'OverheadMetric', specs.overhead),
      fallbacks: new LoggingMetric(this, 'FallbacksMetric', specs.fallbacks),
      retries: new LoggingMetric(this, 'RetriesMetric', specs.retries),
      budget: new LoggingMetric(this, 'BudgetMetric', specs.budget),
      guard: new LoggingMetric(this, 'GuardMetric', specs.guard),
    };
    this.dashboard = new MonitoringDashboard(this, 'Dashboard', {
      dashboardJson: dashboardJson(`${this.namePrefix} model router`, names, Object.keys(endpoints).sort()),
      dependsOn: Object.values(this.logMetrics),
    });
    const thresholds = { errorRatePercent: d.errorRatePercent, p99LatencyMs: d.p99LatencyMs, evaluationMinutes: d.evaluationMinutes };
    const channels = props.notificationChannels ? [...props.notificationChannels] : undefined;
    const runbook = `Model router ${names.service} (${region}). Request logs: log bucket ${names.logBucket}; errors by outcome and fallbacks on the dashboard '${this.namePrefix} model router'.`;
    this.errorRateAlert = new MonitoringAlertPolicy(this, 'ErrorRateAlert', {
      displayName: `${names.service}: 5xx above ${d.errorRatePercent}%`,
      combiner: 'OR',
      severity: 'ERROR',
      conditions: [{ displayName: `5xx share of requests above ${d.errorRatePercent}% for ${d.evaluationMinutes} min`, conditionThreshold: errorRateCondition(names.service, thresholds) }],
      notificationChannels: channels,
      documentation: { mimeType: 'text/markdown', content: runbook },
    });
    this.latencyAlert = new MonitoringAlertPolicy(this, 'LatencyAlert', {
      displayName: `${names.service}: p99 latency above ${d.p99LatencyMs} ms`,
      combiner: 'OR',
      severity: 'WARNING',
      conditions: [{ displayName: `p99 request latency above ${d.p99LatencyMs} ms for ${d.evaluationMinutes} min`, conditionThreshold: latencyCondition(names.service, thresholds) }],
      notificationChannels: channels,
      documentation: { mimeType: 'text/markdown', content: `${runbook} Cloud Run's latency of a stream is the whole stream.` },
    });
  }

  /** `props.project`, or the provider's project (read once through `data.google_client_config`). */
  private projectOf(props: ModelRouterProps): string {
    if (props.project !== undefined) return props.project;
    this.clientConfig ??= new DataGoogleClientConfig(this, 'ClientConfig');
    return this.clientConfig.project;
  }

  private warnAboutPlacement(): void {
    const p = this.placement;
    if (p.targetsElsewhere.length > 0) {
      warn(
        this,
        'router-targets-elsewhere',
        `the router on Google Cloud leaves out ${p.targetsElsewhere.map((t) => `'${t}'`).join(', ')}: it calls Vertex AI and the GPU endpoints only (another cloud's models need that cloud's credentials)` +
          (p.routesElsewhere.length > 0 ? `, so the routes ${p.routesElsewhere.map((r) => `'${r}'`).join(', ')} are not served here` : '') +
          '. Deploy the design on those clouds too, or give those routes a Vertex AI or GPU endpoint target or fallback.',
      );
    }
    if (p.router.routes.length === 0) {
      warn(this, 'router-no-routes', 'the router on Google Cloud serves no route (no route has a Vertex AI or GPU endpoint target or fallback): every chat request will be answered 404 model_not_found.');
    }
  }
}
