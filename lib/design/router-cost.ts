import { ROUTER_ASSUMPTIONS, ROUTER_UNIT_PRICES } from './catalog/router-costs';
import type { Cloud } from './cloud';
import { resolveRouterDeployment, type RouterDesign } from './router';
import { placeRouter } from './router-placement';
// The Cloud Run sizing the GCP construct builds (a pure plan file), so the estimate prices the same CPUs.
import { cloudRunCpu } from '../gcp/model-router/plan';

const DAYS_PER_MONTH = 30.4;
const GIB = 1024 ** 3;

/** One priced item of the deployed router. */
export interface RouterCostItem {
  readonly item: string;
  readonly monthlyUsd: number;
}

/**
 * The monthly cost of running the router on `cloud` (not the models it calls: those are the
 * model-usage lines): requests, compute while requests run, the ledger's reads and writes, secrets,
 * request logs and monitoring (secrets: the key hashes and one key per GPU endpoint the router calls). Traffic is the design's `router.traffic` on the routes this cloud
 * serves (`placeRouter`); without traffic only the fixed items are priced. Pure.
 */
export function routerCostItems(router: RouterDesign, cloud: Cloud): RouterCostItem[] {
  const price = ROUTER_UNIT_PRICES[cloud];
  const a = ROUTER_ASSUMPTIONS;
  const deployment = resolveRouterDeployment(router);
  const placed = placeRouter(router, cloud).router;
  // One key secret per GPU endpoint the router calls, beside the key-hash secret.
  const endpointCount = new Set(placed.models.filter((m) => m.provider === 'endpoint').map((m) => m.model)).size;
  let requests = 0;
  let seconds = 0;
  for (const t of placed.traffic ?? []) {
    const monthly = t.requestsPerDay * DAYS_PER_MONTH;
    requests += monthly;
    seconds += monthly * (a.baseSeconds + t.avgOutputTokens / a.outputTokensPerSecond);
  }
  const gib = deployment.memoryMiB / 1024;
  // Lambda bills each request's environment alone; Cloud Run and Flex Consumption instances share.
  const instanceSeconds = cloud === 'aws' ? seconds : seconds / a.sharedRequestsPerInstance;
  const vcpus = cloud === 'gcp' ? cloudRunCpu(deployment.memoryMiB) : 0;
  const items: RouterCostItem[] = [];
  if (requests > 0) {
    items.push({ item: `router requests (${formatCount(requests)}/month)`, monthlyUsd: (requests / 1e6) * price.perMillionRequestsUsd });
    items.push({ item: `router ${price.computeItem} (${deployment.memoryMiB} MiB)`, monthlyUsd: instanceSeconds * (gib * price.perGbSecondUsd + vcpus * price.perVcpuSecondUsd) });
    items.push({
      item: `router ${price.databaseItem}`,
      monthlyUsd: (requests / 1e6) * (a.writesPerRequest * price.perMillionWritesUsd + a.readsPerRequest * price.perMillionReadsUsd),
    });
    items.push({ item: 'router request logs', monthlyUsd: ((requests * a.logBytesPerRequest) / GIB) * price.perLogGbUsd });
  }
  items.push({ item: `router ${price.secretsItem} (${1 + endpointCount} secrets)`, monthlyUsd: (1 + endpointCount) * price.perSecretMonthUsd });
  items.push({ item: `router ${price.monitoringItem}`, monthlyUsd: price.monitoringMonthUsd });
  return items;
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}
