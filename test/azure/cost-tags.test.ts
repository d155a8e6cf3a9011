import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Testing } from 'cdktf';
import { AiStack } from '../../lib/azure';
import { bareDesign } from '../fixtures/designs';

type TfJson = { resource: Record<string, Record<string, { tags?: Record<string, string> }>>; provider: { azurerm: { features: unknown[]; subscription_id: string }[] } };

function stackWithResources(): AiStack {
  const stack = new AiStack(Testing.app(), 'tagged', { design: bareDesign() });
  const vnet = new VirtualNetwork(stack, 'vnet', { name: 'vnet', location: stack.location, resourceGroupName: stack.resourceGroup.name, addressSpace: ['10.0.0.0/16'] });
  new Subnet(stack, 'subnet', { name: 'snet', resourceGroupName: stack.resourceGroup.name, virtualNetworkName: vnet.name, addressPrefixes: ['10.0.1.0/24'] });
  new StorageAccount(stack, 'sa', {
    name: 'sademo',
    location: stack.location,
    resourceGroupName: stack.resourceGroup.name,
    accountTier: 'Standard',
    accountReplicationType: 'LRS',
    minTlsVersion: 'TLS1_2',
    tags: { purpose: 'docs' },
  });
  return stack;
}

const EXPECTED = { team: 'ml-platform', 'cost-center': 'cc-1', environment: 'test', application: 'demo' };

describe('azure cost tags', () => {
  test('every resource that takes tags carries the cost tags', () => {
    const json = JSON.parse(Testing.synth(stackWithResources())) as TfJson;
    expect(json.resource.azurerm_resource_group['resource-group'].tags).toEqual(EXPECTED);
    expect(json.resource.azurerm_virtual_network.vnet.tags).toEqual(EXPECTED);
    expect(json.resource.azurerm_storage_account.sa.tags).toEqual({ ...EXPECTED, purpose: 'docs' });
    // azurerm_subnet takes no tags.
    expect(json.resource.azurerm_subnet.subnet.tags).toBeUndefined();
    expect(json.provider.azurerm[0].features).toEqual([{}]);
    expect(json.provider.azurerm[0].subscription_id).toBe('${var.azure_subscription_id}');
  });

  test('a resource whose tags are overridden away fails synth, naming it', () => {
    const stack = stackWithResources();
    (stack.node.findChild('vnet') as VirtualNetwork).addOverride('tags.team', undefined);
    expect(() => Testing.synth(stack)).toThrow(/tagged\/vnet \(azurerm_virtual_network\) is missing cost tag team:/);
  });

  test('an invalid design throws before anything is created', () => {
    const design = bareDesign();
    design.tags.extra = { 'a/b': 'x' };
    expect(() => new AiStack(Testing.app(), 'bad', { design })).toThrow(/tags\.extra\.a\/b: Azure tag keys must not contain/);
  });
});
