import { findModel, MODEL_PROVIDERS, type ModelProvider } from './catalog/models';
import { isToken, join, Problems } from './problems';
import { arrayOf, num, obj, oneOf, str } from './shape';

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
};

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

/** Semantic rules of the router (its shape was checked already). */
export function validateRouter(router: RouterDesign, endpointNames: readonly string[], problems: Problems): void {
  const models = router.models ?? [];
  const ids = new Set(models.map((m) => m.id));
  for (const d of duplicates(models.map((m) => m.id))) problems.add('router.models', `duplicate target id '${d}'`);
  models.forEach((m, i) => {
    const p = join('router.models', i);
    if (typeof m.id === 'string' && !ID.test(m.id)) problems.add(join(p, 'id'), `must be lowercase letters, digits, '.', '_' or '-' (got '${m.id}')`);
    if (typeof m.model !== 'string') return;
    if (m.provider === 'endpoint') {
      if (!endpointNames.includes(m.model)) {
        problems.add(join(p, 'model'), `names no GPU endpoint (got '${m.model}'); endpoints: ${endpointNames.join(', ') || 'none'}`);
      }
    } else {
      const spec = findModel(m.model);
      if (!spec) problems.add(join(p, 'model'), `unknown model '${m.model}' for ${m.provider}; see the model catalog (docs/design.md)`);
      else if (spec.provider !== m.provider) problems.add(join(p, 'model'), `'${m.model}' is a ${spec.provider} model, not ${m.provider}`);
      else if (spec.kind !== 'chat') problems.add(join(p, 'model'), `'${m.model}' is an embedding model; the router serves chat models`);
    }
    for (const key of ['inputPer1kUsd', 'outputPer1kUsd'] as const) {
      const v = m[key];
      if (typeof v === 'number' && v < 0) problems.add(join(p, key), `must be >= 0 (got ${v})`);
    }
    if (typeof m.contextWindowTokens === 'number' && m.contextWindowTokens < 1) problems.add(join(p, 'contextWindowTokens'), `must be >= 1 (got ${m.contextWindowTokens})`);
  });

  const checkTargets = (targets: readonly RouteTargetDesign[] | undefined, path: string) => {
    (targets ?? []).forEach((t, j) => {
      if (typeof t.model === 'string' && !ids.has(t.model)) {
        problems.add(join(join(path, j), 'model'), `names no model target (got '${t.model}'); targets: ${[...ids].join(', ') || 'none'}`);
      }
      if (typeof t.weight === 'number' && !isToken(t.weight) && !(t.weight > 0)) {
        problems.add(join(join(path, j), 'weight'), `must be a positive number (got ${t.weight})`);
      }
    });
  };

  const routes = router.routes ?? [];
  if (routes.length === 0) problems.add('router.routes', 'must list at least one route');
  for (const d of duplicates(routes.map((r) => r.name))) problems.add('router.routes', `duplicate route name '${d}'`);
  routes.forEach((r, i) => {
    const p = join('router.routes', i);
    const strategy = r.strategy ?? ROUTER_DEFAULTS.strategy;
    checkTargets(r.targets, join(p, 'targets'));
    if (strategy === 'tiered') {
      if (!r.tiers || r.tiers.length === 0) problems.add(join(p, 'tiers'), "must list at least one tier when strategy is 'tiered'");
      (r.tiers ?? []).forEach((tier, k) => {
        const tp = join(join(p, 'tiers'), k);
        checkTargets(tier.targets, join(tp, 'targets'));
        if (!tier.targets || tier.targets.length === 0) problems.add(join(tp, 'targets'), 'must list at least one target');
        const last = k === (r.tiers?.length ?? 0) - 1;
        if (!last && tier.maxPromptTokens === undefined) problems.add(join(tp, 'maxPromptTokens'), 'is required on every tier but the last');
      });
    } else {
      if (!r.targets || r.targets.length === 0) problems.add(join(p, 'targets'), 'must list at least one target');
      if (r.tiers) problems.add(join(p, 'tiers'), `only apply to strategy 'tiered' (strategy is '${strategy}')`);
    }
    (r.fallbacks ?? []).forEach((f, j) => {
      if (!ids.has(f)) problems.add(join(join(p, 'fallbacks'), j), `names no model target (got '${f}')`);
    });
    const timeout = r.timeoutMs ?? ROUTER_DEFAULTS.timeoutMs;
    const deadline = r.deadlineMs ?? ROUTER_DEFAULTS.deadlineMs;
    if (timeout < 100 || timeout > 900000) problems.add(join(p, 'timeoutMs'), `must be between 100 and 900000 ms (got ${timeout})`);
    if (deadline < timeout) problems.add(join(p, 'deadlineMs'), `must be >= timeoutMs (${deadline} < ${timeout})`);
    if (r.retries !== undefined && (!Number.isInteger(r.retries) || r.retries < 0 || r.retries > 10)) {
      problems.add(join(p, 'retries'), `must be a whole number from 0 to 10 (got ${r.retries})`);
    }
  });

  const routeNames = new Set(routes.map((r) => r.name));
  const tenants = router.tenants ?? [];
  for (const d of duplicates(tenants.map((t) => t.id))) problems.add('router.tenants', `duplicate tenant id '${d}'`);
  tenants.forEach((t, i) => {
    const p = join('router.tenants', i);
    if (typeof t.id === 'string' && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(t.id)) problems.add(join(p, 'id'), `must be lowercase letters, digits and hyphens (got '${t.id}')`);
    if (typeof t.monthlyBudgetUsd === 'number' && !(t.monthlyBudgetUsd > 0)) problems.add(join(p, 'monthlyBudgetUsd'), `must be > 0 (got ${t.monthlyBudgetUsd})`);
    for (const key of ['requestsPerMinute', 'tokensPerMinute'] as const) {
      const v = t[key];
      if (typeof v === 'number' && !(Number.isInteger(v) && v > 0)) problems.add(join(p, key), `must be a whole number > 0 (got ${v})`);
    }
    (t.routes ?? []).forEach((r, j) => {
      if (!routeNames.has(r)) problems.add(join(join(p, 'routes'), j), `names no route (got '${r}')`);
    });
  });

  const cb = router.circuitBreaker;
  if (cb) {
    for (const key of ['failureThreshold', 'windowSeconds', 'cooldownSeconds'] as const) {
      const v = cb[key];
      if (typeof v === 'number' && !(v > 0)) problems.add(join('router.circuitBreaker', key), `must be > 0 (got ${v})`);
    }
  }
  (router.traffic ?? []).forEach((t, i) => {
    const p = join('router.traffic', i);
    if (!routeNames.has(t.route)) problems.add(join(p, 'route'), `names no route (got '${t.route}')`);
    for (const key of ['requestsPerDay', 'avgInputTokens', 'avgOutputTokens'] as const) {
      if (typeof t[key] === 'number' && t[key] < 0) problems.add(join(p, key), `must be >= 0 (got ${t[key]})`);
    }
  });
}
