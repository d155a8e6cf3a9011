import type { Ledger, ReserveResult } from '../stores/ledger';
import type { RateLimiter } from '../stores/rate-limiter';
import { formatUsd } from './cost';
import { RouterError } from './errors';
import type { Tenant } from './tenants';

/** Counts the request against the tenant's per-minute limits; throws 429 naming the limit. */
export async function admitRate(limiter: RateLimiter, tenant: Tenant, tokens: number, nowMs: number): Promise<void> {
  const r = await limiter.admit({ tenant: tenant.id, tokens, requestsPerMinute: tenant.requestsPerMinute, tokensPerMinute: tenant.tokensPerMinute, nowMs });
  if (r.ok) return;
  const retryS = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  const message =
    r.limit === 'requests'
      ? `tenant '${tenant.id}' reached its limit of ${r.limitValue} requests per minute (${r.used} in the last 60 s); retry in ${retryS} s`
      : tokens > r.limitValue
        ? `this request needs ~${tokens} tokens (prompt estimate + max_tokens), more than tenant '${tenant.id}' may use per minute (${r.limitValue}); lower max_tokens or shorten the prompt`
        : `tenant '${tenant.id}' reached its limit of ${r.limitValue} tokens per minute (${r.used} used in the last 60 s, this request needs ~${tokens}); retry in ${retryS} s or lower max_tokens`;
  throw new RouterError(429, 'rate_limit_error', 'rate_limit_exceeded', message, null, { 'retry-after': String(retryS) });
}

/** What the reservation covers, for the refusal message. */
export interface ReservationBasis {
  readonly month: string;
  readonly amountNanoUsd: number;
  readonly promptTokens: number;
  readonly maxOutputTokens: number;
  /** The target whose price set the amount. */
  readonly target: string;
}

export type GrantedReservation = Extract<ReserveResult, { ok: true }>;

/** Reserves the request's most possible cost against the tenant's monthly budget; throws 402. */
export async function reserveBudget(ledger: Ledger, tenant: Tenant, basis: ReservationBasis): Promise<GrantedReservation> {
  const r = await ledger.reserve({ tenant: tenant.id, month: basis.month, amountNanoUsd: basis.amountNanoUsd, limitNanoUsd: tenant.limitNanoUsd });
  if (r.ok) return r;
  throw new RouterError(
    402,
    'insufficient_quota',
    'insufficient_quota',
    `tenant '${tenant.id}' would exceed its monthly budget of $${formatUsd(r.limitNanoUsd)} for ${basis.month}: ` +
      `spent $${formatUsd(r.spentNanoUsd)}, reserved by requests in flight $${formatUsd(r.reservedNanoUsd)}, ` +
      `this request may cost up to $${formatUsd(basis.amountNanoUsd)} (${basis.promptTokens} prompt + ${basis.maxOutputTokens} output tokens at target '${basis.target}'); ` +
      'lower max_tokens, or raise the tenant\'s monthlyBudgetUsd',
  );
}

/**
 * Percent of the tenant's monthly budget used once this request is charged: what was spent and
 * reserved by other requests when this one reserved, plus its own cost (two decimals). Unknown (no
 * field) when the ledger did not return its balance with the reservation.
 */
export function budgetUsed(granted: GrantedReservation, costNanoUsd: number, limitNanoUsd: number): { budgetUsedPercent?: number } {
  if (granted.committedNanoUsd === undefined || !(limitNanoUsd > 0)) return {};
  const used = granted.committedNanoUsd - granted.reservation.amountNanoUsd + costNanoUsd;
  return { budgetUsedPercent: Math.round((used / limitNanoUsd) * 10000) / 100 };
}
