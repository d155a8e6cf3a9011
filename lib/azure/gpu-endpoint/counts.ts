import { splitReplicas, type FleetPlan } from '../../design';

/**
 * How the fleet plan maps onto the two Azure scale sets. All numbers derive from the plan, so the cost
 * estimate and the resources cannot disagree:
 *
 * - the reserved scale set always runs `plan.reserved` instances on the capacity reservation (paid in
 *   full whether running or not, so they are never scaled in);
 * - the burst scale set carries everything above the reservation: the on-demand base, then the
 *   on-demand share and the spot share above the base, via Azure Spot Priority Mix.
 */
export interface ScaleSetCounts {
  /** Instances of the reserved scale set (= capacity reservation quantity). */
  readonly reserved: number;
  /** Autoscale bounds of the burst scale set outside off-peak. */
  readonly burstMin: number;
  readonly burstMax: number;
  /** Burst scale set minimum during the off-peak window, when there is one. */
  readonly burstOffPeakMin?: number;
  /** Spot Priority Mix of the burst set; undefined when no replica is ever spot (the set is Regular priority). */
  readonly priorityMix?: { readonly baseRegularCount: number; readonly regularPercentageAboveBase: number };
}

/** Replicas of a fleet of `total` that run on the burst scale set (everything not on the reservation). */
export function burstReplicas(total: number, plan: FleetPlan): number {
  const mix = splitReplicas(total, plan.reserved, plan.onDemandBase, plan.spotPercentAboveBase);
  return mix.onDemand + mix.spot;
}

export function scaleSetCounts(plan: FleetPlan, offPeakMin?: number): ScaleSetCounts {
  const burstMax = burstReplicas(plan.max, plan);
  const spotEver = plan.spotPercentAboveBase > 0 && plan.atMax.spot > 0;
  return {
    reserved: plan.reserved,
    burstMin: burstReplicas(plan.min, plan),
    burstMax,
    burstOffPeakMin: offPeakMin === undefined ? undefined : burstReplicas(offPeakMin, plan),
    priorityMix: spotEver
      ? { baseRegularCount: plan.onDemandBase, regularPercentageAboveBase: 100 - plan.spotPercentAboveBase }
      : undefined,
  };
}

/**
 * Regular and spot instances of a Spot-priority scale set of `instances` VMs under a priority mix, with
 * the regular share above the base rounded up as the plan rounds on-demand up. (Azure documents the
 * split, not its rounding of a fractional VM: an odd count can differ from the plan by one replica.)
 */
export function priorityMixSplit(instances: number, baseRegularCount: number, regularPercentageAboveBase: number): { regular: number; spot: number } {
  const base = Math.min(instances, baseRegularCount);
  const above = instances - base;
  const regularAbove = Math.ceil((above * regularPercentageAboveBase) / 100);
  return { regular: base + regularAbove, spot: above - regularAbove };
}
