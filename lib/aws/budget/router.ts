// What the budget needs of the router it stops: an interface, so a team can bring a router of its
// own, and the adapter from this library's ModelRouter.
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { ModelRouter } from '../model-router';
import { routerMetricsNamespace } from '../model-router/monitoring';

/** The router a {@link Budget} stops: its spend-stop record, its role and its per-tenant metrics. */
export interface IBudgetRouter {
  /**
   * The router's ledger table (`LEDGER_TABLE_SCHEMA`). The stop function writes the spend-stop record
   * (item `pk = "$stop"`), which every router instance reads within 10 s and then refuses paid calls
   * with 402 `budget_stop_active`, and reads each tenant's month (`<tenant>#<YYYY-MM>`) for the watch.
   */
  readonly ledgerTable: dynamodb.ITable;
  /** The role the router calls Bedrock with: the Budgets action attaches the deny policy to it. */
  readonly role: iam.IRole;
  /**
   * CloudWatch namespace of the router's log metrics, where `BudgetUsedPercent` (dimension `tenant`)
   * is: `routerMetricsNamespace(namePrefix)`.
   */
  readonly metricsNamespace: string;
  /** The tenants the router serves, whose month the watch sums and whose budgets get alarms. */
  readonly tenantIds: readonly string[];
  /**
   * Longest a request of the router may run (its function timeout): the ledger's rule for when a
   * crashed instance's reservation is released, which the watch applies as the router does.
   * @default - the ledger's default (15 minutes)
   */
  readonly requestTimeout?: Duration;
}

/** A `ModelRouter` of this library as the budget's router. */
export function budgetRouterOf(router: ModelRouter): IBudgetRouter {
  return {
    ledgerTable: router.ledgerTable,
    role: router.role,
    metricsNamespace: routerMetricsNamespace(router.namePrefix),
    tenantIds: router.config.tenants.map((t) => t.id),
    requestTimeout: Duration.seconds(router.resolved.timeoutSeconds),
  };
}
