import { findAccelerator, offersFor, type InstanceOffer } from './catalog/accelerators';
import type { Cloud } from './cloud';
import { DesignError } from './problems';
import type { ResolvedGpuEndpoint } from './gpu-endpoint';

/** Replicas by how they are bought. */
export interface ReplicaMix {
  /** Replicas on reserved capacity (paid at the committed rate whether running or not). */
  readonly reserved: number;
  /** On-demand replicas (base above the reservation, plus the on-demand share above the base). */
  readonly onDemand: number;
  readonly spot: number;
}

/**
 * How an endpoint's fleet is bought on one cloud: the single source of the numbers that both the cost
 * estimate and each cloud's constructs use, so the two cannot disagree.
 */
export interface FleetPlan {
  readonly cloud: Cloud;
  readonly accelerator: string;
  readonly acceleratorsPerReplica: number;
  /** Instance types carrying the accelerator count, cheapest first; the first is priced. */
  readonly instanceTypes: readonly InstanceOffer[];
  readonly min: number;
  readonly max: number;
  readonly reserved: number;
  readonly onDemandBase: number;
  /** reserved + onDemandBase: replicas that are always on-demand before any spot. */
  readonly baseCapacity: number;
  readonly spotPercentAboveBase: number;
  /** The mix at `min` replicas. */
  readonly atMin: ReplicaMix;
  /** The mix at `max` replicas. */
  readonly atMax: ReplicaMix;
  /**
   * Fewest replicas of each purchase type that run. On GCP every purchase type the fleet uses keeps
   * at least one replica: its managed instance group scales on a per-instance metric (GPU
   * utilization), which cannot scale a group out from zero. Elsewhere this is `atMin`.
   */
  readonly floor: ReplicaMix;
  /** The mix at the expected monthly average (never below `floor`), priced by the estimate. */
  readonly expected: ReplicaMix;
}

/** Each purchase type raised to at least one replica where the fleet uses it at its maximum. */
function perTypeFloor(atMin: ReplicaMix, atMax: ReplicaMix): ReplicaMix {
  const one = (min: number, max: number) => (max > 0 ? Math.max(min, 1) : min);
  return { reserved: one(atMin.reserved, atMax.reserved), onDemand: one(atMin.onDemand, atMax.onDemand), spot: one(atMin.spot, atMax.spot) };
}

function atLeast(mix: ReplicaMix, floor: ReplicaMix): ReplicaMix {
  return { reserved: Math.max(mix.reserved, floor.reserved), onDemand: Math.max(mix.onDemand, floor.onDemand), spot: Math.max(mix.spot, floor.spot) };
}

/**
 * Splits `total` replicas into reserved, on-demand and spot. The on-demand share above the base is
 * rounded up (as EC2 Auto Scaling does), so spot never exceeds its percentage.
 */
export function splitReplicas(total: number, reserved: number, onDemandBase: number, spotPercentAboveBase: number): ReplicaMix {
  const onReserved = Math.min(total, reserved);
  const onBase = Math.min(Math.max(total - reserved, 0), onDemandBase);
  const above = Math.max(total - reserved - onDemandBase, 0);
  const onDemandAbove = Math.ceil((above * (100 - spotPercentAboveBase)) / 100);
  return { reserved: onReserved, onDemand: onBase + onDemandAbove, spot: above - onDemandAbove };
}

export function planFleet(endpoint: ResolvedGpuEndpoint): FleetPlan {
  const spec = findAccelerator(endpoint.accelerator);
  const instanceTypes = spec ? offersFor(spec, endpoint.cloud, endpoint.acceleratorsPerReplica) : [];
  if (instanceTypes.length === 0) {
    throw new DesignError([
      { path: `endpoints.${endpoint.name}.accelerator`, message: `${endpoint.accelerator} x${endpoint.acceleratorsPerReplica} is not offered on ${endpoint.cloud}` },
    ]);
  }
  const { reserved, onDemandBase, spotPercentAboveBase } = endpoint.purchase;
  const split = (n: number) => splitReplicas(n, reserved, onDemandBase, spotPercentAboveBase);
  const atMin = split(endpoint.capacity.min);
  const atMax = split(endpoint.capacity.max);
  const floor = endpoint.cloud === 'gcp' ? perTypeFloor(atMin, atMax) : atMin;
  return {
    cloud: endpoint.cloud,
    accelerator: endpoint.accelerator,
    acceleratorsPerReplica: endpoint.acceleratorsPerReplica,
    instanceTypes,
    min: endpoint.capacity.min,
    max: endpoint.capacity.max,
    reserved,
    onDemandBase,
    baseCapacity: reserved + onDemandBase,
    spotPercentAboveBase,
    atMin,
    atMax,
    floor,
    // The reservation is paid in full whether or not replicas run on it.
    expected: { ...atLeast(split(endpoint.capacity.expectedAverage), floor), reserved },
  };
}
