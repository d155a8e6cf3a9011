import type {
  MonitorAutoscaleSettingProfile,
  MonitorAutoscaleSettingProfileRule,
} from '@cdktf/provider-azurerm/lib/monitor-autoscale-setting';
import { GPU_METRIC_NAME, GPU_METRIC_NAMESPACE } from './cloud-init';
import type { AutoscaleRecurrence } from './schedule';

/** Host CPU thresholds (percent): a safety net next to GPU utilization, or the only signal without it. */
export const CPU_SCALE_OUT_PERCENT = 80;
export const CPU_SCALE_IN_PERCENT = 30;

export interface AutoscaleRulesOptions {
  /** Id of the scale set the host CPU metric is read from (the burst scale set). */
  readonly scaleSetId: string;
  /**
   * Id of the resource the replicas publish the GPU utilization custom metric against (the internal
   * load balancer); undefined scales on host CPU only.
   */
  readonly gpuMetricResourceId?: string;
  /** Average GPU utilization (percent) to hold. */
  readonly targetGpuUtilization: number;
}

/** GPU utilization below which the fleet scales in: half the target, so one fewer replica stays under it. */
export function gpuScaleInThreshold(target: number): number {
  return Math.max(5, Math.round(target / 2));
}

function rule(
  metric: { name: string; namespace: string; resourceId: string },
  direction: 'Increase' | 'Decrease',
  threshold: number,
): MonitorAutoscaleSettingProfileRule {
  const out = direction === 'Increase';
  return {
    metricTrigger: {
      metricName: metric.name,
      metricNamespace: metric.namespace,
      metricResourceId: metric.resourceId,
      timeGrain: 'PT1M',
      statistic: 'Average',
      timeWindow: out ? 'PT5M' : 'PT10M',
      timeAggregation: 'Average',
      operator: out ? 'GreaterThan' : 'LessThan',
      threshold,
    },
    scaleAction: { direction, type: 'ChangeCount', value: 1, cooldown: out ? 'PT5M' : 'PT10M' },
  };
}

/**
 * Scale out when any out-rule fires; Azure scales in only when every in-rule holds, so the CPU in-rule
 * never blocks a GPU-driven scale-in on its own unless the CPU is busy.
 */
export function autoscaleRules(o: AutoscaleRulesOptions): MonitorAutoscaleSettingProfileRule[] {
  const cpu = { name: 'Percentage CPU', namespace: 'microsoft.compute/virtualmachinescalesets', resourceId: o.scaleSetId };
  const rules: MonitorAutoscaleSettingProfileRule[] = [];
  if (o.gpuMetricResourceId !== undefined) {
    const gpu = { name: GPU_METRIC_NAME, namespace: GPU_METRIC_NAMESPACE, resourceId: o.gpuMetricResourceId };
    rules.push(rule(gpu, 'Increase', o.targetGpuUtilization), rule(gpu, 'Decrease', gpuScaleInThreshold(o.targetGpuUtilization)));
  }
  rules.push(rule(cpu, 'Increase', CPU_SCALE_OUT_PERCENT), rule(cpu, 'Decrease', CPU_SCALE_IN_PERCENT));
  return rules;
}

export interface ProfilesOptions extends AutoscaleRulesOptions {
  readonly min: number;
  readonly max: number;
  /** The off-peak window: its minimum and the weekly recurrences of its start and end. */
  readonly offPeak?: { readonly min: number; readonly start: AutoscaleRecurrence; readonly end: AutoscaleRecurrence };
}

/**
 * The default profile (normal minimum), plus, with an off-peak window, a recurring `off-peak` profile
 * from its start and a recurring `peak` profile from its end. A recurring profile stays in force until
 * the next recurring profile starts, so the pair alternates forever; the default profile covers the
 * time before either first fires.
 */
export function autoscaleProfiles(o: ProfilesOptions): MonitorAutoscaleSettingProfile[] {
  const rules = autoscaleRules(o);
  const capacity = (min: number) => ({ minimum: min, maximum: o.max, default: min });
  const profiles: MonitorAutoscaleSettingProfile[] = [{ name: 'default', capacity: capacity(o.min), rule: rules }];
  if (o.offPeak) {
    profiles.push(
      { name: 'off-peak', capacity: capacity(o.offPeak.min), rule: rules, recurrence: o.offPeak.start },
      { name: 'peak', capacity: capacity(o.min), rule: rules, recurrence: o.offPeak.end },
    );
  }
  return profiles;
}
