import type { AdmitRequest, AdmitResult, RateLimiter } from '../rate-limiter';
import type { Commits } from './group-commit';
import { admitInto, bucketOf, decide, emptyRing, isCurrent, latestBucket, rolled, type Ring } from './rate-window';

/** A tenant's rate record as the group commit sees it: no ring until the first admission writes one. */
export interface RateRecord {
  ring: Ring | undefined;
}

/**
 * A `RateLimiter` on one record per tenant holding the bucket ring of `rate-window.ts`, changed
 * through a store's group commit keyed by tenant (Azure Tables, Firestore). Refusals write nothing.
 */
export class GroupCommitRateLimiter implements RateLimiter {
  constructor(
    private readonly commits: Commits<RateRecord>,
    /** Refuses a tenant the store cannot hold, before anything is queued. */
    private readonly checkTenant: (tenant: string) => void,
  ) {}

  async admit(r: AdmitRequest): Promise<AdmitResult> {
    this.checkTenant(r.tenant);
    return this.commits.run<AdmitResult>(r.tenant, (state) => {
      const j = state.ring ? Math.max(bucketOf(r.nowMs), latestBucket(state.ring)) : bucketOf(r.nowMs);
      const ring = state.ring && isCurrent(state.ring, j) ? state.ring : rolled(state.ring ?? emptyRing(j), j);
      const result = decide(ring, j, r);
      if (!result.ok) return { result, changed: false };
      admitInto(ring, j, r.tokens);
      state.ring = ring;
      return { result, changed: true };
    });
  }
}
