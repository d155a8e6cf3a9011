import { isDeployed, notDeployedSections, type Section } from './capabilities';
import type { InstanceOffer } from './catalog/accelerators';
import { ENDPOINT_FIXED, NAT_FIXED } from './catalog/fixed-costs';
import { findModel } from './catalog/models';
import type { Cloud } from './cloud';
import { targetClouds, validateDesign, type AiStackDesign, type ValidateOptions } from './design';
import { planFleet, type ReplicaMix } from './fleet-plan';
import { resolveGpuEndpoint } from './gpu-endpoint';
import { ROUTER_DEFAULTS, type RouteDesign, type RouterDesign } from './router';
import { routerCostItems } from './router-cost';
import { guardrailCostItems } from './guardrail-cost';
import { resolveVectorStore } from './vector-store';
import { vectorStoreCostItems } from './vector-store-cost';
import { placeRouter } from './router-placement';

/** Hours in an average month (8,760 / 12). */
export const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = 30.4;

export type CostComponent = 'gpu-fleet' | 'model-usage' | 'router' | 'guardrails' | 'network' | 'vector-store';

/** The design section whose resources (or, for model usage, whose traffic) each component prices. */
const SECTION_OF: Readonly<Record<CostComponent, Section>> = {
  'gpu-fleet': 'endpoints',
  network: 'endpoints',
  'model-usage': 'router',
  router: 'router',
  guardrails: 'guardrails',
  'vector-store': 'vectorStore',
};

/** One priced line of the estimate. */
export interface CostLine {
  readonly component: CostComponent;
  /** The design section the line prices. */
  readonly section: Section;
  /**
   * Whether the cloud's AiStack builds that section today (`isDeployed`). A line that is not deployed
   * stays in `lines`, marked, but is left out of `totalMonthlyUsd`.
   */
  readonly deployed: boolean;
  /** What is priced, e.g. `endpoint llama (g6.xlarge) spot`. */
  readonly item: string;
  readonly monthlyUsd: number;
  /** The same line if everything were bought on demand. */
  readonly allOnDemandMonthlyUsd: number;
  /** For GPU fleet lines: the purchase type and replica count priced. */
  readonly purchase?: 'reserved' | 'on-demand' | 'spot';
  readonly replicas?: number;
  readonly hourlyUsd?: number;
}

/** An endpoint's replicas by purchase type as priced, so tests can compare them with synthesized resources. */
export interface EndpointEstimate {
  readonly name: string;
  readonly instanceType: string;
  readonly replicas: ReplicaMix;
  readonly monthlyUsd: number;
  readonly allOnDemandMonthlyUsd: number;
}

export interface CloudEstimate {
  readonly cloud: Cloud;
  readonly lines: readonly CostLine[];
  readonly endpoints: readonly EndpointEstimate[];
  /** The deployed total: the lines of the sections this cloud's AiStack builds. */
  readonly totalMonthlyUsd: number;
  /** The deployed lines if everything were bought on demand. */
  readonly allOnDemandMonthlyUsd: number;
  /** Every line, deployed or not: what the whole design would cost once every section is built. */
  readonly designTotalMonthlyUsd: number;
  /** allOnDemand - total: what the purchase mix saves. */
  readonly savingMonthlyUsd: number;
  readonly savingPercent: number;
  /** Sections of the design this cloud does not build yet (their lines are marked and not in the total). */
  readonly notDeployed: readonly Section[];
  /** Present when the design has a budget. */
  readonly budget?: BudgetCheck;
}

/** The budget check of one cloud: the figure compared, and what it leaves out. */
export interface BudgetCheck {
  readonly monthlyLimitUsd: number;
  /** Always the deployed total (`totalMonthlyUsd`). */
  readonly comparedMonthlyUsd: number;
  readonly compared: 'deployed total';
  /** Sections with priced lines that this cloud does not deploy, so not in the compared figure. */
  readonly excludedSections: readonly Section[];
  readonly withinBudget: boolean;
}

export interface CostEstimate {
  readonly design: string;
  readonly clouds: readonly CloudEstimate[];
}

const cents = (n: number) => Math.round(n * 100) / 100;

/** Monthly cost of a design on each target cloud, by component, with the all-on-demand comparison. */
export function estimateMonthlyCost(design: AiStackDesign, options: ValidateOptions = {}): CostEstimate {
  validateDesign(design, options);
  return { design: design.name, clouds: targetClouds(design, options).map((cloud) => estimateCloud(design, cloud)) };
}

function priced(design: AiStackDesign, offer: InstanceOffer): { onDemand: number; spot: number; committed: number } {
  const o = design.prices?.instances?.[offer.type] ?? {};
  return {
    onDemand: o.onDemandHourlyUsd ?? offer.onDemandHourlyUsd,
    spot: o.spotHourlyUsd ?? offer.spotHourlyUsd ?? offer.onDemandHourlyUsd,
    committed: o.committed1yHourlyUsd ?? offer.committed1yHourlyUsd,
  };
}

function estimateCloud(design: AiStackDesign, cloud: Cloud): CloudEstimate {
  const lines: CostLine[] = [];
  const endpoints: EndpointEstimate[] = [];
  for (const e of design.endpoints ?? []) {
    const plan = planFleet(resolveGpuEndpoint(e, cloud));
    const offer = plan.instanceTypes[0];
    const price = priced(design, offer);
    const mix = plan.expected;
    const parts: [CostLine['purchase'], number, number][] = [
      ['reserved', mix.reserved, price.committed],
      ['on-demand', mix.onDemand, price.onDemand],
      ['spot', mix.spot, price.spot],
    ];
    let total = 0;
    let allOnDemand = 0;
    for (const [purchase, replicas, hourly] of parts) {
      if (replicas === 0) continue;
      const monthly = cents(replicas * hourly * HOURS_PER_MONTH);
      const ondemand = cents(replicas * price.onDemand * HOURS_PER_MONTH);
      total += monthly;
      allOnDemand += ondemand;
      lines.push({ ...about('gpu-fleet', cloud), item: `endpoint ${e.name} (${offer.type}) ${purchase}`, purchase, replicas, hourlyUsd: hourly, monthlyUsd: monthly, allOnDemandMonthlyUsd: ondemand });
    }
    endpoints.push({ name: e.name, instanceType: offer.type, replicas: mix, monthlyUsd: cents(total), allOnDemandMonthlyUsd: cents(allOnDemand) });
    const lb = ENDPOINT_FIXED[cloud];
    lines.push({ ...about('network', cloud), item: `endpoint ${e.name} ${lb.item}`, monthlyUsd: cents(lb.monthlyUsd), allOnDemandMonthlyUsd: cents(lb.monthlyUsd) });
  }
  if ((design.endpoints ?? []).length > 0) {
    const nat = NAT_FIXED[cloud];
    lines.push({ ...about('network', cloud), item: nat.item, monthlyUsd: cents(nat.monthlyUsd), allOnDemandMonthlyUsd: cents(nat.monthlyUsd) });
  }
  if (design.router) {
    // Each cloud's router calls the models of its own cloud and its GPU endpoints (placeRouter).
    const placed = placeRouter(design.router, cloud).router;
    lines.push(...modelUsage(design, placed, cloud));
    for (const r of routerCostItems(design.router, cloud)) {
      const monthly = cents(r.monthlyUsd);
      lines.push({ ...about('router', cloud), item: r.item, monthlyUsd: monthly, allOnDemandMonthlyUsd: monthly });
    }
    if (design.guardrails) {
      for (const g of guardrailCostItems(design.guardrails, design.router, cloud)) {
        const monthly = cents(g.monthlyUsd);
        lines.push({ ...about('guardrails', cloud), item: g.item, monthlyUsd: monthly, allOnDemandMonthlyUsd: monthly });
      }
    }
  }
  if (design.vectorStore) {
    const model = resolveVectorStore(design.vectorStore, cloud).embedding.id;
    for (const v of vectorStoreCostItems(design.vectorStore, cloud, design.prices?.models?.[model]?.inputPer1kUsd)) {
      const monthly = cents(v.monthlyUsd);
      lines.push({ ...about('vector-store', cloud), item: v.item, monthlyUsd: monthly, allOnDemandMonthlyUsd: monthly });
    }
  }
  const deployed = lines.filter((l) => l.deployed);
  const totalMonthlyUsd = cents(deployed.reduce((s, l) => s + l.monthlyUsd, 0));
  const allOnDemandMonthlyUsd = cents(deployed.reduce((s, l) => s + l.allOnDemandMonthlyUsd, 0));
  const savingMonthlyUsd = cents(allOnDemandMonthlyUsd - totalMonthlyUsd);
  const notDeployed = notDeployedSections(design, cloud);
  return {
    cloud,
    lines,
    endpoints,
    totalMonthlyUsd,
    allOnDemandMonthlyUsd,
    designTotalMonthlyUsd: cents(lines.reduce((s, l) => s + l.monthlyUsd, 0)),
    savingMonthlyUsd,
    savingPercent: allOnDemandMonthlyUsd > 0 ? Math.round((savingMonthlyUsd / allOnDemandMonthlyUsd) * 1000) / 10 : 0,
    notDeployed,
    budget: design.budget
      ? {
          monthlyLimitUsd: design.budget.monthlyLimitUsd,
          comparedMonthlyUsd: totalMonthlyUsd,
          compared: 'deployed total',
          excludedSections: [...new Set(lines.filter((l) => !l.deployed).map((l) => l.section))],
          withinBudget: totalMonthlyUsd <= design.budget.monthlyLimitUsd,
        }
      : undefined,
  };
}

/** The component, section and deployed flag of a line of `component` on `cloud`. */
function about(component: CostComponent, cloud: Cloud): Pick<CostLine, 'component' | 'section' | 'deployed'> {
  const section = SECTION_OF[component];
  return { component, section, deployed: isDeployed(section, cloud) };
}

/** Price per 1K tokens of a router target, after design overrides. */
function targetPrice(design: AiStackDesign, router: RouterDesign, targetId: string): { input: number; output: number } {
  const target = router.models.find((m) => m.id === targetId);
  if (!target) return { input: 0, output: 0 };
  const spec = target.provider === 'endpoint' ? undefined : findModel(target.model);
  const override = design.prices?.models?.[target.model];
  return {
    input: target.inputPer1kUsd ?? override?.inputPer1kUsd ?? spec?.inputPer1kUsd ?? 0,
    output: target.outputPer1kUsd ?? override?.outputPer1kUsd ?? spec?.outputPer1kUsd ?? 0,
  };
}

/** The targets a route serves from, with their traffic shares (weights for `weighted`, the first otherwise). */
function primaryTargets(route: RouteDesign): { model: string; share: number }[] {
  const strategy = route.strategy ?? ROUTER_DEFAULTS.strategy;
  const targets = strategy === 'tiered' ? (route.tiers?.[0]?.targets ?? []) : route.targets;
  if (targets.length === 0) return [];
  if (strategy !== 'weighted') return [{ model: targets[0].model, share: 1 }];
  const sum = targets.reduce((s, t) => s + (t.weight ?? ROUTER_DEFAULTS.weight), 0);
  return targets.map((t) => ({ model: t.model, share: (t.weight ?? ROUTER_DEFAULTS.weight) / sum }));
}

function modelUsage(design: AiStackDesign, router: RouterDesign, cloud: Cloud): CostLine[] {
  const lines: CostLine[] = [];
  for (const t of router.traffic ?? []) {
    const route = router.routes.find((r) => r.name === t.route);
    if (!route) continue;
    const requests = t.requestsPerDay * DAYS_PER_MONTH;
    for (const { model, share } of primaryTargets(route)) {
      const price = targetPrice(design, router, model);
      const monthly = cents(requests * share * ((t.avgInputTokens / 1000) * price.input + (t.avgOutputTokens / 1000) * price.output));
      lines.push({ ...about('model-usage', cloud), item: `route ${route.name} -> ${model}${share < 1 ? ` (${Math.round(share * 100)}%)` : ''}`, monthlyUsd: monthly, allOnDemandMonthlyUsd: monthly });
    }
  }
  return lines;
}
