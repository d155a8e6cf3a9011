import { Token } from 'cdktf';
import {
  gpuEndpointShape,
  isIpv4Cidr,
  isIpv4Range,
  isToken,
  join,
  joinKey,
  quote,
  validateGpuEndpoint,
  validateNamePrefix,
  validateServerSecretNames,
  type Problems,
} from '../../design';
import { arrayOf, bool, checkShape, extendShape, obj, recordOf, str, type Shape } from '../../design/shape';
import { gcpRules } from '../rules';
import { parseSecretRef } from './secrets';
import type { GpuEndpointProps } from '../gpu-endpoint';

/** Boot disk types accepted for `bootDiskType`. */
export const BOOT_DISK_TYPES = ['pd-balanced', 'pd-ssd', 'hyperdisk-balanced'] as const;

/** The design's shape plus the GCP props: unknown (e.g. misspelled) props are reported, not ignored. */
export const gcpGpuEndpointPropsShape: Shape = extendShape(
  gpuEndpointShape,
  {
    namePrefix: str,
    region: str,
    zones: arrayOf(str),
    network: obj({ networkSelfLink: str, subnetworkSelfLink: str }, ['networkSelfLink', 'subnetworkSelfLink']),
    subnetCidr: str,
    clientCidrs: arrayOf(str),
    sourceImage: str,
    secureBoot: bool,
    bootDiskType: str,
    serviceAccountEmail: str,
    project: str,
    serverSecrets: recordOf(str),
  },
  ['region'],
);

const REGION = /^[a-z]+(-[a-z]+)+\d+$/;
const ZONE_SUFFIX = /^-[a-z]$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v) && !Token.isUnresolved(v);

/**
 * Checks the props of a GCP GpuEndpoint: shape, the neutral design rules, GCP's rules (the same
 * `ai-stack check` runs), then the props only the construct has. Every problem is collected; the
 * caller throws them together.
 */
export function validateGcpGpuEndpointProps(props: GpuEndpointProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpGpuEndpointPropsShape, path, problems);
  if (problems.count > before) return; // semantic rules assume the shape
  validateGpuEndpoint(props, path, ['gcp'], problems);
  gcpRules.gpuEndpoint?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  validateServerSecrets(props, path, problems);
  validateOverrides(props, path, problems);
}

function validateServerSecrets(props: GpuEndpointProps, path: string, problems: Problems): void {
  const secrets = props.serverSecrets;
  if (secrets === undefined) return;
  validateServerSecretNames(Object.keys(secrets), props.server.env, join(path, 'serverSecrets'), problems);
  for (const [name, secret] of Object.entries(secrets)) {
    if (literal(secret) && !parseSecretRef(secret)) {
      problems.add(
        joinKey(join(path, 'serverSecrets'), name),
        `must name a Secret Manager secret as 'projects/<project>/secrets/<name>' or '<name>' in the stack's project, without a version (replicas read 'latest'); got ${quote(secret)}`,
      );
    }
  }
}

function validateOverrides(p: GpuEndpointProps, path: string, problems: Problems): void {
  const regionKnown = literal(p.region) && REGION.test(p.region);
  if (literal(p.region) && !regionKnown) {
    problems.add(join(path, 'region'), `must be a Compute Engine region such as 'us-central1' (got ${quote(p.region)})`);
  }

  if (p.zones !== undefined) {
    if (p.zones.length === 0) problems.add(join(path, 'zones'), 'must list at least one zone, or be left out to let Compute Engine choose');
    const seen = new Set<string>();
    p.zones.forEach((zone, i) => {
      if (!literal(zone)) return;
      if (seen.has(zone)) problems.add(join(join(path, 'zones'), i), `lists ${quote(zone)} twice`);
      seen.add(zone);
      if (regionKnown && (!zone.startsWith(`${p.region}-`) || !ZONE_SUFFIX.test(zone.slice(p.region.length)))) {
        problems.add(join(join(path, 'zones'), i), `must be a zone of ${p.region} such as '${p.region}-a' (got ${quote(zone)})`);
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
  if (literal(p.subnetCidr) && !isIpv4Cidr(p.subnetCidr)) problems.add(join(path, 'subnetCidr'), `must be an IPv4 CIDR such as '10.10.0.0/20' (got ${quote(p.subnetCidr)})`);
  p.clientCidrs?.forEach((cidr, i) => {
    if (literal(cidr) && !isIpv4Range(cidr)) problems.add(join(join(path, 'clientCidrs'), i), `must be an IPv4 address or CIDR such as '10.0.0.0/8' (got ${quote(cidr)})`);
  });
  if (p.clientCidrs !== undefined && p.clientCidrs.length === 0) {
    problems.add(join(path, 'clientCidrs'), 'must list at least one range, or be left out to admit the subnetwork');
  }
  if (literal(p.sourceImage) && p.sourceImage.trim() === '') problems.add(join(path, 'sourceImage'), 'must not be empty');
  if (literal(p.bootDiskType) && !(BOOT_DISK_TYPES as readonly string[]).includes(p.bootDiskType)) {
    problems.add(join(path, 'bootDiskType'), `must be one of ${BOOT_DISK_TYPES.join(', ')} (got ${quote(p.bootDiskType)})`);
  }
  if (literal(p.serviceAccountEmail) && !EMAIL.test(p.serviceAccountEmail)) {
    problems.add(join(path, 'serviceAccountEmail'), `must be a service account email such as 'llm@my-project.iam.gserviceaccount.com' (got ${quote(p.serviceAccountEmail)})`);
  }
}
