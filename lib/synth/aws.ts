import { App, Validations } from 'aws-cdk-lib';
import type { AiStackDesign } from '../design';
import { AiStack } from '../aws/ai-stack';
import type { CloudSynthResult } from './result';

/** Template validation findings fail synth instead of warning (CDK's strict mode). */
export const STRICT_CONTEXT = { '@aws-cdk/core:validateAgainstDefaultRules': true };

/** Runs cdk-nag's AwsSolutions pack when cdk-nag is installed (it is an optional dev tool). */
function addNagChecks(app: App): boolean {
  let nag: typeof import('cdk-nag');
  try {
    nag = require('cdk-nag');
  } catch {
    return false;
  }
  Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app, { verbose: true }));
  return true;
}

/** Synthesizes the design's AWS stack as a CDK cloud assembly in `outdir`. */
export function synthAws(design: AiStackDesign, outdir: string, options: { nag?: boolean } = {}): CloudSynthResult {
  const app = new App({ outdir, analyticsReporting: false, context: STRICT_CONTEXT });
  const stack = new AiStack(app, design.name, { design });
  const nagged = options.nag !== false && addNagChecks(app);
  const assembly = app.synth();
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const artifact of assembly.stacks) {
    for (const message of artifact.messages) {
      const text = `${message.id}: ${String(message.entry.data)}`;
      if (message.level === 'error') errors.push(text);
      else if (message.level === 'warning') warnings.push(text);
    }
  }
  const template = assembly.getStackByName(stack.stackName).template as { Resources?: Record<string, { Type: string }> };
  const resources = Object.values(template.Resources ?? {}).map((r) => r.Type);
  return {
    cloud: 'aws',
    files: assembly.stacks.map((s) => s.templateFile),
    resources,
    errors,
    warnings,
    notes: nagged ? ['cdk-nag AwsSolutions checks ran'] : ['cdk-nag not installed: AwsSolutions checks skipped'],
  };
}
