import type { Ledger } from '../router/stores/ledger';
import type { BudgetAction } from './deploy-env';
import { resumeSpend, stopSpend, type SpendStopDeps, type SpendStopReport } from './stop';
import { watchSpend, type SpendWatchResult } from './watch';

export interface BudgetRunDeps extends SpendStopDeps {
  readonly ledger: Pick<Ledger, 'spent'>;
  readonly tenants: readonly string[];
  readonly monthlyLimitUsd: number;
  /** @default - no hard stop: a watch only publishes */
  readonly hardStopPercent?: number;
  /** Publishes the watch's figures (a metric line): the near-real-time clock's alarms read it. */
  readonly publish?: (watch: SpendWatchResult) => void;
}

export type BudgetRunResult =
  | { readonly kind: 'stop' | 'resume'; readonly report: SpendStopReport }
  | { readonly kind: 'watch'; readonly watch: SpendWatchResult; readonly report?: SpendStopReport }
  | { readonly kind: 'status'; readonly active: boolean; readonly since?: string; readonly reason?: string; readonly watch: SpendWatchResult }
  | { readonly kind: 'ignore'; readonly why: string };

/** Runs one action of the stop function. */
export async function runBudgetAction(action: BudgetAction, d: BudgetRunDeps): Promise<BudgetRunResult> {
  switch (action.kind) {
    case 'stop':
      return { kind: 'stop', report: await stopSpend(d, action.reason) };
    case 'resume':
      return { kind: 'resume', report: await resumeSpend(d) };
    case 'watch': {
      const watch = await watchSpend({ ledger: d.ledger, tenants: d.tenants, monthlyLimitUsd: d.monthlyLimitUsd, ...(d.now ? { now: d.now } : {}) });
      d.publish?.(watch);
      if (d.hardStopPercent === undefined || watch.percent < d.hardStopPercent) return { kind: 'watch', watch };
      // Already stopped: nothing to do (and no notification every few minutes).
      if ((await d.record.read())?.state.active) return { kind: 'watch', watch };
      const reason = `router-charged spend ${watch.spentUsd.toFixed(2)} USD is ${watch.percent}% of the ${d.monthlyLimitUsd} USD monthly budget, at or past the hard stop at ${d.hardStopPercent}%`;
      return { kind: 'watch', watch, report: await stopSpend(d, reason) };
    }
    case 'status': {
      const [record, watch] = await Promise.all([d.record.read(), watchSpend({ ledger: d.ledger, tenants: d.tenants, monthlyLimitUsd: d.monthlyLimitUsd, ...(d.now ? { now: d.now } : {}) })]);
      const s = record?.state;
      return { kind: 'status', active: s?.active === true, ...(s?.since ? { since: s.since } : {}), ...(s?.reason ? { reason: s.reason } : {}), watch };
    }
    case 'ignore':
      return action;
  }
}
