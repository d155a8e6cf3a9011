import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { validateDesign, type AiStackDesign } from '../design';
import { applyCostTags } from './cost-tags';

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

  constructor(scope: Construct, id: string, props: AiStackProps) {
    validateDesign(props.design, { clouds: ['azure'] });
    super(scope, id);
    const design = props.design;
    this.design = design;
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
    buildCapabilities(this, design);
  }
}

/** Builds each capability of the design inside the stack. */
function buildCapabilities(_stack: AiStack, _design: AiStackDesign): void {
  // Capabilities are added here as their constructs land.
}
