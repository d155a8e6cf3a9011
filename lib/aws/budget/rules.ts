// What AWS Budgets adds to the neutral budget rules, and the plan of the budget's notifications that
// the rule and the construct share. Pure: no aws-cdk-lib (`ai-stack check` runs it).
import { BUDGET_DEFAULTS, planBudgetThresholds, type BudgetDesign } from '../../design/budget';
import type { AiStackDesign } from '../../design/design';
import { isToken, join, type Problems } from '../../design/problems';

/**
 * AWS Budgets limits (AWS Billing and Cost Management API Reference, `Notification`): "A budget can
 * have up to ten notifications", and "a notification can have one SNS subscriber and up to 10 email
 * subscribers".
 */
export const BUDGET_NOTIFICATIONS_MAX = 10;
export const BUDGET_EMAIL_SUBSCRIBERS_MAX = 10;

/** One notification of the AWS budget. */
export interface BudgetNotificationPlan {
  readonly notificationType: 'ACTUAL' | 'FORECASTED';
  /** Percent of the monthly limit. */
  readonly percent: number;
  /** The hard stop's notification: its SNS subscriber is the hard-stop topic (the stop function's). */
  readonly hardStop: boolean;
}

/**
 * The budget's notifications: one per design threshold (defaults when none), and the hard stop's at
 * `hardStop.atPercent` actual. An actual threshold at the hard stop's percent is that notification
 * (Budgets refuses two with the same type and threshold), so it goes to the hard-stop topic.
 */
export function planBudgetNotifications(b: Pick<BudgetDesign, 'thresholds' | 'hardStop'>): BudgetNotificationPlan[] {
  return planBudgetThresholds(b).map((p) => ({ notificationType: p.type === 'forecast' ? 'FORECASTED' : 'ACTUAL', percent: p.percent, hardStop: p.hardStop }));
}

/** The AWS rules of the design's `budget` section, with `path` its path (`budget`, or `props` in a construct). */
export function validateBudgetOnAws(b: BudgetDesign, path: string, problems: Problems): void {
  const emails = b.notifyEmails;
  if (Array.isArray(emails) && !isToken(emails) && emails.length > BUDGET_EMAIL_SUBSCRIBERS_MAX) {
    problems.add(
      join(path, 'notifyEmails'),
      `lists ${emails.length} addresses, but an AWS Budgets notification takes at most ${BUDGET_EMAIL_SUBSCRIBERS_MAX} email subscribers (and one SNS topic); keep ${BUDGET_EMAIL_SUBSCRIBERS_MAX}, or list a distribution address that forwards to the rest`,
    );
  }
  if (b.thresholds !== undefined && !Array.isArray(b.thresholds)) return;
  const count = planBudgetNotifications(b).length;
  if (count > BUDGET_NOTIFICATIONS_MAX) {
    const stop = b.hardStop !== undefined && !(b.thresholds ?? []).some((t) => (t.type ?? 'actual') === 'actual' && t.percent === b.hardStop?.atPercent);
    problems.add(
      join(path, 'thresholds'),
      `make ${count} notifications${stop ? ` with the hard stop's (${b.hardStop?.atPercent} percent actual)` : ''}, but an AWS budget has at most ${BUDGET_NOTIFICATIONS_MAX}; drop ${count - BUDGET_NOTIFICATIONS_MAX}` +
        (stop ? ', or put an actual threshold at the hard stop\'s percent (it is then the same notification)' : ''),
    );
  }
}

/** What the budget is built with, for its resource count. */
export interface BudgetBuild {
  /** A router to watch and stop. */
  readonly router: boolean;
  /** The router's tenants (two alarms each). */
  readonly tenants: number;
  /** GPU fleets the hard stop scales. */
  readonly fleets: number;
  /** The user's own notification topic (none created). */
  readonly alarmTopic?: boolean;
}

/** CloudFormation resources a `Budget` makes (`stackResourceCount` adds them for `AiStack`). */
export function budgetResourceCount(b: BudgetDesign, o: BudgetBuild): number {
  const emails = Array.isArray(b.notifyEmails) ? b.notifyEmails.length : 0;
  const thresholds = Array.isArray(b.thresholds) ? b.thresholds : BUDGET_DEFAULTS.thresholds;
  const stops = b.hardStop !== undefined && (o.router || o.fleets > 0);
  const anomaly = b.anomalyDetection ?? BUDGET_DEFAULTS.anomalyDetection;
  let n = 1; // the budget
  if (!o.alarmTopic || stops) n += 1; // the topics' key
  if (!o.alarmTopic) n += 2 + emails; // topic, policy, email subscriptions
  if (anomaly) n += 2; // monitor, subscription
  if (o.router || stops) n += 5; // function, its invoke config, role, policy, log group
  if (stops) n += 4; // hard-stop topic, its policy, the function's subscription and permission
  if (o.router) {
    const actual = new Set(thresholds.filter((t) => (t?.type ?? 'actual') === 'actual').map((t) => t?.percent)).size;
    n += 3 + actual + (stops ? 1 : 0) + 2 * o.tenants; // schedule, its role and policy; the alarms
    if (b.hardStop !== undefined) n += 4; // deny policy, execution role and its policy, Budgets action
  } else if (stops) {
    n += 1; // the stop record's table
  }
  return n;
}

/** `budgetResourceCount` of the design's budget as `aws.AiStack` builds it: with the design's router and endpoints. */
export function budgetResourceCountOf(design: Pick<AiStackDesign, 'budget' | 'router' | 'endpoints'>): number {
  if (!design.budget) return 0;
  const router = design.router !== undefined && Array.isArray(design.router.models) && Array.isArray(design.router.routes);
  const tenants = router && Array.isArray(design.router?.tenants) ? design.router.tenants.length : 0;
  return budgetResourceCount(design.budget, { router, tenants, fleets: Array.isArray(design.endpoints) ? design.endpoints.length : 0 });
}
