// Where Terraform keeps state: always an explicit backend, never a path of the synth machine.
import { Testing } from 'cdktf';
import { AiStack as AzureStack } from '../../lib/azure/ai-stack';
import { collectProblems, type AiStackDesign } from '../../lib/design';
import { AiStack as GcpStack } from '../../lib/gcp/ai-stack';
import { oneEndpointDesign } from '../fixtures/designs';

function terraformBlock(design: AiStackDesign, cloud: 'gcp' | 'azure'): { backend: Record<string, unknown> } {
  const stack = cloud === 'gcp' ? new GcpStack(Testing.app(), design.name, { design }) : new AzureStack(Testing.app(), design.name, { design });
  return JSON.parse(Testing.synth(stack)).terraform;
}

const design = (terraformState?: AiStackDesign['terraformState']): AiStackDesign => ({
  ...oneEndpointDesign(),
  region: { gcp: 'us-central1', azure: 'eastus' },
  endpoints: [{ ...oneEndpointDesign().endpoints[0], acceleratorOverrides: { azure: 'nvidia-a10g' } }],
  terraformState,
});

describe('Terraform state backend', () => {
  test.each(['gcp', 'azure'] as const)('%s: local by default, relative to the stack directory', (cloud) => {
    const block = terraformBlock(design(), cloud);
    expect(block.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    expect(JSON.stringify(block)).not.toContain(process.cwd());
  });

  test('gcs with the default prefix, on GCP', () => {
    expect(terraformBlock(design({ gcp: { backend: 'gcs', bucket: 'acme-tf-state' } }), 'gcp').backend).toEqual({ gcs: { bucket: 'acme-tf-state', prefix: 'bare-ai/gcp' } });
  });

  test('azurerm with Azure AD auth and the default key, on Azure', () => {
    expect(terraformBlock(design({ azure: { backend: 'azurerm', storageAccountName: 'acmetfstate', containerName: 'tfstate' } }), 'azure').backend).toEqual({
      azurerm: { storage_account_name: 'acmetfstate', container_name: 'tfstate', key: 'bare-ai.azure.tfstate', use_azuread_auth: true },
    });
  });

  test('a relative local path of its own', () => {
    expect(terraformBlock(design({ azure: { path: 'state/ai.tfstate' } }), 'azure').backend).toEqual({ local: { path: 'state/ai.tfstate' } });
  });

  test.each([
    [{ gcp: { backend: 'gcs' } }, 'terraformState.gcp.bucket', 'is required for the \'gcs\' backend'],
    [{ gcp: { backend: 'gcs', bucket: 'b-ok', path: 'x' } }, 'terraformState.gcp.path', "does not apply to the 'gcs' backend"],
    [{ azure: { backend: 'azurerm', storageAccountName: 'Bad_Name', containerName: 'tfstate' } }, 'terraformState.azure.storageAccountName', 'must be a storage account name'],
    [{ azure: { path: '/abs/terraform.tfstate' } }, 'terraformState.azure.path', 'must be a relative path inside the stack directory'],
    [{ azure: { path: '../up.tfstate' } }, 'terraformState.azure.path', 'must be a relative path inside the stack directory'],
    [{ gcp: { backend: 's3' } }, 'terraformState.gcp.backend', 'must be one of local, gcs, azurerm'],
  ])('refused: %j', (state, path, message) => {
    const problems = collectProblems(design(state as AiStackDesign['terraformState']), { clouds: ['gcp', 'azure'] }).all;
    expect(problems).toEqual([{ path, message: expect.stringContaining(message) }]);
  });
});
