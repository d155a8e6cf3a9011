// Validation of the Google Cloud ModelRouter's props: one shape (the design's router fields plus the
// GCP props), the neutral router rules, GCP's rules (the same `ai-stack check` runs), then the props
// only the construct has.
import { existsSync, statSync } from 'node:fs';
import { isToken, join, joinKey, Problems, quote, routerShape, validateNamePrefix, validateRouter, type ModelTargetDesign } from '../../design';
import { arrayOf, checkShape, extendShape, num, obj, recordOf, ref, str, type Shape } from '../../design/shape';
import { parseSecretRef } from '../gpu-endpoint/secrets';
import { validateGuardrailProp } from '../../cdktf/guard-env';
import { gcpRules } from '../rules';
import { validateRouterNamePrefix } from './rules';
import { cloudRunScaling, DEFAULT_REQUESTS_PER_INSTANCE, MAX_REQUESTS_PER_INSTANCE } from './plan';
import type { ModelRouterProps } from '../model-router';

/** The router's design shape plus the GCP props: unknown (e.g. misspelled) props are reported, not ignored. */
export const gcpModelRouterPropsShape: Shape = extendShape(
  routerShape,
  {
    namePrefix: str,
    region: str,
    project: str,
    network: obj({ network: str, subnetwork: str }, ['network', 'subnetwork']),
    endpoints: recordOf(obj({ url: str, model: str, apiKeySecret: str }, ['url', 'model'])),
    serviceAccountEmail: str,
    image: str,
    maxRequestsPerInstance: num,
    minInstances: num,
    notificationChannels: arrayOf(str),
    modelPrices: recordOf(obj({ inputPer1kUsd: num, outputPer1kUsd: num })),
    routerClouds: num,
    bundlePath: str,
    guardrail: ref('a router guardrail (a gcp.Guardrail, or an object with routerEnvironment and grantUse)'),
  },
  ['region'],
);

const REGION = /^[a-z]+-[a-z]+\d+$/;
const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const CHANNEL = /^projects\/[^/\s]+\/notificationChannels\/[^/\s]+$/;
const URL = /^https?:\/\/[^/\s]+/;

const literal = (v: unknown): v is string => typeof v === 'string' && !isToken(v);
const literalNumber = (v: unknown): v is number => typeof v === 'number' && !isToken(v);

/**
 * Checks the props of a GCP ModelRouter: shape, the neutral router rules, GCP's router rules, then
 * the props only the construct has. Every problem is collected under `path`; the caller throws them together.
 */
export function validateGcpModelRouterProps(props: ModelRouterProps, path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(props, gcpModelRouterPropsShape, path, problems);
  if (problems.count > before) return; // semantic rules assume the shape
  const endpointNames = Object.keys(props.endpoints ?? {});
  // The neutral rules report under `router`; a construct's props are `path`.
  const neutral = new Problems();
  validateRouter(props, endpointNames, neutral);
  for (const p of neutral.all) problems.add(p.path === 'router' || p.path.startsWith('router.') || p.path.startsWith('router[') ? path + p.path.slice('router'.length) : p.path, p.message);
  gcpRules.router?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  validateRouterNamePrefix(props.namePrefix, join(path, 'namePrefix'), problems);
  validateOverrides(props, path, problems);
}

function validateOverrides(p: ModelRouterProps, path: string, problems: Problems): void {
  if (literal(p.region) && !REGION.test(p.region)) problems.add(join(path, 'region'), `must be a Google Cloud region such as 'us-central1' (got ${quote(p.region)})`);
  if (literal(p.project) && !PROJECT.test(p.project)) {
    problems.add(join(path, 'project'), `must be a GCP project id: 6-30 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen (got ${quote(p.project)})`);
  }

  const called = new Set((p.models ?? []).filter((m: ModelTargetDesign) => m.provider === 'endpoint').map((m) => m.model));
  for (const [name, e] of Object.entries(p.endpoints ?? {})) {
    const at = joinKey(join(path, 'endpoints'), name);
    if (!called.has(name)) problems.add(at, `no router target calls this endpoint: add a target { provider: 'endpoint', model: ${quote(name)} } to models, or leave the entry out`);
    if (literal(e.url) && !URL.test(e.url)) problems.add(join(at, 'url'), `must be the endpoint's http(s) URL, e.g. GpuEndpoint.url 'http://10.10.0.5:8000' (got ${quote(e.url)})`);
    if (literal(e.model) && e.model.trim() === '') problems.add(join(at, 'model'), "must name the model the endpoint's server serves (its server.model)");
    if (literal(e.apiKeySecret) && !parseSecretRef(e.apiKeySecret)) {
      problems.add(join(at, 'apiKeySecret'), `must name a Secret Manager secret as 'projects/<project>/secrets/<name>' or '<name>' in the router's project, without a version (the router reads 'latest'); got ${quote(e.apiKeySecret)}`);
    }
  }
  if (called.size > 0 && p.network === undefined) {
    problems.add(join(path, 'network'), "is required when the router calls GPU endpoints: it reaches their internal load balancers through Direct VPC egress into the endpoints' network and subnetwork");
  }
  if (p.network) {
    for (const key of ['network', 'subnetwork'] as const) {
      const v = p.network[key];
      if (!literal(v)) continue;
      if (v.trim() === '') problems.add(join(path, `network.${key}`), 'must not be empty');
      else if (/^https?:\/\//.test(v)) {
        problems.add(join(path, `network.${key}`), `must be the ${key}'s id (${key === 'network' ? "'projects/<p>/global/networks/<name>'" : "'projects/<p>/regions/<region>/subnetworks/<name>'"}) or its name, not a self link: Cloud Run's Direct VPC egress takes no URL (got ${quote(v)})`);
      }
    }
  }

  if (literal(p.serviceAccountEmail) && !EMAIL.test(p.serviceAccountEmail)) {
    problems.add(join(path, 'serviceAccountEmail'), `must be a service account email such as 'router@my-project.iam.gserviceaccount.com' (got ${quote(p.serviceAccountEmail)})`);
  }
  if (literal(p.image) && (p.image.trim() === '' || /\s/.test(p.image))) problems.add(join(path, 'image'), `must be a container image reference with node 22 or later on its PATH (got ${quote(p.image)})`);

  const perInstance = p.maxRequestsPerInstance ?? DEFAULT_REQUESTS_PER_INSTANCE;
  if (p.maxRequestsPerInstance !== undefined) {
    if (!literalNumber(p.maxRequestsPerInstance)) {
      problems.add(join(path, 'maxRequestsPerInstance'), 'must be a literal: the instance count is computed from it at synth');
    } else if (!Number.isInteger(p.maxRequestsPerInstance) || p.maxRequestsPerInstance < 1 || p.maxRequestsPerInstance > MAX_REQUESTS_PER_INSTANCE) {
      problems.add(join(path, 'maxRequestsPerInstance'), `must be a whole number from 1 to ${MAX_REQUESTS_PER_INSTANCE}, Cloud Run's limit (got ${quote(p.maxRequestsPerInstance)})`);
    }
  }
  if (p.minInstances !== undefined) {
    const max = p.deployment?.maxConcurrentRequests;
    if (!literalNumber(p.minInstances) || !Number.isInteger(p.minInstances) || p.minInstances < 0) {
      problems.add(join(path, 'minInstances'), `must be a whole number >= 0 (got ${quote(p.minInstances)})`);
    } else if (literalNumber(perInstance) && Number.isInteger(perInstance) && perInstance >= 1 && (max === undefined || (literalNumber(max) && Number.isInteger(max) && max >= 1))) {
      const { maxInstances } = cloudRunScaling(max ?? 100, perInstance);
      if (p.minInstances > maxInstances) {
        problems.add(join(path, 'minInstances'), `must be at most the ${maxInstances} instances deployment.maxConcurrentRequests allows at ${cloudRunScaling(max ?? 100, perInstance).requestsPerInstance} requests each (got ${p.minInstances})`);
      }
    }
  }
  p.notificationChannels?.forEach((c, i) => {
    if (literal(c) && !CHANNEL.test(c)) problems.add(join(join(path, 'notificationChannels'), i), `must be a notification channel id, 'projects/<project>/notificationChannels/<id>' (got ${quote(c)})`);
  });
  for (const [model, price] of Object.entries(p.modelPrices ?? {})) {
    for (const key of ['inputPer1kUsd', 'outputPer1kUsd'] as const) {
      const v = price[key];
      if (literalNumber(v) && !(v >= 0)) problems.add(join(joinKey(join(path, 'modelPrices'), model), key), `must be >= 0 USD (got ${quote(v)})`);
    }
  }
  if (p.routerClouds !== undefined && (!literalNumber(p.routerClouds) || !Number.isInteger(p.routerClouds) || p.routerClouds < 1 || p.routerClouds > 3)) {
    problems.add(join(path, 'routerClouds'), `must be 1, 2 or 3: how many clouds run this design's router, each with its share of every tenant's budget (got ${quote(p.routerClouds)})`);
  }
  validateGuardrailProp(p.guardrail, join(path, 'guardrail'), problems);
  if (p.bundlePath !== undefined) {
    if (!literal(p.bundlePath)) problems.add(join(path, 'bundlePath'), 'must be a literal path: the file is read and hashed at synth');
    else if (!existsSync(p.bundlePath) || !statSync(p.bundlePath).isFile()) problems.add(join(path, 'bundlePath'), `must be the router bundle file (index.js of 'npm run build:router'); nothing is at ${quote(p.bundlePath)}`);
  }
}

