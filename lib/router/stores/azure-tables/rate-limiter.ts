import type { TableClient } from '@azure/data-tables';
import type { GroupCommitOptions } from '../distributed/group-commit';
import { GroupCommitRateLimiter, type RateRecord } from '../distributed/group-commit-rate-limiter';
import type { Ring } from '../distributed/rate-window';
import { entityCommits, type EntityCodec } from './entity-io';
import { RATE_ROW_KEY, checkKey } from './schema';

export interface AzureTablesRateLimiterOptions extends GroupCommitOptions {
  readonly client: TableClient;
}

const codec: EntityCodec<RateRecord> = {
  decode: (props) => ({ ring: typeof props?.ring === 'string' ? (JSON.parse(props.ring) as Ring) : undefined }),
  encode: (state) => ({ ring: JSON.stringify(state.ring) }),
};

/**
 * Requests and tokens per minute shared by every router instance: the bucket ring of
 * `distributed/rate-window.ts` in one entity per tenant, read and replaced with If-Match, with this
 * process's admissions for a tenant group-committed (`distributed/group-commit-rate-limiter.ts`).
 */
export class AzureTablesRateLimiter extends GroupCommitRateLimiter {
  constructor(o: AzureTablesRateLimiterOptions) {
    super(
      entityCommits(o.client, (tenant) => [tenant, RATE_ROW_KEY], codec, o),
      (tenant) => checkKey('tenant', tenant),
    );
  }
}
