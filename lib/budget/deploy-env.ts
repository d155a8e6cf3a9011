/**
 * The contract between a cloud's `Budget` construct and the stop function it deploys: the variables
 * the construct sets and the handler reads (like lib/router/deploy-env.ts for the router). The
 * store variables are the router's own (`ROUTER_ENV.store`, `ledgerTable`, `tablesEndpoint`,
 * `firestoreDatabase`, `ledgerCollection`): the stop function writes the spend-stop record into the
 * router's ledger store and reads the tenants' spend from it.
 */
export const BUDGET_ENV = {
  /** JSON array of `FleetRef` (lib/budget/fleets/types.ts): every GPU fleet group of the stack. */
  fleets: 'AI_STACK_BUDGET_FLEETS',
  /** JSON array of the router's tenant ids, whose month's spend the watch sums. */
  tenants: 'AI_STACK_BUDGET_TENANTS',
  /** The design's `budget.monthlyLimitUsd`. */
  monthlyLimitUsd: 'AI_STACK_BUDGET_MONTHLY_LIMIT_USD',
  /** The design's `budget.hardStop.atPercent`; unset: the function only watches and notifies. */
  hardStopPercent: 'AI_STACK_BUDGET_HARD_STOP_PERCENT',
  /** AWS: the SNS topic the function notifies. */
  notifyTopicArn: 'AI_STACK_BUDGET_TOPIC_ARN',
  /** AWS: the CloudWatch namespace of the watch's metrics (Embedded Metric Format lines). */
  metricsNamespace: 'AI_STACK_BUDGET_METRICS_NAMESPACE',
} as const;

/** What a run of the stop function does. */
export type BudgetAction =
  | { readonly kind: 'stop'; readonly reason: string }
  | { readonly kind: 'resume' }
  /** Sum the router-charged spend of the month, publish it, and stop at the hard-stop percent. */
  | { readonly kind: 'watch' }
  | { readonly kind: 'status' }
  | { readonly kind: 'ignore'; readonly why: string };
