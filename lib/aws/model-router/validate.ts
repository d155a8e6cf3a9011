// Validation of ModelRouter props: one shape (the router design's fields plus the AWS props, unknown
// keys refused), the neutral router rules, AWS's rules (the same `ai-stack check` runs), then the
// props only the construct has.
import { findModel } from '../../design/catalog/models';
import { validateNamePrefix, type NamePrefixProps } from '../../design/naming';
import { isToken, join, joinKey, Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { guardrailShape, validateGuardrailRoutes, validateGuardrails, type GuardrailDesign } from '../../design/guardrails';
import { routerShape, validateRouter, type RouterDesign } from '../../design/router';
import { placeRouter } from '../../design/router-placement';
import { bool, checkNumber, checkShape, extendShape, num, obj, recordOf, ref, str } from '../../design/shape';
import { endpointKeyEnv, endpointUrlEnv, GUARD_KINDS, ROUTER_ENV } from '../../router/deploy-env';
import { awsRules } from '../rules';

/** The AWS props checked here (a structural slice of ModelRouterProps, which imports aws-cdk-lib types). */
export interface AwsModelRouterPropsToCheck extends RouterDesign, NamePrefixProps {
  readonly endpoints?: Readonly<Record<string, { readonly connections?: unknown }>>;
  readonly vpc?: unknown;
  readonly vpcSubnets?: unknown;
  readonly tenantInferenceProfiles?: boolean;
  readonly routerClouds?: number;
  readonly guardrail?: { readonly routerEnvironment?: unknown; readonly design?: unknown };
}

/** Every prop of the AWS ModelRouter: a misspelled prop is an error with a "did you mean", never ignored. */
export const awsModelRouterPropsShape = extendShape(routerShape, {
  namePrefix: str,
  endpoints: recordOf(
    obj(
      { url: str, model: str, apiKeySecret: ref('a secretsmanager.ISecret'), connections: ref('an ec2.IConnectable (a GpuEndpoint, or its connections)'), gpuUtilization: ref('a cloudwatch.IMetric') },
      ['url', 'model', 'apiKeySecret', 'connections'],
    ),
  ),
  vpc: ref('an ec2.IVpc'),
  vpcSubnets: ref('an ec2.SubnetSelection'),
  keyHashesSecret: ref('a secretsmanager.ISecret'),
  ledgerTable: ref('a dynamodb.ITable'),
  rateTable: ref('a dynamodb.ITable'),
  logEncryptionKey: ref('a kms.IKey'),
  alarmTopic: ref('an sns.ITopic'),
  tenantInferenceProfiles: bool,
  routerClouds: num,
  guardrail: ref('an IRouterGuardrail (an aws.Guardrail, or an object with routerEnvironment and grantApply)'),
});

/** The variables a guardrail may set on the router: the guard's (lib/router/deploy-env.ts), never the router's own. */
const GUARD_ENV: readonly string[] = [ROUTER_ENV.guardKind, ROUTER_ENV.bedrockGuardrailId, ROUTER_ENV.bedrockGuardrailVersion, ROUTER_ENV.modelArmorTemplate, ROUTER_ENV.contentSafetyEndpoint];

/**
 * The Lambda environment holds at most 4 KB in all. The tenant profile map is the one variable that
 * grows with the design; the others (config path, store, tables, key-hash and endpoint references)
 * stay under 1 KB for a few endpoints, so the map may take the rest.
 */
export const MAX_TENANT_PROFILE_ENV_BYTES = 3072;

/** The longest application inference profile ARN: the longest commercial region name and a 12-character id. */
const PROFILE_ARN_PLACEHOLDER = `arn:aws:bedrock:ap-southeast-4:123456789012:application-inference-profile/${'x'.repeat(12)}`;

/**
 * Adds every problem of `props` to `problems`, each under `path`. The neutral rules name router paths
 * `router.…`; a construct's are `props.…`. `stackRegion` is the region of the stack the router is
 * built in, when it is a literal.
 */
export function validateModelRouterProps(props: AwsModelRouterPropsToCheck, path: string, problems: Problems, stackRegion?: string): void {
  const before = problems.count;
  checkShape(props, awsModelRouterPropsShape, path, problems);
  if (problems.count > before) return; // the rules below assume the shape
  const endpoints = props.endpoints ?? {};
  const neutral = new Problems();
  validateRouter(props, Object.keys(endpoints), neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^router(?=$|[.[])/, path), p.message);
  awsRules.router?.(props, path, problems);
  validateNamePrefix(props.namePrefix, path, problems);
  if (problems.count > before) return;

  if (props.routerClouds !== undefined) {
    if (isToken(props.routerClouds)) problems.add(join(path, 'routerClouds'), 'must be a literal: it divides the budgets written into the router config at synth');
    else checkNumber(props.routerClouds, { whole: true, min: 1 }, join(path, 'routerClouds'), problems);
  }

  const names = Object.keys(endpoints);
  if (names.length > 0 && props.vpc === undefined) {
    problems.add(join(path, 'vpc'), `is required with endpoints: the router reaches ${names.map((n) => quote(n)).join(', ')} over the VPC's private network. Pass the endpoints' VPC`);
  }
  if (props.vpcSubnets !== undefined && props.vpc === undefined) problems.add(join(path, 'vpcSubnets'), 'applies only with vpc');
  const suffixes = new Map<string, string>();
  for (const name of names) {
    const at = joinKey(join(path, 'endpoints'), name);
    const env = endpointUrlEnv(name);
    const other = suffixes.get(env);
    if (other !== undefined) problems.add(at, `names the same environment variables as endpoint ${quote(other)} (${env}, ${endpointKeyEnv(name)}); rename one`);
    suffixes.set(env, name);
    const connections = (endpoints[name].connections as { connections?: { defaultPort?: unknown } } | undefined)?.connections;
    if (!connections || connections.defaultPort === undefined) {
      problems.add(join(at, 'connections'), 'must have a default port (the port the router calls): pass the GpuEndpoint itself, or an ec2.Connections with defaultPort');
    }
  }

  if (props.guardrail !== undefined) {
    validateGuardrailEnvironment(props.guardrail.routerEnvironment, join(path, 'guardrail'), problems);
    if (props.guardrail.design !== undefined) validateGuardrailSection(props.guardrail.design, props.routes, join(join(path, 'guardrail'), 'design'), problems);
  }

  if (props.tenantInferenceProfiles) {
    const placed = placeRouter(props, 'aws').router;
    const bedrock = placed.models.filter((m) => m.provider === 'bedrock' && findModel(m.model));
    const tenants = placed.tenants ?? [];
    const map = Object.fromEntries(tenants.map((t) => [t.id, Object.fromEntries(bedrock.map((m) => [m.id, PROFILE_ARN_PLACEHOLDER]))]));
    const bytes = JSON.stringify(map).length;
    if (bytes > MAX_TENANT_PROFILE_ENV_BYTES) {
      problems.add(
        join(path, 'tenantInferenceProfiles'),
        `would make ${tenants.length} x ${bedrock.length} application inference profiles, whose ARNs (up to ${bytes} bytes of JSON) do not fit the function's 4 KB environment beside its other variables (at most ${MAX_TENANT_PROFILE_ENV_BYTES} bytes); turn it off, or split the tenants over two routers`,
      );
    }
    if (stackRegion !== undefined) {
      props.models.forEach((m, i) => {
        if (m.provider === 'bedrock' && typeof m.region === 'string' && m.region !== stackRegion) {
          problems.add(join(join(join(path, 'models'), i), 'region'), `is ${quote(m.region)}, but tenantInferenceProfiles makes application inference profiles in the stack's region (${stackRegion}), which copy models of that region only; call this target from ${stackRegion} or leave tenantInferenceProfiles off`);
        }
      });
    }
    if (bedrock.length === 0 || tenants.length === 0) {
      problems.add(join(path, 'tenantInferenceProfiles'), `makes nothing: the router has ${tenants.length === 0 ? 'no tenants' : 'no Bedrock targets'}; leave it off`);
    }
  }
}

/** A guardrail's `routerEnvironment`: guard variables only, and a guard kind the router knows. */
function validateGuardrailEnvironment(env: unknown, path: string, problems: Problems): void {
  const at = join(path, 'routerEnvironment');
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    problems.add(at, `must be a map of environment variables (got ${quote(env)})`);
    return;
  }
  for (const [name, value] of Object.entries(env)) {
    if (!GUARD_ENV.includes(name)) problems.add(joinKey(at, name), `is not a guard variable; a guardrail may set ${GUARD_ENV.join(', ')} only (the router's own variables stay the router's)`);
    else if (typeof value !== 'string') problems.add(joinKey(at, name), `must be a string (got ${quote(value)})`);
  }
  const kind = (env as Record<string, unknown>)[ROUTER_ENV.guardKind];
  if (kind === undefined) problems.add(at, `must set ${ROUTER_ENV.guardKind} (one of ${GUARD_KINDS.join(', ')}): it tells the router which guard to call`);
  else if (typeof kind === 'string' && !isToken(kind) && !(GUARD_KINDS as readonly string[]).includes(kind)) {
    problems.add(joinKey(at, ROUTER_ENV.guardKind), `must be one of ${GUARD_KINDS.join(', ')} (got ${quote(kind)})`);
  }
}

/**
 * The section a guardrail hands the router's config (a guardrail of your own may hand any): the
 * neutral rules, with its route policies naming routes of this router.
 */
function validateGuardrailSection(design: unknown, routes: RouterDesign['routes'], path: string, problems: Problems): void {
  const before = problems.count;
  checkShape(design, guardrailShape, path, problems);
  if (problems.count > before) return;
  const neutral = new Problems();
  validateGuardrails(design as GuardrailDesign, neutral);
  validateGuardrailRoutes(design as GuardrailDesign, Array.isArray(routes) ? routes.map((r) => r.name) : [], neutral);
  for (const p of neutral.all) problems.add(p.path.replace(/^guardrails(?=$|[.[])/, path), p.message);
}
