import { budgetMonth } from '../router/engine/clock';
import type { Ledger } from '../router/stores/ledger';

export interface SpendWatchInput {
  readonly ledger: Pick<Ledger, 'spent'>;
  readonly tenants: readonly string[];
  readonly monthlyLimitUsd: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface SpendWatchResult {
  /** `YYYY-MM`, UTC: the ledger's budget month. */
  readonly month: string;
  /** Charged this month by the router across every tenant, USD. */
  readonly spentUsd: number;
  /** Held by requests in flight, USD (not counted in `percent`: it may be released). */
  readonly reservedUsd: number;
  /** `spentUsd` as a percent of the monthly limit, two decimals. */
  readonly percent: number;
}

/** Tenants read at once; a few hundred tenants stay a few round trips. */
const PARALLEL_READS = 16;

/**
 * The near-real-time clock: what the routers have charged this month, summed over the tenants from
 * the ledger (exact and minutes old at most, where billing data lags by hours). It counts the spend
 * that goes through the router: model tokens, GPU endpoint calls at their configured prices; not the
 * fleets' hours, which only the billed clock sees.
 */
export async function watchSpend(input: SpendWatchInput): Promise<SpendWatchResult> {
  const month = budgetMonth((input.now ?? Date.now)());
  let spent = 0;
  let reserved = 0;
  for (let i = 0; i < input.tenants.length; i += PARALLEL_READS) {
    const balances = await Promise.all(input.tenants.slice(i, i + PARALLEL_READS).map((t) => input.ledger.spent(t, month)));
    for (const b of balances) {
      spent += b.spentNanoUsd;
      reserved += b.reservedNanoUsd;
    }
  }
  const spentUsd = spent / 1e9;
  return { month, spentUsd, reservedUsd: reserved / 1e9, percent: input.monthlyLimitUsd > 0 ? Math.round((spentUsd / input.monthlyLimitUsd) * 10000) / 100 : 0 };
}
