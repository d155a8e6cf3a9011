import { isToken, join, Problems } from './problems';
import { quote } from './quote';
import { arrayOf, bool, checkNumber, checkNumbers, isLiteralNumber, num, obj, oneOf, str, type NumberRule, type NumberRules } from './shape';

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
  /**
   * The Cloud Billing account the Google Cloud budget is set on, `XXXXXX-XXXXXX-XXXXXX` (the id
   * `gcloud billing accounts list` shows, without `billingAccounts/`). Google Cloud budgets belong to
   * a billing account, not a project, so it cannot be derived from the project; required when the
   * design's budget is built on Google Cloud, unused elsewhere.
   * @default - none (a design with a budget that targets Google Cloud must set it)
   */
  readonly billingAccountId?: string;
}

export const budgetShape = obj(
  {
    monthlyLimitUsd: num,
    thresholds: arrayOf(obj({ percent: num, type: oneOf('actual', 'forecast') }, ['percent'])),
    notifyEmails: arrayOf(str),
    anomalyDetection: bool,
    hardStop: obj({ atPercent: num }, ['atPercent']),
    billingAccountId: str,
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
/** Longest email address (RFC 5321: a 254-character path); AWS Budgets subscribers are at most 320 characters. */
const EMAIL_MAX = 254;

/** A Cloud Billing account id: three groups of six uppercase hexadecimal digits. */
export const BILLING_ACCOUNT_ID = /^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/;

const PERCENT: NumberRule = { min: 1, max: 1000, unit: 'percent' };
const BUDGET_NUMBERS: NumberRules<BudgetDesign> = {
  monthlyLimitUsd: { above: 0, unit: 'USD' },
};

export function validateBudget(b: BudgetDesign, problems: Problems): void {
  const p = 'budget';
  checkNumbers(b, BUDGET_NUMBERS, p, problems);
  const thresholds = Array.isArray(b.thresholds) ? b.thresholds : [];
  const seen = new Map<string, number>();
  thresholds.forEach((t, i) => {
    const tp = join(join(p, 'thresholds'), i);
    if (typeof t !== 'object' || t === null) return;
    checkNumber(t.percent, PERCENT, join(tp, 'percent'), problems);
    if (!isLiteralNumber(t.percent)) return;
    // AWS Budgets refuses two notifications with the same threshold and type.
    const key = `${t.type ?? 'actual'} ${t.percent}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else problems.add(tp, `duplicate threshold: ${t.percent} percent ${t.type ?? 'actual'} (also ${join(join(p, 'thresholds'), first)})`);
  });
  if (Array.isArray(b.notifyEmails) && b.notifyEmails.length === 0) problems.add(join(p, 'notifyEmails'), 'must list at least one address');
  if (Array.isArray(b.notifyEmails) && !isToken(b.notifyEmails)) {
    const first = new Map<string, number>();
    b.notifyEmails.forEach((e, i) => {
      if (typeof e !== 'string' || isToken(e)) return;
      const ep = join(join(p, 'notifyEmails'), i);
      if (!EMAIL.test(e) || e.length > EMAIL_MAX) problems.add(ep, `must be an email address of at most ${EMAIL_MAX} characters (got ${quote(e)})`);
      const at = first.get(e.toLowerCase());
      if (at === undefined) first.set(e.toLowerCase(), i);
      else problems.add(ep, `duplicate address ${quote(e)} (also ${join(join(p, 'notifyEmails'), at)})`);
    });
  }
  checkNumber(b.hardStop?.atPercent, PERCENT, join(p, 'hardStop.atPercent'), problems);
  const account = b.billingAccountId;
  if (typeof account === 'string' && !isToken(account) && !BILLING_ACCOUNT_ID.test(account)) {
    const hint = /^billingAccounts\//.test(account) ? "; leave out the 'billingAccounts/' prefix" : /[a-f]/.test(account) && BILLING_ACCOUNT_ID.test(account.toUpperCase()) ? '; write the letters in uppercase' : '';
    problems.add(join(p, 'billingAccountId'), `must be a Cloud Billing account id, XXXXXX-XXXXXX-XXXXXX with uppercase hexadecimal digits as 'gcloud billing accounts list' shows it (got ${quote(account)})${hint}`);
  }
}

/** One notification of a cloud budget: a design threshold, or the hard stop's. */
export interface BudgetThresholdPlan {
  readonly type: 'actual' | 'forecast';
  /** Percent of the monthly limit. */
  readonly percent: number;
  /** The hard stop's threshold: the cloud routes it to the stop function as well. */
  readonly hardStop: boolean;
}

/**
 * A budget's notifications on every cloud: one per design threshold (the defaults when there are
 * none), and the hard stop's at `hardStop.atPercent` actual. An actual threshold at the hard stop's
 * percent is that notification (the clouds refuse two of one type and level), so it stops too.
 */
export function planBudgetThresholds(b: Pick<BudgetDesign, 'thresholds' | 'hardStop'>): BudgetThresholdPlan[] {
  const thresholds = Array.isArray(b.thresholds) ? b.thresholds : BUDGET_DEFAULTS.thresholds;
  const stopAt = b.hardStop?.atPercent;
  const plans: BudgetThresholdPlan[] = thresholds.map((t) => {
    const type = (t.type ?? 'actual') === 'forecast' ? 'forecast' : 'actual';
    return { type, percent: t.percent, hardStop: type === 'actual' && t.percent === stopAt };
  });
  if (stopAt !== undefined && !plans.some((p) => p.hardStop)) plans.push({ type: 'actual', percent: stopAt, hardStop: true });
  return plans;
}
