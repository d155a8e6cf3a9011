import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { App, TerraformStack, Testing } from 'cdktf';

// The reference check is shared with the GCP tests; these are its names in the Azure tests.
export { interpolations as expressionsIn, referencesInExpression as referencesIn, unresolvedReferences } from '../support/terraform-references';

/** Terraform JSON as cdktf synthesizes it (metadata removed by `Testing.synth`). */
export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  variable?: Record<string, unknown>;
  locals?: Record<string, unknown>;
  module?: Record<string, unknown>;
  output?: Record<string, unknown>;
  provider?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface TestStack {
  readonly app: App;
  readonly stack: TerraformStack;
  readonly provider: AzurermProvider;
  readonly resourceGroup: ResourceGroup;
}

/** A cdktf stack with the azurerm provider (`features {}`) and one resource group, for construct tests. */
export function makeStack(options: { name?: string; location?: string } = {}): TestStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, options.name ?? 'test');
  const provider = new AzurermProvider(stack, 'azurerm', { features: [{}] });
  const resourceGroup = new ResourceGroup(stack, 'rg', { name: 'rg-test', location: options.location ?? 'eastus2' });
  return { app, stack, provider, resourceGroup };
}

/** Synthesizes the stack (aspects included) to parsed Terraform JSON. */
export function synthJson(stack: TerraformStack): TfJson {
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** Every resource of one type: `{ logicalName: config }`. */
export function resourcesOf(json: TfJson, type: string): Record<string, Record<string, unknown>> {
  return json.resource?.[type] ?? {};
}

/** The one resource of a type (throws when there are none or several). */
export function onlyResource(json: TfJson, type: string): Record<string, unknown> {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0];
}

/** The resource of a type whose `name` attribute equals `name`. */
export function resourceNamed(json: TfJson, type: string, name: string): Record<string, unknown> {
  const found = Object.values(resourcesOf(json, type)).find((r) => r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have ${Object.values(resourcesOf(json, type)).map((r) => r.name).join(', ')}`);
  return found;
}

/** The decoded cloud-init of a scale set (`os_profile.custom_data` is base64). */
export function decodeCustomData(scaleSet: Record<string, unknown>): string {
  const osProfile = scaleSet.os_profile as { custom_data?: string } | undefined;
  if (!osProfile?.custom_data) throw new Error('scale set has no os_profile.custom_data');
  return Buffer.from(osProfile.custom_data, 'base64').toString('utf8');
}
