import type { TableClient } from '@azure/data-tables';
import type { AdmitRequest, AdmitResult, RateLimiter } from '../rate-limiter';
import { admitInto, bucketOf, decide, emptyRing, isCurrent, latestBucket, rolled, type Ring } from '../distributed/rate-window';
import { readEntity, writeEntity } from './entity-io';
import { GroupCommit, type GroupCommitOptions } from './group-commit';
import { RATE_ROW_KEY, checkKey } from './schema';

export interface AzureTablesRateLimiterOptions extends GroupCommitOptions {
  readonly client: TableClient;
}

/**
 * Requests and tokens per minute shared by every router instance: the bucket ring of
 * `distributed/rate-window.ts` in one entity per tenant, read and replaced with If-Match, with this
 * process's admissions for a tenant group-committed.
 */
export class AzureTablesRateLimiter implements RateLimiter {
  private readonly commits: GroupCommit<{ ring: Ring | undefined }>;

  constructor(o: AzureTablesRateLimiterOptions) {
    const client = o.client;
    this.commits = new GroupCommit(
      {
        async read(tenant) {
          const { props, etag } = await readEntity(client, tenant, RATE_ROW_KEY);
          return { state: { ring: typeof props?.ring === 'string' ? (JSON.parse(props.ring) as Ring) : undefined }, etag };
        },
        write: (tenant, state, etag) => writeEntity(client, tenant, RATE_ROW_KEY, { ring: JSON.stringify(state.ring) }, etag),
      },
      o,
    );
  }

  async admit(r: AdmitRequest): Promise<AdmitResult> {
    checkKey('tenant', r.tenant);
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
