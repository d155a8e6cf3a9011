import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type TerraformStack } from 'cdktf';
import type { Cloud } from '../design';
import { cdktfWarning, type CloudSynthResult, type SynthWarning } from './result';

interface Manifest {
  stacks: Record<string, { annotations?: { constructPath: string; level: string; message: string }[] }>;
}

/**
 * Synthesizes a cdktf stack into `outdir` (`stacks/<name>/cdk.tf.json`) and lists its resources and
 * the warnings and errors its constructs annotated (cdktf writes those to `manifest.json`).
 * Stack traces are left out of the manifest: they hold this machine's paths.
 */
export function synthTerraform(cloud: Cloud, outdir: string, build: (app: App) => TerraformStack): CloudSynthResult {
  const app = new App({ outdir, skipValidation: false, hclOutput: false, stackTraces: false });
  const stack = build(app);
  app.synth();
  const file = join('stacks', stack.node.id, 'cdk.tf.json');
  const json = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
  const resources: string[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const _ of Object.keys(byName)) resources.push(type);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const warnings: SynthWarning[] = [];
  const errors: string[] = [];
  for (const a of manifest.stacks[stack.node.id]?.annotations ?? []) {
    if (a.level === '@cdktf/warn') warnings.push(cdktfWarning(a.constructPath, a.message));
    else if (a.level === '@cdktf/error') errors.push(`${a.constructPath}: ${a.message}`);
  }
  return { cloud, files: [file], resources, errors, warnings, notes: [] };
}
