import { readFileSync } from 'node:fs';
import type { RouterConfig } from '../config';
import { parseRouterConfig } from '../engine/config-check';
import { RouterEngine, type EngineOptions } from '../engine/engine';
import { hashTenantKeys, parseTenantKeys } from '../engine/keys';
import { createPipeline, type HandleRequest } from './pipeline';

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
export function lazyPipeline(build: () => HandleRequest, logError: (message: string) => void = (m) => console.error(m)): HandleRequest {
  let handle: HandleRequest | undefined;
  let failure: string | undefined;
  return (method, path, headers, body, signal) => {
    if (!handle && failure === undefined) {
      try {
        handle = build();
      } catch (err) {
        failure = `the router cannot start: ${(err as Error).message}`;
        logError(failure);
      }
    }
    if (handle) return handle(method, path, headers, body, signal);
    const error = { message: failure, type: 'server_error', code: 'router_misconfigured', param: null };
    return Promise.resolve({ status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error }) });
  };
}

/** The pipeline of a cloud function: config and keys from the environment. */
export function pipelineFromEnv(options: Partial<EngineOptions> = {}): HandleRequest {
  return lazyPipeline(() => createPipeline(engineFromEnv(process.env, options)));
}
