import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { Aspects, AssetType, Lazy, TerraformAsset, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { CloudRunV2Job } from '@cdktf/provider-google/lib/cloud-run-v2-job';
import { CloudRunV2JobIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-job-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { ComputeForwardingRule } from '@cdktf/provider-google/lib/compute-forwarding-rule';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { KmsCryptoKey } from '@cdktf/provider-google/lib/kms-crypto-key';
import { KmsCryptoKeyIamMember } from '@cdktf/provider-google/lib/kms-crypto-key-iam-member';
import { KmsKeyRing } from '@cdktf/provider-google/lib/kms-key-ring';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { VertexAiIndex } from '@cdktf/provider-google/lib/vertex-ai-index';
import { VertexAiIndexEndpoint } from '@cdktf/provider-google/lib/vertex-ai-index-endpoint';
import { VertexAiIndexEndpointDeployedIndex } from '@cdktf/provider-google/lib/vertex-ai-index-endpoint-deployed-index';
import { findModel } from '../design/catalog/models';
import type { ModelPriceOverride } from '../design/design';
import type { NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { resolveVectorStore, type ResolvedVectorStore, type VectorStoreDesign } from '../design/vector-store';
import { ingestBundleDir } from '../common/router-bundle';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn } from '../cdktf/warnings';
import { INGEST_ENV, PROBE_INTERVAL_SECONDS, RUN_EVENT } from '../ingest/deploy-env';
import { CHUNK_TEXTS_PREFIX } from '../ingest/gcp/chunk-text-names';
import { bundleBucket } from './bundle-bucket';
import { defaultRouterImage } from './model-router/plan';
import {
  eventLogFilter,
  failedRunCondition,
  failedRunsMetricSpec,
  indexAgeMetricSpec,
  logMetricType,
  probeAbsentCondition,
  probesMetricSpec,
  RUN_FIGURES,
  runFigureMetricSpec,
  staleIndexCondition,
  type RunFigure,
} from './vector-store/monitoring';
import { probeAbsentSeconds, probeSchedule, staleAfterSeconds, vectorStoreNames, vertexDistance, type VectorStoreNames, type VertexDistance } from './vector-store/rules';
import { validateGcpVectorStoreProps, validateQueryServiceAccount } from './vector-store/validate';

export { staleAfterSeconds, vertexDistance, vectorStoreNames, type VectorStoreNames, type VertexDistance } from './vector-store/rules';
// The application's side of the chunk texts: where a Match answer's datapoint id finds its text.
export { CHUNK_TEXTS_PREFIX, chunkTextObject, decodeChunkTexts, type ChunkTextLocation, type ChunkTexts } from '../ingest/gcp/chunk-text-names';

/** Where the ingestion bundle is mounted in the job's container (a read-only Cloud Storage volume). */
export const INGEST_MOUNT_PATH = '/ingest';

/**
 * The job's permission on its index: `upsertDatapoints` and `removeDatapoints` are authorized as an
 * update of the index (Vertex AI access control: `aiplatform.indexes.update`). Vertex AI has no IAM
 * policy on an index, so a custom role with this one permission is bound on the project with a
 * condition on the index's resource name.
 */
export const INDEX_WRITER_PERMISSIONS: readonly string[] = ['aiplatform.indexes.update'];

/**
 * Embedding calls (`publishers/google/models/<model>:predict`) are authorized by
 * `aiplatform.endpoints.predict` on the project: a publisher model has no IAM policy of its own.
 */
export const EMBEDDER_PERMISSIONS: readonly string[] = ['aiplatform.endpoints.predict'];

/**
 * What Cloud Scheduler's account may do to the job: run it, and run it with the `args` override of
 * the probe (`run.jobs.runWithOverrides`). The predefined role holds exactly these (and cancelling an
 * execution), granted on this job only.
 */
export const JOB_RUNNER_ROLE = 'roles/run.jobsExecutorWithOverrides';

/** What {@link VectorStore.grantQuery} grants one service account. */
export interface VectorStoreQueryGrants {
  /** roles/iam.serviceAccountTokenCreator on the account itself: it signs the JWTs the deployed index checks. */
  readonly signer: ServiceAccountIamMember;
  /**
   * roles/storage.objectViewer on the state bucket, conditioned on the objects under `chunks/`: the
   * chunk texts a Match answer's ids point to (lib/ingest/gcp/chunk-texts.ts), not the manifest.
   */
  readonly chunkReader: StorageBucketIamMember;
}

/** Index build and deployment take an hour or more (Vector Search builds the tree and starts the nodes). */
export const INDEX_TIMEOUTS = { create: '4h', update: '4h', delete: '2h' } as const;
export const DEPLOYED_INDEX_TIMEOUTS = { create: '4h', update: '4h', delete: '2h' } as const;

/** The network for the Private Service Connect endpoint of the deployed index, brought by the caller. */
export interface VectorStoreNetwork {
  /** The network's id (`projects/<p>/global/networks/<name>`) or self link. */
  readonly network: string;
  /** A subnetwork of `network` in the store's region: the endpoint's internal address is taken from it. */
  readonly subnetwork: string;
}

/**
 * Props of the Google Cloud {@link VectorStore}: the cloud-neutral design plus the GCP fields.
 * Unknown props are refused.
 */
export interface VectorStoreProps extends VectorStoreDesign, NamePrefixProps {
  /** Region of the index, the job, the schedulers and the buckets, e.g. `us-central1`. */
  readonly region: string;
  /**
   * Project of the resources, the IAM grants and the buckets' names.
   * @default - the provider's project
   */
  readonly project?: string;
  /**
   * Name of the bucket of the source documents the job ingests (it must be in `region` or a
   * multi-region holding it). The job gets read access to it.
   * @default - a new bucket `<prefix>-<name>-docs-<project>`: uniform access, public access prevention enforced, versioned, CMEK when a key is given, kept on `terraform destroy` while it holds documents
   */
  readonly sourceBucket?: string;
  /**
   * Service account the job runs as. When given, the construct creates none and grants it no
   * project-wide role (it needs `aiplatform.endpoints.predict`, e.g. roles/aiplatform.user, and
   * roles/logging.logWriter); it still grants it what the construct's own resources need: the
   * buckets and the conditioned index writer role.
   * @default - a new service account with only those grants
   */
  readonly serviceAccountEmail?: string;
  /**
   * Network and subnetwork of the Private Service Connect endpoint the application queries.
   * @default - a new custom-mode network with one subnetwork (`subnetCidr`, Private Google Access on)
   */
  readonly network?: VectorStoreNetwork;
  /**
   * Range of the subnetwork the construct creates for the endpoint (not with `network`).
   * @default '10.100.0.0/28'
   */
  readonly subnetCidr?: string;
  /**
   * Cloud KMS key (`projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`, in the buckets'
   * location) encrypting the buckets the construct creates; the project's Cloud Storage service agent
   * is allowed to use it.
   * @default - Google-managed encryption, unless `createEncryptionKey`
   */
  readonly encryptionKey?: string;
  /**
   * Create a key ring and a key (rotated every 90 days) for the buckets (not with `encryptionKey`).
   * @default false
   */
  readonly createEncryptionKey?: boolean;
  /**
   * Machine of the deployed index's nodes, paid every hour they run.
   * @default 'e2-standard-2' (the smallest Vector Search serves; small shards only)
   */
  readonly machineType?: string;
  /**
   * Shard size of the index (`SHARD_SIZE_SMALL` 2 GiB, `_MEDIUM` 20 GiB, `_LARGE` 50 GiB per shard).
   * @default 'SHARD_SIZE_SMALL'
   */
  readonly shardSize?: string;
  /**
   * Nodes the deployed index always runs on.
   * @default 1
   */
  readonly minReplicas?: number;
  /**
   * Nodes the deployed index scales up to under query load.
   * @default - minReplicas
   */
  readonly maxReplicas?: number;
  /**
   * Time one ingestion run may take before Cloud Run stops it (the next run resumes: the manifest
   * records only finished documents).
   * @default 10800 (3 hours)
   */
  readonly taskTimeoutSeconds?: number;
  /**
   * Retries of a failed run (or probe) by Cloud Run.
   * @default 1
   */
  readonly maxRetries?: number;
  /**
   * Service accounts (emails) allowed to query the deployed index, like {@link VectorStore.grantQuery}.
   * @default - none: grant with grantQuery
   */
  readonly queryServiceAccounts?: readonly string[];
  /**
   * Cloud Monitoring notification channels (`projects/<p>/notificationChannels/<id>`) of the alerts.
   * @default - none: the alerts open incidents in Cloud Monitoring only (`AiStack` passes the budget's email channels)
   */
  readonly notificationChannels?: readonly string[];
  /**
   * Your own per-1K-token prices by catalog model id (the design's `prices.models`): the run events'
   * cost uses the embedding model's input price.
   * @default - catalog prices
   */
  readonly modelPrices?: Readonly<Record<string, ModelPriceOverride>>;
  /**
   * Container image that runs the bundle (`node` 22 or later on its PATH).
   * @default - `defaultRouterImage(region)`, the Node.js 22 image of Cloud Run's own Node.js runtime
   */
  readonly image?: string;
  /**
   * The ingestion bundle file.
   * @default - `index.js` of `ingestBundleDir('gcp')`, shipped in the package
   */
  readonly bundlePath?: string;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Default range of the subnetwork the construct creates for the endpoint: 16 addresses, 1 used. */
export const DEFAULT_ENDPOINT_SUBNET_CIDR = '10.100.0.0/28';

/**
 * A RAG index on Google Cloud: source documents in a Cloud Storage bucket, a Vertex AI Vector Search
 * index with stream updates deployed to an endpoint reachable only through Private Service Connect,
 * and the shipped ingestion runtime on a Cloud Run job that Cloud Scheduler runs on the design's
 * refresh schedule (it embeds only what changed, by content hash kept in a manifest in a state
 * bucket) and every hour as a freshness probe. Log-based metrics and alerts make freshness
 * observable. See docs/gcp/vector-store.md.
 */
export class VectorStore extends Construct {
  /** The design with every default filled in, for GCP. */
  public readonly resolved: ResolvedVectorStore;
  public readonly namePrefix: string;
  public readonly names: VectorStoreNames;
  public readonly project: string;
  public readonly region: string;
  /** Vector Search's distance and normalization for the design's distance. */
  public readonly distance: VertexDistance;

  /** Name of the source documents' bucket (given or created). */
  public readonly sourceBucketName: string;
  /** The source bucket the construct created; absent when `sourceBucket` was given. */
  public readonly sourceBucket?: StorageBucket;
  /** Bucket of the ingestion state: the manifest, and the chunk texts the application reads (`chunks/<stem>.json`). */
  public readonly stateBucket: StorageBucket;
  /** Bucket of the ingestion bundle (mounted read-only), and the bundle in it. */
  public readonly bundleBucket: StorageBucket;
  public readonly bundleObject: StorageBucketObject;
  public readonly bundleSha256: string;
  /** Key of the buckets the construct creates: given, created, or none. */
  public readonly encryptionKeyId?: string;
  public readonly keyRing?: KmsKeyRing;
  public readonly cryptoKey?: KmsCryptoKey;

  public readonly index: VertexAiIndex;
  public readonly indexEndpoint: VertexAiIndexEndpoint;
  public readonly deployedIndex: VertexAiIndexEndpointDeployedIndex;
  /** The Private Service Connect endpoint in the network: its address is where the application queries. */
  public readonly pscAddress: ComputeAddress;
  public readonly pscForwardingRule: ComputeForwardingRule;
  /** The network the construct created for the endpoint; absent when `network` was given. */
  public readonly network?: ComputeNetwork;
  public readonly subnetwork?: ComputeSubnetwork;
  /** JWT audience the deployed index accepts from the query service accounts. */
  public readonly queryAudience: string;

  /** The ingestion job and its identity. */
  public readonly job: CloudRunV2Job;
  public readonly serviceAccount?: ServiceAccount;
  public readonly serviceAccountEmail: string;
  public readonly indexWriterRole: ProjectIamCustomRole;
  public readonly embedderRole?: ProjectIamCustomRole;
  /** The refresh (design's `refreshSchedule`) and the hourly probe, and the account they call the Cloud Run Admin API as. */
  public readonly refreshJob: CloudSchedulerJob;
  public readonly probeJob: CloudSchedulerJob;
  public readonly invokerServiceAccount: ServiceAccount;
  /** Every IAM grant the construct makes. */
  public readonly grants: readonly TerraformResource[];

  /** Log-based metrics of the run events (by figure), failed runs, the index's age and the probes. */
  public readonly runMetrics: Readonly<Record<RunFigure, LoggingMetric>>;
  public readonly failedRunsMetric: LoggingMetric;
  public readonly indexAgeMetric: LoggingMetric;
  public readonly probesMetric: LoggingMetric;
  public readonly failedRunAlert: MonitoringAlertPolicy;
  public readonly staleIndexAlert: MonitoringAlertPolicy;
  public readonly probeMissingAlert: MonitoringAlertPolicy;
  /** Seconds after the last successful run at which the index counts as stale (twice the longest refresh gap). */
  public readonly staleAfterSeconds: number;

  private readonly queryIssuers: string[] = [];
  private readonly grantsList: TerraformResource[];
  private clientConfig?: DataGoogleClientConfig;

  constructor(scope: Construct, id: string, props: VectorStoreProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateGcpVectorStoreProps(props, 'props', problems));
    const r = resolveVectorStore(props, 'gcp');
    this.resolved = r;
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    this.region = props.region;
    const region = props.region;
    const project = this.projectOf(props);
    this.project = project;
    const names = vectorStoreNames(this.namePrefix, r.name, project);
    this.names = names;
    const grants: TerraformResource[] = [];
    this.grantsList = grants;
    const what = `vector store ${this.namePrefix}-${r.name}`;

    // Encryption of the buckets the construct creates: the caller's key, a new one, or Google's.
    if (props.createEncryptionKey) {
      // Key rings cannot be deleted in Cloud KMS: a destroy removes them from the state only, and
      // the key's versions are scheduled for destruction.
      this.keyRing = new KmsKeyRing(this, 'KeyRing', { name: names.keyRing, location: region });
      this.cryptoKey = new KmsCryptoKey(this, 'Key', { name: names.key, keyRing: this.keyRing.id, purpose: 'ENCRYPT_DECRYPT', rotationPeriod: `${90 * 86400}s` });
    }
    this.encryptionKeyId = props.encryptionKey ?? this.cryptoKey?.id;
    let keyGrant: KmsCryptoKeyIamMember | undefined;
    if (this.encryptionKeyId) {
      // Cloud Storage encrypts and decrypts as its project service agent, never as the job.
      const agent = new DataGoogleStorageProjectServiceAccount(this, 'StorageAgent', { project });
      keyGrant = new KmsCryptoKeyIamMember(this, 'StorageAgentKeyUser', { cryptoKeyId: this.encryptionKeyId, role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', member: agent.member });
      grants.push(keyGrant);
    }
    const encryption = this.encryptionKeyId ? { encryption: { defaultKmsKeyName: this.encryptionKeyId } } : {};
    const keyReady = keyGrant ? { dependsOn: [keyGrant] } : {};

    // Buckets: the documents (the customer's data: versioned and kept), the state (rebuilt by a run: destroyed).
    if (props.sourceBucket === undefined) {
      this.sourceBucket = new StorageBucket(this, 'SourceBucket', {
        name: names.sourceBucket,
        location: region,
        uniformBucketLevelAccess: true,
        publicAccessPrevention: 'enforced',
        versioning: { enabled: true },
        // The documents are the customer's: `terraform destroy` deletes the bucket only when it is
        // empty and fails on it otherwise, so no document is ever deleted by Terraform.
        forceDestroy: false,
        ...encryption,
        ...keyReady,
      });
    }
    this.sourceBucketName = this.sourceBucket?.name ?? props.sourceBucket!;
    this.stateBucket = new StorageBucket(this, 'StateBucket', {
      name: names.stateBucket,
      location: region,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      // The manifest is written with ifGenerationMatch, and a lost manifest only makes the next run
      // embed everything again: no versions, destroyed with the stack.
      forceDestroy: true,
      ...encryption,
      ...keyReady,
    });

    // The index: stream updates, so the job upserts and removes datapoints directly.
    this.distance = vertexDistance(r.distance);
    this.index = new VertexAiIndex(this, 'Index', {
      displayName: names.index,
      description: `RAG index ${r.name} of ${this.namePrefix} (ai-stack-constructs): ${r.embedding.providerModelId} embeddings, ${r.distance} distance`,
      region,
      project,
      indexUpdateMethod: 'STREAM_UPDATE',
      metadata: {
        config: {
          dimensions: r.embedding.dimensions,
          distanceMeasureType: this.distance.distanceMeasureType,
          featureNormType: this.distance.featureNormType,
          shardSize: props.shardSize ?? 'SHARD_SIZE_SMALL',
          // Candidates before exact reordering; Vector Search's documented example value.
          approximateNeighborsCount: 150,
          algorithmConfig: { treeAhConfig: { leafNodeEmbeddingCount: 1000, leafNodesToSearchPercent: 10 } },
        },
      },
      timeouts: { ...INDEX_TIMEOUTS },
    });

    // Reached only through Private Service Connect from this project's networks: no public endpoint,
    // and no VPC peering (one peered network per project for Vector Search, and a /16 reserved for it).
    this.indexEndpoint = new VertexAiIndexEndpoint(this, 'Endpoint', {
      displayName: names.endpoint,
      description: `Private (Private Service Connect) endpoint of the RAG index ${r.name} of ${this.namePrefix}`,
      region,
      project,
      publicEndpointEnabled: false,
      privateServiceConnectConfig: { enablePrivateServiceConnect: true, projectAllowlist: [project] },
      timeouts: { create: '1h', update: '1h', delete: '1h' },
    });
    this.queryAudience = `ai-stack/${this.namePrefix}/${r.name}`;
    const minReplicas = props.minReplicas ?? 1;
    this.deployedIndex = new VertexAiIndexEndpointDeployedIndex(this, 'DeployedIndex', {
      indexEndpoint: this.indexEndpoint.id,
      index: this.index.id,
      deployedIndexId: names.deployedIndexId,
      displayName: names.index,
      region,
      dedicatedResources: {
        machineSpec: { machineType: props.machineType ?? 'e2-standard-2' },
        minReplicaCount: minReplicas,
        maxReplicaCount: props.maxReplicas ?? minReplicas,
      },
      timeouts: { ...DEPLOYED_INDEX_TIMEOUTS },
    });
    // Only JWTs signed by the query accounts for this audience are answered (decided at synth: the
    // accounts come from the props and grantQuery).
    this.deployedIndex.addOverride(
      'deployed_index_auth_config',
      Lazy.anyValue({
        produce: () => (this.queryIssuers.length === 0 ? undefined : { auth_provider: { audiences: [this.queryAudience], allowed_issuers: [...new Set(this.queryIssuers)] } }),
      }),
    );

    for (const email of props.queryServiceAccounts ?? []) this.grantQuery(email);

    // The consumer side of Private Service Connect: an internal address and a forwarding rule to the
    // deployed index's service attachment, in the caller's network or one of its own.
    let networkId: string;
    let subnetworkId: string;
    if (props.network) {
      networkId = props.network.network;
      subnetworkId = props.network.subnetwork;
    } else {
      this.network = new ComputeNetwork(this, 'Network', { name: names.network, description: `Network of the private endpoint of the ${what}`, autoCreateSubnetworks: false, routingMode: 'REGIONAL' });
      this.subnetwork = new ComputeSubnetwork(this, 'Subnetwork', {
        name: names.subnetwork,
        region,
        network: this.network.id,
        ipCidrRange: props.subnetCidr ?? DEFAULT_ENDPOINT_SUBNET_CIDR,
        privateIpGoogleAccess: true,
        stackType: 'IPV4_ONLY',
      });
      networkId = this.network.id;
      subnetworkId = this.subnetwork.id;
    }
    this.pscAddress = new ComputeAddress(this, 'PscAddress', { name: names.pscEndpoint, region, subnetwork: subnetworkId, addressType: 'INTERNAL', description: `Private Service Connect endpoint of the ${what}` });
    this.pscForwardingRule = new ComputeForwardingRule(this, 'PscForwardingRule', {
      name: names.pscEndpoint,
      region,
      network: networkId,
      ipAddress: this.pscAddress.id,
      target: this.deployedIndex.privateEndpoints.get(0).serviceAttachment,
      // A Private Service Connect endpoint to a published service takes the empty scheme.
      loadBalancingScheme: '',
    });

    // The job's identity: the caller's, or its own with only what ingestion needs.
    let member: string;
    if (props.serviceAccountEmail) {
      this.serviceAccountEmail = props.serviceAccountEmail;
      member = `serviceAccount:${props.serviceAccountEmail}`;
    } else {
      this.serviceAccount = new ServiceAccount(this, 'JobServiceAccount', {
        accountId: names.jobAccount,
        displayName: `Ingestion ${this.namePrefix}-${r.name}`,
        description: `Runs the ai-stack ingestion job of the ${what}: reads the source bucket, embeds with ${r.embedding.providerModelId}, writes its index and its manifest.`,
      });
      this.serviceAccountEmail = this.serviceAccount.email;
      member = this.serviceAccount.member;
    }
    grants.push(
      new StorageBucketIamMember(this, 'SourceReader', { bucket: this.sourceBucketName, role: 'roles/storage.objectViewer', member }),
      // Objects only (create, read, replace, delete), no bucket settings or IAM: the manifest.
      new StorageBucketIamMember(this, 'StateWriter', { bucket: this.stateBucket.name, role: 'roles/storage.objectUser', member }),
    );
    this.indexWriterRole = new ProjectIamCustomRole(this, 'IndexWriterRole', {
      project,
      roleId: names.indexWriterRole,
      title: `ai-stack ingestion ${this.namePrefix}-${r.name}: index writer`,
      description: 'Upsert and remove datapoints of a Vector Search index (stream updates)',
      permissions: [...INDEX_WRITER_PERMISSIONS],
    });
    grants.push(
      new ProjectIamMember(this, 'IndexWriter', {
        project,
        role: this.indexWriterRole.id,
        member,
        // By the index's location and numeric id: the binding is on this project already, and the
        // suffix holds whether IAM names the project by id or by number.
        condition: { title: 'this index only', description: `Datapoints of the index of the ${what}, no other index`, expression: `resource.name.endsWith("/locations/${region}/indexes/${this.index.name}")` },
      }),
    );
    if (this.serviceAccount) {
      this.embedderRole = new ProjectIamCustomRole(this, 'EmbedderRole', {
        project,
        roleId: names.embedderRole,
        title: `ai-stack ingestion ${this.namePrefix}-${r.name}: embedder`,
        description: 'Call Vertex AI prediction (the embedding model); nothing else of Vertex AI',
        permissions: [...EMBEDDER_PERMISSIONS],
      });
      grants.push(
        new ProjectIamMember(this, 'Embedder', { project, role: this.embedderRole.id, member }),
        new ProjectIamMember(this, 'LogWriter', { project, role: 'roles/logging.logWriter', member }),
      );
    }

    // Code without a build: the bundle as an object named by its content, mounted read-only.
    const bundlePath = props.bundlePath ?? joinPath(ingestBundleDir('gcp'), 'index.js');
    this.bundleSha256 = sha256(readFileSync(bundlePath));
    this.bundleBucket = bundleBucket(this, 'BundleBucket', names.bundleBucket, region);
    const asset = new TerraformAsset(this, 'BundleAsset', { path: bundlePath, type: AssetType.FILE, assetHash: this.bundleSha256 });
    const bundleName = `${this.namePrefix}-ingest-${this.bundleSha256}.js`;
    this.bundleObject = new StorageBucketObject(this, 'BundleObject', { bucket: this.bundleBucket.name, name: bundleName, source: asset.path, contentType: 'application/javascript' });
    grants.push(new StorageBucketIamMember(this, 'BundleReader', { bucket: this.bundleBucket.name, role: 'roles/storage.objectViewer', member }));

    const model = findModel(r.embedding.id)!;
    const pricePer1k = props.modelPrices?.[r.embedding.id]?.inputPer1kUsd ?? model.inputPer1kUsd;
    const env: Record<string, string> = {
      [INGEST_ENV.name]: r.name,
      [INGEST_ENV.chunking]: JSON.stringify({ strategy: r.chunking.strategy, maxTokens: r.chunking.maxTokens, overlapPercent: r.chunking.overlapPercent }),
      [INGEST_ENV.embeddingModel]: r.embedding.providerModelId,
      [INGEST_ENV.embeddingModelId]: r.embedding.id,
      [INGEST_ENV.dimensions]: String(r.embedding.dimensions),
      [INGEST_ENV.distance]: r.distance,
      // USD per million tokens, without float noise (0.000025 per 1K is 0.025 per million).
      [INGEST_ENV.costPerMillionTokensUsd]: String(Number((pricePer1k * 1000).toPrecision(12))),
      [INGEST_ENV.project]: project,
      [INGEST_ENV.location]: region,
      [INGEST_ENV.sourceBucket]: this.sourceBucketName,
      [INGEST_ENV.stateBucket]: this.stateBucket.name,
      [INGEST_ENV.vectorIndex]: this.index.id,
    };
    this.job = new CloudRunV2Job(this, 'Job', {
      name: names.job,
      location: region,
      project,
      // Stateless (the manifest is in the state bucket): a destroy or replace loses nothing.
      deletionProtection: false,
      template: {
        taskCount: 1,
        // One task: two runs at once would race for the manifest (the second loses its compare-and-set).
        parallelism: 1,
        template: {
          serviceAccount: this.serviceAccountEmail,
          // Cloud Storage volumes need the second generation environment.
          executionEnvironment: 'EXECUTION_ENVIRONMENT_GEN2',
          timeout: `${props.taskTimeoutSeconds ?? 10800}s`,
          maxRetries: props.maxRetries ?? 1,
          volumes: [{ name: 'ingest', gcs: { bucket: this.bundleBucket.name, readOnly: true } }],
          containers: [
            {
              name: 'ingest',
              image: props.image ?? defaultRouterImage(region),
              // The bundle is part of the command, the mode its argument: the probe's scheduler
              // overrides `args` alone (`["probe"]`).
              command: ['node', `${INGEST_MOUNT_PATH}/${bundleName}`],
              args: ['run'],
              resources: { limits: { cpu: '1', memory: '1Gi' } },
              env: Object.entries(env).map(([name, value]) => ({ name, value })),
              volumeMounts: [{ name: 'ingest', mountPath: INGEST_MOUNT_PATH }],
            },
          ],
        },
      },
      dependsOn: [this.bundleObject, ...grants],
    });

    // The schedules: Cloud Scheduler calls the Cloud Run Admin API `jobs:run` with an OAuth token of
    // its own account, allowed to run this job only.
    this.invokerServiceAccount = new ServiceAccount(this, 'InvokerServiceAccount', {
      accountId: names.invokerAccount,
      displayName: `Ingestion runs ${this.namePrefix}-${r.name}`,
      description: `Identity Cloud Scheduler runs the ingestion job of the ${what} with (refresh and hourly freshness probe).`,
    });
    const runner = new CloudRunV2JobIamMember(this, 'SchedulerRunner', { project, location: region, name: this.job.name, role: JOB_RUNNER_ROLE, member: this.invokerServiceAccount.member });
    grants.push(runner);
    const runUri = `https://run.googleapis.com/v2/projects/${project}/locations/${region}/jobs/${this.job.name}:run`;
    const schedulerCall = (body: object) => ({
      uri: runUri,
      httpMethod: 'POST',
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      headers: { 'Content-Type': 'application/json' },
      oauthToken: { serviceAccountEmail: this.invokerServiceAccount.email, scope: 'https://www.googleapis.com/auth/cloud-platform' },
    });
    this.refreshJob = new CloudSchedulerJob(this, 'RefreshSchedule', {
      name: names.refreshJob,
      region,
      project,
      description: `Re-ingests the ${what}: only changed documents are embedded again`,
      schedule: r.refreshSchedule,
      timeZone: 'Etc/UTC',
      // jobs:run answers once the execution starts; the run itself is the job's (its own timeout and retries).
      attemptDeadline: '60s',
      retryConfig: { retryCount: 2, minBackoffDuration: '60s', maxBackoffDuration: '300s' },
      httpTarget: schedulerCall({}),
      dependsOn: [runner],
    });
    this.probeJob = new CloudSchedulerJob(this, 'ProbeSchedule', {
      name: names.probeJob,
      region,
      project,
      description: `Publishes the age of the ${what} every ${PROBE_INTERVAL_SECONDS / 60} minutes (the freshness alerts read it)`,
      schedule: probeSchedule(),
      timeZone: 'Etc/UTC',
      attemptDeadline: '60s',
      retryConfig: { retryCount: 1, minBackoffDuration: '60s', maxBackoffDuration: '120s' },
      httpTarget: schedulerCall({ overrides: { containerOverrides: [{ args: ['probe'] }] } }),
      dependsOn: [runner],
    });

    // Freshness: log-based metrics of the job's events, and three alerts.
    const metricName = (suffix: string) => `${names.metricPrefix}-${suffix}`;
    const runMetrics = {} as Record<RunFigure, LoggingMetric>;
    for (const figure of RUN_FIGURES) runMetrics[figure.field] = new LoggingMetric(this, `Metric-${figure.id}`, { project, ...runFigureMetricSpec(metricName(figure.id), names.job, figure) });
    this.runMetrics = runMetrics;
    this.failedRunsMetric = new LoggingMetric(this, 'Metric-failed-runs', { project, ...failedRunsMetricSpec(metricName('failed-runs'), names.job) });
    this.staleAfterSeconds = staleAfterSeconds(r.refreshSchedule);
    this.indexAgeMetric = new LoggingMetric(this, 'Metric-index-age', { project, ...indexAgeMetricSpec(metricName('index-age'), names.job, this.staleAfterSeconds) });
    this.probesMetric = new LoggingMetric(this, 'Metric-probes', { project, ...probesMetricSpec(metricName('probes'), names.job) });
    const channels = [...(props.notificationChannels ?? [])];
    const runbook = (summary: string) => ({ mimeType: 'text/markdown', content: `${summary}\n\nIngestion job \`${names.job}\` (Cloud Run, ${region}); its run events: \`${eventLogFilter(names.job, RUN_EVENT)}\`. See docs/gcp/vector-store.md.` });
    this.failedRunAlert = new MonitoringAlertPolicy(this, 'FailedRunAlert', {
      project,
      displayName: `${this.namePrefix}: ingestion of ${r.name} failed`,
      combiner: 'OR',
      severity: 'ERROR',
      conditions: [{ displayName: 'a failed ingestion run', conditionThreshold: failedRunCondition(logMetricType(this.failedRunsMetric.name)) }],
      notificationChannels: channels,
      documentation: runbook(`A run of the ingestion of ${r.name} failed; its event's \`error\` says why. The manifest keeps what was finished: the next run (or \`gcloud run jobs execute ${names.job}\`) resumes.`),
    });
    this.staleIndexAlert = new MonitoringAlertPolicy(this, 'StaleIndexAlert', {
      project,
      displayName: `${this.namePrefix}: index ${r.name} is stale`,
      combiner: 'OR',
      severity: 'WARNING',
      conditions: [{ displayName: `index older than ${this.staleAfterSeconds} s (twice the longest gap of '${r.refreshSchedule}')`, conditionThreshold: staleIndexCondition(logMetricType(this.indexAgeMetric.name), this.staleAfterSeconds) }],
      notificationChannels: channels,
      documentation: runbook(`No ingestion of ${r.name} has succeeded for twice the refresh interval: queries answer from old documents.`),
    });
    this.probeMissingAlert = new MonitoringAlertPolicy(this, 'ProbeMissingAlert', {
      project,
      displayName: `${this.namePrefix}: no freshness probe of ${r.name}`,
      combiner: 'OR',
      severity: 'WARNING',
      conditions: [{ displayName: `no freshness probe for ${probeAbsentSeconds()} s`, conditionAbsent: probeAbsentCondition(logMetricType(this.probesMetric.name), probeAbsentSeconds()) }],
      notificationChannels: channels,
      documentation: runbook(`The hourly freshness probe of ${r.name} has not reported: the job cannot start (image, bundle, permissions) or its scheduler ${names.probeJob} is paused or failing, so the stale-index alert cannot fire either.`),
    });
    this.grants = grants;

    // Checked at synth, after every grantQuery: a deployed index without an issuer checks no JWT.
    Aspects.of(this).add({
      visit: (node) => {
        if (node !== this || this.queryIssuers.length > 0) return;
        warn(
          this,
          'vector-store-no-query-identity',
          `no service account may query the ${what}: its deployed index checks no JWT, so any client that reaches its Private Service Connect address can query it. Call grantQuery(<service account email>) or pass queryServiceAccounts.`,
        );
      },
    });
  }

  /**
   * Lets the service account `serviceAccountEmail` query the deployed index: the index accepts JWTs it
   * signs for {@link queryAudience} (Vector Search's authentication of private endpoints), and it may
   * sign them (roles/iam.serviceAccountTokenCreator on itself only). It may also read the chunk texts,
   * which the private endpoint's answer does not carry: the objects under `chunks/` of the state
   * bucket, and no other (the manifest is the job's business). Returns the grants.
   */
  public grantQuery(serviceAccountEmail: string): VectorStoreQueryGrants {
    refuseInvalidProps(`${this.node.path}.grantQuery`, (problems) => validateQueryServiceAccount(serviceAccountEmail, 'serviceAccountEmail', problems));
    const i = this.queryIssuers.length;
    this.queryIssuers.push(serviceAccountEmail);
    const member = `serviceAccount:${serviceAccountEmail}`;
    const signer = new ServiceAccountIamMember(this, `QuerySigner${i}`, {
      serviceAccountId: `projects/${this.project}/serviceAccounts/${serviceAccountEmail}`,
      role: 'roles/iam.serviceAccountTokenCreator',
      member,
    });
    // Cloud Storage names an object `projects/_/buckets/<bucket>/objects/<name>` in IAM conditions. The
    // condition lets `storage.objects.get` through under the prefix; a listing is checked against the
    // bucket's name, so it is refused: the application reads by name (the Match answer's ids), never
    // lists. Conditions on a bucket need uniform bucket-level access, which the state bucket has.
    const chunkReader = new StorageBucketIamMember(this, `QueryChunkReader${i}`, {
      bucket: this.stateBucket.name,
      role: 'roles/storage.objectViewer',
      member,
      condition: {
        title: 'chunk texts only',
        description: `The chunk texts of the ${this.resolved.name} index, not the ingestion manifest`,
        expression: `resource.name.startsWith("projects/_/buckets/${this.stateBucket.name}/objects/${CHUNK_TEXTS_PREFIX}")`,
      },
    });
    this.grantsList.push(signer, chunkReader);
    return { signer, chunkReader };
  }

  /** `props.project`, or the provider's project (read once through `data.google_client_config`). */
  private projectOf(props: VectorStoreProps): string {
    if (props.project !== undefined) return props.project;
    this.clientConfig ??= new DataGoogleClientConfig(this, 'ClientConfig');
    return this.clientConfig.project;
  }
}
