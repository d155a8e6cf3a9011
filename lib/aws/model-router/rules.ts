// What `ai-stack check` must know of the model router on AWS, and the pure plans the construct builds
// from. Pure: no aws-cdk-lib, so the design's validation runs it without loading the construct library.
import { findModel, type ModelSpec } from '../../design/catalog/models';
import type { AiStackDesign } from '../../design/design';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { ROUTER_DEFAULTS, type ModelTargetDesign, type RouterDesign } from '../../design/router';
import { placeRouter } from '../../design/router-placement';
import { ECR_IMAGE } from '../gpu-endpoint/rules';

/** The retention periods CloudWatch Logs accepts, days (`AWS::Logs::LogGroup` `RetentionInDays`). */
export const CLOUDWATCH_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * The regions each geography's system-defined cross-region inference profiles (`us.…`, `eu.…`,
 * `apac.…`, `us-gov.…` model ids) may send a request to, and so the regions the router's role needs
 * the foundation model in. The union of the destination regions Amazon Bedrock lists for its
 * profiles of each geography (noted 2025-11); a profile of one model routes to a subset. A profile is
 * called from a region of its own geography only (the source region), so the same list bounds the
 * regions a target of such a model may name.
 */
export const INFERENCE_PROFILE_REGIONS: Readonly<Record<string, readonly string[]>> = {
  us: ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'],
  eu: ['eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3'],
  apac: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4'],
  'us-gov': ['us-gov-east-1', 'us-gov-west-1'],
};

/** An AWS region name (the same pattern the design's `region.aws` is checked with). */
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** A Bedrock model id that names a cross-region inference profile: `<geography>.<provider>.<model>`. */
const PROFILE_ID = /^([a-z]+(?:-[a-z]+)?)\.([a-z0-9-]+\..+)$/;

/** The geography and foundation model of a cross-region inference profile id; undefined for a plain model id. */
export function inferenceProfileOf(modelId: string): { geography: string; foundationModelId: string } | undefined {
  const m = PROFILE_ID.exec(modelId);
  return m ? { geography: m[1], foundationModelId: m[2] } : undefined;
}

/**
 * One resource the router's role may invoke: a foundation model in a region, or a system-defined
 * cross-region inference profile in the region the target calls it from. `region` undefined means
 * the stack's own region (a token in an environment-agnostic stack).
 */
export interface BedrockResource {
  readonly kind: 'foundation-model' | 'inference-profile';
  readonly region?: string;
  readonly id: string;
}

/**
 * Every resource the router's role needs to call the Bedrock targets `models` (the targets the AWS
 * router serves), each once, in a stable order: for a plain model id the foundation model in the
 * target's region; for a cross-region inference profile id the profile in the target's region and
 * the foundation model in every region of the profile's geography. Nothing is a wildcard.
 */
export function bedrockResources(models: readonly ModelTargetDesign[], stackRegion: string | undefined, lookup: ModelLookup = findModel): BedrockResource[] {
  const out = new Map<string, BedrockResource>();
  const add = (r: BedrockResource) => out.set(`${r.kind} ${r.region ?? ''} ${r.id}`, r);
  for (const m of models) {
    if (m.provider !== 'bedrock') continue;
    const spec = lookup(m.model);
    if (!spec) continue;
    const region = m.region ?? stackRegion;
    const profile = inferenceProfileOf(spec.providerModelId);
    if (!profile) {
      add({ kind: 'foundation-model', region, id: spec.providerModelId });
      continue;
    }
    add({ kind: 'inference-profile', region, id: spec.providerModelId });
    for (const r of INFERENCE_PROFILE_REGIONS[profile.geography] ?? []) add({ kind: 'foundation-model', region: r, id: profile.foundationModelId });
  }
  return [...out.values()];
}

/** Finds a catalog model by id (the catalog's `findModel`; tests pass their own). */
export type ModelLookup = (id: string) => ModelSpec | undefined;

/** Rules AWS adds to the neutral router rules, with `path` the router's path (`router`, or `props`). */
export function validateRouterOnAws(router: RouterDesign, path: string, problems: Problems): void {
  validateRouterOnAwsWith(router, path, problems, findModel);
}

/** {@link validateRouterOnAws} with the model catalog given. */
export function validateRouterOnAwsWith(router: RouterDesign, path: string, problems: Problems, lookup: ModelLookup): void {
  // Only the router's own fields: construct props beside them (an endpoint's URL) are tokens by nature.
  const models = Array.isArray(router.models) ? router.models : [];
  models.forEach((m, i) => {
    if (!isEntry(m) || m.provider !== 'bedrock') return;
    const at = join(join(path, 'models'), i);
    const region = m.region;
    if (typeof region === 'string' && !isToken(region) && !AWS_REGION.test(region)) {
      problems.add(join(at, 'region'), `must be an AWS region for a Bedrock target, e.g. 'us-east-1' (got ${quote(region)})`);
      return;
    }
    const spec = typeof m.model === 'string' ? lookup(m.model) : undefined;
    const profile = spec?.provider === 'bedrock' ? inferenceProfileOf(spec.providerModelId) : undefined;
    if (!spec || !profile) return;
    const regions = INFERENCE_PROFILE_REGIONS[profile.geography];
    if (!regions) {
      problems.add(join(at, 'model'), `${quote(m.model)} is called through the cross-region inference profile ${quote(spec.providerModelId)}, whose geography ${quote(profile.geography)} the AWS router does not know the regions of (known: ${Object.keys(INFERENCE_PROFILE_REGIONS).join(', ')})`);
    } else if (typeof region === 'string' && !isToken(region) && !regions.includes(region)) {
      problems.add(join(at, 'region'), `${quote(m.model)} is called through the ${profile.geography} cross-region inference profile, which is called from ${regions.join(', ')} only (got ${quote(region)})`);
    }
  });
  const days = isEntry(router.deployment) ? router.deployment.logRetentionDays : undefined;
  if (typeof days === 'number' && Number.isInteger(days) && days >= 1 && !CLOUDWATCH_RETENTION_DAYS.includes(days)) {
    const below = [...CLOUDWATCH_RETENTION_DAYS].reverse().find((d) => d < days);
    const above = CLOUDWATCH_RETENTION_DAYS.find((d) => d > days);
    problems.add(
      join(join(path, 'deployment'), 'logRetentionDays'),
      `must be a retention CloudWatch Logs offers on AWS: ${CLOUDWATCH_RETENTION_DAYS.join(', ')} days (got ${days}${below || above ? `; nearest: ${[below, above].filter((d) => d !== undefined).join(' or ')}` : ''})`,
    );
  }
}

const isEntry = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v); // eslint-disable-line @typescript-eslint/no-explicit-any

/** Names of the GPU endpoints the AWS router calls (its `endpoint` targets), in target order. */
export function endpointsCalledOnAws(router: RouterDesign): string[] {
  return [...new Set(placeRouter(router, 'aws').router.models.filter((m) => m.provider === 'endpoint').map((m) => m.model))];
}

/**
 * Metric filters on the router's log group: chat requests, requests that fell back, retried calls,
 * latency of unstreamed requests, router overhead, cost, cost and budget used by tenant, the guard's
 * blocked, masked and unchecked requests, refusals and failures
 * by outcome (`lib/aws/model-router/monitoring.ts`).
 */
export const ROUTER_METRIC_FILTERS = 12;

/**
 * CloudFormation resources of a router on its own, outside a VPC: role and policy, function, URL and
 * its two invoke permissions, log group, ledger and rate tables, key-hash secret, dashboard, two
 * alarms, alarm topic, its policy and its key, and the metric filters.
 */
export const ROUTER_RESOURCES = 16 + ROUTER_METRIC_FILTERS;

/**
 * CloudFormation resources `AiStack` adds for the design's router: the router, and when it calls GPU
 * endpoints its security group, a DynamoDB gateway endpoint on the stack's VPC, and per endpoint the
 * key secret, the two security group rules (router egress, load balancer ingress) and, unless the
 * endpoint already has one for its ECR image, the policy of its instance role that reads the key.
 * test/aws/model-router checks it against synth.
 */
export function routerResourceCount(design: AiStackDesign): number {
  const router = design.router;
  if (!router || !Array.isArray(router.models) || !Array.isArray(router.routes)) return 0;
  const called = endpointsCalledOnAws(router);
  if (called.length === 0) return ROUTER_RESOURCES;
  const endpoints = Array.isArray(design.endpoints) ? design.endpoints : [];
  const perEndpoint = called.map((name) => {
    const image = endpoints.find((e) => e.name === name)?.server?.image;
    const hasPolicy = typeof image === 'string' && !isToken(image) && ECR_IMAGE.test(image);
    return 3 + (hasPolicy ? 0 : 1);
  });
  return ROUTER_RESOURCES + 2 + perEndpoint.reduce((a, b) => a + b, 0);
}

/** The router's timeout in ms: the expiry rule of a crashed instance's budget reservations. */
export function maxRequestMs(router: Pick<RouterDesign, 'deployment'>): number {
  return (router.deployment?.timeoutSeconds ?? ROUTER_DEFAULTS.timeoutSeconds) * 1000;
}
