// A design's text never becomes Terraform interpolation: tag values such as `${var.x}` reach the
// configuration as the literal text they are.
import { Testing } from 'cdktf';
import { AiStack as AzureStack } from '../../lib/azure/ai-stack';
import { escapeTerraformMap, escapeTerraformTemplate } from '../../lib/cdktf/escape';
import type { AiStackDesign } from '../../lib/design';
import { AiStack as GcpStack } from '../../lib/gcp/ai-stack';
import { oneEndpointDesign } from '../fixtures/designs';
import { unresolvedReferences } from '../support/terraform-references';

const design = (): AiStackDesign => {
  const d = oneEndpointDesign();
  return { ...d, region: { gcp: 'us-central1', azure: 'eastus' }, tags: { ...d.tags, costCenter: '${var.x}', extra: { note: 'a%{if true}b' } }, endpoints: [{ ...d.endpoints[0], acceleratorOverrides: { azure: 'nvidia-a10g' } }] };
};

test('escapeTerraformTemplate keeps cdktf tokens and escapes everything else', () => {
  expect(escapeTerraformTemplate('x ${y} %{z} $${w}')).toBe('x $${y} %%{z} $$${w}');
  expect(escapeTerraformTemplate('a ${TfToken[TOKEN.12]} ${b}')).toBe('a ${TfToken[TOKEN.12]} $${b}');
  expect(escapeTerraformMap({ '${k}': '%{v}' })).toEqual({ '$${k}': '%%{v}' });
});

test('Azure: tag values with ${ and %{ are literal in every resource', () => {
  const json = JSON.parse(Testing.synth(new AzureStack(Testing.app(), 'esc', { design: design() })));
  expect(unresolvedReferences(json)).toEqual([]);
  const rg = Object.values(json.resource.azurerm_resource_group)[0] as { tags: Record<string, string> };
  expect(rg.tags['cost-center']).toBe('$${var.x}');
  expect(rg.tags.note).toBe('a%%{if true}b');
});

test('GCP: the original label values in the output are literal', () => {
  const json = JSON.parse(Testing.synth(new GcpStack(Testing.app(), 'esc', { design: design() })));
  expect(unresolvedReferences(json)).toEqual([]);
  expect(json.output.cost_label_original_values.value['cost-center']).toBe('$${var.x}');
});
