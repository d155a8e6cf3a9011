import { routerCloudCount } from '../design/router-placement';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { Lazy, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { validateDesign, type AiStackDesign } from '../design';
import { MODEL_SERVER_API_KEY_ENV } from '../common/model-server';
import { configureStateBackend } from '../cdktf/state-backend';
import { warn } from '../cdktf/warnings';
import { escapeTerraformMap } from '../cdktf/escape';
import { applyCostLabels, type CostLabels } from './cost-tags';
import { GpuEndpoint } from './gpu-endpoint';
import { Budget, budgetRouterOf } from './budget';
import { Guardrail } from './guardrail';
import { ModelRouter, type ModelRouterEndpoint } from './model-router';
import { PrivateNetwork } from './network';
import { VectorStore } from './vector-store';

export interface AiStackProps {
  /** The cloud-neutral design this stack builds. It is validated for GCP before anything is created. */
  readonly design: AiStackDesign;
}

/**
 * The whole AI stack on Google Cloud, built from one design, as a cdktf stack with the google
 * provider configured from the design's region and project, and the cost labels on every resource.
 */
export class AiStack extends TerraformStack {
  public readonly design: AiStackDesign;
  public readonly provider: GoogleProvider;
  /** Project id: the design's, or a reference to the `gcp_project` variable. */
  public readonly project: string;
  public readonly region: string;
  public readonly costLabels: CostLabels;
  /** The private network of the GPU endpoints; absent when the design has none. */
  public readonly network?: PrivateNetwork;
  /** The design's GPU endpoints, by endpoint name. */
  public readonly endpoints: Readonly<Record<string, GpuEndpoint>>;
  /** The model router; absent when the design has none. */
  public readonly router?: ModelRouter;
  /** The Model Armor guardrail the router calls; absent without a `guardrails` section or a router. */
  public readonly guardrail?: Guardrail;
  /** The budget (billed spend, the router-charged watch, the hard stop); absent without a `budget` section. */
  public readonly budget?: Budget;
  /** The RAG vector store (Vector Search and the scheduled ingestion); absent without a `vectorStore` section. */
  public readonly vectorStore?: VectorStore;

  constructor(scope: Construct, id: string, props: AiStackProps) {
    validateDesign(props.design, { clouds: ['gcp'] });
    super(scope, id);
    const design = props.design;
    this.design = design;
    configureStateBackend(this, design.name, 'gcp', design.terraformState?.gcp);
    this.region = design.region.gcp as string;
    this.project = design.accounts?.gcp ?? new TerraformVariable(this, 'gcp_project', { type: 'string', description: 'Google Cloud project id to deploy into' }).stringValue;
    this.costLabels = applyCostLabels(this, design.tags);
    this.provider = new GoogleProvider(this, 'google', {
      project: this.project,
      region: this.region,
      addTerraformAttributionLabel: false,
    });
    // Set by override: cdktf snake-cases the keys of provider blocks, which would turn the
    // `cost-center` label into `cost_center`.
    this.provider.addOverride('default_labels', this.costLabels.labels);
    if (Object.keys(this.costLabels.changed).length > 0) {
      // Label rules forced a change (case, characters): keep the original values visible.
      new TerraformOutput(this, 'cost_label_original_values', {
        // The originals are the user's text: `${` in them must not become Terraform interpolation.
        value: escapeTerraformMap(this.costLabels.changed),
        description: 'Design tag values that GCP label rules changed, by label key',
      });
    }
    const endpointDesigns = design.endpoints ?? [];
    if (endpointDesigns.length > 0) {
      // One VPC network with one Cloud NAT for every endpoint of the stack.
      this.network = new PrivateNetwork(this, 'network', { name: design.name, region: this.region });
    }
    const endpoints: Record<string, GpuEndpoint> = {};
    if (design.guardrails && design.router) {
      this.guardrail = new Guardrail(this, 'guardrail', { ...design.guardrails, namePrefix: design.name, location: this.region, project: this.project });
      new TerraformOutput(this, 'guardrail-template', { value: this.guardrail.templateName, description: 'Model Armor template the router sanitizes prompts and answers with' });
    } else if (design.guardrails) {
      warn(this, 'guardrails-without-router', "the design's guardrails are applied by the router, and the design has no router: nothing is built for them on Google Cloud.");
    }
    if (design.router) {
      // The endpoints the router calls, each with a key only the router holds. The router is built
      // first because it makes the keys the endpoints require; it reads their URLs once they exist.
      const called = [...new Set(design.router.models.filter((m) => m.provider === 'endpoint').map((m) => m.model))].sort();
      const routerEndpoints: Record<string, ModelRouterEndpoint> = {};
      for (const name of called) {
        const e = endpointDesigns.find((x) => x.name === name)!;
        routerEndpoints[name] = { url: Lazy.stringValue({ produce: () => endpoints[name].url }), model: e.server.model };
      }
      // Each cloud that builds the router keeps its own ledger, with its share of each budget.
      this.router = new ModelRouter(this, 'router', {
        ...design.router,
        namePrefix: design.name,
        region: this.region,
        project: this.project,
        network: called.length > 0 && this.network ? { network: this.network.network.id, subnetwork: this.network.subnetwork.id } : undefined,
        endpoints: called.length > 0 ? routerEndpoints : undefined,
        modelPrices: design.prices?.models,
        routerClouds: routerCloudCount(design, 'gcp'),
        guardrail: this.guardrail,
      });
      new TerraformOutput(this, 'router-url', { value: this.router.url, description: 'URL of the model router (OpenAI clients: <url>/v1)' });
      new TerraformOutput(this, 'router-key-hashes-secret', {
        value: this.router.keyHashesSecret.id,
        description: 'Secret Manager secret of the tenant key hashes: add a version with {"<tenant>": ["<sha256 hex of a key>"]} to add, rotate or revoke keys',
      });
    }
    for (const e of endpointDesigns) {
      const key = this.router?.endpointKeys[e.name];
      endpoints[e.name] = new GpuEndpoint(this, `endpoint-${e.name}`, {
        ...e,
        namePrefix: design.name,
        region: this.region,
        project: this.project,
        network: this.network ? { networkSelfLink: this.network.networkSelfLink, subnetworkSelfLink: this.network.subnetworkSelfLink } : undefined,
        // The stack's own subnet: known here, so no data source has to read it back.
        clientCidrs: this.network ? [this.network.subnetCidr] : undefined,
        // The router's key: the server refuses any call without it.
        serverSecrets: key ? { [MODEL_SERVER_API_KEY_ENV]: key.secretId } : undefined,
      });
      new TerraformOutput(this, `endpoint-${e.name}-url`, { value: endpoints[e.name].url, description: `Internal URL of GPU endpoint ${e.name}` });
    }
    this.endpoints = endpoints;
    if (design.budget) {
      this.budget = new Budget(this, 'budget', {
        ...design.budget,
        namePrefix: design.name,
        region: this.region,
        project: this.project,
        labels: this.costLabels.labels,
        ...(this.router ? { router: budgetRouterOf(this.router) } : {}),
        endpoints: Object.values(endpoints),
      });
      if (this.budget.stopUrl) new TerraformOutput(this, 'budget-stop-url', { value: this.budget.stopUrl, description: 'Budget stop function: POST {"action":"resume"} with an identity token (docs/gcp/budget.md)' });
    }
    if (design.vectorStore) {
      // Its Private Service Connect endpoint goes into the stack's network when there is one (where
      // the GPU endpoints are); its alerts email the budget's addresses when the design has a budget.
      this.vectorStore = new VectorStore(this, 'vector-store', {
        ...design.vectorStore,
        namePrefix: design.name,
        region: this.region,
        project: this.project,
        ...(this.network ? { network: { network: this.network.network.id, subnetwork: this.network.subnetwork.id } } : {}),
        ...(this.budget ? { notificationChannels: this.budget.emailChannels.map((c) => c.id) } : {}),
        ...(design.prices?.models ? { modelPrices: design.prices.models } : {}),
      });
      const name = design.vectorStore.name;
      new TerraformOutput(this, 'vector-store-source-bucket', { value: this.vectorStore.sourceBucketName, description: `Bucket of the documents of vector store ${name}: upload here, the next refresh ingests them` });
      new TerraformOutput(this, 'vector-store-index-endpoint', { value: this.vectorStore.indexEndpoint.id, description: `Vector Search index endpoint of ${name} (Private Service Connect only)` });
      new TerraformOutput(this, 'vector-store-deployed-index-id', { value: this.vectorStore.deployedIndex.deployedIndexId, description: `Deployed index id of ${name}, named in every query` });
      new TerraformOutput(this, 'vector-store-query-address', { value: this.vectorStore.pscAddress.address, description: `Internal address of the Private Service Connect endpoint of ${name} (gRPC MatchService on port 10000)` });
      new TerraformOutput(this, 'vector-store-state-bucket', { value: this.vectorStore.stateBucket.name, description: `Bucket of the ingestion state of ${name}: chunk texts under chunks/ (read them after a query, docs/gcp/vector-store.md)` });
    }
  }
}
