import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CLOUDS, estimateMonthlyCost, notDeployedSections, type AiStackDesign, type Cloud } from '../design';
import { CLOUD_PEERS, missingPeerError, missingPeers } from '../common/peers';
import { countByType, formatWarning, type CloudSynthResult } from '../synth/result';
import { formatCloudEstimate, table } from './format';
import { startAwsSynth, startTemplateValidator, yieldToWorkers, type PendingSynth, type TemplateValidator } from './parallel-synth';

/** Synthesizes one cloud; cloud libraries load only for the clouds asked for. */
function synthCloud(cloud: Cloud, design: AiStackDesign, outdir: string, validator?: TemplateValidator): CloudSynthResult {
  switch (cloud) {
    case 'aws':
      return (require('../synth/aws') as typeof import('../synth/aws')).synthAws(design, outdir, { templateValidator: validator?.channel });
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

export interface SynthOptions {
  /** Any warning fails the synth (nothing is written). */
  readonly strict?: boolean;
}

/** Refuses, in one message, clouds whose construct libraries are not installed. */
function assertPeersFor(clouds: readonly Cloud[]): void {
  const missing = missingPeers(clouds.flatMap((c) => CLOUD_PEERS[c]));
  if (missing.length > 0) throw missingPeerError(`ai-stack synth --cloud ${clouds.join(',')}`, missing);
}

/**
 * Synthesizes the design for each cloud into a staging directory beside `out`, and only when every
 * cloud succeeded (and, with `strict`, warned about nothing) replaces `out` with it: a failed synth
 * leaves `out` as it was (or absent).
 */
export function synthDesign(design: AiStackDesign, clouds: readonly Cloud[], out: string, options: SynthOptions = {}): SynthOutcome {
  assertPeersFor(clouds);
  const target = resolve(out);
  assertReplaceable(target, out);
  createParents(out);
  const staging = createStaging(out);
  const results: CloudSynthResult[] = [];
  // CDK's template validation starts its engine on another core while the stack is built.
  const validator = clouds.includes('aws') ? startTemplateValidator() : undefined;
  // With other clouds to synthesize, AWS's (the longest) runs beside them on another core.
  let aws: PendingSynth | undefined = clouds.includes('aws') && clouds.length > 1 ? startAwsSynth(design, join(staging, 'aws'), validator?.channel) : undefined;
  if (aws) yieldToWorkers();
  try {
    const byCloud = new Map<Cloud, CloudSynthResult>();
    for (const cloud of clouds) if (cloud !== 'aws' || !aws) byCloud.set(cloud, synthCloud(cloud, design, join(staging, cloud), validator));
    if (aws) {
      const pending = aws;
      aws = undefined;
      byCloud.set('aws', pending.wait());
    }
    for (const cloud of clouds) {
      const result = byCloud.get(cloud)!;
      if (result.errors.length > 0) {
        throw new Error(`${cloud} synth reported ${result.errors.length} error(s):\n${result.errors.map((e) => `  - ${e}`).join('\n')}`);
      }
      results.push(result);
    }
    const warnings = results.flatMap((r) => r.warnings);
    if (options.strict && warnings.length > 0) {
      throw new Error(
        `--strict: synth raised ${warnings.length} warning(s), so nothing was written:\n${warnings.map((w) => `  ${formatWarning(w)}`).join('\n')}\n` +
          'Change the design so the warning no longer applies, or synthesize without --strict.',
      );
    }
    if (existsSync(target)) rmSync(target, { recursive: true, force: true });
    chmodSync(staging, 0o755);
    renameSync(staging, target);
  } catch (err) {
    // The worker may still be writing into staging: let it finish before removing what it wrote.
    try {
      aws?.wait();
    } catch {
      // The first error is the one reported.
    }
    rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    validator?.stop();
  }
  return { results, report: report(design, clouds, results, out) };
}

/** A path as the user wrote it: relative to the working directory when `--out` was relative. */
function asGiven(out: string, path: string): string {
  return isAbsolute(out) ? path : relative(process.cwd(), path) || '.';
}

/** A file-system error code in words. */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'the file system does not allow creating it',
    ENOTDIR: 'a part of the path is a file',
    ENOSPC: 'no space left on the device',
  };
  return code ? `${code}: ${words[code] ?? 'refused by the file system'}` : (e as Error).message;
}

/**
 * Creates the missing parents of `out` one level at a time (a recursive mkdir loops forever on some
 * file systems, e.g. under /proc), each failure a message with the path as given and the fix.
 */
function createParents(out: string): void {
  const missing: string[] = [];
  let dir = dirname(resolve(out));
  while (!existsSync(dir) && dirname(dir) !== dir) {
    missing.unshift(dir);
    dir = dirname(dir);
  }
  if (!statSync(dir).isDirectory()) {
    throw new Error(`--out ${out}: ${asGiven(out, dir)} is a file, not a directory; choose an output directory outside it, such as synth.out`);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      throw new Error(`--out ${out}: cannot create the directory ${asGiven(out, d)} (${reason(e)}); choose a directory you can write to, such as synth.out`);
    }
  }
}

/** The staging directory beside `out` that replaces it when the synth succeeds. */
function createStaging(out: string): string {
  const target = resolve(out);
  try {
    return mkdtempSync(join(dirname(target), `.${basename(target)}.staging-`));
  } catch (e) {
    throw new Error(`--out ${out}: cannot write in ${asGiven(out, dirname(target))} (${reason(e)}); choose a directory you can write to, such as synth.out`);
  }
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
    const notDeployed = notDeployedSections(design, r.cloud);
    return [
      `== ${r.cloud}: ${r.resources.length} resources in ${join(out, r.cloud)} (${r.files.join(', ')})`,
      table(['resource type', 'count'], counts.map(([type, n]) => [type, String(n)])),
      ...r.notes,
      notDeployed.length > 0
        ? `not deployed on ${r.cloud}: ${notDeployed.join(', ')} (in the design, but ${r.cloud}'s AiStack does not build these sections yet; no resources were created for them)`
        : `every section of the design is deployed on ${r.cloud}`,
      ...r.warnings.map(formatWarning),
      '',
      est ? formatCloudEstimate(est) : '',
    ].join('\n');
  });
  return sections.join('\n\n');
}
