import { readFileSync } from 'node:fs';
import type { RouterConfig } from '../config';
import { parseRouterConfig } from '../engine/config-check';
import { RouterEngine, type EngineOptions } from '../engine/engine';
import { hashTenantKeys, parseTenantKeys } from '../engine/keys';
import { DEFAULT_REQUEST_LIMITS } from '../engine/limits';
import { createPipeline, type HandleRequest, type Pipeline, type Preflight, type RequestHeaders, type RouterResponse, type PipelineOptions } from './pipeline';

/**
 * The router config of a cloud function: `AI_STACK_ROUTER_CONFIG` holds the JSON written by
 * `serializeRouterConfig`, or the path of a file containing it. `AI_STACK_KEYS_JSON`, when set, adds
 * plain tenant keys (e.g. injected from a secret store); they are hashed on load.
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
  const config = parseRouterConfig(text, isJson ? 'AI_STACK_ROUTER_CONFIG' : raw);
  if (!env.AI_STACK_KEYS_JSON) return config;
  const hashes = hashTenantKeys(parseTenantKeys(env.AI_STACK_KEYS_JSON, 'AI_STACK_KEYS_JSON'), config.tenants.map((t) => t.id), 'AI_STACK_KEYS_JSON');
  return { ...config, tenants: config.tenants.map((t) => ({ ...t, keySha256: [...t.keySha256, ...(hashes.get(t.id) ?? [])] })) };
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

/** The pipeline of a cloud function: config, keys and limits from the environment. */
export function pipelineFromEnv(options: Partial<EngineOptions> = {}): Pipeline {
  return lazyPipeline(() => createPipeline(engineFromEnv(process.env, options), pipelineOptionsFromEnv(process.env)));
}
