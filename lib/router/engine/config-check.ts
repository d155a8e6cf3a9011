import type { RouterConfig, WeightedTarget } from '../config';
import { RouterConfigError } from '../config';
import { checkGuardConfig } from '../guard/config-check';
import { MAX_NANO_USD, usdToNano } from './cost';

/**
 * Reads a serialized `RouterConfig` (what `serializeRouterConfig` wrote, possibly edited by hand or
 * produced by another tool) and checks what the engine relies on: types, ranges and references.
 * Throws `RouterConfigError` listing every problem with its JSON path.
 */
export function parseRouterConfig(text: string, source: string): RouterConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RouterConfigError([`${source}: not valid JSON (${(err as Error).message})`]);
  }
  const problems = checkRouterConfig(value);
  if (problems.length > 0) throw new RouterConfigError(problems.map((p) => `${source}: ${p}`));
  return value as RouterConfig;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isFinite(v) && v >= min;
const isInt = (v: unknown, min: number): v is number => isNum(v, min) && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Every problem of a config value, each prefixed with its JSON path. */
export function checkRouterConfig(value: unknown): string[] {
  const p: string[] = [];
  if (!isObj(value)) return ['the config must be a JSON object (see serializeRouterConfig)'];
  if (value.version !== 1) p.push(`version: must be 1 (got ${JSON.stringify(value.version)}); regenerate the config with this router version`);
  const arr = (key: string): Json[] => {
    const v = value[key];
    if (!Array.isArray(v)) {
      p.push(`${key}: must be an array`);
      return [];
    }
    return v.map((x, i) => {
      if (!isObj(x)) p.push(`${key}[${i}]: must be an object`);
      return isObj(x) ? x : {};
    });
  };
  const targets = arr('targets');
  const ids = new Set<string>();
  targets.forEach((t, i) => {
    const at = `targets[${i}]`;
    if (!isStr(t.id)) p.push(`${at}.id: must be a non-empty string`);
    else if (ids.has(t.id)) p.push(`${at}.id: duplicate target id '${t.id}'`);
    else ids.add(t.id);
    if (!['bedrock', 'vertex', 'azure-openai', 'endpoint'].includes(t.provider as string)) p.push(`${at}.provider: must be bedrock, vertex, azure-openai or endpoint (got ${JSON.stringify(t.provider)})`);
    if (!isStr(t.providerModelId)) p.push(`${at}.providerModelId: must be a non-empty string`);
    for (const k of ['inputPer1kUsd', 'outputPer1kUsd']) if (!isNum(t[k], 0)) p.push(`${at}.${k}: must be a number >= 0`);
    for (const k of ['contextWindowTokens', 'maxOutputTokens']) if (!isInt(t[k], 1)) p.push(`${at}.${k}: must be a whole number >= 1`);
  });
  const checkRefs = (list: unknown, at: string) => {
    if (!Array.isArray(list)) return p.push(`${at}: must be an array`);
    (list as WeightedTarget[]).forEach((w, j) => {
      if (!isObj(w) || !ids.has(w.target)) p.push(`${at}[${j}].target: names no target (got ${JSON.stringify(isObj(w) ? w.target : w)})`);
      else if (!isNum(w.weight, 0) || w.weight === 0) p.push(`${at}[${j}].weight: must be a number > 0`);
    });
    return 0;
  };
  const routes = arr('routes');
  const routeNames = new Set<string>();
  routes.forEach((r, i) => {
    const at = `routes[${i}]`;
    if (!isStr(r.name)) p.push(`${at}.name: must be a non-empty string`);
    else routeNames.add(r.name);
    if (!['ordered', 'weighted', 'tiered'].includes(r.strategy as string)) p.push(`${at}.strategy: must be ordered, weighted or tiered`);
    checkRefs(r.targets, `${at}.targets`);
    if (!Array.isArray(r.tiers)) p.push(`${at}.tiers: must be an array`);
    else r.tiers.forEach((tier: unknown, k: number) => {
      if (!isObj(tier) || !isStr(tier.name)) return p.push(`${at}.tiers[${k}].name: must be a non-empty string`);
      if (tier.maxPromptTokens !== undefined && !isInt(tier.maxPromptTokens, 1)) p.push(`${at}.tiers[${k}].maxPromptTokens: must be a whole number >= 1`);
      return checkRefs(tier.targets, `${at}.tiers[${k}].targets`);
    });
    if (r.strategy === 'tiered' ? !(Array.isArray(r.tiers) && r.tiers.length > 0) : !(Array.isArray(r.targets) && r.targets.length > 0)) {
      p.push(`${at}: has no targets${r.strategy === 'tiered' ? ' (tiered routes need tiers)' : ''}`);
    }
    if (!Array.isArray(r.fallbacks) || !r.fallbacks.every((f) => ids.has(f))) p.push(`${at}.fallbacks: must be an array of target ids`);
    for (const k of ['timeoutMs', 'deadlineMs']) if (!isInt(r[k], 1)) p.push(`${at}.${k}: must be a whole number >= 1`);
    if (!isInt(r.retries, 0)) p.push(`${at}.retries: must be a whole number >= 0`);
    if (r.onContentFilter !== 'fail' && r.onContentFilter !== 'fallback') p.push(`${at}.onContentFilter: must be fail or fallback`);
  });
  arr('tenants').forEach((t, i) => {
    const at = `tenants[${i}]`;
    if (!isStr(t.id)) p.push(`${at}.id: must be a non-empty string`);
    if (!isNum(t.monthlyBudgetUsd, 0) || usdToNano(t.monthlyBudgetUsd) > MAX_NANO_USD) p.push(`${at}.monthlyBudgetUsd: must be a number from 0 to ${Math.floor(MAX_NANO_USD / 1e9)}`);
    for (const k of ['requestsPerMinute', 'tokensPerMinute']) if (!isInt(t[k], 1)) p.push(`${at}.${k}: must be a whole number >= 1`);
    if (t.routes !== undefined && !(Array.isArray(t.routes) && t.routes.every((r) => routeNames.has(r)))) p.push(`${at}.routes: must be an array of route names`);
    if (!Array.isArray(t.keySha256) || !t.keySha256.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) p.push(`${at}.keySha256: must be an array of hex SHA-256 hashes`);
  });
  const b = value.breaker;
  if (!isObj(b)) p.push('breaker: must be an object { failureThreshold, windowMs, cooldownMs }');
  else for (const k of ['failureThreshold', 'windowMs', 'cooldownMs']) if (!isInt(b[k], 1)) p.push(`breaker.${k}: must be a whole number >= 1`);
  if (value.guard !== undefined) p.push(...checkGuardConfig(value.guard, [...routeNames], 'guard', [...ids]));
  return p;
}
