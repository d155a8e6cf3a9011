import { splitReplicas, type FleetPlan, type ReplicaMix } from '../../design';

/** How the replicas of one managed instance group are bought. */
export type CapacityClass = 'reserved' | 'on-demand' | 'spot';

/** The order groups are created and listed in. */
export const CAPACITY_CLASSES: readonly CapacityClass[] = ['reserved', 'on-demand', 'spot'];

/** Replica bounds of one managed instance group, derived from the fleet plan. */
export interface GroupBounds {
  readonly capacity: CapacityClass;
  /** The plan's replicas of this class at the fleet minimum (`plan.atMin`). */
  readonly planMin: number;
  /** The plan's replicas of this class at the fleet maximum (`plan.atMax`). */
  readonly planMax: number;
  /** Autoscaler `max_replicas`: always `planMax`. */
  readonly maxReplicas: number;
  /**
   * Replicas the group holds outside off-peak: `planMin`, raised to 1 when `planMin` is 0, because a
   * group scaled on a per-instance metric (GPU utilization) cannot go below one VM.
   */
  readonly minReplicas: number;
  /**
   * The same during off-peak (split of `offPeak.min`, raised to 1 likewise); undefined without off-peak.
   * Always `minReplicas` for the reserved group: the design requires `scaling.offPeak.min >=
   * purchase.reserved` (a reservation is paid whether VMs run on it or not) and the split fills the
   * reservation first, so off-peak only ever lowers the on-demand and spot groups.
   */
  readonly offPeakMinReplicas?: number;
}

function share(mix: ReplicaMix, capacity: CapacityClass): number {
  if (capacity === 'reserved') return mix.reserved;
  if (capacity === 'on-demand') return mix.onDemand;
  return mix.spot;
}

/**
 * One group per capacity class the plan uses at its maximum, with the plan's split at min and max
 * (and at the off-peak minimum) as autoscaler bounds. Reserved replicas need their own group: a
 * template targeting a specific reservation cannot create VMs once the reservation is full.
 */
export function groupBounds(plan: FleetPlan, offPeakMin?: number): GroupBounds[] {
  const offPeak = offPeakMin === undefined ? undefined : splitReplicas(offPeakMin, plan.reserved, plan.onDemandBase, plan.spotPercentAboveBase);
  return CAPACITY_CLASSES.filter((c) => share(plan.atMax, c) > 0).map((capacity) => {
    const planMin = share(plan.atMin, capacity);
    // The plan's floor: at least one replica per group (see FleetPlan.floor), shared with the estimate.
    const minReplicas = share(plan.floor, capacity);
    return {
      capacity,
      planMin,
      planMax: share(plan.atMax, capacity),
      maxReplicas: share(plan.atMax, capacity),
      minReplicas,
      offPeakMinReplicas: offPeak === undefined ? undefined : Math.min(Math.max(share(offPeak, capacity), 1), minReplicas),
    };
  });
}
