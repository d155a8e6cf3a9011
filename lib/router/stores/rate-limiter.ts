/**
 * Per-tenant requests-per-minute and tokens-per-minute limits. Async like the ledger, so a shared
 * store (e.g. a DynamoDB counter per minute) can implement it for multi-instance deployments.
 */
export interface RateLimiter {
  /** Counts one request of `tokens` against the tenant's limits, or refuses it without counting. */
  admit(request: AdmitRequest): Promise<AdmitResult>;
}

export interface AdmitRequest {
  readonly tenant: string;
  /** Estimated prompt tokens + max output tokens. */
  readonly tokens: number;
  readonly requestsPerMinute: number;
  readonly tokensPerMinute: number;
  /** Epoch milliseconds of the request. */
  readonly nowMs: number;
}

export type AdmitResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly limit: 'requests' | 'tokens'; readonly limitValue: number; readonly used: number; readonly retryAfterMs: number };

export const WINDOW_MS = 60_000;
