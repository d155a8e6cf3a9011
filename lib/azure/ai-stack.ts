import { routerCloudCount } from '../design/router-placement';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Lazy, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { validateDesign, VECTOR_STORE_DEFAULTS, type AiStackDesign } from '../design';
import { MODEL_SERVER_API_KEY_ENV } from '../router/deploy-env';
import { configureStateBackend } from '../cdktf/state-backend';
import { warn } from '../cdktf/warnings';
import { applyCostTags } from './cost-tags';
import { GpuEndpoint } from './gpu-endpoint';
import { Budget, budgetRouterOf } from './budget';
import { Guardrail } from './guardrail';
import { ModelRouter, routerEndpointOf } from './model-router';
import { endpointKeySecretName, keyVaultSecretUrl, routerNames } from './model-router/names';
import { endpointsCalledOnAzure } from './model-router/rules';
import { PrivateNetwork } from './network';
import { VectorStore } from './vector-store';

/** Address prefix of the router's subnet in the stack's network (beside the endpoints' 10.40.0.0/20). */
export const ROUTER_SUBNET_PREFIX = '10.40.16.0/24';

/**
 * Resource providers the router uses beyond azurerm's `core` registrations: Flex Consumption and its
 * VNet integration (`Microsoft.Web`, `Microsoft.App`), Key Vault, Azure OpenAI, monitoring, the dashboard.
 */
export const ROUTER_RESOURCE_PROVIDERS: readonly string[] = [
  'Microsoft.App',
  'Microsoft.CognitiveServices',
  'Microsoft.Insights',
  'Microsoft.KeyVault',
  'Microsoft.OperationalInsights',
  'Microsoft.Portal',
  'Microsoft.Web',
];

/** The services a budget uses beyond the core set: budgets and the cost anomaly alert. */
const BUDGET_RESOURCE_PROVIDERS = ['Microsoft.Consumption', 'Microsoft.CostManagement'];

/**
 * The services the vector store uses beyond the core set: AI Search, and the ingestion function's
 * (Flex Consumption, Azure OpenAI, monitoring, the dashboard).
 */
export const VECTOR_STORE_RESOURCE_PROVIDERS: readonly string[] = [
  'Microsoft.App',
  'Microsoft.CognitiveServices',
  'Microsoft.Insights',
  'Microsoft.OperationalInsights',
  'Microsoft.Portal',
  'Microsoft.Search',
  'Microsoft.Web',
];

export interface AiStackProps {
  /** The cloud-neutral design this stack builds. It is validated for Azure before anything is created. */
  readonly design: AiStackDesign;
  /**
   * The router's code package, for a router built from another bundle.
   * @default - the shipped router bundle, `dist/router/azure.zip` of this package
   */
  readonly routerPackagePath?: string;
  /**
   * The budget stop function's code package, for one built from another bundle.
   * @default - the shipped bundle, `dist/budget/azure.zip` of this package
   */
  readonly budgetPackagePath?: string;
  /**
   * The vector store's ingestion package, for one built from another bundle.
   * @default - the shipped bundle, `dist/ingest/azure.zip` of this package
   */
  readonly ingestPackagePath?: string;
}

/**
 * The whole AI stack on Azure, built from one design, as a cdktf stack with the azurerm provider
 * configured, one resource group holding everything, and the cost tags on every resource.
 */
export class AiStack extends TerraformStack {
  public readonly design: AiStackDesign;
  public readonly provider: AzurermProvider;
  public readonly resourceGroup: ResourceGroup;
  public readonly location: string;
  public readonly costTags: Readonly<Record<string, string>>;
  /** The private network of the GPU endpoints; absent when the design has none. */
  public readonly network?: PrivateNetwork;
  /** The design's GPU endpoints, by endpoint name. */
  public readonly endpoints: Readonly<Record<string, GpuEndpoint>>;
  /** The model router, when the design has one. */
  public readonly router?: ModelRouter;
  /** The RAI policy and Content Safety account the router uses; absent without a `guardrails` section or a router. */
  public readonly guardrail?: Guardrail;
  /** The budget (billed spend, the router-charged watch, the hard stop); absent without a `budget` section. */
  public readonly budget?: Budget;
  /** The vector store (source container, AI Search, the scheduled ingestion); absent without a `vectorStore` section. */
  public readonly vectorStore?: VectorStore;

  constructor(scope: Construct, id: string, props: AiStackProps) {
    validateDesign(props.design, { clouds: ['azure'] });
    super(scope, id);
    const design = props.design;
    this.design = design;
    configureStateBackend(this, design.name, 'azure', design.terraformState?.azure);
    this.location = design.region.azure as string;
    const subscriptionId =
      design.accounts?.azure ?? new TerraformVariable(this, 'azure_subscription_id', { type: 'string', description: 'Azure subscription id to deploy into' }).stringValue;
    this.costTags = applyCostTags(this, design.tags);
    const routerDesign = design.router;
    const vectorStoreDesign = design.vectorStore;
    const providers = [
      ...new Set([
        ...(routerDesign ? ROUTER_RESOURCE_PROVIDERS : []),
        ...(design.budget ? BUDGET_RESOURCE_PROVIDERS : []),
        ...(vectorStoreDesign ? VECTOR_STORE_RESOURCE_PROVIDERS : []),
      ]),
    ];
    this.provider = new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId,
      // Register only the resource providers the stack uses, not the provider's long default list.
      resourceProviderRegistrations: 'core',
      // The services beyond the core set; the storage accounts take Entra ID only (shared keys are disabled).
      ...(providers.length > 0 ? { resourceProvidersToRegister: providers, storageUseAzuread: true } : {}),
    });
    this.resourceGroup = new ResourceGroup(this, 'resource-group', { name: `rg-${design.name}`, location: this.location });
    const endpointDesigns = design.endpoints ?? [];
    // GPU endpoints the router calls: they take their API key from the router's Key Vault.
    const called = new Set(routerDesign ? endpointsCalledOnAzure(routerDesign) : []);
    if (endpointDesigns.length > 0 || routerDesign || vectorStoreDesign) {
      // One VNet with one NAT egress for every endpoint of the stack, and the subnet the Flex Consumption
      // apps share (the router's, the vector store's ingestion).
      this.network = new PrivateNetwork(this, 'network', {
        name: design.name,
        resourceGroupName: this.resourceGroup.name,
        location: this.location,
        ...(routerDesign || vectorStoreDesign ? { routerSubnetPrefix: ROUTER_SUBNET_PREFIX } : {}),
        ...(called.size > 0 ? { subnetServiceEndpoints: ['Microsoft.KeyVault'] } : {}),
      });
    }
    const vaultName = routerNames(design.name).keyVault;
    const endpoints: Record<string, GpuEndpoint> = {};
    for (const e of endpointDesigns) {
      const keyed = called.has(e.name);
      endpoints[e.name] = new GpuEndpoint(this, `endpoint-${e.name}`, {
        ...e,
        namePrefix: design.name,
        resourceGroupName: this.resourceGroup.name,
        location: this.location,
        subnetId: this.network?.subnet.id,
        // The stack's own subnet, and the router's when it calls this endpoint: known here, so no data source has to read them back.
        clientCidrs: this.network ? [this.network.subnetPrefix, ...(keyed && this.network.routerSubnetPrefix ? [this.network.routerSubnetPrefix] : [])] : undefined,
        ...(keyed
          ? {
              serverSecrets: {
                [MODEL_SERVER_API_KEY_ENV]: {
                  secretId: keyVaultSecretUrl(vaultName, endpointKeySecretName(e.name)),
                  // The router, built below, owns the secret; its vault id makes the endpoint's role wait for it.
                  keyVaultId: Lazy.stringValue({ produce: () => this.router!.endpointKeys[e.name].serverSecret.keyVaultId }),
                },
              },
            }
          : {}),
      });
      new TerraformOutput(this, `endpoint-${e.name}-url`, { value: endpoints[e.name].url, description: `Internal URL of GPU endpoint ${e.name}` });
    }
    this.endpoints = endpoints;

    if (design.guardrails && routerDesign) {
      this.guardrail = new Guardrail(this, 'guardrail', { ...design.guardrails, namePrefix: design.name, resourceGroupName: this.resourceGroup.name, location: this.location });
    } else if (design.guardrails) {
      warn(this, 'guardrails-without-router', "the design's guardrails are applied by the router, and the design has no router: nothing is built for them on Azure.");
    }

    let deployerCidrs: string[] | undefined;
    if (routerDesign) {
      deployerCidrs = new TerraformVariable(this, 'router_deployer_cidrs', {
        type: 'list(string)',
        description: "Public IPv4 ranges of the machines that run terraform apply: the router's storage account and Key Vault admit them to upload the code package and write the secrets",
      }).listValue;
      // Each cloud that deploys the router keeps its own ledger: a tenant's budget is split between them.
      this.router = new ModelRouter(this, 'router', {
        ...routerDesign,
        namePrefix: design.name,
        resourceGroupName: this.resourceGroup.name,
        location: this.location,
        endpoints: Object.fromEntries(Object.entries(endpoints).map(([name, e]) => [name, routerEndpointOf(e)])),
        ...(design.prices?.models ? { modelPrices: design.prices.models } : {}),
        routerClouds: routerCloudCount(design, 'azure'),
        subnetId: this.network!.routerSubnet!.id,
        ...(called.size > 0 ? { vaultClientSubnetIds: [this.network!.subnet.id] } : {}),
        deployerCidrs,
        ...(props.routerPackagePath ? { packagePath: props.routerPackagePath } : {}),
        ...(this.guardrail ? { guardrail: this.guardrail } : {}),
      });
      new TerraformOutput(this, 'router-url', { value: this.router.url, description: 'OpenAI-compatible base URL of the model router' });
      new TerraformOutput(this, 'router-key-hashes-secret-id', {
        value: this.router.keyHashesSecretId,
        description: 'Key Vault secret of the tenant key hashes: write a new version to add, rotate or revoke a key (docs/azure/model-router.md)',
      });
    }
    if (design.budget) {
      this.budget = new Budget(this, 'budget', {
        ...design.budget,
        namePrefix: design.name,
        resourceGroupName: this.resourceGroup.name,
        resourceGroupId: this.resourceGroup.id,
        location: this.location,
        tags: this.costTags,
        endpoints: Object.values(endpoints),
        ...(this.router ? { router: budgetRouterOf(this.router), ...(deployerCidrs ? { deployerCidrs } : {}) } : {}),
        ...(props.budgetPackagePath ? { packagePath: props.budgetPackagePath } : {}),
      });
      if (this.budget.stopUrl) new TerraformOutput(this, 'budget-stop-url', { value: this.budget.stopUrl, description: 'Budget stop function: POST {"action":"resume"} with ?code=<function key> (docs/azure/budget.md)' });
    }
    if (vectorStoreDesign) {
      const network = this.network!;
      const router = this.router;
      deployerCidrs ??= new TerraformVariable(this, 'vector_store_deployer_cidrs', {
        type: 'list(string)',
        description: "Public IPv4 ranges of the machines that run terraform apply: the vector store's ingestion host storage admits them to upload the code package",
      }).listValue;
      const sourceWriterCidrs = new TerraformVariable(this, 'vector_store_source_writer_cidrs', {
        type: 'list(string)',
        default: [],
        description: "Public IPv4 ranges from which documents are uploaded to the vector store's source container (the uploader also needs Storage Blob Data Contributor on it)",
      }).listValue;
      const price = design.prices?.models?.[vectorStoreDesign.embeddingModels?.azure ?? VECTOR_STORE_DEFAULTS.embeddingModels.azure]?.inputPer1kUsd;
      this.vectorStore = new VectorStore(this, 'vector-store', {
        ...vectorStoreDesign,
        namePrefix: design.name,
        resourceGroupName: this.resourceGroup.name,
        location: this.location,
        // The router's subnet (Flex Consumption apps share it), the endpoints' subnet for the private endpoint.
        subnetId: network.routerSubnet!.id,
        privateEndpointSubnetId: network.subnet.id,
        virtualNetworkId: network.virtualNetwork.id,
        deployerCidrs,
        sourceWriterCidrs,
        // The router's Azure OpenAI account, which admits the same subnet; the embedding deployment after its own.
        ...(router?.openAiAccount ? { openAiAccount: router.openAiAccount, embeddingDeploymentAfter: Object.values(router.openAiDeployments) } : {}),
        ...(price !== undefined ? { embeddingPricePer1kUsd: price } : {}),
        ...(this.budget ? { actionGroupId: this.budget.emailActionGroup.id } : {}),
        ...(props.ingestPackagePath ? { packagePath: props.ingestPackagePath } : {}),
      });
      const store = this.vectorStore;
      new TerraformOutput(this, 'vector-store-source-container', {
        value: `${store.blobEndpoint}/${store.names.sourceContainer}`,
        description: `Blob container of the documents of vector store ${vectorStoreDesign.name}: upload them here (with Storage Blob Data Contributor on it)`,
      });
      new TerraformOutput(this, 'vector-store-search-endpoint', { value: store.searchEndpoint, description: 'Azure AI Search endpoint of the vector store (private endpoint only; Entra ID tokens)' });
      new TerraformOutput(this, 'vector-store-index-name', { value: store.indexName, description: 'Index to query: POST <endpoint>/indexes/<name>/docs/search (docs/azure/vector-store.md)' });
    }
  }
}
