/**
 * Requests being served, per router instance and per tenant, so that one tenant (or a flood) cannot
 * take every slot: a request over the instance's cap is answered 503, over its tenant's cap 429,
 * before its body is read. Counts are plain numbers in a Map: nothing is allocated per request.
 */
export class InFlight {
  private total = 0;
  private readonly byTenant = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerTenant: number,
  ) {}

  /** Takes a slot for `tenant`; says which cap refused it otherwise. */
  enter(tenant: string): 'ok' | 'instance' | 'tenant' {
    if (this.total >= this.maxTotal) return 'instance';
    const n = this.byTenant.get(tenant) ?? 0;
    if (n >= this.maxPerTenant) return 'tenant';
    this.total++;
    this.byTenant.set(tenant, n + 1);
    return 'ok';
  }

  leave(tenant: string): void {
    this.total--;
    const n = (this.byTenant.get(tenant) ?? 1) - 1;
    if (n <= 0) this.byTenant.delete(tenant);
    else this.byTenant.set(tenant, n);
  }

  /** Requests in flight, in total or of one tenant. */
  count(tenant?: string): number {
    return tenant === undefined ? this.total : (this.byTenant.get(tenant) ?? 0);
  }
}
