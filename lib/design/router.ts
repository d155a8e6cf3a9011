import { MODEL_SERVER_API_KEY_ENV } from '../common/model-server';
import { findModel, MODEL_PROVIDERS, type ModelProvider } from './catalog/models';
import type { GpuEndpointDesign } from './gpu-endpoint';
import { isToken, join, joinKey, Problems } from './problems';
import { quote, quoteList } from './quote';
import { arrayOf, checkNumber, checkNumbers, isLiteralNumber, num, obj, oneOf, str, type NumberRule, type NumberRules } from './shape';

/** A model the router can call: a managed model at a provider, or one of the design's GPU endpoints. */
export interface ModelTargetDesign {
  /** Id routes use to name this target, e.g. `haiku-bedrock`. */
  readonly id: string;
  /** Where the model runs. */
  readonly provider: ModelProvider;
  /**
   * For managed providers, a model id from the model catalog (e.g. `claude-3-5-haiku`, `gemini-2-5-flash`,
   * `gpt-4o-mini`); for `endpoint`, the name of a GPU endpoint in `endpoints[]`.
   */
  readonly model: string;
  /**
   * Region the provider is called in.
   * @default - the design's region for that provider's cloud
   */
  readonly region?: string;
  /**
   * USD per 1,000 input tokens; overrides the catalog. Required for `endpoint` targets to be costed.
   * @default - the catalog price (0 for endpoint targets: their cost is the GPU fleet)
   */
  readonly inputPer1kUsd?: number;
  /**
   * USD per 1,000 output tokens; overrides the catalog.
   * @default - the catalog price (0 for endpoint targets)
   */
  readonly outputPer1kUsd?: number;
  /**
   * Context window in tokens; overrides the catalog.
   * @default - the catalog value (32768 for endpoint targets)
   */
  readonly contextWindowTokens?: number;
}

/** One target of a route, with its A/B weight. */
export interface RouteTargetDesign {
  /** Id of a target in `router.models`. */
  readonly model: string;
  /**
   * Relative share of traffic under the `weighted` strategy.
   * @default 1
   */
  readonly weight?: number;
}

/** A cost tier: requests whose prompt fits go to this tier's targets. */
export interface TierDesign {
  /** Tier name; a client can force it with the `x-ai-stack-tier` header. */
  readonly name: string;
  /**
   * Largest estimated prompt (tokens) this tier takes; the last tier may omit it to take the rest.
   * @default - no limit
   */
  readonly maxPromptTokens?: number;
  readonly targets: readonly RouteTargetDesign[];
}

/** How a route picks among its targets. */
export type RouteStrategy = 'ordered' | 'weighted' | 'tiered';

/** A logical model name clients request, and how it is served. */
export interface RouteDesign {
  /** The `model` a client sends, e.g. `chat-default`. */
  readonly name: string;
  /**
   * `ordered` tries targets in order; `weighted` picks by weight (A/B) then falls back in order;
   * `tiered` picks the first tier that fits the prompt.
   * @default 'ordered'
   */
  readonly strategy?: RouteStrategy;
  /** Targets of the route (for `tiered`, leave empty and use `tiers`). */
  readonly targets: readonly RouteTargetDesign[];
  /**
   * Targets tried, in order, after the chosen targets failed.
   * @default - none
   */
  readonly fallbacks?: readonly string[];
  /**
   * Cost tiers, for the `tiered` strategy.
   * @default - none
   */
  readonly tiers?: readonly TierDesign[];
  /**
   * Timeout of one attempt, milliseconds.
   * @default 30000
   */
  readonly timeoutMs?: number;
  /**
   * Total deadline of a request across all attempts, milliseconds.
   * @default 60000
   */
  readonly deadlineMs?: number;
  /**
   * Retries of one target on throttling, 5xx and timeouts before moving on.
   * @default 2
   */
  readonly retries?: number;
  /**
   * What a content-policy refusal does: `fail` returns it to the client; `fallback` tries the next target.
   * @default 'fail'
   */
  readonly onContentFilter?: 'fail' | 'fallback';
}

/** A tenant: an API key holder with a monthly budget and rate limits. */
export interface TenantDesign {
  /** Tenant id: lowercase letters, digits and hyphens. */
  readonly id: string;
  /** Monthly spend limit, USD; requests that could exceed it are refused before any paid call. */
  readonly monthlyBudgetUsd: number;
  /**
   * Requests per minute.
   * @default 600
   */
  readonly requestsPerMinute?: number;
  /**
   * Tokens (prompt estimate + max output) per minute.
   * @default 200000
   */
  readonly tokensPerMinute?: number;
  /**
   * Routes the tenant may call.
   * @default - every route
   */
  readonly routes?: readonly string[];
}

/** Circuit breaker per target. */
export interface CircuitBreakerDesign {
  /**
   * Failures within the window that open the circuit.
   * @default 5
   */
  readonly failureThreshold?: number;
  /**
   * Window in which failures are counted, seconds.
   * @default 30
   */
  readonly windowSeconds?: number;
  /**
   * Time an open circuit waits before a half-open probe, seconds.
   * @default 30
   */
  readonly cooldownSeconds?: number;
}

/** Expected traffic of a route, for the cost estimate. */
export interface TrafficDesign {
  readonly route: string;
  readonly requestsPerDay: number;
  readonly avgInputTokens: number;
  readonly avgOutputTokens: number;
}

/**
 * How the router runs on each cloud: a serverless function (AWS Lambda, Azure Flex Consumption) or
 * service (Cloud Run) sized by these fields. Every cloud reads the same fields; what each maps them
 * to is in `docs/<cloud>/model-router.md`.
 */
export interface RouterDeploymentDesign {
  /**
   * Memory of one router instance, MiB. CPU follows memory on Lambda; Cloud Run gets 1 vCPU up to
   * 4096 MiB; Azure Flex Consumption offers 512, 2048 and 4096 only.
   * @default 2048
   */
  readonly memoryMiB?: number;
  /**
   * Longest a request may run, seconds: the function or request timeout, and the rule by which a
   * crashed instance's budget reservations expire. At least the longest route's `deadlineMs`.
   * @default 300
   */
  readonly timeoutSeconds?: number;
  /**
   * Most requests served at once across every instance (Lambda reserved concurrency; Cloud Run and
   * Flex Consumption instances × per-instance concurrency). Caps the bill of a traffic spike.
   * @default 100
   */
  readonly maxConcurrentRequests?: number;
  /**
   * Days the router's request log is kept.
   * @default 30
   */
  readonly logRetentionDays?: number;
}

/** Alarms on the router's own metrics; each cloud raises them in its monitoring service. */
export interface RouterAlarmsDesign {
  /**
   * Share of requests answered with a 5xx (router or upstream) that raises the error-rate alarm, percent.
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * p99 latency of a request (first byte for streams) that raises the latency alarm, milliseconds.
   * @default 2000
   */
  readonly p99LatencyMs?: number;
  /**
   * Minutes a threshold must be passed before the alarm fires.
   * @default 5
   */
  readonly evaluationMinutes?: number;
}

/** The OpenAI-compatible model router. */
export interface RouterDesign {
  readonly models: readonly ModelTargetDesign[];
  readonly routes: readonly RouteDesign[];
  /**
   * @default - no tenants: every request is refused (a router never serves anonymous traffic)
   */
  readonly tenants?: readonly TenantDesign[];
  /**
   * @default - 5 failures in 30 s open a target's circuit for 30 s
   */
  readonly circuitBreaker?: CircuitBreakerDesign;
  /**
   * Expected traffic per route, priced by the estimate at the route's first target.
   * @default - model usage is not estimated
   */
  readonly traffic?: readonly TrafficDesign[];
  /**
   * Size and limits of the deployed router.
   * @default - 2048 MiB, 300 s timeout, 100 concurrent requests, 30 days of logs
   */
  readonly deployment?: RouterDeploymentDesign;
  /**
   * Error-rate and latency alarms.
   * @default - 5 % errors or p99 above 2000 ms, for 5 minutes
   */
  readonly alarms?: RouterAlarmsDesign;
}

const routeTargetShape = obj({ model: str, weight: num }, ['model']);

export const routerShape = obj(
  {
    models: arrayOf(
      obj({ id: str, provider: oneOf(...MODEL_PROVIDERS), model: str, region: str, inputPer1kUsd: num, outputPer1kUsd: num, contextWindowTokens: num }, ['id', 'provider', 'model']),
    ),
    routes: arrayOf(
      obj(
        {
          name: str,
          strategy: oneOf('ordered', 'weighted', 'tiered'),
          targets: arrayOf(routeTargetShape),
          fallbacks: arrayOf(str),
          tiers: arrayOf(obj({ name: str, maxPromptTokens: num, targets: arrayOf(routeTargetShape) }, ['name', 'targets'])),
          timeoutMs: num,
          deadlineMs: num,
          retries: num,
          onContentFilter: oneOf('fail', 'fallback'),
        },
        ['name', 'targets'],
      ),
    ),
    tenants: arrayOf(obj({ id: str, monthlyBudgetUsd: num, requestsPerMinute: num, tokensPerMinute: num, routes: arrayOf(str) }, ['id', 'monthlyBudgetUsd'])),
    circuitBreaker: obj({ failureThreshold: num, windowSeconds: num, cooldownSeconds: num }),
    traffic: arrayOf(obj({ route: str, requestsPerDay: num, avgInputTokens: num, avgOutputTokens: num }, ['route', 'requestsPerDay', 'avgInputTokens', 'avgOutputTokens'])),
    deployment: obj({ memoryMiB: num, timeoutSeconds: num, maxConcurrentRequests: num, logRetentionDays: num }),
    alarms: obj({ errorRatePercent: num, p99LatencyMs: num, evaluationMinutes: num }),
  },
  ['models', 'routes'],
);

export const ROUTER_DEFAULTS = {
  strategy: 'ordered' as RouteStrategy,
  weight: 1,
  timeoutMs: 30000,
  deadlineMs: 60000,
  retries: 2,
  onContentFilter: 'fail' as const,
  requestsPerMinute: 600,
  tokensPerMinute: 200000,
  failureThreshold: 5,
  windowSeconds: 30,
  cooldownSeconds: 30,
  endpointContextWindowTokens: 32768,
  memoryMiB: 2048,
  timeoutSeconds: 300,
  maxConcurrentRequests: 100,
  logRetentionDays: 30,
  errorRatePercent: 5,
  p99LatencyMs: 2000,
  evaluationMinutes: 5,
};

/** The deployment fields with their defaults applied: what every cloud's ModelRouter builds from. */
export interface ResolvedRouterDeployment {
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  readonly maxConcurrentRequests: number;
  readonly logRetentionDays: number;
  readonly errorRatePercent: number;
  readonly p99LatencyMs: number;
  readonly evaluationMinutes: number;
}

export function resolveRouterDeployment(router: Pick<RouterDesign, 'deployment' | 'alarms'>): ResolvedRouterDeployment {
  const d = router.deployment ?? {};
  const a = router.alarms ?? {};
  return {
    memoryMiB: d.memoryMiB ?? ROUTER_DEFAULTS.memoryMiB,
    timeoutSeconds: d.timeoutSeconds ?? ROUTER_DEFAULTS.timeoutSeconds,
    maxConcurrentRequests: d.maxConcurrentRequests ?? ROUTER_DEFAULTS.maxConcurrentRequests,
    logRetentionDays: d.logRetentionDays ?? ROUTER_DEFAULTS.logRetentionDays,
    errorRatePercent: a.errorRatePercent ?? ROUTER_DEFAULTS.errorRatePercent,
    p99LatencyMs: a.p99LatencyMs ?? ROUTER_DEFAULTS.p99LatencyMs,
    evaluationMinutes: a.evaluationMinutes ?? ROUTER_DEFAULTS.evaluationMinutes,
  };
}

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TENANT_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Largest tenant budget: the router counts spend in whole nano-dollars in a double
 * (lib/router/engine/cost.ts, `MAX_NANO_USD = Number.MAX_SAFE_INTEGER`), exact up to this many USD.
 */
export const MAX_TENANT_BUDGET_USD = Math.floor(Number.MAX_SAFE_INTEGER / 1e9);

const MODEL_NUMBERS: NumberRules<ModelTargetDesign> = {
  inputPer1kUsd: { min: 0, unit: 'USD' },
  outputPer1kUsd: { min: 0, unit: 'USD' },
  contextWindowTokens: { whole: true, min: 1 },
};

const ROUTE_NUMBERS: NumberRules<RouteDesign> = {
  timeoutMs: { whole: true, min: 100, max: 900000, unit: 'ms' },
  deadlineMs: { whole: true, min: 1, unit: 'ms' },
  retries: { whole: true, min: 0, max: 10 },
};

const WEIGHT: NumberRule = { above: 0 };
const MAX_PROMPT_TOKENS: NumberRule = { whole: true, min: 1 };

const TENANT_NUMBERS: NumberRules<TenantDesign> = {
  monthlyBudgetUsd: { above: 0, max: MAX_TENANT_BUDGET_USD, unit: 'USD' },
  requestsPerMinute: { whole: true, min: 1 },
  tokensPerMinute: { whole: true, min: 1 },
};

/** The router runtime keeps these in whole milliseconds and counts whole failures (lib/router/engine/config-check.ts). */
const BREAKER_NUMBERS: NumberRules<CircuitBreakerDesign> = {
  failureThreshold: { whole: true, min: 1 },
  windowSeconds: { whole: true, min: 1, unit: 's' },
  cooldownSeconds: { whole: true, min: 1, unit: 's' },
};

const TRAFFIC_NUMBERS: NumberRules<TrafficDesign> = {
  requestsPerDay: { min: 0 },
  avgInputTokens: { min: 0 },
  avgOutputTokens: { min: 0 },
};

/**
 * Ranges every cloud can run: Cloud Run's smallest instance is 512 MiB and Lambda's largest 10240;
 * Lambda's timeout is at most 900 s, the tightest of the three.
 */
const DEPLOYMENT_NUMBERS: NumberRules<RouterDeploymentDesign> = {
  memoryMiB: { whole: true, min: 512, max: 10240, unit: 'MiB' },
  timeoutSeconds: { whole: true, min: 10, max: 900, unit: 's' },
  maxConcurrentRequests: { whole: true, min: 1, max: 10000 },
  logRetentionDays: { whole: true, min: 1, max: 3650, unit: 'days' },
};

const ALARM_NUMBERS: NumberRules<RouterAlarmsDesign> = {
  errorRatePercent: { above: 0, max: 100, unit: 'percent' },
  p99LatencyMs: { whole: true, min: 1, unit: 'ms' },
  evaluationMinutes: { whole: true, min: 1, max: 60, unit: 'min' },
};

const isString = (v: unknown): v is string => typeof v === 'string';
const asList = <T>(v: readonly T[] | undefined): readonly T[] => (Array.isArray(v) ? v : []);
const isEntry = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reports each repeated string of `key` in `items` at the later item's path, naming the first:
 * `router.tenants[2].id: duplicate tenant id 'team-a' (also router.tenants[0].id)`. Items whose key
 * is not a literal string are left to the shape check.
 */
function reportDuplicates<T>(items: readonly T[], key: keyof T & string, path: string, what: string, problems: Problems): void {
  const first = new Map<string, number>();
  items.forEach((item, i) => {
    const v = isEntry(item) ? item[key] : undefined;
    if (!isString(v) || isToken(v)) return;
    const at = first.get(v);
    if (at === undefined) first.set(v, i);
    else problems.add(join(join(path, i), key), `duplicate ${what} ${quote(v)} (also ${join(join(path, at), key)})`);
  });
}

/**
 * A GPU endpoint the router calls gets its API key from the stack (`MODEL_SERVER_API_KEY_ENV` in
 * `serverSecrets`), so the design must not set the key itself: a key in `server.env` or `--api-key`
 * in `server.args` would be rendered into the boot script in plain text and differ from the router's.
 */
export function validateEndpointCredentials(router: RouterDesign, endpoints: readonly GpuEndpointDesign[], problems: Problems): void {
  const called = new Set(asList(router.models).filter((m) => isEntry(m) && m.provider === 'endpoint').map((m) => m.model));
  endpoints.forEach((e, i) => {
    if (!isEntry(e) || !called.has(e.name) || !isEntry(e.server)) return;
    const server = join(join('endpoints', i), 'server');
    if (isEntry(e.server.env) && Object.prototype.hasOwnProperty.call(e.server.env, MODEL_SERVER_API_KEY_ENV)) {
      problems.add(joinKey(join(server, 'env'), MODEL_SERVER_API_KEY_ENV), `must not be set: the router calls this endpoint, and the stack gives the model server its API key from the secret store so that only the router can call it`);
    }
    asList(e.server.args).forEach((arg, j) => {
      if (arg === '--api-key' || (isString(arg) && arg.startsWith('--api-key='))) {
        problems.add(join(join(server, 'args'), j), `must not set --api-key: the router calls this endpoint, and the stack gives the model server its API key (${MODEL_SERVER_API_KEY_ENV}) from the secret store`);
      }
    });
  });
}

/** The router fields fixed at synth (`traffic` only feeds the estimate). */
const SYNTH_FIXED_FIELDS = ['models', 'routes', 'tenants', 'circuitBreaker', 'deployment', 'alarms'] as const;

/**
 * Every cloud writes the deployed router's config into its code package or settings at synth, and
 * sizes the function and its alarms from these numbers at synth: an unresolved token anywhere in them
 * would reach the router as placeholder text.
 */
function refuseTokens(value: unknown, path: string, problems: Problems): void {
  if (isToken(value)) {
    // The shape refuses a token where it must choose (an enum) already.
    if (!problems.hasAt(path)) problems.add(path, "must be a literal, not an unresolved token: the deployed router's config, size and alarms are fixed at synth. Pass the value itself");
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => refuseTokens(v, join(path, i), problems));
  else if (isEntry(value)) for (const [k, v] of Object.entries(value)) refuseTokens(v, joinKey(path, k), problems);
}

/** Semantic rules of the router (its shape was checked already). */
export function validateRouter(router: RouterDesign, endpointNames: readonly unknown[], problems: Problems): void {
  for (const key of SYNTH_FIXED_FIELDS) refuseTokens((router as unknown as Record<string, unknown>)[key], join('router', key), problems);
  const endpoints = endpointNames.filter(isString);
  const models = asList(router.models).filter(isEntry) as readonly ModelTargetDesign[];
  const ids = new Set(models.map((m) => m.id).filter(isString));
  const knownTargets = () => `targets: ${quoteList(ids)}`;
  reportDuplicates(asList(router.models), 'id', 'router.models', 'target id', problems);
  asList(router.models).forEach((m, i) => {
    if (!isEntry(m)) return;
    const p = join('router.models', i);
    if (isString(m.id) && !isToken(m.id) && !ID.test(m.id)) problems.add(join(p, 'id'), `must be 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit (got ${quote(m.id)})`);
    checkNumbers(m, MODEL_NUMBERS, p, problems);
    if (!isString(m.model) || isToken(m.model) || !(MODEL_PROVIDERS as readonly unknown[]).includes(m.provider)) return; // the shape reports a bad provider
    if (m.provider === 'endpoint') {
      if (!endpoints.includes(m.model)) problems.add(join(p, 'model'), `names no GPU endpoint (got ${quote(m.model)}); endpoints: ${quoteList(endpoints)}`);
      return;
    }
    const spec = findModel(m.model);
    if (!spec) problems.add(join(p, 'model'), `unknown model ${quote(m.model)} for provider ${m.provider}; see the model catalog (docs/design.md)`);
    else if (spec.provider !== m.provider) problems.add(join(p, 'model'), `${quote(m.model)} is a ${spec.provider} model, not ${m.provider}`);
    else if (spec.kind !== 'chat') problems.add(join(p, 'model'), `${quote(m.model)} is an embedding model; the router serves chat models`);
  });

  const checkTargets = (targets: readonly RouteTargetDesign[] | undefined, path: string) => {
    asList(targets).forEach((t, j) => {
      if (!isEntry(t)) return;
      const tp = join(path, j);
      if (isString(t.model) && !isToken(t.model) && !ids.has(t.model)) problems.add(join(tp, 'model'), `names no model target (got ${quote(t.model)}); ${knownTargets()}`);
      checkNumber(t.weight, WEIGHT, join(tp, 'weight'), problems);
    });
  };

  const routes = asList(router.routes);
  if (Array.isArray(router.routes) && routes.length === 0) problems.add('router.routes', 'must list at least one route');
  reportDuplicates(routes, 'name', 'router.routes', 'route name', problems);
  routes.forEach((r, i) => {
    if (!isEntry(r)) return;
    const p = join('router.routes', i);
    if (isString(r.name) && r.name.trim() === '') problems.add(join(p, 'name'), `must not be empty (got ${quote(r.name)}): it is the model name clients send`);
    const strategy = r.strategy ?? ROUTER_DEFAULTS.strategy;
    checkTargets(r.targets, join(p, 'targets'));
    if (strategy === 'tiered') {
      const tiers = asList(r.tiers);
      if (tiers.length === 0) problems.add(join(p, 'tiers'), "must list at least one tier when strategy is 'tiered'");
      reportDuplicates(tiers, 'name', join(p, 'tiers'), 'tier name', problems);
      let previousLimit: { value: number; path: string } | undefined;
      tiers.forEach((tier, k) => {
        if (!isEntry(tier)) return;
        const tp = join(join(p, 'tiers'), k);
        checkTargets(tier.targets, join(tp, 'targets'));
        if (Array.isArray(tier.targets) && tier.targets.length === 0) problems.add(join(tp, 'targets'), 'must list at least one target');
        const limitPath = join(tp, 'maxPromptTokens');
        const last = k === tiers.length - 1;
        if (!last && tier.maxPromptTokens === undefined) problems.add(limitPath, 'is required on every tier but the last');
        checkNumber(tier.maxPromptTokens, MAX_PROMPT_TOKENS, limitPath, problems);
        if (isLiteralNumber(tier.maxPromptTokens)) {
          if (previousLimit && tier.maxPromptTokens <= previousLimit.value) {
            problems.add(limitPath, `must be greater than ${previousLimit.path} (${tier.maxPromptTokens} <= ${previousLimit.value}): tiers are tried in order and the first that fits the prompt takes it, so list them from the smallest limit to the largest`);
          }
          previousLimit = { value: tier.maxPromptTokens, path: limitPath };
        }
      });
    } else {
      if (Array.isArray(r.targets) && r.targets.length === 0) problems.add(join(p, 'targets'), 'must list at least one target');
      if (r.tiers !== undefined) problems.add(join(p, 'tiers'), `only apply to strategy 'tiered' (strategy is ${quote(strategy)})`);
    }
    asList(r.fallbacks).forEach((f, j) => {
      if (isString(f) && !isToken(f) && !ids.has(f)) problems.add(join(join(p, 'fallbacks'), j), `names no model target (got ${quote(f)}); ${knownTargets()}`);
    });
    checkNumbers(r, ROUTE_NUMBERS, p, problems);
    const timeout = r.timeoutMs ?? ROUTER_DEFAULTS.timeoutMs;
    const deadline = r.deadlineMs ?? ROUTER_DEFAULTS.deadlineMs;
    if (isLiteralNumber(timeout) && isLiteralNumber(deadline) && deadline < timeout) {
      problems.add(join(p, 'deadlineMs'), `must be >= timeoutMs (${deadline} < ${timeout})${r.deadlineMs === undefined ? `: the default deadline is ${ROUTER_DEFAULTS.deadlineMs} ms; set deadlineMs` : ''}`);
    }
  });

  const routeNames = new Set(routes.filter(isEntry).map((r) => r.name).filter(isString));
  const knownRoutes = () => `routes: ${quoteList(routeNames)}`;
  const tenants = asList(router.tenants);
  reportDuplicates(tenants, 'id', 'router.tenants', 'tenant id', problems);
  tenants.forEach((t, i) => {
    if (!isEntry(t)) return;
    const p = join('router.tenants', i);
    if (isString(t.id) && !isToken(t.id) && !TENANT_ID.test(t.id)) problems.add(join(p, 'id'), `must be 1-63 lowercase letters, digits and hyphens, starting with a letter or digit (got ${quote(t.id)})`);
    checkNumbers(t, TENANT_NUMBERS, p, problems);
    asList(t.routes).forEach((r, j) => {
      if (isString(r) && !isToken(r) && !routeNames.has(r)) problems.add(join(join(p, 'routes'), j), `names no route (got ${quote(r)}); ${knownRoutes()}`);
    });
  });

  checkNumbers(router.circuitBreaker, BREAKER_NUMBERS, 'router.circuitBreaker', problems);
  checkNumbers(router.deployment, DEPLOYMENT_NUMBERS, 'router.deployment', problems);
  checkNumbers(router.alarms, ALARM_NUMBERS, 'router.alarms', problems);
  const timeout = isEntry(router.deployment) ? router.deployment.timeoutSeconds ?? ROUTER_DEFAULTS.timeoutSeconds : ROUTER_DEFAULTS.timeoutSeconds;
  if (isLiteralNumber(timeout)) {
    routes.forEach((r, i) => {
      if (!isEntry(r)) return;
      const deadline = r.deadlineMs ?? ROUTER_DEFAULTS.deadlineMs;
      if (isLiteralNumber(deadline) && deadline > timeout * 1000) {
        problems.add(join(join('router.routes', i), 'deadlineMs'), `must be at most router.deployment.timeoutSeconds × 1000 (${deadline} > ${timeout * 1000}): the function would be stopped before the route gives up; raise timeoutSeconds or lower deadlineMs`);
      }
    });
  }
  asList(router.traffic).forEach((t, i) => {
    if (!isEntry(t)) return;
    const p = join('router.traffic', i);
    if (isString(t.route) && !isToken(t.route) && !routeNames.has(t.route)) problems.add(join(p, 'route'), `names no route (got ${quote(t.route)}); ${knownRoutes()}`);
    checkNumbers(t, TRAFFIC_NUMBERS, p, problems);
  });
}
