import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Tenant API keys. The router never keeps a key itself: configs and ledgers hold SHA-256 hashes, and
 * a request's bearer key is hashed and looked up. Keys are random secrets (≥ 16 characters), so an
 * unsalted fast hash is enough: there is no dictionary to attack.
 */

/** `{ "<tenantId>": "<key>" }`, or a list of keys per tenant while one is being rotated. */
export type TenantKeys = Readonly<Record<string, string | readonly string[]>>;

export const MIN_KEY_LENGTH = 16;

/** Node's one-shot `crypto.hash` (Node 20.12+, 21.7+): half the time of a Hash object, once per request. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, outputEncoding: 'hex') => string }).hash;

export function hashKey(key: string): string {
  // A string is hashed as UTF-8 either way.
  return oneShotHash ? oneShotHash('sha256', key, 'hex') : createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parses keys JSON (file content or `AI_STACK_KEYS_JSON`); `source` names it in errors. */
export function parseTenantKeys(text: string, source: string): TenantKeys {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${(err as Error).message}); expected { "<tenantId>": "<key>" }`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${source}: expected a JSON object { "<tenantId>": "<key>" }`);
  }
  for (const [tenant, keys] of Object.entries(value)) {
    const list = Array.isArray(keys) ? keys : [keys];
    if (list.length === 0 || !list.every((k) => typeof k === 'string')) {
      throw new Error(`${source}: the key of tenant '${tenant}' must be a string or an array of strings`);
    }
  }
  return value as TenantKeys;
}

export function readTenantKeysFile(path: string): TenantKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read keys file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseTenantKeys(text, path);
}

/**
 * Hashes of each tenant's keys, checking every tenant exists, every key is long enough and no key
 * is shared by two tenants. Throws one error listing every problem.
 */
export function hashTenantKeys(keys: TenantKeys, tenantIds: readonly string[], source: string): Map<string, string[]> {
  const problems: string[] = [];
  const known = new Set(tenantIds);
  const owner = new Map<string, string>();
  const hashes = new Map<string, string[]>();
  for (const [tenant, value] of Object.entries(keys)) {
    if (!known.has(tenant)) {
      problems.push(`'${tenant}' is not a tenant of the design (tenants: ${tenantIds.join(', ') || 'none'})`);
      continue;
    }
    for (const key of typeof value === 'string' ? [value] : value) {
      if (key.length < MIN_KEY_LENGTH) {
        problems.push(`the key of tenant '${tenant}' has ${key.length} characters; use at least ${MIN_KEY_LENGTH} random characters (e.g. \`openssl rand -hex 24\`)`);
        continue;
      }
      const hash = hashKey(key);
      const other = owner.get(hash);
      if (other !== undefined && other !== tenant) problems.push(`tenants '${other}' and '${tenant}' share a key; give each tenant its own`);
      owner.set(hash, tenant);
      hashes.set(tenant, [...(hashes.get(tenant) ?? []), hash]);
    }
  }
  if (problems.length > 0) throw new Error(`invalid tenant keys in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return hashes;
}
