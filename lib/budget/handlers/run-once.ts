import type { BudgetAction } from '../deploy-env';
import { runBudgetAction, type BudgetRunDeps, type BudgetRunResult } from '../run';

/** What each run logs: the action and its outcome, never a secret. */
export function runSummary(action: BudgetAction, result: BudgetRunResult): Record<string, unknown> {
  const base = { budgetAction: action.kind };
  switch (result.kind) {
    case 'stop':
    case 'resume':
      return { ...base, already: result.report.already, changed: result.report.changed, failures: result.report.failures };
    case 'watch':
      return { ...base, percent: result.watch.percent, spentUsd: result.watch.spentUsd, ...(result.report ? { stopped: result.report.changed } : {}) };
    case 'status':
      return { ...base, active: result.active, ...(result.since ? { since: result.since } : {}), percent: result.watch.percent };
    case 'ignore':
      return { ...base, why: result.why };
  }
}

/**
 * The handlers' common step: build the dependencies once per instance (a configuration problem then
 * fails every run with its message), run the action, log one line.
 */
export function budgetRunner(build: () => BudgetRunDeps, log: (line: string) => void = (l) => console.log(l)): (action: BudgetAction) => Promise<BudgetRunResult> {
  let deps: BudgetRunDeps | undefined;
  return async (action) => {
    deps ??= build();
    const result = await runBudgetAction(action, deps);
    log(JSON.stringify(runSummary(action, result)));
    return result;
  };
}
