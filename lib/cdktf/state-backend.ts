import { AzurermBackend, GcsBackend, LocalBackend, type TerraformStack } from 'cdktf';
import type { TerraformStateDesign } from '../design/terraform-state';

/**
 * Configures where Terraform keeps the stack's state. Always explicit: cdktf's implicit default is a
 * local file named by the absolute path of the directory synth ran in, which makes the output differ
 * between checkouts and puts state wherever synth happened to run.
 */
export function configureStateBackend(stack: TerraformStack, designName: string, cloud: 'gcp' | 'azure', state: TerraformStateDesign = {}): void {
  switch (state.backend ?? 'local') {
    case 'local':
      // Relative to the stack's directory (stacks/<name>/), where `terraform` runs.
      new LocalBackend(stack, { path: state.path ?? 'terraform.tfstate' });
      return;
    case 'gcs':
      new GcsBackend(stack, { bucket: state.bucket!, prefix: state.prefix ?? `${designName}/${cloud}` });
      return;
    case 'azurerm':
      new AzurermBackend(stack, {
        storageAccountName: state.storageAccountName!,
        containerName: state.containerName!,
        key: state.key ?? `${designName}.${cloud}.tfstate`,
        ...(state.resourceGroupName ? { resourceGroupName: state.resourceGroupName } : { useAzureadAuth: true }),
      });
      return;
  }
}
