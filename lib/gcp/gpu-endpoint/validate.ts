import { gpuEndpointShape, isCron, isToken, join, validateGpuEndpoint, type GpuEndpointDesign, type Problems } from '../../design';
import { arrayOf, bool, checkShape, num, obj, str, type Shape } from '../../design/shape';
import { peakSchedules } from './schedule';

/** The GCP-only props, as validated here (the full props type lives with the construct). */
export interface GcpEndpointOverrides {
  readonly region: string;
  readonly zones?: readonly string[];
  readonly network?: { readonly networkSelfLink: string; readonly subnetworkSelfLink: string };
  readonly subnetCidr?: string;
  readonly clientCidrs?: readonly string[];
  readonly sourceImage?: string;
  readonly secureBoot?: boolean;
  readonly bootDiskType?: string;
  readonly serviceAccountEmail?: string;
  readonly startupGraceSeconds?: number;
  readonly project?: string;
}

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

/**
 * Checks the props of a GCP GpuEndpoint: shape, the neutral design rules for GCP, then the GCP
 * overrides. Every problem is collected; the caller throws them together.
 */
export function validateGcpGpuEndpointProps(props: GpuEndpointDesign & GcpEndpointOverrides, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpGpuEndpointPropsShape, path, problems);
  if (problems.count > before) return; // semantic rules assume the shape
  validateGpuEndpoint(props, path, ['gcp'], problems);
  validateDesignOnGcp(props, path, problems);
  validateOverrides(props, path, problems);
}

/** Rules the neutral design leaves to each cloud. */
function validateDesignOnGcp(props: GpuEndpointDesign, path: string, problems: Problems): void {
  for (const key of Object.keys(props.server.env ?? {})) {
    if (!ENV_KEY.test(key)) problems.add(join(path, `server.env.${key}`), `must be an environment variable name (letters, digits, '_', not starting with a digit), got '${key}'`);
  }
  const offPeak = props.scaling?.offPeak;
  if (offPeak && literal(offPeak.start) && literal(offPeak.end) && isCron(offPeak.start) && isCron(offPeak.end)) {
    const result = peakSchedules(offPeak.start, offPeak.end);
    if ('problem' in result) problems.add(join(path, `scaling.offPeak.${result.problem.field}`), result.problem.message);
  }
}

function validateOverrides(p: GcpEndpointOverrides & GpuEndpointDesign, path: string, problems: Problems): void {
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
