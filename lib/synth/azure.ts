import type { AiStackDesign } from '../design';
import { AiStack } from '../azure/ai-stack';
import type { CloudSynthResult } from './result';
import { synthTerraform } from './terraform';

/** Synthesizes the design's Azure stack as Terraform JSON in `outdir`. */
export function synthAzure(design: AiStackDesign, outdir: string): CloudSynthResult {
  return synthTerraform('azure', outdir, (app) => new AiStack(app, design.name, { design }));
}
