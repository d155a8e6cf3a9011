import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CLOUDS, estimateMonthlyCost, type AiStackDesign, type Cloud } from '../design';
import { countByType, type CloudSynthResult } from '../synth/result';
import { formatCloudEstimate, table } from './format';

/** Synthesizes one cloud; cloud libraries load only for the clouds asked for. */
function synthCloud(cloud: Cloud, design: AiStackDesign, outdir: string): CloudSynthResult {
  switch (cloud) {
    case 'aws':
      return (require('../synth/aws') as typeof import('../synth/aws')).synthAws(design, outdir);
    case 'gcp':
      return (require('../synth/gcp') as typeof import('../synth/gcp')).synthGcp(design, outdir);
    case 'azure':
      return (require('../synth/azure') as typeof import('../synth/azure')).synthAzure(design, outdir);
  }
}

export interface SynthOutcome {
  readonly results: CloudSynthResult[];
  readonly report: string;
}

/**
 * Synthesizes the design for each cloud into a staging directory beside `out`, and only when every
 * cloud succeeded replaces `out` with it: a failed synth leaves `out` as it was (or absent).
 */
export function synthDesign(design: AiStackDesign, clouds: readonly Cloud[], out: string): SynthOutcome {
  const target = resolve(out);
  assertReplaceable(target, out);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.staging-`));
  const results: CloudSynthResult[] = [];
  try {
    for (const cloud of clouds) {
      const result = synthCloud(cloud, design, join(staging, cloud));
      if (result.errors.length > 0) {
        throw new Error(`${cloud} synth reported ${result.errors.length} error(s):\n${result.errors.map((e) => `  - ${e}`).join('\n')}`);
      }
      results.push(result);
    }
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    chmodSync(staging, 0o755);
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return { results, report: report(design, clouds, results, out) };
}

/**
 * The output directory is replaced whole, so it must be absent, empty, or an earlier synth output
 * (only `aws/`, `gcp/`, `azure/` inside): `--out .` must never delete a project.
 */
function assertReplaceable(target: string, out: string): void {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new Error(`--out ${out}: exists and is not a directory; choose a new directory such as synth.out`);
  const foreign = readdirSync(target).filter((entry) => !(CLOUDS as readonly string[]).includes(entry));
  if (foreign.length > 0) {
    throw new Error(
      `--out ${out}: holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}, so it is not an earlier synth output and will not be replaced; ` +
        'choose an empty or new directory such as synth.out',
    );
  }
}

function report(design: AiStackDesign, clouds: readonly Cloud[], results: readonly CloudSynthResult[], out: string): string {
  const estimate = estimateMonthlyCost(design, { clouds });
  const sections = results.map((r) => {
    const est = estimate.clouds.find((c) => c.cloud === r.cloud);
    const counts = countByType(r.resources);
    return [
      `== ${r.cloud}: ${r.resources.length} resources in ${join(out, r.cloud)} (${r.files.join(', ')})`,
      table(['resource type', 'count'], counts.map(([type, n]) => [type, String(n)])),
      ...r.notes,
      ...r.warnings.map((w) => `warning: ${w}`),
      '',
      est ? formatCloudEstimate(est) : '',
    ].join('\n');
  });
  return sections.join('\n\n');
}
