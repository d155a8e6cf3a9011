import { clip } from './quote';
import type { RouterRoute, WeightedTarget } from '../config';
import type { Random } from './clock';
import { invalidRequest } from './errors';

/** The targets one request will try, in order, and why. */
export interface TargetPlan {
  /** Target ids, first choice first, fallbacks last, without repeats. */
  readonly targets: readonly string[];
  /** The tier chosen by a `tiered` route. */
  readonly tier?: string;
}

/** Picks one target by weight: `r` in [0, 1) falls in the target's share of the total weight. */
export function pickWeighted(targets: readonly WeightedTarget[], r: number): number {
  let total = 0;
  for (const t of targets) total += t.weight;
  let point = r * total;
  for (let i = 0; i < targets.length; i++) {
    point -= targets[i].weight;
    if (point < 0) return i;
  }
  return targets.length - 1;
}

/** The weighted pick first, then the other targets in their listed order. */
function weightedOrder(targets: readonly WeightedTarget[], random: Random): string[] {
  if (targets.length <= 1) return targets.map((t) => t.target);
  const first = pickWeighted(targets, random());
  return [targets[first].target, ...targets.filter((_, i) => i !== first).map((t) => t.target)];
}

function tierFor(route: RouterRoute, promptTokens: number, forced: string | undefined) {
  if (forced !== undefined) {
    const tier = route.tiers.find((t) => t.name === forced);
    if (!tier) {
      throw invalidRequest(`x-ai-stack-tier '${clip(forced)}' is not a tier of route '${route.name}' (tiers: ${route.tiers.map((t) => t.name).join(', ')})`, 'x-ai-stack-tier', 'unknown_tier');
    }
    return tier;
  }
  const tier = route.tiers.find((t) => t.maxPromptTokens === undefined || promptTokens <= t.maxPromptTokens);
  if (!tier) {
    const last = route.tiers[route.tiers.length - 1];
    throw invalidRequest(
      `the prompt (~${promptTokens} tokens) is larger than every tier of route '${route.name}' (largest: '${last.name}' up to ${last.maxPromptTokens}); shorten it or force a tier with the x-ai-stack-tier header`,
      'messages',
      'context_length_exceeded',
    );
  }
  return tier;
}

/**
 * The order in which a request tries targets:
 * - `ordered`: the route's targets as listed;
 * - `weighted`: one target drawn by weight (A/B), then the others as listed;
 * - `tiered`: the first tier whose `maxPromptTokens` fits the estimated prompt (or the tier named by
 *   the `x-ai-stack-tier` header), drawn by weight within the tier;
 * then the route's fallbacks. A target appears once, at its first position.
 */
export function planTargets(route: RouterRoute, promptTokens: number, forcedTier: string | undefined, random: Random): TargetPlan {
  let chosen: string[];
  let tier: string | undefined;
  if (route.strategy === 'tiered') {
    const t = tierFor(route, promptTokens, forcedTier);
    tier = t.name;
    chosen = weightedOrder(t.targets, random);
  } else {
    if (forcedTier !== undefined) {
      throw invalidRequest(`x-ai-stack-tier applies to tiered routes only; route '${route.name}' is ${route.strategy}`, 'x-ai-stack-tier', 'unknown_tier');
    }
    chosen = route.strategy === 'weighted' ? weightedOrder(route.targets, random) : route.targets.map((t) => t.target);
  }
  const targets = [...new Set([...chosen, ...route.fallbacks])];
  return tier === undefined ? { targets } : { targets, tier };
}
