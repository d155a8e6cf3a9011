// What `ai-stack check` must know of a GPU endpoint on Azure. Pure: no cdktf or provider, so the
// design's validation runs it without loading them; the construct runs it on its props too.
import { GPU_ENDPOINT_DEFAULTS, validateBootLiterals, validateGroupSplitLiterals, type GpuEndpointDesign } from '../../design/gpu-endpoint';
import { isToken, join, type Problems } from '../../design/problems';
import { quote } from '../../design/quote';
import { cronToRecurrence, windowsTimeZone, type AutoscaleRecurrence } from './schedule';

/** An orchestrated scale set holds at most this many instances. */
export const MAX_SCALE_SET_INSTANCES = 1000;
/** Automatic instance repair's grace period must lie between 10 and 90 minutes. */
export const REPAIR_GRACE_SECONDS = [600, 5400] as const;

const literal = (n: unknown): n is number => typeof n === 'number' && !isToken(n);

/** Rules Azure adds to the neutral endpoint rules. */
export function validateGpuEndpointOnAzure(e: GpuEndpointDesign, path: string, problems: Problems): void {
  validateBootLiterals(e, path, 'cloud-init', problems);
  validateGroupSplitLiterals(e, path, 'two scale sets, the capacity reservation and the autoscale setting', problems);
  if (isToken(e.scaling?.targetGpuUtilization)) {
    problems.add(
      join(path, 'scaling.targetGpuUtilization'),
      'must be a literal number, not an unresolved token: the autoscale scale-in threshold is computed from it at synth. Pass the number itself',
    );
  }

  const { min, max } = e.capacity ?? ({} as GpuEndpointDesign['capacity']);
  const reserved = e.purchase?.reserved ?? 0;
  if (literal(max) && literal(reserved) && max - reserved > MAX_SCALE_SET_INSTANCES) {
    problems.add(join(path, 'capacity.max'), `an Azure scale set holds at most ${MAX_SCALE_SET_INSTANCES} instances above the reservation (got ${max - reserved})`);
  }
  if (min === 0 && reserved === 0 && literal(max) && max > 0) {
    problems.add(
      join(path, 'capacity.min'),
      'must be >= 1 on Azure when purchase.reserved is 0 (got 0): Azure autoscale scales out on metrics the running replicas report, so a fleet ' +
        'created empty never scales out, and the autoscale setting cannot be created before a replica has published the GPU metric. ' +
        'Set capacity.min to 1 or more (scaling.offPeak.min may still be 0), or reserve capacity with purchase.reserved',
    );
  }
  const grace = e.startupGraceSeconds;
  const [lo, hi] = REPAIR_GRACE_SECONDS;
  if (literal(grace) && Number.isInteger(grace) && (grace < lo || grace > hi)) {
    problems.add(join(path, 'startupGraceSeconds'), `must be between ${lo} and ${hi} seconds on Azure, whose automatic instance repair waits 10 to 90 minutes (got ${quote(grace)})`);
  }
  offPeakRecurrences(e, path, problems);
}

/**
 * The off-peak window as autoscale recurrences (Windows time zone, weekly start times), or undefined
 * when the design has none or it cannot be converted (then `problems` says why).
 */
export function offPeakRecurrences(e: GpuEndpointDesign, path: string, problems: Problems): { start: AutoscaleRecurrence; end: AutoscaleRecurrence } | undefined {
  const offPeak = e.scaling?.offPeak;
  if (!offPeak || [offPeak.start, offPeak.end, offPeak.timeZone].some((v) => v !== undefined && (typeof v !== 'string' || isToken(v)))) return undefined;
  const at = (key: string) => join(path, `scaling.offPeak.${key}`);
  const tz = windowsTimeZone(offPeak.timeZone ?? GPU_ENDPOINT_DEFAULTS.timeZone, at('timeZone'), problems);
  const start = cronToRecurrence(offPeak.start, tz ?? 'UTC', at('start'), problems);
  const end = cronToRecurrence(offPeak.end, tz ?? 'UTC', at('end'), problems);
  return start && end && tz ? { start, end } : undefined;
}
