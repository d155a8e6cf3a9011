import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { validateDesign, type AiStackDesign } from '../design';
import { configureStateBackend } from '../cdktf/state-backend';
import { applyCostTags } from './cost-tags';
import { GpuEndpoint } from './gpu-endpoint';
import { PrivateNetwork } from './network';

export interface AiStackProps {
  /** The cloud-neutral design this stack builds. It is validated for Azure before anything is created. */
  readonly design: AiStackDesign;
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
    this.provider = new AzurermProvider(this, 'azurerm', {
      features: [{}],
      subscriptionId,
      // Register only the resource providers the stack uses, not the provider's long default list.
      resourceProviderRegistrations: 'core',
    });
    this.resourceGroup = new ResourceGroup(this, 'resource-group', { name: `rg-${design.name}`, location: this.location });
    const endpointDesigns = design.endpoints ?? [];
    if (endpointDesigns.length > 0) {
      // One VNet with one NAT egress for every endpoint of the stack.
      this.network = new PrivateNetwork(this, 'network', { name: design.name, resourceGroupName: this.resourceGroup.name, location: this.location });
    }
    const endpoints: Record<string, GpuEndpoint> = {};
    for (const e of endpointDesigns) {
      endpoints[e.name] = new GpuEndpoint(this, `endpoint-${e.name}`, {
        ...e,
        namePrefix: design.name,
        resourceGroupName: this.resourceGroup.name,
        location: this.location,
        subnetId: this.network?.subnet.id,
        // The stack's own subnet: known here, so no data source has to read it back.
        clientCidrs: this.network ? [this.network.subnetPrefix] : undefined,
      });
      new TerraformOutput(this, `endpoint-${e.name}-url`, { value: endpoints[e.name].url, description: `Internal URL of GPU endpoint ${e.name}` });
    }
    this.endpoints = endpoints;
  }
}
