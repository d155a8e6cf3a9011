// What `ai-stack check` must know of a GPU endpoint on Google Cloud. Pure: no cdktf or provider, so
// the design's validation runs it without loading them; the construct runs it on its props too.
import { isCron, validateBootLiterals, validateGroupSplitLiterals, type GpuEndpointDesign } from '../../design/gpu-endpoint';
import { isToken, join, type Problems } from '../../design/problems';
import { peakSchedules } from './schedule';

/** Rules GCP adds to the neutral endpoint rules. */
export function validateGpuEndpointOnGcp(e: GpuEndpointDesign, path: string, problems: Problems): void {
  validateBootLiterals(e, path, 'startup script', problems);
  validateGroupSplitLiterals(e, path, 'managed instance groups and their autoscalers', problems);
  const offPeak = e.scaling?.offPeak;
  const literalCron = (v: unknown): v is string => typeof v === 'string' && !isToken(v) && isCron(v);
  if (offPeak && literalCron(offPeak.start) && literalCron(offPeak.end)) {
    const result = peakSchedules(offPeak.start, offPeak.end);
    if ('problem' in result) problems.add(join(path, `scaling.offPeak.${result.problem.field}`), result.problem.message);
  }
}
