// What `ai-stack check` must know of the budget on Google Cloud, and the plans the construct builds
// from. Pure: no cdktf or provider, so the design's validation runs it without loading them; the
// construct runs the same functions on its props.
import { BUDGET_DEFAULTS, planBudgetThresholds, type BudgetDesign } from '../../design/budget';
import { isDeployed } from '../../design/capabilities';
import { fitName } from '../../design/naming';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';

/**
 * `all_updates_rule.monitoring_notification_channels` takes "a maximum of 5 channels" (provider
 * google 6.50, billing_budget; Cloud Billing Budget API `NotificationsRule`): one email channel per
 * address, so at most five addresses.
 */
export const BUDGET_CHANNELS_MAX = 5;

/**
 * The cost label the billing budget filters by when the props name none: `budget_filter.labels`
 * takes "a single label and value pair", and of the four standard cost tags `application` is the
 * one that names this stack (a team or a cost centre spans many stacks, an environment spans every
 * application). The budget is also scoped to the stack's project, so the pair only has to tell this
 * stack's resources from the project's others.
 */
export const DEFAULT_COST_LABEL = 'application';

/** One `threshold_rules` entry of the billing budget. */
export interface ThresholdRulePlan {
  /** A fraction of the budget: 0.5 is 50 percent. */
  readonly thresholdPercent: number;
  readonly spendBasis: 'CURRENT_SPEND' | 'FORECASTED_SPEND';
  /** Where the rule comes from: a design threshold, the hard stop, or anomaly detection's forecast. */
  readonly source: 'threshold' | 'hard-stop' | 'anomaly-forecast';
}

/** The percent of anomaly detection's forecast rule when the design has no forecast threshold. */
export const ANOMALY_FORECAST_PERCENT = 100;

/** 0.5 for 50: a percent as the fraction the billing budget takes, without float noise (33.3 → 0.333). */
export function percentToFraction(percent: number): number {
  return Number((percent / 100).toPrecision(12));
}

/**
 * The budget's threshold rules: one per design threshold (the defaults when there are none), as
 * fractions; the hard stop's percent as an actual rule when no actual threshold sits there (its email
 * says the stop is due); and, when `anomalyDetection` is on and no threshold is a forecast, a
 * forecast rule at 100 percent, Google Cloud's nearest thing to anomaly detection for a budget.
 */
export function planThresholdRules(b: Pick<BudgetDesign, 'thresholds' | 'hardStop' | 'anomalyDetection'>): ThresholdRulePlan[] {
  const designThresholds = Array.isArray(b.thresholds) ? b.thresholds.length : BUDGET_DEFAULTS.thresholds.length;
  const rules: ThresholdRulePlan[] = planBudgetThresholds(b).map((p, i) => ({
    thresholdPercent: percentToFraction(p.percent),
    spendBasis: p.type === 'forecast' ? 'FORECASTED_SPEND' : 'CURRENT_SPEND',
    // The plan lists the design's thresholds first; one past them is the hard stop's own.
    source: i < designThresholds ? 'threshold' : 'hard-stop',
  }));
  if ((b.anomalyDetection ?? BUDGET_DEFAULTS.anomalyDetection) && !rules.some((r) => r.spendBasis === 'FORECASTED_SPEND')) {
    rules.push({ thresholdPercent: percentToFraction(ANOMALY_FORECAST_PERCENT), spendBasis: 'FORECASTED_SPEND', source: 'anomaly-forecast' });
  }
  return rules;
}

/** The design's actual thresholds (the defaults when there are none): the levels the watch's alerts fire at. */
export function actualThresholds(b: Pick<BudgetDesign, 'thresholds'>): number[] {
  const thresholds = Array.isArray(b.thresholds) ? b.thresholds : BUDGET_DEFAULTS.thresholds;
  return [...new Set(thresholds.filter((t) => (t.type ?? 'actual') === 'actual').map((t) => t.percent))].sort((x, y) => x - y);
}

/**
 * The monthly limit as the billing budget's `specified_amount`: whole `units` (a string, int64) and
 * `nanos`, so a limit such as 1234.56 USD is kept exactly.
 */
export function budgetAmount(monthlyLimitUsd: number): { units: string; nanos: number } {
  const units = Math.floor(monthlyLimitUsd);
  const nanos = Math.round((monthlyLimitUsd - units) * 1e9);
  return nanos >= 1e9 ? { units: String(units + 1), nanos: 0 } : { units: String(units), nanos };
}

/** Physical names of one stack's budget, from its prefix. Each stays within its service's limit. */
export interface BudgetNames {
  /** Billing budget display name (at most 60 characters). */
  readonly budget: string;
  /** Pub/Sub topic of the budget's updates, and the push subscription to the stop function. */
  readonly topic: string;
  readonly subscription: string;
  /** Cloud Run service of the stop function (at most 49 characters). */
  readonly service: string;
  /** Service accounts (6-30 characters): the stop function's, the push subscription's, the scheduler's. */
  readonly stopAccount: string;
  readonly pushAccount: string;
  readonly schedulerAccount: string;
  /** Custom role ids (letters, digits, `_` and `.`, at most 64). */
  readonly scalerRole: string;
  readonly operationsRole: string;
  /** Cloud Scheduler job of the watch. */
  readonly watchJob: string;
  /** Log-based metric of the watch line. */
  readonly watchMetric: string;
}

const roleId = (prefix: string, what: string) => `aiStackBudget${what}_${prefix.replace(/-/g, '_')}`.slice(0, 64);

export function budgetNames(prefix: string): BudgetNames {
  return {
    budget: fitName([prefix, 'budget'], 60),
    topic: fitName([prefix, 'budget'], 255),
    subscription: fitName([prefix, 'budget-stop'], 255),
    service: fitName([prefix, 'budget-stop'], 49),
    stopAccount: fitName([prefix, 'budget-stop'], 30),
    pushAccount: fitName([prefix, 'budget-push'], 30),
    schedulerAccount: fitName([prefix, 'budget-watch'], 30),
    scalerRole: roleId(prefix, 'Scaler'),
    operationsRole: roleId(prefix, 'Operations'),
    watchJob: fitName([prefix, 'budget-watch'], 500),
    watchMetric: fitName([prefix, 'budget-watch'], 100),
  };
}

/** The stop function's bucket: bucket names are global, so the project id is part of it (at most 20 + 8 + 30 characters). */
export function budgetBucketName(prefix: string, project: string): string {
  return `${prefix}-budget-${project}`;
}

/** Cloud Storage refuses bucket names that begin with `goog` or hold `google` or a close misspelling. */
const GOOGLE_IN_BUCKET = /^goog|g[o0][o0]g[l1]e/;

/**
 * Google Cloud's rules of a budget it builds, with `path` its path (`budget`, or `props` in the
 * construct): the billing account is required (a billing budget belongs to one), and each address
 * becomes one of the at most five notification channels.
 */
export function budgetRulesOnGcp(b: BudgetDesign, path: string, problems: Problems): void {
  if (b.billingAccountId === undefined) {
    problems.add(
      join(path, 'billingAccountId'),
      "is required on Google Cloud: a billing budget is set on a Cloud Billing account, not on a project. Set it to the account id 'gcloud billing accounts list' shows (XXXXXX-XXXXXX-XXXXXX)",
    );
  }
  const emails = b.notifyEmails;
  if (Array.isArray(emails) && !isToken(emails) && emails.length > BUDGET_CHANNELS_MAX) {
    problems.add(
      join(path, 'notifyEmails'),
      `lists ${emails.length} addresses, but a Google Cloud budget notifies at most ${BUDGET_CHANNELS_MAX} monitoring channels (one email channel per address); keep ${BUDGET_CHANNELS_MAX}, or list a group address that forwards to the rest`,
    );
  }
}

/**
 * What `ai-stack check` runs for the design's budget on Google Cloud: the rules above once
 * `gcp.AiStack` builds the budget (lib/design/capabilities.ts). Until then nothing is built from the
 * section on Google Cloud, so nothing in it can fail there, and designs written before the
 * `billingAccountId` field existed stay valid.
 */
export function validateBudgetOnGcp(b: BudgetDesign, path: string, problems: Problems): void {
  if (isDeployed('budget', 'gcp')) budgetRulesOnGcp(b, path, problems);
}

/** The stop function's bucket is named `<prefix>-budget-<project>`: a prefix Cloud Storage refuses there is refused here. */
export function validateBudgetNamePrefix(prefix: unknown, path: string, problems: Problems): void {
  if (typeof prefix !== 'string' || isToken(prefix) || !GOOGLE_IN_BUCKET.test(prefix)) return;
  problems.add(path, `must not begin with 'goog' or contain 'google' (or a look-alike such as 'g00gle') for a budget with a stop function on Google Cloud: it starts the name of the function's Cloud Storage bucket, which Cloud Storage refuses (got ${quote(prefix)})`);
}
