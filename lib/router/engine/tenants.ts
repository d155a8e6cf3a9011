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
  private readonly byHash = new Map<string, Tenant>();
  readonly tenants: readonly Tenant[];

  constructor(tenants: readonly RouterTenant[]) {
    this.tenants = tenants.map((t) => ({ ...t, limitNanoUsd: Math.min(usdToNano(t.monthlyBudgetUsd), MAX_NANO_USD) }));
    for (const t of this.tenants) for (const h of t.keySha256) this.byHash.set(h, t);
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
