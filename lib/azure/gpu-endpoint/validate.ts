import { isToken, join, type GpuEndpointDesign, type Problems } from '../../design';

/** The Azure-only props checked here (a structural slice of `GpuEndpointProps`). */
export interface AzureEndpointOverrides {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly sshPublicKey?: string;
  readonly spotVmSizes?: readonly string[];
}

const SSH_KEY = /^(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;
const VM_SIZE = /^Standard_[A-Za-z0-9_-]+$/;
/** Orchestrated scale sets hold at most 1000 instances. */
const MAX_SCALE_SET_INSTANCES = 1000;
/** Instance mix (`sku_profile`) takes at most five VM sizes. */
const MAX_INSTANCE_MIX_SIZES = 5;

const literal = (n: unknown): n is number => typeof n === 'number' && !isToken(n);

/** Rules Azure adds to the neutral design's (which `validateGpuEndpoint` checks). */
export function validateAzureEndpoint(props: GpuEndpointDesign & AzureEndpointOverrides, path: string, problems: Problems): void {
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

  const { max } = props.capacity ?? ({} as GpuEndpointDesign['capacity']);
  const reserved = props.purchase?.reserved ?? 0;
  if (literal(max) && literal(reserved) && max - reserved > MAX_SCALE_SET_INSTANCES) {
    problems.add(join(path, 'capacity.max'), `an Azure scale set holds at most ${MAX_SCALE_SET_INSTANCES} instances above the reservation (got ${max - reserved})`);
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
