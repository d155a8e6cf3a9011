import type { Cloud } from '../design';

/** What synthesizing one cloud produced. */
export interface CloudSynthResult {
  readonly cloud: Cloud;
  /** Output files, relative to the cloud's output directory. */
  readonly files: readonly string[];
  /** Resource type of every resource synthesized, e.g. `AWS::EC2::VPC`, `google_compute_network`. */
  readonly resources: readonly string[];
  /** Errors raised during synth (e.g. cdk-nag findings); any error fails the synth. */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/** Resource count by type, sorted by type. */
export function countByType(resources: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}
