/**
 * The contract between the budget hard stop and each cloud's fleet adapter. The stop function
 * captures every group of the stack, records the captures, then scales each group to zero; resume
 * restores the records. Nothing here imports a cloud SDK or a construct library.
 */

/** One scalable group of a GPU endpoint, as the Budget construct lists it for the stop function. */
export interface FleetRef {
  readonly cloud: 'aws' | 'gcp' | 'azure';
  /**
   * The cloud's locator of the group:
   * - aws: the Auto Scaling group's name (or its ARN);
   * - gcp: the managed instance group's self link, or `projects/<p>/zones/<z>/instanceGroupManagers/<n>`
   *   (`regions/<r>/` for a regional group);
   * - azure: the scale set's resource id (`/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<n>`).
   */
  readonly id: string;
  /**
   * What scales the group besides its own size, when the cloud keeps it apart:
   * - gcp: the autoscaler's name or self link (same zone or region as the group);
   * - azure: the autoscale setting's resource id.
   * Unused on AWS (scaling policies and schedules belong to the group).
   *
   * @default - looked up: the group's `status.autoscaler` on GCP; on Azure the autoscale setting of the
   *   scale set's resource group whose `targetResourceUri` is the scale set
   */
  readonly autoscaler?: string;
}

/** What the stop replaced, enough for resume to restore it exactly. */
export interface FleetCapacity {
  readonly ref: FleetRef;
  readonly min: number;
  readonly max: number;
  readonly desired: number;
  /**
   * What else the cloud needs restored, JSON-safe (the stop function stores it as is):
   * - aws: `{ scheduledActionsSuspended }` - whether ScheduledActions was already suspended before the stop;
   * - gcp: `{ autoscaler, mode }` - the autoscaler's name and its `autoscalingPolicy.mode`, or `{}` without one;
   * - azure: `{ autoscaleSetting, enabled, profiles }` - the autoscale setting's id, its `enabled` flag and every
   *   profile's capacity (informational: the stop does not change profiles), or `{}` without one.
   */
  readonly extra?: Record<string, unknown>;
}

export interface FleetScaler {
  /** Reads the group's current capacity (and autoscaler settings). */
  capture(ref: FleetRef, signal?: AbortSignal): Promise<FleetCapacity>;
  /** Scales to zero and keeps it there: autoscaling cannot bring it back (min=max=desired=0, autoscaler off or bounded to 0). Idempotent. */
  scaleToZero(ref: FleetRef, signal?: AbortSignal): Promise<void>;
  /** Puts back exactly what capture returned. Idempotent. */
  restore(capacity: FleetCapacity, signal?: AbortSignal): Promise<void>;
}
