import { isAbsolute, resolve } from 'node:path';
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights';
import { CognitiveAccount } from '@cdktf/provider-azurerm/lib/cognitive-account';
import { CognitiveDeployment } from '@cdktf/provider-azurerm/lib/cognitive-deployment';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorScheduledQueryRulesAlertV2 } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
import { PortalDashboard } from '@cdktf/provider-azurerm/lib/portal-dashboard';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
import { AssetType, TerraformAsset, type TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import type { GpuEndpointDesign } from '../design/gpu-endpoint';
import type { AiStackDesign, ModelPriceOverride } from '../design/design';
import { fitName, type NamePrefixProps } from '../design/naming';
import { refuseInvalidProps } from '../design/problems';
import { resolveRouterDeployment, type ResolvedRouterDeployment, type RouterDesign } from '../design/router';
import { placeRouter, type RouterPlacement } from '../design/router-placement';
import { serializeRouterConfig, type RouterConfig } from '../router/config';
import { DEFAULT_SECRET_REFRESH_SECONDS, endpointKeyEnv, endpointUrlEnv, ROUTER_ENV, secretRef } from '../router/deploy-env';
import { deployedRouterConfig } from '../router/deployed-config';
import { escapeTerraformTemplate } from '../cdktf/escape';
import { namePrefixOf } from '../cdktf/name-prefix';
import { RandomPassword } from '../cdktf/random-password';
import { warn, warnOwnNetwork } from '../cdktf/warnings';
import type { GpuEndpoint, KeyVaultSecretRef } from './gpu-endpoint';
import type { IRouterGuardrail } from './guardrail';
import { GPU_METRIC_NAME, GPU_METRIC_NAMESPACE } from './gpu-endpoint/cloud-init';
import { AzapiResource, AzapiResourceAction } from './model-router/azapi';
import { dashboardProperties } from './model-router/dashboard';
import { KEY_HASHES_SECRET, LEDGER_TABLE, RATE_TABLE, endpointKeySecretName, keyVaultSecretUrl, routerNames, type RouterNames } from './model-router/names';
import { OPENAI_DEPLOYMENT_SKU, openAiDeployments, type OpenAiDeploymentPlan } from './model-router/openai';
import { PACKAGE_BLOB_NAME, defaultPackagePath, routerPackage, type RouterPackage } from './model-router/package';
import { ERROR_RATE_ALERT_QUERY, P99_ALERT_QUERY } from './model-router/queries';
import { endpointsCalledOnAzure, flexScalePlan, functionTimeout, type FlexScalePlan } from './model-router/rules';
import { storageIpRule, validateAzureModelRouter } from './model-router/validate';
import { PrivateNetwork } from './network';
import { HARDENED_STORAGE } from './storage-account';

export { endpointKeySecretName, keyVaultSecretUrl, routerNames, KEY_HASHES_SECRET, LEDGER_TABLE, RATE_TABLE } from './model-router/names';
export type { RouterNames } from './model-router/names';
export { PACKAGE_BLOB_NAME } from './model-router/package';

/** Node.js major version of the function app (`runtime_version`; Flex Consumption runs Node.js 20 and 22). */
export const ROUTER_NODE_VERSION = '22';

/**
 * The router's own cap of chat requests in flight per instance (docs/router.md, Server limits): set
 * to the instance's HTTP concurrency, so no instance serves more than its share of
 * `maxConcurrentRequests` even if the platform sends it more.
 */
const MAX_IN_FLIGHT_ENV = 'AI_STACK_ROUTER_MAX_IN_FLIGHT';

/** Address prefix of the router subnet of a network the router creates for itself. */
const OWN_ROUTER_SUBNET_PREFIX = '10.40.16.0/24';

/** A user-assigned managed identity (e.g. a `UserAssignedIdentity`). */
export interface IManagedIdentity {
  /** Resource id. */
  readonly id: string;
  readonly principalId: string;
  readonly clientId: string;
}

/** An Azure OpenAI account (e.g. a `CognitiveAccount` of kind `OpenAI` with a custom subdomain). */
export interface IOpenAiAccount {
  /** Resource id. */
  readonly id: string;
  /** `https://<custom subdomain>.openai.azure.com/`. */
  readonly endpoint: string;
}

/** A GPU endpoint the router's `endpoint` targets call. */
export interface RouterEndpoint {
  /** Base URL, e.g. `http://10.40.0.4:8000` (a `GpuEndpoint`'s `url`). */
  readonly url: string;
  /** The model the server serves (`server.model`), sent as `model` in each request. */
  readonly model: string;
  /**
   * Resource the endpoint publishes its GPU utilization against (a `GpuEndpoint`'s internal load
   * balancer), for the dashboard.
   * @default - the dashboard has no chart of this endpoint
   */
  readonly gpuMetricResourceId?: string;
}

/** The `RouterEndpoint` of an Azure `GpuEndpoint`. */
export function routerEndpointOf(endpoint: GpuEndpoint): RouterEndpoint {
  return { url: endpoint.url, model: endpoint.resolved.server.model, ...(endpoint.metricsPublisher ? { gpuMetricResourceId: endpoint.loadBalancer.id } : {}) };
}

/** What the router creates for a GPU endpoint it calls: its API key and where it lives. */
export interface EndpointKey {
  /** 48 random letters and digits, generated by Terraform (`random_password`); only in the Terraform state and the vault. */
  readonly password: RandomPassword;
  readonly secret: KeyVaultSecret;
  /**
   * Pass as the endpoint's `serverSecrets[MODEL_SERVER_API_KEY_ENV]`: the server then refuses requests
   * without the key, and only the router holds it.
   */
  readonly serverSecret: KeyVaultSecretRef;
}

/**
 * Props of the Azure {@link ModelRouter}: the neutral router design plus Azure's own fields. Unknown
 * props are refused.
 */
export interface ModelRouterProps extends RouterDesign, NamePrefixProps {
  /** Resource group every resource is created in. */
  readonly resourceGroupName: string;
  /** Azure region, e.g. `eastus2` (must offer Flex Consumption and the Azure OpenAI models). */
  readonly location: string;
  /**
   * The GPU endpoints `endpoint` targets name, by endpoint name. The router creates an API key for
   * each one it calls (`endpointKeys`).
   * @default - none (a router with `endpoint` targets needs them)
   */
  readonly endpoints?: Readonly<Record<string, RouterEndpoint>>;
  /**
   * Per-1K-token prices by catalog model id, replacing the catalog's (the design's `prices.models`).
   * @default - catalog prices
   */
  readonly modelPrices?: Readonly<Record<string, ModelPriceOverride>>;
  /**
   * How many clouds deploy this router. Each keeps its own ledger, so each tenant's budget is split
   * evenly between them (rounded down to the nano-dollar).
   * @default 1
   */
  readonly routerClouds?: number;
  /**
   * Subnet of the function app's VNet integration: delegated to `Microsoft.App/environments`, with
   * the service endpoints `Microsoft.Storage`, `Microsoft.KeyVault` and `Microsoft.CognitiveServices`
   * (the router's storage account, vault and Azure OpenAI account admit this subnet only), and egress
   * to the internet (a NAT gateway) for Application Insights. Pass the GPU endpoints' network's router
   * subnet (`PrivateNetwork.routerSubnet`).
   * @default - a new virtual network with such a subnet and a NAT gateway (a synth warning says so)
   */
  readonly subnetId?: string;
  /**
   * More subnets the Key Vault's firewall admits (each needs the `Microsoft.KeyVault` service
   * endpoint): the GPU endpoints' subnet, whose replicas read their API key at boot.
   * @default - the router subnet only
   */
  readonly vaultClientSubnetIds?: readonly string[];
  /**
   * Public IPv4 ranges of the machines that run `terraform apply`, admitted by the storage account's
   * and the Key Vault's firewalls: Terraform writes the code package and the secrets through their
   * data planes. Without them, apply must run from a subnet with service endpoints for both.
   * @default - none (a synth warning says so)
   */
  readonly deployerCidrs?: readonly string[];
  /**
   * The user-assigned identity the function runs as. It gets the roles listed in
   * docs/azure/model-router.md, and nothing else is needed.
   * @default - a new user-assigned identity
   */
  readonly identity?: IManagedIdentity;
  /**
   * The Azure OpenAI account the router's `azure-openai` targets are deployed in and called at. The
   * router creates its deployments there and grants its identity "Cognitive Services OpenAI User" on
   * it; its network rules must admit the router subnet.
   * @default - a new account (kind `OpenAI`, custom subdomain, local auth off, admitting the router subnet only), when the router has azure-openai targets
   */
  readonly openAiAccount?: IOpenAiAccount;
  /**
   * Capacity of each Azure OpenAI deployment, in thousands of tokens per minute (a rate limit of the
   * Global Standard deployment, not a reservation).
   * @default - the sum of the tenants' `tokensPerMinute` in thousands (at least 1, at most 1000)
   */
  readonly openAiCapacity?: number;
  /**
   * Azure Monitor action group the two alerts notify.
   * @default - the alerts fire in Azure Monitor without notifying anyone
   */
  readonly actionGroupId?: string;
  /**
   * The function app's code package (a zip of a v4-model Node.js function app).
   * @default - the shipped router bundle, `dist/router/azure.zip` of this package
   */
  readonly packagePath?: string;
  /**
   * Replication of the storage account holding the ledger and the code package.
   * @default 'ZRS' - three zones of the region, synchronously
   */
  readonly storageAccountReplicationType?: string;
  /**
   * The guard the router calls before any paid call and on every answer (a `Guardrail`, or your own
   * `IRouterGuardrail`): its variables go into the app settings, its section into the router config,
   * the identity gets its grant (and the router subnet its network access), and the Azure OpenAI
   * deployments use its RAI policy (`raiPolicyFor`).
   * @default - no cloud guard: the router runs no guard stage
   */
  readonly guardrail?: IRouterGuardrail;
  /**
   * RAI policy (content filter configuration) of every Azure OpenAI deployment, by name: one that
   * exists on the account. Excludes a `guardrail` that brings its own policy.
   * @default - the guardrail's policy (`guardrail.raiPolicyFor`), else the account's default policy
   */
  readonly raiPolicyName?: string;
}

/**
 * The OpenAI-compatible model router on Azure: the shipped router bundle on a Flex Consumption
 * function app (Node.js 22) in the virtual network of the GPU endpoints, with its budget ledger and
 * rate limits in Table storage, tenant key hashes and endpoint keys in Key Vault, a user-assigned
 * identity that calls Azure OpenAI with Entra ID tokens, and an Application Insights dashboard and
 * alerts. See docs/azure/model-router.md.
 */
export class ModelRouter extends Construct {
  /** Deployment size and alarm thresholds with defaults applied. */
  public readonly resolved: ResolvedRouterDeployment;
  /** The router as Azure serves it: its targets and routes. */
  public readonly placement: RouterPlacement;
  /** The runtime config written into `AI_STACK_ROUTER_CONFIG`. */
  public readonly config: RouterConfig;
  /** Instances and per-instance concurrency kept within `maxConcurrentRequests`. */
  public readonly scale: FlexScalePlan;
  public readonly namePrefix: string;
  public readonly names: RouterNames;
  /** The network created when no `subnetId` was given. */
  public readonly network?: PrivateNetwork;
  /** Subnet of the VNet integration. */
  public readonly subnetId: string;
  /** The identity the function runs as. */
  public readonly identity: IManagedIdentity;
  /** Holds the ledger tables, the code package and the Functions host's own blobs. */
  public readonly storageAccount: StorageAccount;
  public readonly ledgerTable: AzapiResource;
  public readonly rateTable: AzapiResource;
  /** The code package and what it was built from. */
  public readonly package: RouterPackage;
  /** The deployment container (`pkg-<hash>`), and the package in it. */
  public readonly packageContainer: StorageContainer;
  public readonly packageBlob: StorageBlob;
  public readonly keyVault: KeyVault;
  /** Tenant key hashes, JSON `{ "<tenant>": ["<sha256 hex>", …] }`; created `{}` and then owned by the operator. */
  public readonly keyHashesSecret: KeyVaultSecret;
  /** `https://<vault>.vault.azure.net/secrets/router-key-hashes`. */
  public readonly keyHashesSecretId: string;
  /** The API key of each GPU endpoint the router calls, by endpoint name. */
  public readonly endpointKeys: Readonly<Record<string, EndpointKey>>;
  /** The account created for the azure-openai targets (absent with `openAiAccount` or without such targets). */
  public readonly openAiAccount?: CognitiveAccount;
  /** `AZURE_OPENAI_ENDPOINT` of the function, when the router has azure-openai targets. */
  public readonly openAiEndpoint?: string;
  /** One deployment per model, by deployment name. */
  public readonly openAiDeployments: Readonly<Record<string, CognitiveDeployment>>;
  public readonly logAnalyticsWorkspace: LogAnalyticsWorkspace;
  public readonly appInsights: ApplicationInsights;
  public readonly servicePlan: ServicePlan;
  public readonly functionApp: FunctionAppFlexConsumption;
  /** Registers the function's HTTP trigger after each package change (`syncfunctiontriggers`). */
  public readonly syncTriggers: AzapiResourceAction;
  public readonly dashboard: PortalDashboard;
  public readonly errorRateAlert: MonitorScheduledQueryRulesAlertV2;
  public readonly latencyAlert: MonitorScheduledQueryRulesAlertV2;
  /** Every role the router's identity holds, each on exactly one resource. */
  public readonly roleAssignments: readonly RoleAssignment[];
  /** OpenAI-compatible base URL, `https://<app>.azurewebsites.net/api/v1`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ModelRouterProps) {
    super(scope, id);
    refuseInvalidProps(this.node.path, (problems) => validateAzureModelRouter(props, 'props', problems));
    const { resourceGroupName, location } = props;
    const endpoints = props.endpoints ?? {};
    this.namePrefix = namePrefixOf(this, props.namePrefix);
    const names = routerNames(this.namePrefix);
    this.names = names;
    this.resolved = resolveRouterDeployment(props);
    this.placement = placeRouter(props, 'azure');
    this.scale = flexScalePlan(this.resolved.maxConcurrentRequests);
    this.config = deployedRouterConfig(this.designForConfig(props, endpoints), 'azure', props.routerClouds ?? 1);
    this.warnAboutPlacement();

    // Network: the endpoints' router subnet, or a network of its own.
    if (props.subnetId !== undefined) {
      this.subnetId = props.subnetId;
    } else {
      warnOwnNetwork(
        this,
        'azure-router-own-network',
        'No subnetId was given, so this router creates its own virtual network, subnets, NAT gateway and public IP; it cannot reach GPU endpoints in another network.',
        "Pass the GPU endpoints' network's router subnet (PrivateNetwork.routerSubnet) as subnetId.",
      );
      this.network = new PrivateNetwork(this, 'Network', { name: fitName([this.namePrefix, 'router'], 41), resourceGroupName, location, routerSubnetPrefix: OWN_ROUTER_SUBNET_PREFIX });
      this.subnetId = this.network.routerSubnet!.id;
    }
    const deployerCidrs = props.deployerCidrs ? [...props.deployerCidrs] : [];
    if (props.deployerCidrs === undefined) {
      warn(
        this,
        'azure-router-deployer-network',
        "No deployerCidrs were given: the router's storage account and Key Vault admit only the router subnet, so terraform apply must run from a subnet with service endpoints for Storage and Key Vault; " +
          'from anywhere else it cannot upload the code package or write the secrets. Pass the public ranges of the machines that run terraform apply as deployerCidrs.',
      );
    }

    // Identity.
    this.identity = props.identity ?? new UserAssignedIdentity(this, 'Identity', { name: names.identity, resourceGroupName, location });
    const roles: RoleAssignment[] = [];
    const grant = (grantId: string, roleScope: string, roleDefinitionName: string, description: string) => {
      const r = new RoleAssignment(this, grantId, { scope: roleScope, roleDefinitionName, principalId: this.identity.principalId, principalType: 'ServicePrincipal', description });
      roles.push(r);
      return r;
    };
    const guardResources = props.guardrail ? props.guardrail.grantUse(this.identity.principalId, this.subnetId) : [];
    for (const r of guardResources) if (r instanceof RoleAssignment) roles.push(r);

    // Storage: ledger tables, code package, host storage. Entra ID only, admitted from the router subnet.
    this.storageAccount = new StorageAccount(this, 'Storage', {
      name: names.storageAccount,
      resourceGroupName,
      location,
      ...HARDENED_STORAGE,
      accountReplicationType: props.storageAccountReplicationType ?? 'ZRS',
      // Infrastructure encryption covers tables and queues only with account-scoped keys.
      tableEncryptionKeyType: 'Account',
      queueEncryptionKeyType: 'Account',
      networkRules: { defaultAction: 'Deny', bypass: ['AzureServices'], virtualNetworkSubnetIds: [this.subnetId], ipRules: deployerCidrs.map(storageIpRule) },
      blobProperties: { deleteRetentionPolicy: { days: 7 }, containerDeleteRetentionPolicy: { days: 7 } },
    });
    const table = (tableId: string, name: string) =>
      new AzapiResource(this, tableId, { type: 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01', name, parentId: `${this.storageAccount.id}/tableServices/default` });
    this.ledgerTable = table('LedgerTable', LEDGER_TABLE);
    this.rateTable = table('RateTable', RATE_TABLE);
    grant('LedgerTableWriter', this.ledgerTable.id, 'Storage Table Data Contributor', `Router ${this.namePrefix}: budget ledger (ETag-conditional writes)`);
    grant('RateTableWriter', this.rateTable.id, 'Storage Table Data Contributor', `Router ${this.namePrefix}: rate limits`);
    // The Functions host keeps its keys and locks in blob containers it creates, and reads the package.
    grant('HostStorage', this.storageAccount.id, 'Storage Blob Data Owner', `Router ${this.namePrefix}: Functions host storage and code package`);

    // Code package: a container named by the package's hash, holding released-package.zip.
    const packagePath = props.packagePath ?? defaultPackagePath();
    this.package = routerPackage(isAbsolute(packagePath) ? packagePath : resolve(packagePath));
    const asset = new TerraformAsset(this, 'PackageAsset', { path: this.package.path, type: AssetType.FILE, assetHash: this.package.sha256 });
    this.packageContainer = new StorageContainer(this, 'PackageContainer', {
      name: this.package.containerName,
      storageAccountId: this.storageAccount.id,
      containerAccessType: 'private',
      // The app keeps running from the old package until it points at the new one.
      lifecycle: { createBeforeDestroy: true },
    });
    this.packageBlob = new StorageBlob(this, 'PackageBlob', {
      name: PACKAGE_BLOB_NAME,
      storageAccountName: this.storageAccount.name,
      storageContainerName: this.packageContainer.name,
      type: 'Block',
      source: asset.path,
      contentType: 'application/zip',
      metadata: { sha256: this.package.sha256 },
      lifecycle: { createBeforeDestroy: true },
    });

    // Key Vault: RBAC only, purge protection, admitted from the router subnet, the clients' subnets and the deployers.
    const client = new DataAzurermClientConfig(this, 'Client', {});
    this.keyVault = new KeyVault(this, 'KeyVault', {
      name: names.keyVault,
      resourceGroupName,
      location,
      tenantId: client.tenantId,
      skuName: 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: 90,
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      publicNetworkAccessEnabled: true,
      networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices', virtualNetworkSubnetIds: [this.subnetId, ...(props.vaultClientSubnetIds ?? [])], ipRules: deployerCidrs },
    });
    this.keyHashesSecret = new KeyVaultSecret(this, 'KeyHashes', {
      name: KEY_HASHES_SECRET,
      keyVaultId: this.keyVault.id,
      value: '{}',
      contentType: 'application/json',
      // The operator adds, rotates and revokes keys by writing new versions: never revert them.
      lifecycle: { ignoreChanges: ['value'] },
    });
    this.keyHashesSecretId = keyVaultSecretUrl(names.keyVault, KEY_HASHES_SECRET);
    grant('KeyHashesReader', this.keyHashesSecret.resourceVersionlessId, 'Key Vault Secrets User', `Router ${this.namePrefix}: tenant key hashes`);

    const endpointKeys: Record<string, EndpointKey> = {};
    for (const name of endpointsCalledOnAzure(props).filter((n) => endpoints[n] !== undefined)) {
      const password = new RandomPassword(this, `EndpointKeyValue-${name}`, { length: 48 });
      const secretName = endpointKeySecretName(name);
      const secret = new KeyVaultSecret(this, `EndpointKey-${name}`, { name: secretName, keyVaultId: this.keyVault.id, value: password.result, contentType: 'text/plain' });
      grant(`EndpointKeyReader-${name}`, secret.resourceVersionlessId, 'Key Vault Secrets User', `Router ${this.namePrefix}: API key of GPU endpoint ${name}`);
      // The secret's own vault id: the endpoint's role on the secret then waits for the secret.
      endpointKeys[name] = { password, secret, serverSecret: { secretId: keyVaultSecretUrl(names.keyVault, secretName), keyVaultId: secret.keyVaultId } };
    }
    this.endpointKeys = endpointKeys;

    // Azure OpenAI: an account with token auth only, one deployment per model.
    const deploymentPlans = openAiDeployments(this.placement.router, props.openAiCapacity);
    const deployments: Record<string, CognitiveDeployment> = {};
    if (deploymentPlans.length > 0 || props.openAiAccount) {
      let account: IOpenAiAccount;
      if (props.openAiAccount) {
        account = props.openAiAccount;
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
        account = this.openAiAccount;
      }
      this.openAiEndpoint = account.endpoint;
      const raiPolicyName = props.raiPolicyName ?? (deploymentPlans.length > 0 ? props.guardrail?.raiPolicyFor?.(account) : undefined);
      deploymentPlans.forEach((plan, i) => {
        deployments[plan.name] = this.openAiDeployment(plan, account, deploymentPlans[i - 1] ? deployments[deploymentPlans[i - 1].name] : undefined, raiPolicyName);
      });
      if (deploymentPlans.length > 0) grant('OpenAiUser', account.id, 'Cognitive Services OpenAI User', `Router ${this.namePrefix}: calls the Azure OpenAI deployments`);
    }
    this.openAiDeployments = deployments;

    // Observability: a workspace with the design's retention, Application Insights with Entra ingestion.
    this.logAnalyticsWorkspace = new LogAnalyticsWorkspace(this, 'Logs', {
      name: names.logAnalytics,
      resourceGroupName,
      location,
      sku: 'PerGB2018',
      retentionInDays: this.resolved.logRetentionDays,
    });
    this.appInsights = new ApplicationInsights(this, 'AppInsights', {
      name: names.appInsights,
      resourceGroupName,
      location,
      applicationType: 'web',
      workspaceId: this.logAnalyticsWorkspace.id,
      // Telemetry is accepted with an Entra ID token only (the identity's role below), not the connection string's key.
      localAuthenticationDisabled: true,
    });
    grant('TelemetryPublisher', this.appInsights.id, 'Monitoring Metrics Publisher', `Router ${this.namePrefix}: sends its logs and telemetry`);
    this.roleAssignments = roles;

    // The function app.
    this.servicePlan = new ServicePlan(this, 'Plan', { name: names.servicePlan, resourceGroupName, location, osType: 'Linux', skuName: 'FC1' });
    this.functionApp = new FunctionAppFlexConsumption(this, 'Function', {
      name: names.functionApp,
      resourceGroupName,
      location,
      servicePlanId: this.servicePlan.id,
      runtimeName: 'node',
      runtimeVersion: ROUTER_NODE_VERSION,
      instanceMemoryInMb: this.resolved.memoryMiB,
      maximumInstanceCount: this.scale.maximumInstanceCount,
      httpConcurrency: this.scale.httpConcurrency,
      storageContainerType: 'blobContainer',
      storageContainerEndpoint: `${this.storageAccount.primaryBlobEndpoint}${this.packageContainer.name}`,
      storageAuthenticationType: 'UserAssignedIdentity',
      storageUserAssignedIdentityId: this.identity.id,
      identity: { type: 'UserAssigned', identityIds: [this.identity.id] },
      httpsOnly: true,
      publicNetworkAccessEnabled: true,
      clientCertificateEnabled: false,
      webdeployPublishBasicAuthenticationEnabled: false,
      virtualNetworkSubnetId: this.subnetId,
      siteConfig: {
        minimumTlsVersion: '1.2',
        scmMinimumTlsVersion: '1.2',
        // Every outbound call goes through the VNet: the service endpoints, the GPU endpoints, the NAT gateway.
        vnetRouteAllEnabled: true,
        applicationInsightsConnectionString: this.appInsights.connectionString,
      },
      appSettings: this.appSettings(names, endpoints, props.guardrail?.routerEnvironment ?? {}),
      // The host can start only once its package, its roles and (in its own network) its egress are in place.
      dependsOn: [
        this.packageBlob,
        ...roles,
        ...guardResources.filter((r) => !(r instanceof RoleAssignment)),
        ...Object.values(deployments),
        ...(this.network?.routerEgressAssociation ? [this.network.routerEgressAssociation] : []),
      ],
    });
    this.syncTriggers = new AzapiResourceAction(this, 'SyncTriggers', {
      type: 'Microsoft.Web/sites@2023-12-01',
      resourceId: this.functionApp.id,
      action: 'syncfunctiontriggers',
      replaceTriggeredBy: [this.packageBlob],
      dependsOn: [this.functionApp],
    });
    this.url = `https://${this.functionApp.defaultHostname}/api/v1`;

    // Dashboard and alerts.
    this.dashboard = new PortalDashboard(this, 'Dashboard', {
      name: names.dashboard,
      resourceGroupName,
      location,
      dashboardProperties: escapeTerraformTemplate(
        dashboardProperties({
          appInsightsId: this.appInsights.id,
          gpuMetrics: Object.entries(endpoints)
            .filter(([, e]) => e.gpuMetricResourceId !== undefined)
            .map(([name, e]) => ({ endpoint: name, resourceId: e.gpuMetricResourceId!, namespace: GPU_METRIC_NAMESPACE, name: GPU_METRIC_NAME })),
        }),
      ),
    });
    const minutes = this.resolved.evaluationMinutes;
    const alert = (alertId: string, name: string, description: string, severity: number, query: string, column: string, threshold: number) =>
      new MonitorScheduledQueryRulesAlertV2(this, alertId, {
        name,
        resourceGroupName,
        location,
        description,
        severity,
        scopes: [this.appInsights.id],
        evaluationFrequency: `PT${Math.min(minutes, 5)}M`,
        windowDuration: `PT${minutes}M`,
        criteria: [
          {
            query: escapeTerraformTemplate(query),
            timeAggregationMethod: 'Maximum',
            metricMeasureColumn: column,
            operator: 'GreaterThan',
            threshold,
            failingPeriods: { minimumFailingPeriodsToTriggerAlert: 1, numberOfEvaluationPeriods: 1 },
          },
        ],
        autoMitigationEnabled: true,
        action: props.actionGroupId ? { actionGroups: [props.actionGroupId] } : undefined,
      });
    this.errorRateAlert = alert(
      'ErrorRateAlert',
      names.errorAlert,
      `More than ${this.resolved.errorRatePercent}% of the router's requests were answered with a 5xx over ${minutes} min`,
      1,
      ERROR_RATE_ALERT_QUERY,
      'errorRatePercent',
      this.resolved.errorRatePercent,
    );
    this.latencyAlert = alert(
      'LatencyAlert',
      names.latencyAlert,
      `The router's p99 latency (unstreamed requests) passed ${this.resolved.p99LatencyMs} ms over ${minutes} min`,
      2,
      P99_ALERT_QUERY,
      'p99LatencyMs',
      this.resolved.p99LatencyMs,
    );
  }

  /** The design `deployedRouterConfig` reads: the router, its endpoints' models, the prices, the region. */
  private designForConfig(props: ModelRouterProps, endpoints: Readonly<Record<string, RouterEndpoint>>): AiStackDesign {
    const router: RouterDesign = {
      models: props.models,
      routes: props.routes,
      ...(props.tenants ? { tenants: props.tenants } : {}),
      ...(props.circuitBreaker ? { circuitBreaker: props.circuitBreaker } : {}),
      ...(props.deployment ? { deployment: props.deployment } : {}),
      ...(props.alarms ? { alarms: props.alarms } : {}),
    };
    return {
      name: this.namePrefix,
      region: { azure: props.location },
      tags: { team: '-', costCenter: '-', environment: '-', application: '-' },
      endpoints: Object.entries(endpoints).map(([name, e]) => ({ name, server: { model: e.model } }) as unknown as GpuEndpointDesign),
      router,
      ...(props.modelPrices ? { prices: { models: props.modelPrices } } : {}),
      ...(props.guardrail?.design ? { guardrails: props.guardrail.design } : {}),
    };
  }

  private warnAboutPlacement(): void {
    const { targetsElsewhere, routesElsewhere, router } = this.placement;
    if (targetsElsewhere.length > 0) {
      warn(
        this,
        'router-targets-elsewhere',
        `The Azure router leaves out targets whose provider runs on another cloud (it has no credentials there): ${targetsElsewhere.join(', ')}` +
          (routesElsewhere.length > 0 ? `; and the routes left with no target here: ${routesElsewhere.join(', ')}` : '') +
          '. Deploy the design on those clouds too to serve them.',
      );
    }
    if (router.routes.length === 0) {
      warn(this, 'router-no-routes', 'No route of the design has a target the Azure router can call (Azure OpenAI or a GPU endpoint): every request will be answered 404 model_not_found.');
    }
  }

  /** App settings: names of things and secret references only, never a secret value. */
  private appSettings(names: RouterNames, endpoints: Readonly<Record<string, RouterEndpoint>>, guardEnvironment: Readonly<Record<string, string>>): Record<string, string> {
    const { timeoutSeconds } = this.resolved;
    const settings: Record<string, string> = {
      // Host storage with the identity (an empty connection string stops azurerm writing a key-based one).
      AzureWebJobsStorage: '',
      AzureWebJobsStorage__accountName: names.storageAccount,
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: this.identity.clientId,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${this.identity.clientId};Authorization=AAD`,
      // host.json's functionTimeout, from the design.
      AzureFunctionsJobHost__functionTimeout: functionTimeout(timeoutSeconds),
      [ROUTER_ENV.config]: escapeTerraformTemplate(serializeRouterConfig(this.config)),
      [ROUTER_ENV.keyHashes]: secretRef('azure-kv', this.keyHashesSecretId),
      [ROUTER_ENV.secretRefreshSeconds]: String(DEFAULT_SECRET_REFRESH_SECONDS),
      [ROUTER_ENV.store]: 'azure-tables',
      [ROUTER_ENV.ledgerTable]: LEDGER_TABLE,
      [ROUTER_ENV.rateTable]: RATE_TABLE,
      [ROUTER_ENV.tablesEndpoint]: `https://${names.storageAccount}.table.core.windows.net`,
      [ROUTER_ENV.maxRequestMs]: String(timeoutSeconds * 1000),
      [ROUTER_ENV.azureClientId]: this.identity.clientId,
      [MAX_IN_FLIGHT_ENV]: String(this.scale.httpConcurrency),
      // Guard variables only (validated): they cannot replace the router's own.
      ...guardEnvironment,
    };
    if (this.openAiEndpoint !== undefined) settings[ROUTER_ENV.azureOpenAiEndpoint] = this.openAiEndpoint;
    for (const [name, key] of Object.entries(this.endpointKeys)) {
      settings[endpointUrlEnv(name)] = endpoints[name].url;
      settings[endpointKeyEnv(name)] = secretRef('azure-kv', key.serverSecret.secretId);
    }
    return settings;
  }

  /** One deployment; each after the previous one (Azure refuses concurrent deployments on one account). */
  private openAiDeployment(plan: OpenAiDeploymentPlan, account: IOpenAiAccount, previous: TerraformResource | undefined, raiPolicyName: string | undefined): CognitiveDeployment {
    return new CognitiveDeployment(this, `OpenAiDeployment-${plan.name}`, {
      name: plan.name,
      cognitiveAccountId: account.id,
      raiPolicyName,
      model: { format: 'OpenAI', name: plan.model, version: plan.version },
      sku: { name: OPENAI_DEPLOYMENT_SKU, capacity: plan.capacity },
      // Keep the pinned version until Azure retires it.
      versionUpgradeOption: 'OnceCurrentVersionExpired',
      dependsOn: previous ? [previous] : undefined,
    });
  }
}
