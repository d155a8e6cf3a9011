import type { AiStackDesign } from '../design';
import { AiStack } from '../gcp/ai-stack';
import type { CloudSynthResult } from './result';
import { synthTerraform } from './terraform';

/** Synthesizes the design's GCP stack as Terraform JSON in `outdir`. */
export function synthGcp(design: AiStackDesign, outdir: string): CloudSynthResult {
  return synthTerraform('gcp', outdir, (app) => new AiStack(app, design.name, { design }));
}
