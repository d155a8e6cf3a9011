import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { AiStackDesign } from '../design';
import { AiStack } from '../aws/ai-stack';
import { cdkWarning, type CloudSynthResult, type SynthWarning } from './result';
import { validatedInAnotherThread, type MovedTemplateValidation, type TemplateValidatorChannel } from './template-validation';

/** Template validation findings fail synth instead of warning (CDK's strict mode). */
export const STRICT_CONTEXT = { '@aws-cdk/core:validateAgainstDefaultRules': true };

/** No construct-creation stack traces in the assembly: they hold this machine's paths and line numbers. */
const NO_TRACE_CONTEXT = { 'aws:cdk:disable-creation-stack-traces': true };

/**
 * Runs cdk-nag's AwsSolutions pack when cdk-nag is installed (it is an optional dev tool). With the
 * template validation `moved` to another thread, that validation starts when cdk-nag does.
 */
function addNagChecks(app: App, moved?: MovedTemplateValidation): boolean {
  let nag: typeof import('cdk-nag');
  try {
    nag = require('cdk-nag');
  } catch {
    return false;
  }
  const checks = new nag.AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(moved ? moved.runningBeside(checks) : checks);
  return true;
}

/**
 * Runs the AWS Control Tower rules of cfn-guard when `@cdklabs/cdk-validator-cfnguard` is installed
 * (an optional dev tool, like cdk-nag). The constructs fix or acknowledge, with reasons, every finding
 * of the example design (docs/aws/*.md, "Control Tower (cfn-guard) findings").
 */
function addGuardChecks(app: App): boolean {
  let guard: { CfnGuardValidator: new (props: { controlTowerRulesEnabled: boolean }) => import('aws-cdk-lib').IPolicyValidationPluginBeta1 };
  try {
    guard = require('@cdklabs/cdk-validator-cfnguard');
  } catch {
    return false;
  }
  Validations.of(app).addPlugins(new guard.CfnGuardValidator({ controlTowerRulesEnabled: true }));
  return true;
}

export interface AwsSynthOptions {
  /** cdk-nag's AwsSolutions pack, when cdk-nag is installed. @default true */
  readonly nag?: boolean;
  /** cfn-guard's Control Tower rules, when cdk-validator-cfnguard is installed. @default false */
  readonly controlTower?: boolean;
  /**
   * A thread that runs CDK's CloudFormation template validation (lib/cli/parallel-synth.ts starts it
   * before the synth, so its engine is ready when the template is).
   * @default - CDK validates in this thread
   */
  readonly templateValidator?: TemplateValidatorChannel;
}

/**
 * Synthesizes the design's AWS stack as a CDK cloud assembly in `outdir`. Stack traces are left out
 * of the assembly's metadata: they hold this machine's paths, so the same design synthesized in two
 * checkouts would differ.
 */
export function synthAws(design: AiStackDesign, outdir: string, options: AwsSynthOptions = {}): CloudSynthResult {
  const app = new App({ outdir, analyticsReporting: false, stackTraces: false, context: { ...STRICT_CONTEXT, ...NO_TRACE_CONTEXT } });
  const stack = new AiStack(app, design.name, { design });
  const moved = options.templateValidator && validatedInAnotherThread(options.templateValidator);
  const nagged = options.nag !== false && addNagChecks(app, moved);
  // Opt-in: cfn-guard runs a binary per synth (seconds); test/aws/control-tower-nag.test.ts runs it on the example design.
  const guarded = options.controlTower === true && addGuardChecks(app);
  // Registered last, where CDK puts its default one, so the report lists the plugins in the same order.
  if (moved) Validations.of(app).addPlugins(moved);
  let assembly: ReturnType<App['synth']>;
  try {
    assembly = app.synth();
  } catch (err) {
    const findings = validationFindings(outdir);
    if (findings.length === 0) throw err;
    return { cloud: 'aws', files: [], resources: [], errors: findings, warnings: [], notes: [] };
  }
  stripTraces(outdir);
  const errors: string[] = [];
  const warnings: SynthWarning[] = [];
  for (const artifact of assembly.stacks) {
    for (const message of artifact.messages) {
      if (message.level === 'error') errors.push(`${message.id.replace(/^\//, '')}: ${String(message.entry.data)}`);
      else if (message.level === 'warning') warnings.push(cdkWarning(message.id, String(message.entry.data)));
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
    notes: [
      nagged ? 'cdk-nag AwsSolutions checks ran' : 'cdk-nag not installed: AwsSolutions checks skipped',
      ...(options.controlTower === true ? [guarded ? 'cfn-guard Control Tower checks ran' : 'cdk-validator-cfnguard not installed: Control Tower checks skipped'] : []),
    ],
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

/**
 * Removes the `trace` of every metadata entry in the assembly's `*.metadata.json` files. aws-cdk-lib
 * records one with each `Validations.acknowledge` even when stack traces are disabled.
 */
function stripTraces(outdir: string): void {
  for (const file of readdirSync(outdir).filter((f) => f.endsWith('.metadata.json'))) {
    const path = join(outdir, file);
    const metadata = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>[]>;
    for (const entries of Object.values(metadata)) for (const entry of entries) delete entry.trace;
    writeFileSync(path, JSON.stringify(metadata, undefined, 2));
  }
}
