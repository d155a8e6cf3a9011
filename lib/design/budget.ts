import { join, Problems } from './problems';
import { arrayOf, bool, num, obj, oneOf, str } from './shape';

/** A notification threshold, percent of the monthly limit. */
export interface BudgetThresholdDesign {
  /** Percent of the monthly limit, 1..1000. */
  readonly percent: number;
  /**
   * `actual` fires on spend so far; `forecast` on the month's forecast.
   * @default 'actual'
   */
  readonly type?: 'actual' | 'forecast';
}

/** The hard stop: at the threshold the GPU fleets scale to zero and the router refuses paid calls. */
export interface HardStopDesign {
  /** Percent of the monthly limit (actual spend) that triggers the stop. */
  readonly atPercent: number;
}

/** A monthly budget for everything carrying the design's cost tags. */
export interface BudgetDesign {
  /** Monthly limit, USD. */
  readonly monthlyLimitUsd: number;
  /**
   * @default - 50% and 80% actual, 100% forecast, 100% actual
   */
  readonly thresholds?: readonly BudgetThresholdDesign[];
  /** Addresses notified at each threshold. */
  readonly notifyEmails: readonly string[];
  /**
   * Detect spend anomalies (AWS Cost Anomaly Detection; budget forecast elsewhere).
   * @default true
   */
  readonly anomalyDetection?: boolean;
  /**
   * @default - no hard stop: thresholds only notify
   */
  readonly hardStop?: HardStopDesign;
}

export const budgetShape = obj(
  {
    monthlyLimitUsd: num,
    thresholds: arrayOf(obj({ percent: num, type: oneOf('actual', 'forecast') }, ['percent'])),
    notifyEmails: arrayOf(str),
    anomalyDetection: bool,
    hardStop: obj({ atPercent: num }, ['atPercent']),
  },
  ['monthlyLimitUsd', 'notifyEmails'],
);

export const BUDGET_DEFAULTS = {
  thresholds: [
    { percent: 50, type: 'actual' },
    { percent: 80, type: 'actual' },
    { percent: 100, type: 'forecast' },
    { percent: 100, type: 'actual' },
  ] as Required<BudgetThresholdDesign>[],
  anomalyDetection: true,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function validateBudget(b: BudgetDesign, problems: Problems): void {
  const p = 'budget';
  if (typeof b.monthlyLimitUsd === 'number' && !(b.monthlyLimitUsd > 0)) problems.add(join(p, 'monthlyLimitUsd'), `must be > 0 (got ${b.monthlyLimitUsd})`);
  (b.thresholds ?? []).forEach((t, i) => {
    if (typeof t.percent === 'number' && (t.percent < 1 || t.percent > 1000)) {
      problems.add(join(join(p, 'thresholds'), i) + '.percent', `must be between 1 and 1000 percent (got ${t.percent})`);
    }
  });
  if (Array.isArray(b.notifyEmails) && b.notifyEmails.length === 0) problems.add(join(p, 'notifyEmails'), 'must list at least one address');
  (b.notifyEmails ?? []).forEach((e, i) => {
    if (typeof e === 'string' && !EMAIL.test(e)) problems.add(join(join(p, 'notifyEmails'), i), `must be an email address (got '${e}')`);
  });
  const stop = b.hardStop?.atPercent;
  if (typeof stop === 'number' && (stop < 1 || stop > 1000)) problems.add(join(p, 'hardStop.atPercent'), `must be between 1 and 1000 percent (got ${stop})`);
}
