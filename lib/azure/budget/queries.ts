// Log queries (KQL) of the budget's near-real-time clock on Azure. Pure strings.
import { ROUTER_REQUESTS } from '../model-router/queries';

/** A tenant id in a KQL string literal (tenant ids are `[a-z0-9-]`, validated; quotes escaped regardless). */
const kqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * A tenant's level: the highest `budgetUsedPercent` the router logged for its charged requests in
 * the window (the router's request rows, lib/azure/model-router/queries.ts).
 */
export function tenantBudgetQuery(tenant: string): string {
  return [ROUTER_REQUESTS, `| where tenant == ${kqlString(tenant)} and isnotnull(budgetUsedPercent)`, '| summarize budgetUsedPercent = max(budgetUsedPercent)'].join('\n');
}

/** How many stop or resume notices the stop function logged in the window (`{"budgetNotice":…}` traces). */
export const NOTICE_QUERY = ['traces', '| where message has \'"budgetNotice"\'', '| summarize notices = count()'].join('\n');

/**
 * The stack's level: the watch's line (`{"budgetWatch":true,…,"budgetUsedPercent":…}`, written by the
 * stop function's timer every 5 minutes and sent to Application Insights as a trace), the window's highest.
 */
export const WATCH_QUERY = [
  'traces',
  '| where message has \'"budgetWatch":true\'',
  "| extend w = parse_json(substring(message, indexof(message, '{')))",
  '| where isnotnull(w.budgetUsedPercent)',
  '| summarize budgetUsedPercent = max(todouble(w.budgetUsedPercent))',
].join('\n');
