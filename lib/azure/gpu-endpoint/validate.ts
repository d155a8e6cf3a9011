import { Token } from 'cdktf';
import { isToken, join, type GpuEndpointDesign, type Problems } from '../../design';
import { parseSecretId, SECRET_ENV_NAME, vaultNameOf, type KeyVaultSecretRef } from './secrets';

/** The Azure-only props checked here (a structural slice of `GpuEndpointProps`). */
export interface AzureEndpointOverrides {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly sshPublicKey?: string;
  readonly spotVmSizes?: readonly string[];
  readonly serverSecrets?: Readonly<Record<string, KeyVaultSecretRef>>;
  readonly clientCidrs?: readonly string[];
  readonly subnetId?: string;
}

/** A subnet resource id; groups: resource group, virtual network, subnet. */
export const SUBNET_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)$/i;

const SSH_KEY = /^(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;
const VM_SIZE = /^Standard_[A-Za-z0-9_-]+$/;
/** Orchestrated scale sets hold at most 1000 instances. */
const MAX_SCALE_SET_INSTANCES = 1000;
/** Instance mix (`sku_profile`) takes at most five VM sizes. */
const MAX_INSTANCE_MIX_SIZES = 5;

const literal = (n: unknown): n is number => typeof n === 'number' && !isToken(n);
/** An unresolved token of any kind (string, number, list), by the design's rule or cdktf's. */
const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));

function isCidr(value: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d{1,2}))?$/.exec(value);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && (m[6] === undefined || Number(m[6]) <= 32);
}

/** Numbers the fleet plan (instance counts, reservation quantity, autoscale bounds) is computed from at synth. */
const PLAN_NUMBERS: ReadonlyArray<readonly [string, (p: GpuEndpointDesign) => unknown]> = [
  ['capacity.min', (p) => p.capacity?.min],
  ['capacity.max', (p) => p.capacity?.max],
  ['capacity.expectedAverage', (p) => p.capacity?.expectedAverage],
  ['purchase.reserved', (p) => p.purchase?.reserved],
  ['purchase.onDemandBase', (p) => p.purchase?.onDemandBase],
  ['purchase.spotPercentAboveBase', (p) => p.purchase?.spotPercentAboveBase],
  ['acceleratorsPerReplica', (p) => p.acceleratorsPerReplica],
  ['scaling.offPeak.min', (p) => p.scaling?.offPeak?.min],
  ['scaling.targetGpuUtilization', (p) => p.scaling?.targetGpuUtilization],
];

/**
 * Tokens: the neutral design lets them pass, but on Azure these values are used at synth, so a token
 * would crash synth (cloud-init) or silently build a wrong fleet (counts).
 */
function rejectTokens(props: GpuEndpointDesign, path: string, problems: Problems): void {
  for (const [field, read] of PLAN_NUMBERS) {
    if (unresolved(read(props))) {
      problems.add(
        join(path, field),
        'must be a literal number, not an unresolved token: the two scale sets\u2019 instance counts, the capacity reservation and the ' +
          'autoscale bounds are computed from it at synth (a token would silently produce a wrong fleet). Pass the number itself',
      );
    }
  }
  const inCloudInit = (value: unknown, at: string, secretHint: boolean) => {
    if (unresolved(value)) {
      problems.add(
        join(path, at),
        'must be a literal, not an unresolved token: it is written into the replicas\u2019 cloud-init, which is rendered at synth' +
          (secretHint ? '. Pass the value itself; for a secret value use props.serverSecrets (read from Key Vault at boot), never server.env' : '. Pass the value itself'),
      );
    }
  };
  inCloudInit(props.name, 'name', false);
  const server = props.server;
  if (server) {
    inCloudInit(server.image, 'server.image', true);
    inCloudInit(server.model, 'server.model', true);
    inCloudInit(server.port, 'server.port', false);
    if (unresolved(server.args)) inCloudInit(server.args, 'server.args', true);
    else (server.args ?? []).forEach((a, i) => inCloudInit(a, `server.args[${i}]`, true));
    for (const [k, v] of Object.entries(server.env ?? {})) inCloudInit(v, `server.env.${k}`, true);
  }
  const offPeak = props.scaling?.offPeak;
  for (const key of ['start', 'end', 'timeZone'] as const) {
    if (offPeak && unresolved(offPeak[key])) {
      problems.add(
        join(path, `scaling.offPeak.${key}`),
        'must be a literal string, not an unresolved token: it is converted to an autoscale recurrence at synth. Pass the value itself',
      );
    }
  }
}

/** Rules Azure adds to the neutral design's (which `validateGpuEndpoint` checks). */
export function validateAzureEndpoint(props: GpuEndpointDesign & AzureEndpointOverrides, path: string, problems: Problems): void {
  rejectTokens(props, path, problems);

  for (const key of ['resourceGroupName', 'location'] as const) {
    const value = props[key];
    if (typeof value !== 'string' || value.trim() === '') problems.add(join(path, key), `is required (got ${JSON.stringify(value)})`);
  }

  const spot = props.purchase?.spotPercentAboveBase;
  if (literal(spot) && !Number.isInteger(spot)) {
    problems.add(
      join(path, 'purchase.spotPercentAboveBase'),
      `must be a whole number on Azure, whose Spot Priority Mix takes an integer regular percentage (got ${spot})`,
    );
  }

  const { min, max } = props.capacity ?? ({} as GpuEndpointDesign['capacity']);
  const reserved = props.purchase?.reserved ?? 0;
  if (literal(max) && literal(reserved) && max - reserved > MAX_SCALE_SET_INSTANCES) {
    problems.add(join(path, 'capacity.max'), `an Azure scale set holds at most ${MAX_SCALE_SET_INSTANCES} instances above the reservation (got ${max - reserved})`);
  }
  if (min === 0 && reserved === 0 && literal(max) && max > 0) {
    problems.add(
      join(path, 'capacity.min'),
      'must be >= 1 on Azure when purchase.reserved is 0 (got 0): Azure autoscale scales out on metrics the running replicas report, so a fleet ' +
        'created empty never scales out, and the autoscale setting cannot be created before a replica has published the GPU metric. ' +
        'Set capacity.min to 1 or more (scaling.offPeak.min may still be 0), or reserve capacity with purchase.reserved',
    );
  }

  const key = props.sshPublicKey;
  if (typeof key === 'string' && !isToken(key) && !SSH_KEY.test(key.trim())) {
    problems.add(join(path, 'sshPublicKey'), `must be an OpenSSH public key line starting 'ssh-rsa ' or 'ssh-ed25519 ' (got '${key.slice(0, 40)}…')`);
  }

  const sizes = props.spotVmSizes;
  if (sizes !== undefined) {
    if (sizes.length < 1 || sizes.length > MAX_INSTANCE_MIX_SIZES) {
      problems.add(join(path, 'spotVmSizes'), `must list 1 to ${MAX_INSTANCE_MIX_SIZES} VM sizes (instance mix limit), got ${sizes.length}`);
    }
    sizes.forEach((s, i) => {
      if (!isToken(s) && !VM_SIZE.test(s)) problems.add(join(path, `spotVmSizes[${i}]`), `must be an Azure VM size such as 'Standard_NC24ads_A100_v4' (got '${s}')`);
    });
    if (new Set(sizes).size !== sizes.length) problems.add(join(path, 'spotVmSizes'), `must not repeat a size (got ${sizes.join(', ')})`);
  }

  validateSecrets(props, path, problems);

  const subnetId = props.subnetId;
  if (typeof subnetId === 'string' && !unresolved(subnetId) && !SUBNET_ID.test(subnetId)) {
    problems.add(
      join(path, 'subnetId'),
      `must be a subnet resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>' (got '${subnetId}')`,
    );
  }

  const cidrs = props.clientCidrs;
  if (cidrs !== undefined && !unresolved(cidrs)) {
    if (cidrs.length === 0) problems.add(join(path, 'clientCidrs'), 'must list at least one range, or be left out to admit the endpoint subnet\u2019s own range');
    cidrs.forEach((cidr, i) => {
      if (typeof cidr === 'string' && !unresolved(cidr) && !isCidr(cidr)) {
        problems.add(join(path, `clientCidrs[${i}]`), `must be an IPv4 address or CIDR such as '10.0.0.0/8' (got '${cidr}'); service tags such as 'VirtualNetwork' are not accepted`);
      }
    });
  }

  // Values written into the cloud-init document: one line each.
  const server = props.server;
  if (server) {
    const oneLine = (value: unknown, at: string) => {
      if (typeof value === 'string' && /[\r\n]/.test(value)) problems.add(join(path, at), 'must be a single line (it is written into the replicas\u2019 cloud-init)');
    };
    oneLine(server.image, 'server.image');
    oneLine(server.model, 'server.model');
    (server.args ?? []).forEach((a, i) => oneLine(a, `server.args[${i}]`));
    for (const [k, v] of Object.entries(server.env ?? {})) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) problems.add(join(path, `server.env.${k}`), `is not a valid environment variable name (letters, digits, '_', not starting with a digit)`);
      oneLine(v, `server.env.${k}`);
    }
  }
}

function validateSecrets(props: GpuEndpointDesign & AzureEndpointOverrides, path: string, problems: Problems): void {
  const env = props.server?.env ?? {};
  for (const [name, ref] of Object.entries(props.serverSecrets ?? {})) {
    const at = join(path, `serverSecrets.${name}`);
    if (!SECRET_ENV_NAME.test(name)) {
      problems.add(at, `must be an environment variable name: upper-case letters, digits and '_', not starting with a digit (got '${name}')`);
    } else if (Object.prototype.hasOwnProperty.call(env, name)) {
      problems.add(at, `is also set in props.server.env; set each variable in one place (secrets only in serverSecrets)`);
    }
    if (ref === null || typeof ref !== 'object') {
      problems.add(at, `must be { secretId, keyVaultId } (got ${JSON.stringify(ref)})`);
      continue;
    }
    let vault: string | undefined;
    if (typeof ref.secretId !== 'string') {
      problems.add(join(at, 'secretId'), `is required: the versionless secret id, e.g. 'https://kv-ml.vault.azure.net/secrets/hf-token'`);
    } else if (unresolved(ref.secretId)) {
      problems.add(
        join(at, 'secretId'),
        'must be a literal, not an unresolved token: it is written into the replicas\u2019 cloud-init, which is rendered at synth. ' +
          'Pass the secret\u2019s versionless id as a string, e.g. \'https://kv-ml.vault.azure.net/secrets/hf-token\'',
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
        problems.add(join(at, 'keyVaultId'), `must be a Key Vault resource id such as '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/kv-ml' (got '${ref.keyVaultId}')`);
      } else if (vault !== undefined && named !== vault) {
        problems.add(join(at, 'keyVaultId'), `names vault '${named}' but secretId is in vault '${vault}'; both must refer to the same vault`);
      }
    }
  }
}
