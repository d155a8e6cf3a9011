import type { RouterTenant } from '../config';
import { MAX_NANO_USD, usdToNano } from './cost';
import { RouterError } from './errors';
import { hashKey } from './keys';

/** A tenant with its budget in nano-dollars. */
export interface Tenant extends RouterTenant {
  readonly limitNanoUsd: number;
}

function unauthorized(message: string): RouterError {
  return new RouterError(401, 'authentication_error', 'invalid_api_key', message);
}

/** Finds the tenant of a request's `Authorization: Bearer <key>` by the key's SHA-256. */
export class TenantDirectory {
  private byHash = new Map<string, Tenant>();
  readonly tenants: readonly Tenant[];

  constructor(tenants: readonly RouterTenant[]) {
    this.tenants = tenants.map((t) => ({ ...t, limitNanoUsd: Math.min(usdToNano(t.monthlyBudgetUsd), MAX_NANO_USD) }));
    for (const t of this.tenants) for (const h of t.keySha256) this.byHash.set(h, t);
  }

  /**
   * Replaces every key hash at once, by tenant id (a deployed router's keys, re-read from its secret
   * store): each request sees the old map or the new one, never a mix. The caller has checked the
   * hashes; an id that is no tenant throws and changes nothing.
   */
  replaceKeyHashes(hashes: ReadonlyMap<string, readonly string[]>): void {
    const byId = new Map(this.tenants.map((t) => [t.id, t]));
    const next = new Map<string, Tenant>();
    for (const [id, list] of hashes) {
      const tenant = byId.get(id);
      if (!tenant) throw new Error(`unknown tenant '${id}'`);
      for (const h of list) next.set(h, tenant);
    }
    this.byHash = next;
  }

  authenticate(authorization: string | undefined): Tenant {
    if (!authorization) throw unauthorized('missing API key: send the header Authorization: Bearer <key>');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!m) throw unauthorized('malformed Authorization header: expected Bearer <key>');
    const tenant = this.byHash.get(hashKey(m[1]));
    if (!tenant) throw unauthorized('invalid API key: no tenant has this key; ask the router operator for a key');
    return tenant;
  }
}
