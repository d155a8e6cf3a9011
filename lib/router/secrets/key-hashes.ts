import { ROUTER_ENV } from '../deploy-env';

const HASH = /^[0-9a-f]{64}$/;

/**
 * Parses the value of the `AI_STACK_KEY_HASHES` secret: `{ "<tenantId>": ["<sha256 hex>", ...] }`,
 * each hash the SHA-256 of a key (`printf %s "$KEY" | sha256sum`). Two hashes for a tenant during a
 * rotation; a tenant left out, or with `[]`, has no key. Throws one error listing every wrong entry
 * (a tenant the config does not have, a value that is not a list, a malformed hash, a hash of two
 * tenants); hashes are returned lower-case.
 */
export function parseKeyHashes(text: string, tenantIds: readonly string[], source: string = ROUTER_ENV.keyHashes): Map<string, string[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: the secret is not valid JSON (${(err as Error).message}); expected { "<tenantId>": ["<sha256 hex>", ...] }`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${source}: the secret must be a JSON object { "<tenantId>": ["<sha256 hex>", ...] }`);
  const known = new Set(tenantIds);
  const problems: string[] = [];
  const owner = new Map<string, string>();
  const out = new Map<string, string[]>();
  for (const [tenant, list] of Object.entries(value as Record<string, unknown>)) {
    if (!known.has(tenant)) {
      problems.push(`'${tenant}' is not a tenant of the router (tenants: ${tenantIds.join(', ') || 'none'})`);
      continue;
    }
    if (!Array.isArray(list)) {
      problems.push(`'${tenant}': expected a list of SHA-256 hashes, got ${list === null ? 'null' : typeof list}`);
      continue;
    }
    const hashes: string[] = [];
    list.forEach((h, i) => {
      const hash = typeof h === 'string' ? h.trim().toLowerCase() : undefined;
      if (hash === undefined || !HASH.test(hash)) {
        // Never more than 8 characters of a value: it may be a key pasted instead of its hash.
        const shown = typeof h === 'string' ? `'${h.length > 8 ? `${h.slice(0, 8)}…(${h.length} characters)` : h}'` : JSON.stringify(h) ?? String(h);
        problems.push(`'${tenant}'[${i}]: ${shown} is not a SHA-256 hash (64 hex characters, the first field of \`printf %s "$KEY" | sha256sum\`); store hashes, never keys`);
        return;
      }
      const other = owner.get(hash);
      if (other !== undefined && other !== tenant) problems.push(`'${tenant}'[${i}]: the same hash is also a key of '${other}'; give each tenant its own key`);
      owner.set(hash, tenant);
      if (!hashes.includes(hash)) hashes.push(hash);
    });
    out.set(tenant, hashes);
  }
  if (problems.length > 0) throw new Error(`${source}: the key hashes are refused (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.join('; ')}`);
  return out;
}
