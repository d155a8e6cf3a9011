import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type TerraformStack } from 'cdktf';
import type { Cloud } from '../design';
import type { CloudSynthResult } from './result';

/** Synthesizes a cdktf stack into `outdir` (`stacks/<name>/cdk.tf.json`) and lists its resources. */
export function synthTerraform(cloud: Cloud, outdir: string, build: (app: App) => TerraformStack): CloudSynthResult {
  const app = new App({ outdir, skipValidation: false, hclOutput: false });
  const stack = build(app);
  app.synth();
  const file = join('stacks', stack.node.id, 'cdk.tf.json');
  const json = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
  const resources: string[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) for (const _ of Object.keys(byName)) resources.push(type);
  return { cloud, files: [file], resources, errors: [], warnings: [], notes: [] };
}
