import { Token } from 'cdktf';
import {
  gpuEndpointShape,
  isIpv4Range,
  isToken,
  join,
  joinKey,
  quote,
  validateGpuEndpoint,
  validateNamePrefix,
  validateServerSecretNames,
  type GpuEndpointDesign,
  type NamePrefixProps,
  type Problems,
} from '../../design';
import { arrayOf, bool, checkShape, extendShape, obj, recordOf, ref, str, type Shape } from '../../design/shape';
import { azureRules } from '../rules';
import { parseSecretId, vaultNameOf, type KeyVaultSecretRef } from './secrets';

/** The Azure-only props checked here (a structural slice of `GpuEndpointProps`). */
export interface AzureEndpointOverrides extends NamePrefixProps {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly sshPublicKey?: string;
  readonly spotVmSizes?: readonly string[];
  readonly serverSecrets?: Readonly<Record<string, KeyVaultSecretRef>>;
  readonly clientCidrs?: readonly string[];
  readonly subnetId?: string;
}

/** The design's shape plus the Azure props: unknown (e.g. misspelled) props are reported, not ignored. */
export const azureGpuEndpointPropsShape: Shape = extendShape(
  gpuEndpointShape,
  {
    namePrefix: str,
    resourceGroupName: str,
    location: str,
    subnetId: str,
    clientCidrs: arrayOf(str),
    serverSecrets: recordOf(obj({ secretId: str, keyVaultId: str }, ['secretId', 'keyVaultId'])),
    sshPublicKey: str,
    sourceImage: obj({ publisher: str, offer: str, sku: str, version: str }, ['publisher', 'offer', 'sku']),
    installGpuDriver: bool,
    scaleOnGpuUtilization: bool,
    encryptionAtHost: bool,
    spotVmSizes: arrayOf(str),
    spotAllocationStrategy: ref('an InstanceMixAllocationStrategy'),
  },
  ['resourceGroupName', 'location'],
);

/** A subnet resource id; groups: resource group, virtual network, subnet. */
export const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i;

const SSH_KEY = /^(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;
const VM_SIZE = /^Standard_[A-Za-z0-9_-]+$/;
/** Instance mix (`sku_profile`) takes at most five VM sizes. */
const MAX_INSTANCE_MIX_SIZES = 5;

/** An unresolved token of any kind (string, number, list), by the design's rule or cdktf's. */
const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));

/**
 * Checks the props of an Azure GpuEndpoint: shape, the neutral design rules, Azure's rules (the same
 * `ai-stack check` runs), then the props only the construct has.
 */
export function validateAzureEndpoint(props: GpuEndpointDesign & AzureEndpointOverrides, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, azureGpuEndpointPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  validateGpuEndpoint(props, path, ['azure'], problems);
  azureRules.gpuEndpoint?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);

  for (const key of ['resourceGroupName', 'location'] as const) {
    const value = props[key];
    if (!unresolved(value) && value.trim() === '') problems.add(join(path, key), 'must not be empty');
  }

  const key = props.sshPublicKey;
  if (typeof key === 'string' && !unresolved(key) && !SSH_KEY.test(key.trim())) {
    problems.add(join(path, 'sshPublicKey'), `must be an OpenSSH public key line starting 'ssh-rsa ' or 'ssh-ed25519 ' (got ${quote(key.slice(0, 40))})`);
  }

  const sizes = props.spotVmSizes;
  if (sizes !== undefined) {
    if (sizes.length < 1 || sizes.length > MAX_INSTANCE_MIX_SIZES) {
      problems.add(join(path, 'spotVmSizes'), `must list 1 to ${MAX_INSTANCE_MIX_SIZES} VM sizes (instance mix limit), got ${sizes.length}`);
    }
    sizes.forEach((s, i) => {
      if (!unresolved(s) && !VM_SIZE.test(s)) problems.add(join(join(path, 'spotVmSizes'), i), `must be an Azure VM size such as 'Standard_NC24ads_A100_v4' (got ${quote(s)})`);
    });
    if (new Set(sizes).size !== sizes.length) problems.add(join(path, 'spotVmSizes'), `must not repeat a size (got ${sizes.map((s) => quote(s)).join(', ')})`);
  }

  validateSecrets(props, path, problems);

  const subnetId = props.subnetId;
  if (typeof subnetId === 'string' && !unresolved(subnetId) && !SUBNET_ID.test(subnetId)) {
    problems.add(
      join(path, 'subnetId'),
      `must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got ${quote(subnetId)})`,
    );
  }

  const cidrs = props.clientCidrs;
  if (cidrs !== undefined && !unresolved(cidrs)) {
    if (cidrs.length === 0) problems.add(join(path, 'clientCidrs'), 'must list at least one range, or be left out to admit the endpoint subnet\u2019s own range');
    cidrs.forEach((cidr, i) => {
      if (typeof cidr === 'string' && !unresolved(cidr) && !isIpv4Range(cidr)) {
        problems.add(join(join(path, 'clientCidrs'), i), `must be an IPv4 address or CIDR such as '10.0.0.0/8' (got ${quote(cidr)}); service tags such as 'VirtualNetwork' are not accepted`);
      }
    });
  }
}

function validateSecrets(props: GpuEndpointDesign & AzureEndpointOverrides, path: string, problems: Problems): void {
  validateServerSecretNames(Object.keys(props.serverSecrets ?? {}), props.server?.env, join(path, 'serverSecrets'), problems);
  for (const [name, ref] of Object.entries(props.serverSecrets ?? {})) {
    const at = joinKey(join(path, 'serverSecrets'), name);
    let vault: string | undefined;
    if (typeof ref.secretId !== 'string') {
      problems.add(join(at, 'secretId'), `is required: the versionless secret id, e.g. 'https://kv-ml.vault.azure.net/secrets/hf-token'`);
    } else if (unresolved(ref.secretId)) {
      problems.add(
        join(at, 'secretId'),
        "must be a literal, not an unresolved token: it is written into the replicas' cloud-init, which is rendered at synth. " +
          "Pass the secret's versionless id as a string, e.g. 'https://kv-ml.vault.azure.net/secrets/hf-token'",
      );
    } else {
      const parsed = parseSecretId(ref.secretId);
      if ('error' in parsed) problems.add(join(at, 'secretId'), parsed.error);
      else vault = parsed.vault;
    }
    if (typeof ref.keyVaultId !== 'string' || ref.keyVaultId.trim() === '') {
      problems.add(
        join(at, 'keyVaultId'),
        'is required: the resource id of the vault holding the secret (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>), ' +
          'which the role assignment on the secret is scoped under',
      );
    } else if (!unresolved(ref.keyVaultId)) {
      const named = vaultNameOf(ref.keyVaultId);
      if (named === undefined) {
        problems.add(join(at, 'keyVaultId'), `must be a Key Vault resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/kv-ml' (got ${quote(ref.keyVaultId)})`);
      } else if (vault !== undefined && named !== vault) {
        problems.add(join(at, 'keyVaultId'), `names vault '${named}' but secretId is in vault '${vault}'; both must refer to the same vault`);
      }
    }
  }
}
