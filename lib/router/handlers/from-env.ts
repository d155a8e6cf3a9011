import { readFileSync } from 'node:fs';
import { RouterConfigError, type RouterConfig, type RouterTarget } from '../config';
import { BEDROCK_TENANT_PROFILES_ENV, endpointKeyEnv, endpointUrlEnv, parseSecretRef, ROUTER_ENV, type RouterStore } from '../deploy-env';
import { parseRouterConfig } from '../engine/config-check';
import { RouterEngine, type EngineOptions } from '../engine/engine';
import { hashTenantKeys, parseTenantKeys } from '../engine/keys';
import { DEFAULT_REQUEST_LIMITS } from '../engine/limits';
import type { AdapterFactory } from '../providers/types';
import { createAdapter } from '../providers';
import { missingAdapterPackages, resolveFromHere } from '../providers/dependencies';
import { EndpointAdapter } from '../providers/endpoint';
import { readSecretRef, secretReaders, secretRefPackages, secretRefProblem, type SecretReaders } from '../secrets';
import { parseKeyHashes } from '../secrets/key-hashes';
import { RefreshingSecret, secretRefreshMs } from '../secrets/refreshing';
import { createPipeline, type HandleRequest, type Pipeline, type Preflight, type RequestHeaders, type RouterResponse, type PipelineOptions } from './pipeline';
import { secretGate } from './secret-gate';
import { storesFromEnv, type StoresFromEnvOptions } from './stores-from-env';
import { cloudGuardFromEnv } from '../guard/from-env';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The router config of a cloud function: `AI_STACK_ROUTER_CONFIG` holds the JSON written by
 * `serializeRouterConfig`, or the path of a file containing it. `AI_STACK_KEYS_JSON`, when set, adds
 * plain tenant keys (e.g. injected from a secret store); they are hashed on load. What a deployed
 * config leaves to run time is filled from the environment (`runtimeConnections`).
 */
export function routerConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): RouterConfig {
  const raw = env.AI_STACK_ROUTER_CONFIG;
  if (!raw) throw new Error('AI_STACK_ROUTER_CONFIG is not set: set it to the router config JSON (serializeRouterConfig) or the path of a file holding it');
  const isJson = raw.trimStart().startsWith('{');
  let text = raw;
  if (!isJson) {
    try {
      text = readFileSync(raw, 'utf8');
    } catch (err) {
      throw new Error(`AI_STACK_ROUTER_CONFIG names the file ${raw}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const config = runtimeConnections(parseRouterConfig(text, isJson ? 'AI_STACK_ROUTER_CONFIG' : raw), env);
  if (!env.AI_STACK_KEYS_JSON) return config;
  const hashes = hashTenantKeys(parseTenantKeys(env.AI_STACK_KEYS_JSON, 'AI_STACK_KEYS_JSON'), config.tenants.map((t) => t.id), 'AI_STACK_KEYS_JSON');
  return { ...config, tenants: config.tenants.map((t) => ({ ...t, keySha256: [...t.keySha256, ...(hashes.get(t.id) ?? [])] })) };
}

/**
 * `AI_STACK_BEDROCK_TENANT_PROFILES` (`{ "<tenant>": { "<target id>": "<profile ARN>" } }`, set by the
 * AWS ModelRouter's `tenantInferenceProfiles`) as model ids per target and tenant. Unknown tenants or
 * targets, and values that are not Bedrock ARNs, are problems: a typo would silently lose attribution.
 */
function tenantProfiles(raw: string | undefined, config: RouterConfig, problems: string[]): Record<string, Record<string, string>> {
  const byTarget: Record<string, Record<string, string>> = {};
  if (!raw?.trim()) return byTarget;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    problems.push(`${BEDROCK_TENANT_PROFILES_ENV}: not valid JSON (${(err as Error).message})`);
    return byTarget;
  }
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(value)) {
    problems.push(`${BEDROCK_TENANT_PROFILES_ENV}: expected { "<tenant>": { "<target id>": "<profile ARN>" } }`);
    return byTarget;
  }
  const tenants = new Set(config.tenants.map((t) => t.id));
  const bedrock = new Set(config.targets.filter((t) => t.provider === 'bedrock').map((t) => t.id));
  for (const [tenant, map] of Object.entries(value)) {
    if (!tenants.has(tenant)) problems.push(`${BEDROCK_TENANT_PROFILES_ENV}: '${tenant.slice(0, 63)}' is not a tenant of the router`);
    else if (!isMap(map)) problems.push(`${BEDROCK_TENANT_PROFILES_ENV}.${tenant}: expected { "<target id>": "<profile ARN>" }`);
    else {
      for (const [target, arn] of Object.entries(map)) {
        if (!bedrock.has(target)) problems.push(`${BEDROCK_TENANT_PROFILES_ENV}.${tenant}: '${target.slice(0, 63)}' is not a Bedrock target of the router`);
        else if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:bedrock:/.test(arn)) problems.push(`${BEDROCK_TENANT_PROFILES_ENV}.${tenant}.${target}: must be a Bedrock application inference profile ARN`);
        else (byTarget[target] ??= {})[tenant] = arn;
      }
    }
  }
  return byTarget;
}

const AZURE_OPENAI_EXAMPLE = 'the Azure OpenAI resource URL, https://<resource>.openai.azure.com';

/**
 * Fills in what a deployed config (`deployedRouterConfig`) leaves to run time, from `ROUTER_ENV`:
 * - a GPU endpoint target with `endpoint` and no `baseUrl`: the URL in `endpointUrlEnv(endpoint)`
 *   (required; its key, `endpointKeyEnv(endpoint)`, is a secret read by the deployed router);
 * - a Vertex target without `project`: `AI_STACK_GCP_PROJECT` (or `GOOGLE_CLOUD_PROJECT`); when
 *   neither is set the adapter asks the metadata server (Application Default Credentials);
 * - an Azure OpenAI target without `baseUrl`: `AZURE_OPENAI_ENDPOINT` (`deployedRouter` requires it).
 * Throws `RouterConfigError` naming every endpoint URL variable that is missing, and every URL
 * variable that is not a URL.
 */
export function runtimeConnections(config: RouterConfig, env: Readonly<Record<string, string | undefined>> = process.env): RouterConfig {
  const problems: string[] = [];
  const url = (name: string, what: string, example: string, required = true): string | undefined => {
    const v = env[name]?.trim();
    if (!v) {
      if (required) problems.push(`${what}: ${name} is not set; set it to ${example}`);
      return undefined;
    }
    if (!/^https?:\/\/[^/\s]/.test(v)) {
      problems.push(`${what}: ${name} must be an http(s) URL such as ${example} (got '${v.slice(0, 100)}')`);
      return undefined;
    }
    return v;
  };
  const gcpProject = env[ROUTER_ENV.gcpProject]?.trim() || env.GOOGLE_CLOUD_PROJECT?.trim() || undefined;
  const profiles = tenantProfiles(env[BEDROCK_TENANT_PROFILES_ENV], config, problems);
  const targets = config.targets.map((t): RouterTarget => {
    if (t.provider === 'bedrock' && profiles[t.id]) return { ...t, tenantModelIds: profiles[t.id] };
    if (t.provider === 'endpoint' && t.endpoint && !t.baseUrl) {
      const baseUrl = url(endpointUrlEnv(t.endpoint), `router target '${t.id}' (GPU endpoint '${t.endpoint}')`, "the endpoint's internal URL, e.g. http://10.0.1.20:8000");
      return baseUrl ? { ...t, baseUrl } : t;
    }
    if (t.provider === 'vertex' && !t.project && gcpProject) return { ...t, project: gcpProject };
    if (t.provider === 'azure-openai' && !t.baseUrl) {
      const baseUrl = url(ROUTER_ENV.azureOpenAiEndpoint, `router target '${t.id}' (azure-openai)`, AZURE_OPENAI_EXAMPLE, false);
      return baseUrl ? { ...t, baseUrl } : t;
    }
    return t;
  });
  if (problems.length > 0) throw new RouterConfigError(problems);
  return { ...config, targets };
}

/** An engine from the environment (the real provider adapters unless `options` gives others). */
export function engineFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, options: Partial<EngineOptions> = {}): RouterEngine {
  return new RouterEngine(routerConfigFromEnv(env), options);
}

/**
 * A pipeline built on the first request, so a cold start costs only the bundle load, and a broken
 * configuration answers every request with a 500 naming the problem (and logs it once) instead of
 * crash-looping the function.
 */
export function lazyPipeline(build: () => HandleRequest | Pipeline, logError: (message: string) => void = (m) => console.error(m)): Pipeline {
  let handle: HandleRequest | Pipeline | undefined;
  let failure: string | undefined;
  const ready = (): HandleRequest | Pipeline | undefined => {
    if (!handle && failure === undefined) {
      try {
        handle = build();
      } catch (err) {
        failure = `the router cannot start: ${(err as Error).message}`;
        logError(failure);
      }
    }
    return handle;
  };
  const misconfigured = (): RouterResponse => {
    const error = { message: failure, type: 'server_error', code: 'router_misconfigured', param: null };
    return { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error }) };
  };
  const run: HandleRequest = (method, path, headers, body, signal, admitted) => {
    const h = ready();
    return h ? h(method, path, headers, body, signal, admitted) : Promise.resolve(misconfigured());
  };
  const preflight = (method: string, path: string, headers: RequestHeaders): Preflight => {
    const h = ready();
    if (!h) return { response: misconfigured() };
    // A plain HandleRequest checks everything itself once the body is in.
    return 'preflight' in h ? h.preflight(method, path, headers) : { admitted: undefined };
  };
  // `limits` is read when a request arrives, so the pipeline is still built on the first request.
  return Object.defineProperties(run, {
    preflight: { value: preflight },
    limits: { get: () => { const h = ready(); return h && 'limits' in h ? h.limits : DEFAULT_REQUEST_LIMITS; } },
  }) as Pipeline;
}

/** Environment variables of the pipeline's limits, for cloud functions (each a whole number >= 1). */
export const PIPELINE_ENV = {
  maxInFlight: 'AI_STACK_ROUTER_MAX_IN_FLIGHT',
  maxInFlightPerTenant: 'AI_STACK_ROUTER_MAX_IN_FLIGHT_PER_TENANT',
  maxBodyBytes: 'AI_STACK_ROUTER_MAX_BODY_BYTES',
} as const;

/** Pipeline options from `PIPELINE_ENV`; throws naming a variable that is not a whole number >= 1. */
export function pipelineOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): PipelineOptions {
  const read = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1 (got '${raw.slice(0, 50)}')`);
    return n;
  };
  const maxInFlight = read(PIPELINE_ENV.maxInFlight);
  const maxInFlightPerTenant = read(PIPELINE_ENV.maxInFlightPerTenant);
  const maxBodyBytes = read(PIPELINE_ENV.maxBodyBytes);
  return { ...(maxInFlight ? { maxInFlight } : {}), ...(maxInFlightPerTenant ? { maxInFlightPerTenant } : {}), ...(maxBodyBytes ? { limits: { maxBodyBytes } } : {}) };
}

/**
 * The pipeline of a cloud function: config, secrets (tenant key hashes, endpoint keys), stores and
 * limits from the environment (`deployedRouter`), built on the first request.
 */
export function pipelineFromEnv(options: DeployedRouterOptions = {}): Pipeline {
  return lazyPipeline(() => deployedRouter(options).pipeline);
}

export interface DeployedRouterOptions extends Partial<EngineOptions> {
  /** @default process.env */
  readonly env?: Env;
  /**
   * Readers of secret references by scheme, replacing the defaults (tests point them at local servers).
   * @default - `secretReaders()`: each cloud's default credentials
   */
  readonly secretReaders?: Partial<SecretReaders>;
  /** Connection seams of the shared stores, and the stores this build carries. */
  readonly stores?: StoresFromEnvOptions;
  /** Start-up and secret messages (never request logs). @default console.error */
  readonly log?: (message: string) => void;
  /** Clock of the secret refreshes, milliseconds, monotonic. @default performance.now */
  readonly secretClock?: () => number;
}

/** A router deployed by a `ModelRouter` construct, built from its environment. */
export interface DeployedRouter {
  /** The pipeline, behind its secrets (`secretGate`). */
  readonly pipeline: Pipeline;
  readonly engine: RouterEngine;
  /** The secrets it reads and refreshes: the tenant key hashes, then each endpoint key. */
  readonly secrets: readonly RefreshingSecret[];
  /** The shared store in use (`memory` when the ledger and limiter were given). */
  readonly store: RouterStore;
  /** Stops the secrets' refresh timers. */
  close(): void;
}

/** A GPU endpoint key is sent as a bearer token: one line of printable characters. */
function checkEndpointKey(value: string): void {
  const key = value.trim();
  if (key === '') throw new Error('the secret is empty');
  if (!/^[\x21-\x7e]+$/.test(key)) throw new Error('the key must be printable ASCII without spaces or line breaks (it is sent as Authorization: Bearer <key>)');
}

/**
 * The router of a cloud function, from the variables of `ROUTER_ENV` (lib/router/deploy-env.ts),
 * which the `ModelRouter` constructs set:
 * - the config (`routerConfigFromEnv`, with `runtimeConnections`);
 * - the tenant key hashes from the secret in `AI_STACK_KEY_HASHES`, and each GPU endpoint's key from
 *   the secret in `endpointKeyEnv(name)`: read at start and every `AI_STACK_SECRET_REFRESH_SECONDS`
 *   (`RefreshingSecret`), so keys added, rotated or revoked take effect without a redeploy; a
 *   refused or failed re-read keeps the last good value; until every secret has been read once,
 *   requests are answered 503 `router_secret_unavailable` (`secretGate`);
 * - the shared ledger and rate limiter (`storesFromEnv`), unless `options` gives them;
 * - the pipeline's limits (`pipelineOptionsFromEnv`).
 * Throws `RouterConfigError` listing every problem (a missing variable, a malformed reference, a
 * missing package), which `lazyPipeline` turns into a 500 `router_misconfigured`.
 */
export function deployedRouter(options: DeployedRouterOptions = {}): DeployedRouter {
  const { env = process.env, secretReaders: readerOverrides, stores: storeOptions, log = (m: string) => console.error(m), secretClock, ...engineOptions } = options;
  const config = routerConfigFromEnv(env);
  const problems: string[] = [];

  const refs: { variable: string; ref: string; endpoint?: string }[] = [];
  const keyHashesRef = env[ROUTER_ENV.keyHashes]?.trim();
  if (keyHashesRef) refs.push({ variable: ROUTER_ENV.keyHashes, ref: keyHashesRef });
  for (const endpoint of new Set(config.targets.flatMap((t) => (t.endpoint ? [t.endpoint] : [])))) {
    const variable = endpointKeyEnv(endpoint);
    const ref = env[variable]?.trim();
    if (ref) refs.push({ variable, ref, endpoint });
  }
  for (const t of config.targets) {
    if (t.provider === 'azure-openai' && !t.baseUrl) problems.push(`router target '${t.id}' (azure-openai): ${ROUTER_ENV.azureOpenAiEndpoint} is not set; set it to ${AZURE_OPENAI_EXAMPLE}`);
  }
  for (const r of refs) {
    const problem = secretRefProblem(r.ref);
    if (problem) problems.push(`${r.variable}: ${problem}`);
  }
  const resolve = engineOptions.resolvePackage ?? resolveFromHere;
  if (resolve) {
    if (!engineOptions.adapterFactory) problems.push(...missingAdapterPackages(config.targets, resolve));
    for (const r of refs) {
      const scheme = parseSecretRef(r.ref)?.scheme;
      if (!scheme || readerOverrides?.[scheme]) continue;
      const missing = secretRefPackages(r.ref).filter((p) => !resolve(p));
      if (missing.length > 0) problems.push(`${r.variable}: reading ${scheme}: secrets needs the package ${missing.join(' and ')}, which is not installed; run: npm i ${missing.join(' ')}`);
    }
  }
  let refreshMs = 0;
  let pipelineOptions: PipelineOptions = {};
  for (const read of [() => (refreshMs = secretRefreshMs(env)), () => (pipelineOptions = pipelineOptionsFromEnv(env))]) {
    try {
      read();
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (problems.length > 0) throw new RouterConfigError(problems);

  const readers: Partial<SecretReaders> = { ...secretReaders(), ...readerOverrides };
  const read = (ref: string) => readSecretRef(ref, readers);
  const secret = (variable: string, ref: string, accept: (value: string) => void) => new RefreshingSecret({ variable, ref, read, refreshMs, accept, log, ...(secretClock ? { clock: secretClock } : {}) });

  const endpointKeys = new Map<string, RefreshingSecret>();
  for (const r of refs) if (r.endpoint) endpointKeys.set(r.endpoint, secret(r.variable, r.ref, checkEndpointKey));
  const adapterFactory: AdapterFactory =
    engineOptions.adapterFactory ??
    ((t) => {
      const endpoint = (t as RouterTarget).endpoint;
      const key = t.provider === 'endpoint' && endpoint ? endpointKeys.get(endpoint) : undefined;
      return key ? new EndpointAdapter(t, { apiKey: () => key.value?.trim() }) : createAdapter(t);
    });

  let store: RouterStore = 'memory';
  let { ledger, limiter, spendStop } = engineOptions;
  if (!ledger || !limiter) {
    const stores = storesFromEnv(env, { ...(engineOptions.resolvePackage !== undefined ? { resolvePackage: engineOptions.resolvePackage } : {}), log, ...storeOptions });
    store = stores.store;
    ledger ??= stores.ledger;
    limiter ??= stores.limiter;
    spendStop ??= stores.spendStop;
  }
  // The cloud guard the Guardrail construct set up (ROUTER_ENV.guardKind), for the config's guard stage.
  let guardAdapter = engineOptions.guardAdapter;
  if (!guardAdapter && config.guard) {
    try {
      guardAdapter = cloudGuardFromEnv(env, config.guard);
    } catch (err) {
      throw new RouterConfigError([(err as Error).message]);
    }
  }
  const engine = new RouterEngine(config, { ...engineOptions, adapterFactory, ledger, limiter, ...(spendStop ? { spendStop } : {}), ...(guardAdapter ? { guardAdapter } : {}) });

  const secrets: RefreshingSecret[] = [];
  if (keyHashesRef) {
    const tenantIds = config.tenants.map((t) => t.id);
    secrets.push(
      secret(ROUTER_ENV.keyHashes, keyHashesRef, (value) => {
        const fromSecret = parseKeyHashes(value, tenantIds);
        // The config's own hashes (AI_STACK_KEYS_JSON, or a config written with keys) stay.
        const merged = new Map(config.tenants.map((t) => [t.id, [...new Set([...t.keySha256, ...(fromSecret.get(t.id) ?? [])])]]));
        const owner = new Map<string, string>();
        for (const [id, hashes] of merged) {
          for (const h of hashes) {
            const other = owner.get(h);
            if (other !== undefined) throw new Error(`${ROUTER_ENV.keyHashes}: the key hashes are refused: a hash of '${id}' is also a key of '${other}' in the router config; give each tenant its own key`);
            owner.set(h, id);
          }
        }
        engine.tenants.replaceKeyHashes(merged);
        const withKeys = [...merged.values()].filter((h) => h.length > 0).length;
        log(`${ROUTER_ENV.keyHashes}: ${owner.size} key hash${owner.size === 1 ? '' : 'es'} in use, for ${withKeys} of ${tenantIds.length} tenant${tenantIds.length === 1 ? '' : 's'}`);
      }),
    );
  } else if (config.tenants.every((t) => t.keySha256.length === 0)) {
    log(`${ROUTER_ENV.keyHashes} is not set and the config holds no key: every request will be refused (401); set it to the secret reference of the tenant key hashes`);
  }
  secrets.push(...endpointKeys.values());
  // Read now, so the first request does not wait (Cloud Run builds at start; functions on the first request).
  for (const s of secrets) void s.refresh();

  return {
    pipeline: secretGate(createPipeline(engine, pipelineOptions), secrets, engine),
    engine,
    secrets,
    store,
    close: () => secrets.forEach((s) => s.close()),
  };
}
