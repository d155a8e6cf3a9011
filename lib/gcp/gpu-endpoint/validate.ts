import { Token } from 'cdktf';
import { gpuEndpointShape, isCron, isToken, join, validateGpuEndpoint, type GpuEndpointDesign, type Problems } from '../../design';
import { arrayOf, bool, checkShape, num, obj, recordOf, str, type Shape } from '../../design/shape';
import { peakSchedules } from './schedule';
import { parseSecretRef, SECRET_ENV_NAME } from './secrets';
import type { GpuEndpointProps } from '../gpu-endpoint';

/** Boot disk types accepted for `bootDiskType`. */
export const BOOT_DISK_TYPES = ['pd-balanced', 'pd-ssd', 'hyperdisk-balanced'] as const;

const designShape = gpuEndpointShape as Extract<Shape, { kind: 'object' }>;

/** The design's shape plus the GCP overrides: unknown (e.g. misspelled) props are reported, not ignored. */
export const gcpGpuEndpointPropsShape: Shape = obj(
  {
    ...designShape.fields,
    region: str,
    zones: arrayOf(str),
    network: obj({ networkSelfLink: str, subnetworkSelfLink: str }, ['networkSelfLink', 'subnetworkSelfLink']),
    subnetCidr: str,
    clientCidrs: arrayOf(str),
    sourceImage: str,
    secureBoot: bool,
    bootDiskType: str,
    serviceAccountEmail: str,
    startupGraceSeconds: num,
    project: str,
    serverSecrets: recordOf(str),
  },
  [...designShape.required, 'region'],
);

const REGION = /^[a-z]+(-[a-z]+)+\d+$/;
const ZONE_SUFFIX = /^-[a-z]$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function isCidr(value: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  return !!m && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
}

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);

/** An unresolved construct token of any kind (string, number, list), by the design's rule or cdktf's. */
const unresolved = (v: unknown): boolean => v !== undefined && (isToken(v) || Token.isUnresolved(v));

/** Numbers the fleet plan splits into managed instance groups and autoscaler bounds at synth. */
const PLAN_NUMBERS: readonly (readonly [string, (d: GpuEndpointDesign) => unknown])[] = [
  ['acceleratorsPerReplica', (d) => d.acceleratorsPerReplica],
  ['capacity.min', (d) => d.capacity.min],
  ['capacity.max', (d) => d.capacity.max],
  ['capacity.expectedAverage', (d) => d.capacity.expectedAverage],
  ['purchase.reserved', (d) => d.purchase?.reserved],
  ['purchase.onDemandBase', (d) => d.purchase?.onDemandBase],
  ['purchase.spotPercentAboveBase', (d) => d.purchase?.spotPercentAboveBase],
  ['scaling.offPeak.min', (d) => d.scaling?.offPeak?.min],
];

/** Why a token cannot be used in a value the startup script renders, and what to do instead. */
function scriptLiteral(value: unknown): string {
  const got = typeof value === 'string' ? `'${value}'` : Array.isArray(value) ? 'a list token' : 'a number token';
  return (
    `must be a literal, not an unresolved token (got ${got}): the startup script is rendered into the instance template at synth and escaped for Terraform, ` +
    'so a token would reach the VM as its placeholder text. Pass the value itself; for a secret value use serverSecrets, which the replicas read from Secret Manager at boot'
  );
}

/**
 * Checks the props of a GCP GpuEndpoint: shape, the neutral design rules for GCP, then the GCP
 * overrides. Every problem is collected; the caller throws them together.
 */
export function validateGcpGpuEndpointProps(props: GpuEndpointProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpGpuEndpointPropsShape, path, problems);
  if (problems.count > before) return; // semantic rules assume the shape
  validateGpuEndpoint(props, path, ['gcp'], problems);
  validateDesignOnGcp(props, path, problems);
  validateOverrides(props, path, problems);
}

/** Rules the neutral design leaves to each cloud. */
function validateDesignOnGcp(props: GpuEndpointProps, path: string, problems: Problems): void {
  // Tokens: the design lets them pass; on GCP these values are used at synth.
  for (const [field, read] of PLAN_NUMBERS) {
    const value = read(props);
    if (unresolved(value)) {
      problems.add(
        join(path, field),
        'must be a literal number, not an unresolved token: on GCP the fleet is split over managed instance groups whose autoscaler bounds are computed at synth ' +
          '(a token would leave the groups empty). Pass the number itself',
      );
    }
  }
  const server = props.server;
  for (const field of ['image', 'model', 'port'] as const) {
    if (unresolved(server[field])) problems.add(join(path, `server.${field}`), scriptLiteral(server[field]));
  }
  if (server.args !== undefined && unresolved(server.args)) {
    problems.add(join(path, 'server.args'), scriptLiteral(server.args));
  } else {
    server.args?.forEach((arg, i) => {
      if (unresolved(arg)) problems.add(join(join(path, 'server.args'), i), scriptLiteral(arg));
    });
  }
  for (const [key, value] of Object.entries(server.env ?? {})) {
    if (!ENV_KEY.test(key)) problems.add(join(path, `server.env.${key}`), `must be an environment variable name (letters, digits, '_', not starting with a digit), got '${key}'`);
    if (unresolved(value)) problems.add(join(path, `server.env.${key}`), scriptLiteral(value));
  }

  const offPeak = props.scaling?.offPeak;
  if (offPeak && literal(offPeak.start) && literal(offPeak.end) && isCron(offPeak.start) && isCron(offPeak.end)) {
    const result = peakSchedules(offPeak.start, offPeak.end);
    if ('problem' in result) problems.add(join(path, `scaling.offPeak.${result.problem.field}`), result.problem.message);
  }

  validateServerSecrets(props, path, problems);
}

function validateServerSecrets(props: GpuEndpointProps, path: string, problems: Problems): void {
  const secrets = props.serverSecrets;
  if (secrets === undefined) return;
  const envKeys = new Set(Object.keys(props.server.env ?? {}));
  for (const [name, secret] of Object.entries(secrets)) {
    const where = join(path, `serverSecrets.${name}`);
    if (!SECRET_ENV_NAME.test(name)) {
      problems.add(where, `the key must be an environment variable name of capital letters, digits and '_', not starting with a digit (got '${name}'), e.g. 'HF_TOKEN'`);
    }
    if (envKeys.has(name)) {
      problems.add(where, `sets ${name}, which server.env sets too; keep one (a secret value belongs in serverSecrets only)`);
    }
    if (literal(secret) && !parseSecretRef(secret)) {
      problems.add(
        where,
        `must name a Secret Manager secret as 'projects/<project>/secrets/<name>' or '<name>' in the stack's project, without a version (replicas read 'latest'); got '${secret}'`,
      );
    }
  }
}

function validateOverrides(p: GpuEndpointProps, path: string, problems: Problems): void {
  const regionKnown = literal(p.region) && REGION.test(p.region);
  if (literal(p.region) && !regionKnown) {
    problems.add(join(path, 'region'), `must be a Compute Engine region such as 'us-central1' (got '${p.region}')`);
  }

  if (p.zones !== undefined) {
    if (p.zones.length === 0) problems.add(join(path, 'zones'), 'must list at least one zone, or be left out to let Compute Engine choose');
    const seen = new Set<string>();
    p.zones.forEach((zone, i) => {
      if (!literal(zone)) return;
      if (seen.has(zone)) problems.add(join(join(path, 'zones'), i), `lists '${zone}' twice`);
      seen.add(zone);
      if (regionKnown && (!zone.startsWith(`${p.region}-`) || !ZONE_SUFFIX.test(zone.slice(p.region.length)))) {
        problems.add(join(join(path, 'zones'), i), `must be a zone of ${p.region} such as '${p.region}-a' (got '${zone}')`);
      }
    });
  }
  if (p.network) {
    for (const key of ['networkSelfLink', 'subnetworkSelfLink'] as const) {
      if (literal(p.network[key]) && p.network[key].trim() === '') problems.add(join(path, `network.${key}`), 'must not be empty');
    }
    if (p.subnetCidr !== undefined) {
      problems.add(join(path, 'subnetCidr'), 'applies only to the network this construct creates; leave it out when network is given');
    }
  }
  if (literal(p.subnetCidr) && !isCidr(p.subnetCidr)) problems.add(join(path, 'subnetCidr'), `must be an IPv4 CIDR such as '10.10.0.0/20' (got '${p.subnetCidr}')`);
  p.clientCidrs?.forEach((cidr, i) => {
    if (literal(cidr) && !isCidr(cidr)) problems.add(join(join(path, 'clientCidrs'), i), `must be an IPv4 CIDR such as '10.0.0.0/8' (got '${cidr}')`);
  });
  if (p.clientCidrs !== undefined && p.clientCidrs.length === 0) {
    problems.add(join(path, 'clientCidrs'), 'must list at least one range, or be left out to admit the subnetwork');
  }
  if (literal(p.sourceImage) && p.sourceImage.trim() === '') problems.add(join(path, 'sourceImage'), 'must not be empty');
  if (literal(p.bootDiskType) && !(BOOT_DISK_TYPES as readonly string[]).includes(p.bootDiskType)) {
    problems.add(join(path, 'bootDiskType'), `must be one of ${BOOT_DISK_TYPES.join(', ')} (got '${p.bootDiskType}')`);
  }
  if (literal(p.serviceAccountEmail) && !EMAIL.test(p.serviceAccountEmail)) {
    problems.add(join(path, 'serviceAccountEmail'), `must be a service account email such as 'llm@my-project.iam.gserviceaccount.com' (got '${p.serviceAccountEmail}')`);
  }
  const grace = p.startupGraceSeconds;
  if (typeof grace === 'number' && !isToken(grace) && (!Number.isInteger(grace) || grace < 60 || grace > 3600)) {
    problems.add(join(path, 'startupGraceSeconds'), `must be a whole number of seconds between 60 and 3600 (got ${grace})`);
  }
}
