import type { Cloud } from '../design/cloud';
import type { AiStackDesign } from '../design/design';
import { placeRouter } from '../design/router-placement';
import { routerConfigFromDesign, type RouterConfig } from './config';

/**
 * The config a cloud's `ModelRouter` construct deploys: the design's router as that cloud serves it
 * (`placeRouter`), fixed at synth, with no secret and nothing only known at deploy. The handler adds
 * at run time the GPU endpoint URLs and keys, the tenant key hashes (from the secret store, refreshed)
 * and the Vertex project or Azure OpenAI URL, from the variables of `ROUTER_ENV`.
 *
 * `routerClouds` is how many clouds deploy this router. Each cloud's router keeps its own ledger, so
 * a tenant's monthly budget is split evenly between them: together they can never let the tenant
 * spend more than the design's budget, whichever cloud the tenant calls.
 */
export function deployedRouterConfig(design: AiStackDesign, cloud: Cloud, routerClouds: number = 1): RouterConfig {
  if (!design.router) throw new Error("the design has no 'router' section");
  if (!Number.isInteger(routerClouds) || routerClouds < 1) throw new Error(`routerClouds must be a whole number >= 1 (got ${routerClouds})`);
  const placed = placeRouter(design.router, cloud).router;
  const built = routerConfigFromDesign({ ...design, router: placed }, { connectionsAtRuntime: true, keys: {}, env: {} });
  // Bedrock's guardrail enforces the denied topics itself: the AWS router asks no model.
  const config = cloud === 'aws' && built.guard?.topicClassifier ? { ...built, guard: withoutClassifier(built.guard) } : built;
  if (routerClouds === 1) return config;
  return { ...config, tenants: config.tenants.map((t) => ({ ...t, monthlyBudgetUsd: splitBudget(t.monthlyBudgetUsd, routerClouds) })) };
}

function withoutClassifier<T extends { topicClassifier?: unknown }>(guard: T): T {
  const { topicClassifier: _dropped, ...rest } = guard;
  return rest as T;
}

/** A budget's share per cloud, rounded down to the nano-dollar so the shares never sum above it. */
export function splitBudget(monthlyBudgetUsd: number, routerClouds: number): number {
  return Math.floor((monthlyBudgetUsd * 1e9) / routerClouds) / 1e9;
}
