import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  let assembly: ReturnType<App['synth']>;
  try {
    assembly = app.synth();
  } catch (err) {
    const findings = validationFindings(outdir);
    if (findings.length === 0) throw err;
    return { cloud: 'aws', files: [], resources: [], errors: findings, warnings: [], notes: [] };
  }
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

interface ValidationReport {
  pluginReports: { pluginName: string; violations: { ruleName: string; description: string; severity?: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

/** The findings of CDK's policy validation report (cdk-nag, template validation), one line each. */
function validationFindings(outdir: string): string[] {
  const file = join(outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as ValidationReport;
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `[${plugin.pluginName}] ${v.ruleName} at ${c.constructPath}: ${v.description}`)),
  );
}
