import type { ModelProvider } from './catalog/models';
import { isDeployed } from './capabilities';
import type { Cloud } from './cloud';
import { targetClouds, type AiStackDesign } from './design';
import type { RouteDesign, RouterDesign, RouteTargetDesign } from './router';

/**
 * Which of the design's targets and routes one cloud's deployed router serves. A router calls the
 * managed models of its own cloud with its own keyless identity (Bedrock from AWS, Vertex AI from
 * Google Cloud, Azure OpenAI from Azure) and the GPU endpoints of its own cloud over the private
 * network. A managed model of another cloud would need that cloud's credentials in this one, which
 * the library does not create: such targets are left out of that cloud's router (the construct warns
 * `router-targets-elsewhere`), and a route left with no target at all is left out too.
 * Pure: the estimate, the constructs and the runtime config all use it.
 */

/** The cloud whose identity calls each managed provider. */
export const PROVIDER_CLOUD: Readonly<Record<Exclude<ModelProvider, 'endpoint'>, Cloud>> = {
  bedrock: 'aws',
  vertex: 'gcp',
  'azure-openai': 'azure',
};

export interface RouterPlacement {
  readonly cloud: Cloud;
  /** The router section as this cloud serves it: only reachable targets, non-empty routes and tiers. */
  readonly router: RouterDesign;
  /** Target ids left out because their provider runs on another cloud. */
  readonly targetsElsewhere: readonly string[];
  /** Routes left out because none of their targets runs here. */
  readonly routesElsewhere: readonly string[];
}

/** True when `cloud`'s router can call targets of `provider`. */
export function servesProvider(provider: ModelProvider, cloud: Cloud): boolean {
  return provider === 'endpoint' || PROVIDER_CLOUD[provider] === cloud;
}

export function placeRouter(router: RouterDesign, cloud: Cloud): RouterPlacement {
  const here = new Set(router.models.filter((m) => servesProvider(m.provider, cloud)).map((m) => m.id));
  const keep = (targets: readonly RouteTargetDesign[] | undefined): RouteTargetDesign[] => (targets ?? []).filter((t) => here.has(t.model));
  const routes: RouteDesign[] = [];
  const routesElsewhere: string[] = [];
  for (const r of router.routes) {
    const tiers = (r.tiers ?? []).map((t) => ({ ...t, targets: keep(t.targets) })).filter((t) => t.targets.length > 0);
    const targets = keep(r.targets);
    const fallbacks = (r.fallbacks ?? []).filter((f) => here.has(f));
    const tiered = (r.strategy ?? 'ordered') === 'tiered';
    const primary = tiered ? tiers.length > 0 : targets.length > 0;
    if (!primary && fallbacks.length === 0) {
      routesElsewhere.push(r.name);
      continue;
    }
    // A route whose chosen targets all run elsewhere still serves from its fallbacks, in order.
    const placed: RouteDesign = primary
      ? { ...r, targets, fallbacks, ...(r.tiers ? { tiers } : {}) }
      : { ...r, strategy: 'ordered', targets: fallbacks.map((model) => ({ model })), fallbacks: [], tiers: undefined };
    routes.push(Object.fromEntries(Object.entries(placed).filter(([, v]) => v !== undefined)) as unknown as RouteDesign);
  }
  const kept = new Set(routes.map((r) => r.name));
  const tenants = router.tenants?.map((t) => (t.routes ? { ...t, routes: t.routes.filter((r) => kept.has(r)) } : t));
  const traffic = router.traffic?.filter((t) => kept.has(t.route));
  return {
    cloud,
    router: {
      ...router,
      models: router.models.filter((m) => here.has(m.id)),
      routes,
      ...(tenants ? { tenants } : {}),
      ...(traffic ? { traffic } : {}),
    },
    targetsElsewhere: router.models.filter((m) => !here.has(m.id)).map((m) => m.id),
    routesElsewhere,
  };
}

/**
 * How many clouds deploy the design's router, `cloud` included: each keeps its own ledger, so each
 * gets this share of every tenant's budget (`deployedRouterConfig`). The design's target clouds
 * that build a router (`capabilities.ts`), plus `cloud`, whose AiStack is building one now.
 */
export function routerCloudCount(design: AiStackDesign, cloud: Cloud): number {
  return new Set<Cloud>([cloud, ...targetClouds(design).filter((c) => isDeployed('router', c))]).size;
}
