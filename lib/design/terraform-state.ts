import { isToken, join, type Problems } from './problems';
import { quote } from './quote';
import { obj, oneOf, str } from './shape';

/**
 * Where Terraform keeps the state of a cdktf stack (GCP, Azure). The synthesized configuration never
 * holds a path of the machine that ran synth.
 */
export interface TerraformStateDesign {
  /**
   * `local`: a state file beside the stack's `cdk.tf.json`; `gcs`: a Cloud Storage bucket;
   * `azurerm`: an Azure Storage blob container.
   * @default 'local'
   */
  readonly backend?: 'local' | 'gcs' | 'azurerm';
  /**
   * `local`: the state file's path, relative to the stack's directory (`stacks/<name>/`).
   * @default 'terraform.tfstate'
   */
  readonly path?: string;
  /** `gcs`: the bucket (it must exist and should have versioning on). Required for `gcs`. */
  readonly bucket?: string;
  /**
   * `gcs`: the object prefix of the state.
   * @default - the design's name and the cloud, e.g. `support-ai/gcp`
   */
  readonly prefix?: string;
  /** `azurerm`: the storage account. Required for `azurerm`. */
  readonly storageAccountName?: string;
  /** `azurerm`: the blob container. Required for `azurerm`. */
  readonly containerName?: string;
  /**
   * `azurerm`: the blob name of the state.
   * @default - `<design name>.<cloud>.tfstate`
   */
  readonly key?: string;
  /**
   * `azurerm`: the storage account's resource group (needed only when Terraform authenticates with an
   * access key it looks up).
   * @default - none: Azure AD authentication (`use_azuread_auth`)
   */
  readonly resourceGroupName?: string;
}

/** State backends per cdktf cloud. */
export interface TerraformStatesDesign {
  /** @default - local state */
  readonly gcp?: TerraformStateDesign;
  /** @default - local state */
  readonly azure?: TerraformStateDesign;
}

const stateShape = obj({
  backend: oneOf('local', 'gcs', 'azurerm'),
  path: str,
  bucket: str,
  prefix: str,
  storageAccountName: str,
  containerName: str,
  key: str,
  resourceGroupName: str,
});

export const terraformStateShape = obj({ gcp: stateShape, azure: stateShape });

/** Which fields each backend takes, and which of them it needs. */
const BACKEND_FIELDS: Readonly<Record<'local' | 'gcs' | 'azurerm', { readonly allowed: readonly string[]; readonly required: readonly string[] }>> = {
  local: { allowed: ['path'], required: [] },
  gcs: { allowed: ['bucket', 'prefix'], required: ['bucket'] },
  azurerm: { allowed: ['storageAccountName', 'containerName', 'key', 'resourceGroupName'], required: ['storageAccountName', 'containerName'] },
};

const GCS_BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

export function validateTerraformState(states: TerraformStatesDesign, problems: Problems): void {
  for (const cloud of ['gcp', 'azure'] as const) {
    const state = states[cloud];
    if (!state) continue;
    const path = join('terraformState', cloud);
    const backend = state.backend ?? 'local';
    const fields = BACKEND_FIELDS[backend];
    if (!fields) continue; // the shape check reported it
    for (const key of Object.keys(state)) {
      if (key !== 'backend' && !fields.allowed.includes(key)) {
        problems.add(join(path, key), `does not apply to the '${backend}' backend, which takes ${fields.allowed.join(', ') || 'no other field'}`);
      }
    }
    for (const key of fields.required) {
      if ((state as Record<string, unknown>)[key] === undefined) problems.add(join(path, key), `is required for the '${backend}' backend`);
    }
    const check = (key: keyof TerraformStateDesign, ok: (v: string) => boolean, what: string) => {
      const v = state[key];
      if (typeof v === 'string' && !isToken(v) && !ok(v)) problems.add(join(path, key), `${what} (got ${quote(v)})`);
    };
    check('path', (v) => v !== '' && !v.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(v) && !v.split(/[\\/]/).includes('..'), 'must be a relative path inside the stack directory, without `..`');
    check('bucket', (v) => GCS_BUCKET.test(v), 'must be a Cloud Storage bucket name: 3-222 lowercase letters, digits, `-`, `_` and `.`');
    check('prefix', (v) => v !== '' && !v.startsWith('/'), 'must be a non-empty object prefix not starting with /');
    check('storageAccountName', (v) => STORAGE_ACCOUNT.test(v), 'must be a storage account name: 3-24 lowercase letters and digits');
    check('containerName', (v) => CONTAINER.test(v), 'must be a blob container name: 3-63 lowercase letters, digits and single hyphens');
    check('key', (v) => v !== '' && !v.endsWith('/'), 'must be a blob name');
  }
}
