// CDK's CloudFormation template validation runs in a thread of its own in the compiled CLI
// (lib/cli/template-validator-worker.ts, lib/synth/template-validation.ts): its findings, strict mode
// and report must be exactly those of CDK's in-thread validation, and a validator that never answers
// must not lose the validation. Needs `npm run build` (npm test builds first).
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { App, CfnResource, CloudFormationValidatePlugin, Stack, Validations, type IPolicyValidationPlugin } from 'aws-cdk-lib';
import type { TemplateValidatorChannel } from '../../lib/synth/template-validation';

const COMPILED = join(__dirname, '../../dist/lib');
/* eslint-disable @typescript-eslint/no-require-imports */
const { startTemplateValidator } = require(join(COMPILED, 'cli/parallel-synth.js')) as typeof import('../../lib/cli/parallel-synth');
const { validatedInAnotherThread } = require(join(COMPILED, 'synth/template-validation.js')) as typeof import('../../lib/synth/template-validation');
const { STRICT_CONTEXT } = require(join(COMPILED, 'synth/aws.js')) as typeof import('../../lib/synth/aws');
const { AI_STACK_RESOURCE_TYPES, warmUp } = require(join(COMPILED, 'cli/validator-warm-up.js')) as typeof import('../../lib/cli/validator-warm-up');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Synthesizes a stack whose bucket has an unknown property (an error) and an invalid enum value (a warning). */
function synthBrokenBucket(plugin?: IPolicyValidationPlugin): string {
  const outdir = mkdtempSync(join(tmpdir(), 'ai-stack-validator-'));
  const app = new App({ outdir, context: STRICT_CONTEXT });
  const stack = new Stack(app, 'Broken');
  new CfnResource(stack, 'Bucket', { type: 'AWS::S3::Bucket', properties: { NotAProperty: 1, VersioningConfiguration: { Status: 'Sometimes' } } });
  if (plugin) Validations.of(app).addPlugins(plugin);
  try {
    app.synth();
  } catch (error) {
    // The report's path is printed relative to the working directory: the output folder's name is what differs.
    return (error as Error).message.replaceAll(/\S*ai-stack-validator-\w+/g, 'OUT');
  }
  return 'synthesized';
}

const answers = (channel: TemplateValidatorChannel): number => Atomics.load(new Int32Array(channel.answered), 0);

describe("CDK's template validation in the validator thread", () => {
  const inThread = synthBrokenBucket();

  test('CDK itself refuses the template (the baseline the thread must match)', () => {
    expect(inThread).toMatch(/ERROR NotAProperty: Additional properties are not allowed[\s\S]*CloudFormation-Validate::F3002/);
    expect(inThread).toMatch(/WARNING VersioningConfiguration\.Status: 'Sometimes' is not one of/);
  });

  test('the thread answers, and the synth fails with the very report CDK gives in its own thread', () => {
    const validator = startTemplateValidator();
    expect(validator).toBeDefined();
    try {
      const moved = validatedInAnotherThread(validator!.channel);
      expect(synthBrokenBucket(moved)).toBe(inThread);
      expect(answers(validator!.channel)).toBe(1);
    } finally {
      validator!.stop();
    }
  }, 60_000);

  test("the thread's answer names its engine (version and rule ids, as CDK's plugin in this thread names it)", () => {
    const validator = startTemplateValidator()!;
    try {
      validator.channel.port.postMessage({ templatePaths: [], stackTemplates: [] });
      expect(Atomics.wait(new Int32Array(validator.channel.answered), 0, 0, 60_000)).not.toBe('timed-out');
      const answer = receiveMessageOnPort(validator.channel.port)?.message as { engine?: { version?: string; ruleIds?: string[] } };
      const here = new CloudFormationValidatePlugin();
      expect(here.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(answer.engine).toEqual({ version: here.version, ruleIds: here.ruleIds });
    } finally {
      validator.stop();
    }
  }, 60_000);

  test('a validator that never answers: after the timeout the synth validates in its own thread, with the same result', () => {
    const { port1 } = new MessageChannel();
    const silent: TemplateValidatorChannel = { port: port1, answered: new SharedArrayBuffer(4) };
    const started = Date.now();
    expect(synthBrokenBucket(validatedInAnotherThread(silent, 300))).toBe(inThread);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(answers(silent)).toBe(0);
    port1.close();
  }, 60_000);
});

describe("the validator thread's warm-up", () => {
  /** Counts the engines CDK's plugin starts (it starts one with `new CompositeEngine`). */
  function countingEngines(): { readonly made: () => number; restore(): void } {
    const engineModule = require(require.resolve('@aws/cloudformation-validate', { paths: [dirname(require.resolve('aws-cdk-lib'))] })) as { CompositeEngine: new (config: object) => object };
    const Original = engineModule.CompositeEngine;
    let made = 0;
    engineModule.CompositeEngine = class extends Original {
      constructor(config: object) {
        super(config);
        made++;
      }
    };
    return { made: () => made, restore: () => void (engineModule.CompositeEngine = Original) };
  }

  function templateOf(types: readonly string[]): { templatePaths: string[]; stackTemplates: { stackConstructPath: string; templatePath: string }[] } {
    const templatePath = join(mkdtempSync(join(tmpdir(), 'ai-stack-validator-')), 'S.template.json');
    writeFileSync(templatePath, JSON.stringify({ Resources: Object.fromEntries(types.map((Type, i) => [`R${i}`, { Type }])) }));
    return { templatePaths: [templatePath], stackTemplates: [{ stackConstructPath: 'S', templatePath }] };
  }

  test("starts CDK's engine once, for the listed types: a template of listed types reuses it, one with another type starts a new one", () => {
    const engines = countingEngines();
    try {
      const plugin = new CloudFormationValidatePlugin();
      const tempBefore = readdirSync(tmpdir()).filter((f) => f.startsWith('ai-stack-warm-up-')).length;
      warmUp(plugin);
      expect(engines.made()).toBe(1);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith('ai-stack-warm-up-'))).toHaveLength(tempBefore); // its template is gone
      plugin.validate(templateOf(['AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::EC2::VPC']) as never);
      expect(engines.made()).toBe(1);
      plugin.validate(templateOf(['AWS::S3::Bucket', 'AWS::Kinesis::Stream']) as never);
      expect(engines.made()).toBe(2); // what the warm-up spares the synth's request
    } finally {
      engines.restore();
    }
  }, 60_000);

  test('without a writable temporary folder it throws nothing and still starts the engine (for no type)', () => {
    const engines = countingEngines();
    const missing = join(mkdtempSync(join(tmpdir(), 'ai-stack-validator-')), 'missing', 'folder');
    try {
      expect(() => warmUp(new CloudFormationValidatePlugin(), AI_STACK_RESOURCE_TYPES, missing)).not.toThrow();
      expect(engines.made()).toBe(1);
    } finally {
      engines.restore();
    }
  }, 60_000);

  test('lists no type with rules of its own in CDK (the engine it starts is the one any listed template gets)', () => {
    const index = require(join(dirname(require.resolve('aws-cdk-lib')), 'core/lib/validation/rules/index.generated.json')) as { rules: { types: string[] | null }[] };
    const ruled = new Set(index.rules.flatMap((r) => r.types ?? []));
    expect(ruled.size).toBeGreaterThan(0);
    expect(AI_STACK_RESOURCE_TYPES.filter((t) => ruled.has(t))).toEqual([]);
  });
});

describe("CDK's switch CDK_VALIDATION=false", () => {
  test('turns the moved validation off as it turns off CDK\'s own: no thread, no plugin', () => {
    const before = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'false';
    try {
      expect(startTemplateValidator()).toBeUndefined();
      expect(validatedInAnotherThread({ port: new MessageChannel().port1, answered: new SharedArrayBuffer(4) })).toBeUndefined();
      expect(synthBrokenBucket()).toBe('synthesized');
    } finally {
      if (before === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = before;
    }
  });
});

describe('the validation starts beside the plugin before it (cdk-nag)', () => {
  test('the request is posted when that plugin starts, once, and its answer is the validation report and names the engine', () => {
    const { port1, port2 } = new MessageChannel();
    const channel: TemplateValidatorChannel = { port: port1, answered: new SharedArrayBuffer(4) };
    const moved = validatedInAnotherThread(channel, 10_000)!;
    const seenByBeside: unknown[] = [];
    const beside: IPolicyValidationPlugin = {
      name: 'beside',
      version: '1.0.0',
      validate() {
        // The validator thread (played here) already has the request, and answers it.
        const request = receiveMessageOnPort(port2)?.message as { templatePaths: string[] } | undefined;
        seenByBeside.push(request?.templatePaths.map((p) => p.split('/').pop()));
        const violatingResources = [{ resourceLogicalId: 'Topic', templatePath: request?.templatePaths[0], locations: [] }];
        port2.postMessage({ report: { success: false, violations: [{ ruleName: 'R1', description: 'played', severity: 'error', violatingResources }] }, engine: { version: 'played-1.2.3', ruleIds: ['played-rules'] } });
        Atomics.add(new Int32Array(channel.answered), 0, 1);
        return { success: true, violations: [] };
      },
    };
    const outdir = mkdtempSync(join(tmpdir(), 'ai-stack-validator-'));
    const app = new App({ outdir, context: STRICT_CONTEXT });
    new CfnResource(new Stack(app, 'Fine'), 'Topic', { type: 'AWS::SNS::Topic' });
    const wrapped = moved.runningBeside(beside);
    expect({ name: wrapped.name, version: wrapped.version }).toEqual({ name: 'beside', version: '1.0.0' });
    Validations.of(app).addPlugins(wrapped, moved);
    expect(() => app.synth()).toThrow(/ERROR played \(CloudFormation Validate\)[\s\S]*CloudFormation-Validate::R1/);
    expect(seenByBeside).toEqual([['Fine.template.json']]);
    expect(receiveMessageOnPort(port2)).toBeUndefined();
    // CDK names the plugin in the report after validate: from the answer, so this thread never loads the engine to name it.
    expect({ version: moved.version, ruleIds: moved.ruleIds }).toEqual({ version: 'played-1.2.3', ruleIds: ['played-rules'] });
    port1.close();
    port2.close();
  });
});

describe('the calling thread yields the cores to the workers', () => {
  test('yieldToWorkers lowers the priority of the thread that calls it by 5 nice steps, and of no other', async () => {
    const script = `
      const { getPriority } = require('node:os');
      const { parentPort } = require('node:worker_threads');
      const before = getPriority();
      require(${JSON.stringify(join(COMPILED, 'cli/parallel-synth.js'))}).yieldToWorkers();
      parentPort.postMessage({ before, after: getPriority() });`;
    const seen = await new Promise<{ before: number; after: number }>((resolve, reject) => {
      const worker = new Worker(script, { eval: true });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const { getPriority } = await import('node:os');
    if (process.platform === 'linux') expect(seen.after).toBe(Math.min(19, seen.before + 5));
    else expect(seen.after).toBe(seen.before);
    expect(getPriority()).toBe(seen.before);
  });
});
