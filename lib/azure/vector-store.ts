import { isAbsolute, resolve } from 'node:path';
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights';
import { CognitiveAccount } from '@cdktf/provider-azurerm/lib/cognitive-account';
import { CognitiveDeployment } from '@cdktf/provider-azurerm/lib/cognitive-deployment';
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorScheduledQueryRulesAlertV2 } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
import { PortalDashboard } from '@cdktf/provider-azurerm/lib/portal-dashboard';
import { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
import { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
import { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { SearchService } from '@cdktf/provider-azurerm/lib/search-service';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AssetType, TerraformAsset, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { findModel } from '../design/catalog/models';
import { cronLongestGapSeconds } from '../design/cron-count';
import { fitName, type NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { resolveVectorStore, type ResolvedVectorStore, type VectorStoreDesign } from '../design/vector-store';
import { INGEST_ENV, PROBE_INTERVAL_SECONDS } from '../ingest/deploy-env';
import { escapeTerraformTemplate } from '../cdktf/escape';
import { namePrefixOf } from '../cdktf/name-prefix';
import { warn, warnOwnNetwork } from '../cdktf/warnings';
import { AzapiResourceAction } from './model-router/azapi';
import { OPENAI_DEPLOYMENT_SKU } from './model-router/openai';
import { PACKAGE_BLOB_NAME } from './model-router/package';
import { storageIpRule } from './model-router/validate';
import type { IManagedIdentity, IOpenAiAccount } from './model-router';
import { PrivateNetwork } from './network';
import { vectorStoreDashboardProperties } from './vector-store/dashboard';
import { vectorStoreNames, type VectorStoreNames } from './vector-store/names';
import { defaultIngestPackagePath, ingestPackage, type IngestPackage } from './vector-store/package';
import { failedRunsQuery, indexAgeQuery, probesQuery } from './vector-store/queries';
import { basicSearchPartitions, ncrontab } from './vector-store/rules';
import { validateAzureVectorStoreProps } from './vector-store/validate';
import { HARDENED_STORAGE } from './storage-account';

export { basicSearchPartitions, ncrontab, validateVectorStoreOnAzure, AZURE_CHUNKING_STRATEGIES } from './vector-store/rules';
export { vectorStoreNames, type VectorStoreNames } from './vector-store/names';

/** Node.js major version of the ingestion function app (Flex Consumption runs Node.js 20 and 22). */
export const INGEST_NODE_VERSION = '22';

/** The private DNS zone AI Search private endpoints register in (Azure public cloud). */
/** Thousands of tokens a minute of the embedding deployment the construct creates. */
const DEFAULT_EMBEDDING_CAPACITY = 350;

export const SEARCH_PRIVATE_DNS_ZONE = 'privatelink.search.windows.net';

/** `n` freshness probe intervals as an ISO 8601 duration (the probe runs hourly: `PT<n>H`). */
const probes = (n: number) => `PT${(n * PROBE_INTERVAL_SECONDS) / 3600}H`;

/** Address prefix of the integration subnet of a network the vector store creates for itself. */
const OWN_INTEGRATION_SUBNET_PREFIX = '10.40.16.0/24';

/**
 * The built-in roles of the ingestion identity, each on one resource: read the source container, read
 * and write the manifest in the state container, write the index's documents and create or migrate
 * the index (the narrowest built-in role that manages index definitions), call the embedding model.
 */
export const INGEST_ROLES = {
  sourceReader: 'Storage Blob Data Reader',
  stateWriter: 'Storage Blob Data Contributor',
  indexWriter: 'Search Index Data Contributor',
  indexManager: 'Search Service Contributor',
  embedder: 'Cognitive Services OpenAI User',
} as const;

/** The role `grantQuery` gives: read-only access to the documents of the service's indexes. */
export const QUERY_ROLE = 'Search Index Data Reader';

/** A storage account brought by the caller (e.g. a `StorageAccount`). */
export interface IStorageAccount {
  /** Resource id. */
  readonly id: string;
  /** Account name: its blob endpoint is `https://<name>.blob.core.windows.net`. */
  readonly name: string;
}

/** A customer-managed key of a Key Vault, and the identity the storage account reads it as. */
export interface ICustomerManagedKey {
  /** Versionless id of the key (`https://<vault>.vault.azure.net/keys/<name>`), so rotations apply. */
  readonly keyVaultKeyId: string;
  /** Resource id of a user-assigned identity holding "Key Vault Crypto Service Encryption User" on the key. */
  readonly userAssignedIdentityId: string;
}

/**
 * Props of the Azure {@link VectorStore}: the cloud-neutral design plus Azure's own fields. Unknown
 * props are refused.
 */
export interface VectorStoreProps extends VectorStoreDesign, NamePrefixProps {
  /** Resource group every resource is created in. */
  readonly resourceGroupName: string;
  /** Azure region, e.g. `eastus2` (must offer Flex Consumption, AI Search and the embedding model). */
  readonly location: string;
  /**
   * Subnet of the ingestion function's VNet integration: delegated to `Microsoft.App/environments`,
   * with the service endpoints `Microsoft.Storage` and `Microsoft.CognitiveServices` (the storage
   * accounts and the Azure OpenAI account admit this subnet), and egress to the internet for
   * Application Insights and Entra ID. Flex Consumption apps may share a subnet: pass the router's
   * (`PrivateNetwork.routerSubnet`). Needs `privateEndpointSubnetId`.
   * @default - a new virtual network with such a subnet, a private endpoint subnet and a NAT gateway (a synth warning says so)
   */
  readonly subnetId?: string;
  /**
   * Subnet (not delegated) of the search service's private endpoint, in the same network as
   * `subnetId` or one peered with it.
   * @default - the subnet of the network it creates (only without `subnetId`)
   */
  readonly privateEndpointSubnetId?: string;
  /**
   * The virtual network of `subnetId`: the private DNS zone `privatelink.search.windows.net` the
   * construct creates is linked to it, so the function resolves the search service to its private
   * endpoint. Excludes `privateDnsZoneId`.
   * @default - the network it creates (only without `subnetId`)
   */
  readonly virtualNetworkId?: string;
  /**
   * A private DNS zone `privatelink.search.windows.net` already linked to your network (a hub's): the
   * private endpoint registers in it, and no zone or link is created.
   * @default - a new zone linked to `virtualNetworkId` (or to the network it creates)
   */
  readonly privateDnsZoneId?: string;
  /**
   * Public IPv4 ranges of the machines that run `terraform apply`, admitted by the function's host
   * storage account to upload the code package.
   * @default - none (a synth warning says so)
   */
  readonly deployerCidrs?: readonly string[];
  /**
   * Public IPv4 ranges admitted by the storage account it creates, from which documents are uploaded
   * to the source container (the uploader also needs `grantSourceWrite`).
   * @default - none: only the integration subnet (and subnets with a Storage service endpoint you add) reach the account
   */
  readonly sourceWriterCidrs?: readonly string[];
  /**
   * The storage account holding the source container and the state container (the manifest), which
   * the construct creates in it (`<name>-source`, `<name>-state`). Its network rules must admit
   * `subnetId`, and shared-key access should be off: the ingestion authenticates with Entra ID.
   * @default - a new account: StorageV2, TLS 1.2, HTTPS only, shared keys off, no public blob access, infrastructure encryption, blob versioning and 7-day soft delete, admitting the integration subnet and `sourceWriterCidrs` only
   */
  readonly storageAccount?: IStorageAccount;
  /**
   * Customer-managed key of the storage account it creates (beside infrastructure encryption, which is always on).
   * @default - Microsoft-managed keys
   */
  readonly encryptionKey?: ICustomerManagedKey;
  /**
   * Replication of the storage account it creates (the source documents and the manifest).
   * @default 'ZRS' - three zones of the region, synchronously
   */
  readonly storageAccountReplicationType?: string;
  /**
   * The user-assigned identity the ingestion runs as. It gets the roles of `INGEST_ROLES`, each on
   * one resource, plus the host's storage and telemetry roles.
   * @default - a new user-assigned identity
   */
  readonly identity?: IManagedIdentity;
  /**
   * The Azure OpenAI account the embedding deployment is on (e.g. the router's, `ModelRouter.openAiAccount`).
   * Its network rules must admit `subnetId`.
   * @default - a new account (kind `OpenAI`, custom subdomain, local auth off, admitting the integration subnet only)
   */
  readonly openAiAccount?: IOpenAiAccount;
  /**
   * An existing deployment of the design's embedding model on `openAiAccount`, by name.
   * @default - a new Global Standard deployment named after the model (e.g. `text-embedding-3-small`)
   */
  readonly embeddingDeploymentName?: string;
  /**
   * Capacity of the embedding deployment it creates, in thousands of tokens per minute: a rate limit
   * within the subscription's quota, not a reservation (tokens are billed as used).
   * @default 350
   */
  readonly embeddingCapacity?: number;
  /**
   * Deployments already on `openAiAccount` that the embedding deployment is created after: Azure
   * refuses concurrent deployments on one account (`AiStack` passes the router's).
   * @default - none
   */
  readonly embeddingDeploymentAfter?: readonly ITerraformDependable[];
  /**
   * Price of the embedding model, USD per 1,000 input tokens, for the cost in each run record (the
   * design's `prices.models`).
   * @default - the model catalog's price
   */
  readonly embeddingPricePer1kUsd?: number;
  /**
   * AI Search tier. `basic` is the smallest with vector search, managed identity and private endpoints
   * (`free` is refused: it has no private endpoint).
   * @default 'basic'
   */
  readonly searchSku?: string;
  /**
   * Search replicas (query throughput and availability: 2 for the read SLA, 3 for read-write).
   * @default 1
   */
  readonly searchReplicaCount?: number;
  /**
   * Search partitions (index size: on `basic`, 15 GB of storage and 5 GB of vectors each).
   * @default - on `basic`, the partitions the estimate prices for the design's index (one per 5 GB, at most 3; a synth warning when the corpus needs more); 1 on the other tiers
   */
  readonly searchPartitionCount?: number;
  /**
   * Azure Monitor action group the freshness alerts notify.
   * @default - the alerts fire in Azure Monitor without notifying anyone (`AiStack` passes the budget's email group)
   */
  readonly actionGroupId?: string;
  /**
   * The function app's code package (a zip of a v4-model Node.js function app with the `ingest` and `freshness` timers).
   * @default - the shipped bundle, `dist/ingest/azure.zip` of this package
   */
  readonly packagePath?: string;
  /**
   * Longest a run may take before the host stops it (`functionTimeout`); the next run resumes from the manifest.
   * @default 120
   */
  readonly timeoutMinutes?: number;
  /**
   * Memory of each function instance, MiB (512, 2048 or 4096).
   * @default 2048
   */
  readonly memoryMiB?: number;
}

/**
 * A RAG index on Azure: source documents in a private Blob container, an Azure AI Search service
 * (Entra ID only, reachable through a private endpoint), an embedding deployment on Azure OpenAI, and
 * the shipped ingestion runtime on a Flex Consumption function app whose timer re-ingests on the
 * design's schedule (only changed documents are embedded again, by content hash in a manifest) and
 * whose hourly probe reports the index's age. Log search alerts fire on a failed run, a stale index
 * and a silent probe. The index is a data-plane object: the ingestion creates and migrates it on each
 * run. See docs/azure/vector-store.md.
 */
export class VectorStore extends Construct {
  /** The design with every default filled in, for Azure. */
  public readonly resolved: ResolvedVectorStore;
  public readonly namePrefix: string;
  public readonly names: VectorStoreNames;
  /** The network created when no `subnetId` was given. */
  public readonly network?: PrivateNetwork;
  /** Subnet of the function's VNet integration. */
  public readonly subnetId: string;
  /** The storage account created when no `storageAccount` was given. */
  public readonly storageAccount?: StorageAccount;
  /** `https://<account>.blob.core.windows.net` of the source and state containers. */
  public readonly blobEndpoint: string;
  /** The container of the source documents, and the container of the manifest. */
  public readonly sourceContainer: StorageContainer;
  public readonly stateContainer: StorageContainer;
  public readonly searchService: SearchService;
  /** `https://<service>.search.windows.net`. */
  public readonly searchEndpoint: string;
  /** The index the ingestion creates: the design's `name`. */
  public readonly indexName: string;
  public readonly privateEndpoint: PrivateEndpoint;
  /** The zone and its link, absent with `privateDnsZoneId`. */
  public readonly privateDnsZone?: PrivateDnsZone;
  public readonly privateDnsZoneLink?: PrivateDnsZoneVirtualNetworkLink;
  /** The account created for the embedding deployment (absent with `openAiAccount`). */
  public readonly openAiAccount?: CognitiveAccount;
  /** The account the ingestion embeds with (the one given or created). */
  public readonly openAiAccountRef: IOpenAiAccount;
  /** The deployment created (absent with `embeddingDeploymentName`), and the name the ingestion calls. */
  public readonly embeddingDeployment?: CognitiveDeployment;
  public readonly embeddingDeploymentName: string;
  /** The identity the ingestion runs as. */
  public readonly identity: IManagedIdentity;
  /** The Functions host's storage account (its locks and the code package). */
  public readonly hostStorageAccount: StorageAccount;
  public readonly package: IngestPackage;
  public readonly packageContainer: StorageContainer;
  public readonly packageBlob: StorageBlob;
  public readonly logAnalyticsWorkspace: LogAnalyticsWorkspace;
  public readonly appInsights: ApplicationInsights;
  public readonly servicePlan: ServicePlan;
  public readonly functionApp: FunctionAppFlexConsumption;
  /** Registers the two timers after each package change (`syncfunctiontriggers`). */
  public readonly syncTriggers: AzapiResourceAction;
  /** The app settings of the function (INGEST_ENV and the host's). */
  public readonly appSettings: Readonly<Record<string, string>>;
  /** The ingestion timer's NCRONTAB (six fields, UTC). */
  public readonly schedule: string;
  /** Seconds after the last successful run at which the index counts as stale: twice the longest gap of the refresh schedule. */
  public readonly staleAfterSeconds: number;
  public readonly dashboard: PortalDashboard;
  public readonly failedRunAlert: MonitorScheduledQueryRulesAlertV2;
  public readonly staleIndexAlert: MonitorScheduledQueryRulesAlertV2;
  public readonly noProbeAlert: MonitorScheduledQueryRulesAlertV2;
  /** Every role the ingestion identity holds, each on exactly one resource. */
  public readonly roleAssignments: readonly RoleAssignment[];
  /** The role assignments made by `grantQuery`, `grantEmbedding` and `grantSourceWrite`, in call order. */
  public readonly grants: RoleAssignment[] = [];

  constructor(scope: Construct, id: string, props: VectorStoreProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAzureVectorStoreProps(props, 'props', problems));
    const r = resolveVectorStore(props, 'azure');
    this.resolved = r;
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    const names = vectorStoreNames(this.namePrefix, r.name);
    this.names = names;
    const { resourceGroupName, location } = props;
    this.indexName = r.name;

    // Network: the caller's subnets, or a network of its own.
    let privateEndpointSubnetId: string;
    let virtualNetworkId: string | undefined;
    if (props.subnetId !== undefined && props.privateEndpointSubnetId !== undefined) {
      this.subnetId = props.subnetId;
      privateEndpointSubnetId = props.privateEndpointSubnetId;
      virtualNetworkId = props.virtualNetworkId;
    } else {
      warnOwnNetwork(
        this,
        'azure-vector-store-own-network',
        'No subnetId was given, so this vector store creates its own virtual network, subnets, NAT gateway and public IP; its search service is reachable only from that network.',
        "Pass the stack's network's router subnet (PrivateNetwork.routerSubnet) as subnetId, its subnet as privateEndpointSubnetId and the network as virtualNetworkId.",
      );
      this.network = new PrivateNetwork(this, 'Network', { name: fitName([this.namePrefix, r.name], 41), resourceGroupName, location, routerSubnetPrefix: OWN_INTEGRATION_SUBNET_PREFIX });
      this.subnetId = this.network.routerSubnet!.id;
      privateEndpointSubnetId = this.network.subnet.id;
      virtualNetworkId = this.network.virtualNetwork.id;
    }
    const egress = this.network?.routerEgressAssociation ? [this.network.routerEgressAssociation] : [];

    // Identity and its grants, each on exactly one resource.
    this.identity = props.identity ?? new UserAssignedIdentity(this, 'Identity', { name: names.identity, resourceGroupName, location });
    const roles: RoleAssignment[] = [];
    this.roleAssignments = roles;
    const grant = (grantId: string, roleScope: string, roleDefinitionName: string, description: string) => {
      const assignment = new RoleAssignment(this, grantId, { scope: roleScope, roleDefinitionName, principalId: this.identity.principalId, principalType: 'ServicePrincipal', description });
      roles.push(assignment);
      return assignment;
    };

    // Source and state: Entra ID only, admitted from the integration subnet and the writers.
    const account = props.storageAccount ?? this.createStorageAccount(props, names);
    // The name as written, not a reference: the settings and outputs read without a plan.
    this.blobEndpoint = `https://${props.storageAccount?.name ?? names.dataStorage}.blob.core.windows.net`;
    const container = (containerId: string, name: string) =>
      // Created through Resource Manager (storage_account_id), so Terraform needs no data-plane access.
      new StorageContainer(this, containerId, { name, storageAccountId: account.id, containerAccessType: 'private' });
    this.sourceContainer = container('SourceContainer', names.sourceContainer);
    this.stateContainer = container('StateContainer', names.stateContainer);
    grant('SourceReader', this.sourceContainer.id, INGEST_ROLES.sourceReader, `Vector store ${r.name}: reads the source documents`);
    grant('StateWriter', this.stateContainer.id, INGEST_ROLES.stateWriter, `Vector store ${r.name}: reads and writes its manifest`);

    // AI Search: Entra ID only, no public network access, a private endpoint in the network.
    const sku = props.searchSku ?? 'basic';
    let partitions = props.searchPartitionCount;
    if (partitions === undefined && sku === 'basic') {
      // What the estimate prices is what is built: the design's index, 5 GB a partition.
      const plan = basicSearchPartitions(props);
      partitions = plan.partitions;
      if (plan.needed > plan.partitions) {
        warn(
          this,
          'azure-vector-store-index-size',
          `the design's corpus (expectedSourceGiB ${r.expectedSourceGiB}) makes an index of about ${Math.round(plan.indexGiB)} GiB, ${plan.needed} basic partitions of 5 GB of vectors, and the basic tier has at most ${plan.partitions}: the ingestion fails once the index is full. Pass searchSku 'standard' (and searchPartitionCount), or lower expectedSourceGiB if the corpus is smaller.`,
        );
      }
    }
    this.searchService = new SearchService(this, 'Search', {
      name: names.searchService,
      resourceGroupName,
      location,
      sku,
      replicaCount: props.searchReplicaCount ?? 1,
      partitionCount: partitions ?? 1,
      // RBAC only: API keys are refused, so every call carries an Entra ID token of a granted identity.
      localAuthenticationEnabled: false,
      publicNetworkAccessEnabled: false,
      networkRuleBypassOption: 'None',
      // Its own identity, for what the service calls out to (a CMEK vault, an integrated vectorizer); it holds no role here.
      identity: { type: 'SystemAssigned' },
    });
    this.searchEndpoint = `https://${names.searchService}.search.windows.net`;
    grant('IndexWriter', this.searchService.id, INGEST_ROLES.indexWriter, `Vector store ${r.name}: upserts and deletes the index's chunks`);
    grant('IndexManager', this.searchService.id, INGEST_ROLES.indexManager, `Vector store ${r.name}: creates and migrates index ${r.name}`);

    let zoneId = props.privateDnsZoneId;
    if (zoneId === undefined) {
      this.privateDnsZone = new PrivateDnsZone(this, 'SearchDnsZone', { name: SEARCH_PRIVATE_DNS_ZONE, resourceGroupName });
      this.privateDnsZoneLink = new PrivateDnsZoneVirtualNetworkLink(this, 'SearchDnsLink', {
        name: names.dnsLink,
        resourceGroupName,
        privateDnsZoneName: this.privateDnsZone.name,
        virtualNetworkId: virtualNetworkId!,
        registrationEnabled: false,
      });
      zoneId = this.privateDnsZone.id;
    }
    this.privateEndpoint = new PrivateEndpoint(this, 'SearchEndpoint', {
      name: names.privateEndpoint,
      resourceGroupName,
      location,
      subnetId: privateEndpointSubnetId,
      privateServiceConnection: { name: `${names.searchService}-search`, privateConnectionResourceId: this.searchService.id, subresourceNames: ['searchService'], isManualConnection: false },
      privateDnsZoneGroup: { name: 'search', privateDnsZoneIds: [zoneId] },
    });

    // Embeddings: the given account or a new one, the given deployment or a new one.
    if (props.openAiAccount) {
      this.openAiAccountRef = props.openAiAccount;
    } else {
      this.openAiAccount = new CognitiveAccount(this, 'OpenAi', {
        name: names.openAi,
        resourceGroupName,
        location,
        kind: 'OpenAI',
        skuName: 'S0',
        // Entra ID token auth needs a custom subdomain.
        customSubdomainName: names.openAi,
        localAuthEnabled: false,
        publicNetworkAccessEnabled: true,
        networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices', virtualNetworkRules: [{ subnetId: this.subnetId }] },
      });
      this.openAiAccountRef = this.openAiAccount;
    }
    const model = findModel(r.embedding.id)!;
    if (props.embeddingDeploymentName !== undefined) {
      this.embeddingDeploymentName = props.embeddingDeploymentName;
    } else {
      if (model.version === undefined) throw new Error(`internal error: the model catalog has no Azure OpenAI version for '${model.id}'`);
      this.embeddingDeployment = new CognitiveDeployment(this, 'EmbeddingDeployment', {
        name: model.providerModelId,
        cognitiveAccountId: this.openAiAccountRef.id,
        model: { format: 'OpenAI', name: model.providerModelId, version: model.version },
        sku: { name: OPENAI_DEPLOYMENT_SKU, capacity: props.embeddingCapacity ?? DEFAULT_EMBEDDING_CAPACITY },
        // Keep the pinned version until Azure retires it: a new model version means new vectors.
        versionUpgradeOption: 'OnceCurrentVersionExpired',
        dependsOn: props.embeddingDeploymentAfter ? [...props.embeddingDeploymentAfter] : undefined,
      });
      this.embeddingDeploymentName = model.providerModelId;
    }
    grant('Embedder', this.openAiAccountRef.id, INGEST_ROLES.embedder, `Vector store ${r.name}: embeds with ${this.embeddingDeploymentName}`);

    // The Functions host's own storage (locks, package): a separate account, so the host's Owner role
    // never reaches the source documents.
    if (props.deployerCidrs === undefined) {
      warn(
        this,
        'azure-vector-store-deployer-network',
        "No deployerCidrs were given: the ingestion function's host storage account admits only its subnet, so terraform apply must run from a subnet with a service endpoint for Storage to upload the code package. Pass the public ranges of the machines that run terraform apply as deployerCidrs.",
      );
    }
    this.hostStorageAccount = new StorageAccount(this, 'HostStorage', {
      ...HARDENED_STORAGE,
      name: names.hostStorage,
      resourceGroupName,
      location,
      accountReplicationType: 'LRS',
      networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], virtualNetworkSubnetIds: [this.subnetId], ipRules: (props.deployerCidrs ?? []).map(storageIpRule) },
      blobProperties: { deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
    });
    grant('HostStorageOwner', this.hostStorageAccount.id, 'Storage Blob Data Owner', `Vector store ${r.name}: Functions host storage (timer locks) and code package`);

    const packagePath = props.packagePath ?? defaultIngestPackagePath();
    this.package = ingestPackage(isAbsolute(packagePath) ? packagePath : resolve(packagePath));
    const asset = new TerraformAsset(this, 'PackageAsset', { path: this.package.path, type: AssetType.FILE, assetHash: this.package.sha256 });
    this.packageContainer = new StorageContainer(this, 'PackageContainer', {
      name: this.package.containerName,
      storageAccountId: this.hostStorageAccount.id,
      containerAccessType: 'private',
      // The app keeps running from the old package until it points at the new one.
      lifecycle: { createBeforeDestroy: true },
    });
    this.packageBlob = new StorageBlob(this, 'PackageBlob', {
      name: PACKAGE_BLOB_NAME,
      storageAccountName: this.hostStorageAccount.name,
      storageContainerName: this.packageContainer.name,
      type: 'Block',
      source: asset.path,
      contentType: 'application/zip',
      metadata: { sha256: this.package.sha256 },
      lifecycle: { createBeforeDestroy: true },
    });

    this.logAnalyticsWorkspace = new LogAnalyticsWorkspace(this, 'Logs', { name: names.logAnalytics, resourceGroupName, location, sku: 'PerGB2018', retentionInDays: 30 });
    this.appInsights = new ApplicationInsights(this, 'AppInsights', {
      name: names.appInsights,
      resourceGroupName,
      location,
      applicationType: 'web',
      workspaceId: this.logAnalyticsWorkspace.id,
      // Telemetry is accepted with an Entra ID token only (the identity's role below).
      localAuthenticationDisabled: true,
    });
    grant('TelemetryPublisher', this.appInsights.id, 'Monitoring Metrics Publisher', `Vector store ${r.name}: sends its run and freshness events`);

    // The function app: the ingestion timer on the design's schedule, the freshness probe hourly.
    const converted = ncrontab(r.refreshSchedule);
    if ('problem' in converted) throw new Error(`internal error: ${converted.problem} passed validation`);
    this.schedule = converted.expression;
    const timeoutMinutes = props.timeoutMinutes ?? 120;
    const pricePer1k = props.embeddingPricePer1kUsd ?? model.inputPer1kUsd;
    this.appSettings = {
      AzureWebJobsStorage: '',
      AzureWebJobsStorage__accountName: names.hostStorage,
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: this.identity.clientId,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${this.identity.clientId};Authorization=AAD`,
      // A run that outlives it is stopped; the manifest lets the next run finish the work.
      AzureFunctionsJobHost__functionTimeout: `${String(Math.floor(timeoutMinutes / 60)).padStart(2, '0')}:${String(timeoutMinutes % 60).padStart(2, '0')}:00`,
      [INGEST_ENV.name]: r.name,
      [INGEST_ENV.chunking]: JSON.stringify({ strategy: r.chunking.strategy, maxTokens: r.chunking.maxTokens, overlapPercent: r.chunking.overlapPercent }),
      [INGEST_ENV.embeddingModel]: this.embeddingDeploymentName,
      [INGEST_ENV.embeddingModelId]: r.embedding.id,
      [INGEST_ENV.dimensions]: String(r.embedding.dimensions),
      [INGEST_ENV.distance]: r.distance,
      // Rounded to the nano-dollar per token, as the ledger's amounts are: no binary float tails.
      [INGEST_ENV.costPerMillionTokensUsd]: String(Math.round(pricePer1k * 1000 * 1e9) / 1e9),
      // The deployment it creates allows 6 requests a minute per 1,000 tokens a minute of capacity
      // (Azure OpenAI's ratio): the run spaces its calls under that instead of living on 429s.
      ...(this.embeddingDeployment ? { [INGEST_ENV.embeddingRequestsPerMinute]: String((props.embeddingCapacity ?? DEFAULT_EMBEDDING_CAPACITY) * 6) } : {}),
      [INGEST_ENV.blobEndpoint]: this.blobEndpoint,
      [INGEST_ENV.sourceContainer]: names.sourceContainer,
      [INGEST_ENV.stateContainer]: names.stateContainer,
      [INGEST_ENV.searchEndpoint]: this.searchEndpoint,
      [INGEST_ENV.openAiEndpoint]: this.openAiAccountRef.endpoint,
      // UTC: the timer's default time zone (WEBSITE_TIME_ZONE is not set), the design's cron's zone.
      [INGEST_ENV.schedule]: this.schedule,
      [INGEST_ENV.clientId]: this.identity.clientId,
    };
    this.servicePlan = new ServicePlan(this, 'Plan', { name: names.servicePlan, resourceGroupName, location, osType: 'Linux', skuName: 'FC1' });
    this.functionApp = new FunctionAppFlexConsumption(this, 'Function', {
      name: names.functionApp,
      resourceGroupName,
      location,
      servicePlanId: this.servicePlan.id,
      runtimeName: 'node',
      runtimeVersion: INGEST_NODE_VERSION,
      instanceMemoryInMb: props.memoryMiB ?? 2048,
      // azurerm 4.55 accepts 40 at the least; the timers run on one instance at a time (the host's lock).
      maximumInstanceCount: 40,
      storageContainerType: 'blobContainer',
      storageContainerEndpoint: `${this.hostStorageAccount.primaryBlobEndpoint}${this.packageContainer.name}`,
      storageAuthenticationType: 'UserAssignedIdentity',
      storageUserAssignedIdentityId: this.identity.id,
      identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
      httpsOnly: true,
      publicNetworkAccessEnabled: false,
      clientCertificateEnabled: false,
      webdeployPublishBasicAuthenticationEnabled: false,
      virtualNetworkSubnetId: this.subnetId,
      siteConfig: {
        minimumTlsVersion: '1.2',
        scmMinimumTlsVersion: '1.2',
        // Every outbound call goes through the VNet: the private endpoint, the service endpoints, the NAT gateway.
        vnetRouteAllEnabled: true,
        applicationInsightsConnectionString: this.appInsights.connectionString,
      },
      appSettings: this.appSettings,
      // The host can start only once its package, its roles, its name resolution and its egress are in place.
      dependsOn: [
        this.packageBlob,
        ...roles,
        this.privateEndpoint,
        ...(this.privateDnsZoneLink ? [this.privateDnsZoneLink] : []),
        ...(this.embeddingDeployment ? [this.embeddingDeployment] : []),
        ...egress,
      ],
    });
    this.syncTriggers = new AzapiResourceAction(this, 'SyncTriggers', {
      type: 'Microsoft.Web/sites@2023-12-01',
      resourceId: this.functionApp.id,
      action: 'syncfunctiontriggers',
      replaceTriggeredBy: [this.packageBlob],
      dependsOn: [this.functionApp],
    });

    // Freshness: the run figures on a dashboard, and three alerts on the events.
    this.dashboard = new PortalDashboard(this, 'Dashboard', {
      name: names.dashboard,
      resourceGroupName,
      location,
      dashboardProperties: escapeTerraformTemplate(vectorStoreDashboardProperties({ appInsightsId: this.appInsights.id, name: r.name })),
    });
    this.staleAfterSeconds = cronLongestGapSeconds(r.refreshSchedule) * 2;
    const alert = (alertId: string, o: { name: string; description: string; severity: number; query: string; column: string; operator: string; threshold: number; frequency: string; window: string }) =>
      new MonitorScheduledQueryRulesAlertV2(this, alertId, {
        name: o.name,
        resourceGroupName,
        location,
        description: o.description,
        severity: o.severity,
        scopes: [this.appInsights.id],
        evaluationFrequency: o.frequency,
        windowDuration: o.window,
        criteria: [
          {
            query: escapeTerraformTemplate(o.query),
            timeAggregationMethod: 'Maximum',
            metricMeasureColumn: o.column,
            operator: o.operator,
            threshold: o.threshold,
            failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 },
          },
        ],
        autoMitigationEnabled: true,
        action: props.actionGroupId ? { actionGroups: [props.actionGroupId] } : undefined,
      });
    // Each failure is in two overlapping windows: a late log line is still seen; the alert is stateful, so it notifies once.
    this.failedRunAlert = alert('FailedRunAlert', {
      name: names.failedRunAlert,
      description: `An ingestion run of vector store ${r.name} (${this.namePrefix}) failed; its error is on the dashboard. The next run resumes from the manifest.`,
      severity: 2,
      query: failedRunsQuery(r.name),
      column: 'failedRuns',
      operator: 'GreaterThan',
      threshold: 0,
      frequency: 'PT15M',
      window: 'PT30M',
    });
    // The hourly probe reports the age; two probes per window, so one late probe does not resolve or raise it.
    this.staleIndexAlert = alert('StaleIndexAlert', {
      name: names.staleAlert,
      description: `Index ${r.name} (${this.namePrefix}) is older than twice its refresh interval (${this.staleAfterSeconds / 3600} h since the last successful run, schedule '${r.refreshSchedule}' UTC)`,
      severity: 1,
      query: indexAgeQuery(r.name),
      column: 'ageSeconds',
      operator: 'GreaterThan',
      threshold: this.staleAfterSeconds,
      frequency: probes(1),
      window: probes(2),
    });
    // No probe at all for 3 hours: the app is not running its timers (deployment, identity or host broken).
    this.noProbeAlert = alert('NoProbeAlert', {
      name: names.noProbeAlert,
      description: `The ingestion function of vector store ${r.name} (${this.namePrefix}) has sent no hourly freshness probe for 3 hours: its timers are not running`,
      severity: 1,
      query: probesQuery(r.name),
      column: 'probes',
      operator: 'LessThan',
      threshold: 1,
      frequency: probes(1),
      window: probes(3),
    });
  }

  /**
   * Lets the application identity `principalId` query the service's indexes: "Search Index Data
   * Reader" on the search service (read documents and search, nothing else). The application also
   * needs a network path to the private endpoint (the same or a peered network).
   */
  public grantQuery(principalId: string, principalType = 'ServicePrincipal'): RoleAssignment {
    return this.grantTo('Query', principalId, principalType, this.searchService.id, QUERY_ROLE, `Vector store ${this.indexName}: queries its index`);
  }

  /**
   * Lets `principalId` embed its questions with the ingestion's deployment ("Cognitive Services OpenAI
   * User" on the account): queries of kind `vector` send the question's vector, computed by the caller.
   */
  public grantEmbedding(principalId: string, principalType = 'ServicePrincipal'): RoleAssignment {
    return this.grantTo('Embedding', principalId, principalType, this.openAiAccountRef.id, INGEST_ROLES.embedder, `Vector store ${this.indexName}: embeds questions`);
  }

  /** Lets `principalId` upload, replace and delete source documents ("Storage Blob Data Contributor" on the source container only). */
  public grantSourceWrite(principalId: string, principalType = 'ServicePrincipal'): RoleAssignment {
    return this.grantTo('SourceWriter', principalId, principalType, this.sourceContainer.id, 'Storage Blob Data Contributor', `Vector store ${this.indexName}: writes its source documents`);
  }

  private grantTo(kind: string, principalId: string, principalType: string, roleScope: string, roleDefinitionName: string, description: string): RoleAssignment {
    const count = this.grants.filter((g) => g.node.id.startsWith(kind)).length;
    const assignment = new RoleAssignment(this, count === 0 ? kind : `${kind}${count + 1}`, { scope: roleScope, roleDefinitionName, principalId, principalType, description });
    this.grants.push(assignment);
    return assignment;
  }

  private createStorageAccount(props: VectorStoreProps, names: VectorStoreNames): StorageAccount {
    const key = props.encryptionKey;
    const account = new StorageAccount(this, 'Storage', {
      ...HARDENED_STORAGE,
      name: names.dataStorage,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      accountReplicationType: props.storageAccountReplicationType ?? 'ZRS',
      ...(key
        ? { identity: { type: 'UserAssigned', identityIds: [key.userAssignedIdentityId] }, customerManagedKey: { keyVaultKeyId: key.keyVaultKeyId, userAssignedIdentityId: key.userAssignedIdentityId } }
        : {}),
      networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], virtualNetworkSubnetIds: [this.subnetId], ipRules: (props.sourceWriterCidrs ?? []).map(storageIpRule) },
      // Overwritten and deleted documents stay recoverable: versions, and 7 days of soft delete.
      blobProperties: { versioningEnabled: true, deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
    });
    (this as { storageAccount?: StorageAccount }).storageAccount = account;
    return account;
  }
}

