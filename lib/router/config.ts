import { findModel, type ModelSpec } from '../design/catalog/models';
import type { AiStackDesign } from '../design/design';
import { ROUTER_DEFAULTS, type RouteDesign, type RouteTargetDesign } from '../design/router';
import { MAX_NANO_USD, usdToNano } from './engine/cost';
import { hashTenantKeys, parseTenantKeys, type TenantKeys } from './engine/keys';
import { endpointUrlEnv } from './deploy-env';
import { guardConfigFromDesign, type RouterGuardConfig } from './guard/config';
import type { TargetConfig } from './providers/types';

/**
 * The router's runtime configuration: the design's router section with every default applied, every
 * target resolved to its provider model id, prices and window, and tenant keys as SHA-256 hashes.
 * It is plain JSON: the cloud constructs serialize it into `AI_STACK_ROUTER_CONFIG` and the handlers
 * read it back with `parseRouterConfig`.
 */
export interface RouterConfig {
  /** Format version of this JSON; bumped on incompatible changes. */
  readonly version: 1;
  /** Design name (for logs). */
  readonly name: string;
  readonly targets: readonly RouterTarget[];
  readonly routes: readonly RouterRoute[];
  readonly tenants: readonly RouterTenant[];
  readonly breaker: BreakerConfig;
  /**
   * The design's `guardrails` as the guard stage runs them (lib/router/guard).
   * @default - no guard stage: the design has no guardrails
   */
  readonly guard?: RouterGuardConfig;
}

export type { RouterGuardConfig } from './guard/config';

export interface RouterTarget extends TargetConfig {
  /** Most output tokens the model produces; caps `max_tokens` sent to this target. */
  readonly maxOutputTokens: number;
  /**
   * For a GPU endpoint target whose URL and key are given at run time (a deployed router): the
   * endpoint's name, which names its variables `endpointUrlEnv(name)` and `endpointKeyEnv(name)`.
   */
  readonly endpoint?: string;
}

export interface WeightedTarget {
  /** Target id. */
  readonly target: string;
  readonly weight: number;
}

export interface RouterTier {
  readonly name: string;
  /** Largest estimated prompt the tier takes; absent = no limit. */
  readonly maxPromptTokens?: number;
  readonly targets: readonly WeightedTarget[];
}

export interface RouterRoute {
  readonly name: string;
  readonly strategy: 'ordered' | 'weighted' | 'tiered';
  readonly targets: readonly WeightedTarget[];
  readonly tiers: readonly RouterTier[];
  readonly fallbacks: readonly string[];
  readonly timeoutMs: number;
  readonly deadlineMs: number;
  readonly retries: number;
  readonly onContentFilter: 'fail' | 'fallback';
}

export interface RouterTenant {
  readonly id: string;
  readonly monthlyBudgetUsd: number;
  readonly requestsPerMinute: number;
  readonly tokensPerMinute: number;
  /** Routes the tenant may call; absent = every route. */
  readonly routes?: readonly string[];
  /** SHA-256 (hex) of each API key of the tenant. */
  readonly keySha256: readonly string[];
}

export interface BreakerConfig {
  readonly failureThreshold: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
}

/** Connection settings of a target that are not in the design (where it runs, credentials). */
export interface TargetOverrides {
  readonly baseUrl?: string;
  readonly region?: string;
  readonly project?: string;
  readonly apiVersion?: string;
  readonly apiKey?: string;
  /** Provider model id, e.g. an Azure OpenAI deployment name that differs from the model name. */
  readonly providerModelId?: string;
}

export interface RouterConfigOptions {
  /**
   * Plain API keys per tenant; only their hashes enter the config.
   * @default - keys from `AI_STACK_KEYS_JSON` in `env`, else none
   */
  readonly keys?: TenantKeys;
  /**
   * Key hashes per tenant, for deployments that keep only hashes (e.g. from a secret store).
   * @default - none
   */
  readonly keyHashes?: Readonly<Record<string, readonly string[]>>;
  /**
   * Base URL of each GPU endpoint by endpoint name, e.g. the internal load balancer's URL.
   * @default - `AI_STACK_ENDPOINT_URL_<NAME>` from `env` (name upper-cased, non-alphanumerics as `_`)
   */
  readonly endpointUrls?: Readonly<Record<string, string>>;
  /**
   * Per-target connection overrides by target id (tests point targets at local servers this way).
   * @default - none
   */
  readonly targets?: Readonly<Record<string, TargetOverrides>>;
  /**
   * GCP project of Vertex AI targets.
   * @default - `AI_STACK_GCP_PROJECT` or `GOOGLE_CLOUD_PROJECT` from `env`
   */
  readonly gcpProject?: string;
  /**
   * Azure OpenAI resource URL (`https://<resource>.openai.azure.com`) of azure-openai targets.
   * @default - `AZURE_OPENAI_ENDPOINT` from `env`
   */
  readonly azureOpenAiEndpoint?: string;
  /**
   * Leave out what a deployed router learns at run time: GPU endpoint URLs (the target records the
   * endpoint's name instead), the Vertex project and the Azure OpenAI URL. Used by the constructs,
   * whose config is fixed at synth while those values are only known at deploy.
   * @default false
   */
  readonly connectionsAtRuntime?: boolean;
  /**
   * Environment the defaults above are read from.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Thrown when a design cannot be turned into a runtime config; lists every problem. */
export class RouterConfigError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(`cannot configure the router (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RouterConfigError';
  }
}

/** Name of the env variable holding a GPU endpoint's URL. */
export const endpointUrlEnvName = endpointUrlEnv;

const PROVIDER_CLOUD = { bedrock: 'aws', vertex: 'gcp', 'azure-openai': 'azure' } as const;

/** Only fields that are set, so the JSON form has no `undefined` holes. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function weighted(targets: readonly RouteTargetDesign[] | undefined): WeightedTarget[] {
  return (targets ?? []).map((t) => ({ target: t.model, weight: t.weight ?? ROUTER_DEFAULTS.weight }));
}

function route(r: RouteDesign): RouterRoute {
  return {
    name: r.name,
    strategy: r.strategy ?? ROUTER_DEFAULTS.strategy,
    targets: weighted(r.targets),
    tiers: (r.tiers ?? []).map((t) => defined({ name: t.name, maxPromptTokens: t.maxPromptTokens, targets: weighted(t.targets) })),
    fallbacks: [...(r.fallbacks ?? [])],
    timeoutMs: r.timeoutMs ?? ROUTER_DEFAULTS.timeoutMs,
    deadlineMs: r.deadlineMs ?? ROUTER_DEFAULTS.deadlineMs,
    retries: r.retries ?? ROUTER_DEFAULTS.retries,
    onContentFilter: r.onContentFilter ?? ROUTER_DEFAULTS.onContentFilter,
  };
}

/**
 * Builds the router's runtime config from a validated design (run `validateDesign` or `loadDesign`
 * first). Throws `RouterConfigError` listing every target that cannot be reached or key that is wrong.
 */
export function routerConfigFromDesign(design: AiStackDesign, options: RouterConfigOptions = {}): RouterConfig {
  const router = design.router;
  if (!router) throw new RouterConfigError(["the design has no 'router' section; add router.models and router.routes"]);
  const runtime = options.connectionsAtRuntime ?? false;
  const env = runtime ? {} : (options.env ?? process.env);
  const problems: string[] = [];
  const endpoints = new Map((design.endpoints ?? []).map((e) => [e.name, e]));

  const targets = router.models.map((m, i): RouterTarget => {
    const over = options.targets?.[m.id] ?? {};
    const path = `router.models[${i}] (target '${m.id}')`;
    if (m.provider === 'endpoint') {
      const endpoint = endpoints.get(m.model);
      const baseUrl = over.baseUrl ?? options.endpointUrls?.[m.model] ?? env[endpointUrlEnvName(m.model)];
      if (!baseUrl && !runtime) problems.push(`${path}: no URL for GPU endpoint '${m.model}'; pass endpointUrls['${m.model}'], set ${endpointUrlEnvName(m.model)}, or (ai-stack serve) --upstream-base-url ${m.id}=http://host:port`);
      const window = m.contextWindowTokens ?? ROUTER_DEFAULTS.endpointContextWindowTokens;
      return defined({
        id: m.id,
        provider: m.provider,
        providerModelId: over.providerModelId ?? endpoint?.server.model ?? m.model,
        baseUrl,
        endpoint: runtime && !baseUrl ? m.model : undefined,
        apiKey: over.apiKey,
        inputPer1kUsd: m.inputPer1kUsd ?? 0,
        outputPer1kUsd: m.outputPer1kUsd ?? 0,
        contextWindowTokens: window,
        maxOutputTokens: window,
      });
    }
    const spec = findModel(m.model) as ModelSpec | undefined;
    if (!spec) {
      problems.push(`${path}: unknown catalog model '${m.model}'; validate the design first`);
      return { id: m.id, provider: m.provider, providerModelId: m.model, inputPer1kUsd: 0, outputPer1kUsd: 0, contextWindowTokens: 1, maxOutputTokens: 1 };
    }
    const price = design.prices?.models?.[m.model];
    const cloud = PROVIDER_CLOUD[m.provider];
    return defined({
      id: m.id,
      provider: m.provider,
      providerModelId: over.providerModelId ?? spec.providerModelId,
      region: over.region ?? m.region ?? design.region[cloud],
      baseUrl: over.baseUrl ?? (m.provider === 'azure-openai' ? (options.azureOpenAiEndpoint ?? env.AZURE_OPENAI_ENDPOINT) : undefined),
      project: m.provider === 'vertex' ? (over.project ?? options.gcpProject ?? env.AI_STACK_GCP_PROJECT ?? env.GOOGLE_CLOUD_PROJECT) : undefined,
      apiVersion: over.apiVersion,
      apiKey: over.apiKey,
      inputPer1kUsd: m.inputPer1kUsd ?? price?.inputPer1kUsd ?? spec.inputPer1kUsd,
      outputPer1kUsd: m.outputPer1kUsd ?? price?.outputPer1kUsd ?? spec.outputPer1kUsd,
      contextWindowTokens: m.contextWindowTokens ?? spec.contextWindowTokens,
      maxOutputTokens: spec.maxOutputTokens,
    });
  });
  for (const id of Object.keys(options.targets ?? {})) {
    if (!router.models.some((m) => m.id === id)) problems.push(`override for target '${id}': no such target (targets: ${router.models.map((m) => m.id).join(', ')})`);
  }

  const tenantIds = (router.tenants ?? []).map((t) => t.id);
  let hashes = new Map<string, string[]>();
  try {
    const keys = options.keys ?? (env.AI_STACK_KEYS_JSON ? parseTenantKeys(env.AI_STACK_KEYS_JSON, 'AI_STACK_KEYS_JSON') : {});
    hashes = hashTenantKeys(keys, tenantIds, options.keys ? 'the keys option' : 'AI_STACK_KEYS_JSON');
  } catch (err) {
    problems.push((err as Error).message);
  }
  for (const [tenant, list] of Object.entries(options.keyHashes ?? {})) {
    if (!tenantIds.includes(tenant)) problems.push(`keyHashes: '${tenant}' is not a tenant of the design`);
    for (const h of list) if (!/^[0-9a-f]{64}$/.test(h)) problems.push(`keyHashes['${tenant}']: '${h}' is not a hex SHA-256 hash`);
  }
  (router.tenants ?? []).forEach((t, i) => {
    // Budgets are counted in integer nano-dollars (engine/cost.ts), exact up to about $9M a month.
    if (usdToNano(t.monthlyBudgetUsd) > MAX_NANO_USD) problems.push(`router.tenants[${i}].monthlyBudgetUsd: at most ${Math.floor(MAX_NANO_USD / 1e9)} USD per tenant (got ${t.monthlyBudgetUsd})`);
  });
  if (problems.length > 0) throw new RouterConfigError(problems);

  return {
    version: 1,
    name: design.name,
    targets,
    routes: router.routes.map(route),
    tenants: (router.tenants ?? []).map((t) =>
      defined({
        id: t.id,
        monthlyBudgetUsd: t.monthlyBudgetUsd,
        requestsPerMinute: t.requestsPerMinute ?? ROUTER_DEFAULTS.requestsPerMinute,
        tokensPerMinute: t.tokensPerMinute ?? ROUTER_DEFAULTS.tokensPerMinute,
        routes: t.routes ? [...t.routes] : undefined,
        keySha256: [...(hashes.get(t.id) ?? []), ...(options.keyHashes?.[t.id] ?? [])],
      }),
    ),
    breaker: {
      failureThreshold: router.circuitBreaker?.failureThreshold ?? ROUTER_DEFAULTS.failureThreshold,
      windowMs: (router.circuitBreaker?.windowSeconds ?? ROUTER_DEFAULTS.windowSeconds) * 1000,
      cooldownMs: (router.circuitBreaker?.cooldownSeconds ?? ROUTER_DEFAULTS.cooldownSeconds) * 1000,
    },
    // Last, and only when the design has guardrails, so configs without them keep their bytes.
    ...(design.guardrails ? { guard: guardConfigFromDesign(design.guardrails, targets.map((t) => t.id)) } : {}),
  };
}

/** The JSON text of a config, for `AI_STACK_ROUTER_CONFIG` or a file. */
export function serializeRouterConfig(config: RouterConfig): string {
  return JSON.stringify(config);
}
