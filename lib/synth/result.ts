import type { Cloud } from '../design';

/** A warning a construct raised at synth, with the id a user acknowledges it by. */
export interface SynthWarning {
  /** The warning's id, e.g. `ai-stack:gcp-group-floor`; `unknown` when the construct gave none. */
  readonly id: string;
  /** Construct path, e.g. `support-ai/endpoint-llama-8b`. */
  readonly path: string;
  readonly message: string;
}

/** What synthesizing one cloud produced. */
export interface CloudSynthResult {
  readonly cloud: Cloud;
  /** Output files, relative to the cloud's output directory. */
  readonly files: readonly string[];
  /** Resource type of every resource synthesized, e.g. `AWS::EC2::VPC`, `google_compute_network`. */
  readonly resources: readonly string[];
  /** Errors raised during synth (e.g. cdk-nag findings); any error fails the synth. */
  readonly errors: readonly string[];
  /** Every unacknowledged warning of every construct, in construct order. */
  readonly warnings: readonly SynthWarning[];
  readonly notes: readonly string[];
}

/** Resource count by type, sorted by type. */
export function countByType(resources: readonly string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** One warning as the CLI prints it: `warning [ai-stack:<id>] at <path>: <message>`. */
export function formatWarning(w: SynthWarning): string {
  return `warning [${w.id}] at ${w.path}: ${w.message}`;
}

/**
 * A CDK annotation (`Annotations.of(x).addWarningV2(id, msg)` stores `msg [ack: id]`) as a warning.
 * `path` is the construct path without CDK's leading slash.
 */
export function cdkWarning(path: string, data: string): SynthWarning {
  const m = /^([\s\S]*?)\s*\[ack: ([^\]]+)\]$/.exec(data);
  return { id: m ? m[2] : 'unknown', path: path.replace(/^\//, ''), message: m ? m[1] : data };
}

/** A cdktf annotation (constructs write `[ai-stack:<id>] msg` through `Annotations.of(x).addWarning`) as a warning. */
export function cdktfWarning(path: string, text: string): SynthWarning {
  const m = /^\[([^\]\s]+)\]\s*([\s\S]*)$/.exec(text);
  return { id: m ? m[1] : 'unknown', path, message: m ? m[2] : text };
}
