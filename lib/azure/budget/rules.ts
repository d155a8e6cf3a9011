// What `ai-stack check` must know of the budget on Azure, and the plans the construct builds from.
// Pure: no cdktf or provider, so the design's validation runs it without loading them; the construct
// runs the same functions on its props.
import { BUDGET_DEFAULTS, planBudgetThresholds, type BudgetDesign } from '../../design/budget';
import { isDeployed } from '../../design/capabilities';
import { fitName } from '../../design/naming';
import { join, type Problems } from '../../design/problems';
import { fitStrictName } from '../model-router/names';

/**
 * A consumption budget takes at most five notifications (Microsoft.Consumption budgets,
 * `properties.notifications`: "Budget can have up to five notifications").
 */
export const BUDGET_NOTIFICATIONS_MAX = 5;

/** One notification of the consumption budget. */
export interface BudgetNotificationPlan {
  readonly thresholdType: 'Actual' | 'Forecasted';
  /** Percent of the monthly limit. */
  readonly percent: number;
  /** The hard stop's notification: it also calls the hard-stop action group (the stop function's webhook). */
  readonly hardStop: boolean;
}

/**
 * The budget's notifications: one per design threshold (the defaults when there are none), and the
 * hard stop's at `hardStop.atPercent` actual. An actual threshold at the hard stop's percent is that
 * notification (one notification per type and level), so it also calls the hard-stop action group.
 */
export function planBudgetNotifications(b: Pick<BudgetDesign, 'thresholds' | 'hardStop'>): BudgetNotificationPlan[] {
  return planBudgetThresholds(b).map((p) => ({ thresholdType: p.type === 'forecast' ? 'Forecasted' : 'Actual', percent: p.percent, hardStop: p.hardStop }));
}

/** The design's actual thresholds (the defaults when there are none): the levels the watch's alerts fire at. */
export function actualThresholds(b: Pick<BudgetDesign, 'thresholds'>): number[] {
  const thresholds = Array.isArray(b.thresholds) ? b.thresholds : BUDGET_DEFAULTS.thresholds;
  return [...new Set(thresholds.filter((t) => (t.type ?? 'actual') === 'actual').map((t) => t.percent))].sort((x, y) => x - y);
}

/**
 * Azure's rules of a budget it builds, with `path` its path (`budget`, or `props` in the construct):
 * the thresholds and the hard stop make at most five notifications.
 */
export function budgetRulesOnAzure(b: BudgetDesign, path: string, problems: Problems): void {
  if (b.thresholds !== undefined && !Array.isArray(b.thresholds)) return;
  const count = planBudgetNotifications(b).length;
  if (count <= BUDGET_NOTIFICATIONS_MAX) return;
  const separate = b.hardStop !== undefined && !(b.thresholds ?? BUDGET_DEFAULTS.thresholds).some((t) => (t.type ?? 'actual') === 'actual' && t.percent === b.hardStop?.atPercent);
  problems.add(
    join(path, 'thresholds'),
    `make ${count} notifications${separate ? ` with the hard stop's (${b.hardStop?.atPercent} percent actual)` : ''}, but an Azure consumption budget has at most ${BUDGET_NOTIFICATIONS_MAX}; drop ${count - BUDGET_NOTIFICATIONS_MAX}` +
      (separate ? ", or put an actual threshold at the hard stop's percent (it is then the same notification)" : ''),
  );
}

/**
 * What `ai-stack check` runs for the design's budget on Azure: the rules above once `azure.AiStack`
 * builds the budget (lib/design/capabilities.ts); until then nothing is built from the section on Azure.
 */
export function validateBudgetOnAzure(b: BudgetDesign, path: string, problems: Problems): void {
  if (isDeployed('budget', 'azure')) budgetRulesOnAzure(b, path, problems);
}

/** Physical names of one stack's budget on Azure, from its prefix. */
export interface BudgetNames {
  readonly budget: string;
  /** Action groups and their short names (at most 12 characters, shown in notifications). */
  readonly emailGroup: string;
  readonly emailGroupShort: string;
  readonly stopGroup: string;
  readonly stopGroupShort: string;
  readonly anomalyAlert: string;
  readonly functionApp: string;
  readonly servicePlan: string;
  readonly identity: string;
  /** 3-24 lowercase letters and digits, globally unique. */
  readonly storageAccount: string;
  readonly logAnalytics: string;
  readonly appInsights: string;
  /** Custom role definitions (names are unique in the Entra tenant, so the resource group is part of them). */
  readonly scalerRole: string;
  readonly readerRole: string;
}

export function budgetNames(prefix: string): BudgetNames {
  return {
    budget: fitName(['budget', prefix], 63),
    emailGroup: fitName(['ag', prefix, 'budget'], 260),
    emailGroupShort: fitStrictName(['bdg', prefix], 12, true),
    stopGroup: fitName(['ag', prefix, 'budget-stop'], 260),
    stopGroupShort: fitStrictName(['stop', prefix], 12, true),
    anomalyAlert: fitName([prefix, 'cost-anomaly'], 63),
    functionApp: fitName(['func', prefix, 'budget'], 60),
    servicePlan: fitName(['asp', prefix, 'budget'], 60),
    identity: fitName(['id', prefix, 'budget'], 128),
    storageAccount: fitStrictName(['st', prefix, 'bdg'], 24, false),
    logAnalytics: fitName(['log', prefix, 'budget'], 63),
    appInsights: fitName(['appi', prefix, 'budget'], 255),
    scalerRole: `ai-stack budget stop scaler ${prefix}`,
    readerRole: `ai-stack budget stop reader ${prefix}`,
  };
}

/** Names of the log search alerts: the stack's figure at a percent, a tenant at a percent. */
export function stackAlertName(prefix: string, percent: number): string {
  return fitName(['alert', prefix, 'budget', String(percent).replace('.', '_')], 260);
}

export function tenantAlertName(prefix: string, tenant: string, percent: number): string {
  return fitName(['alert', prefix, 'tenant', tenant, String(percent)], 260);
}
