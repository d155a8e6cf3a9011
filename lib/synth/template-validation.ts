import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { IPolicyValidationContext, IPolicyValidationPlugin } from 'aws-cdk-lib';

/**
 * A line to a thread that runs aws-cdk-lib's CloudFormation template validation
 * (lib/cli/template-validator-worker.ts). Its engine takes seconds to start, so the CLI starts that
 * thread first and the engine is ready by the time the template is written.
 */
export interface TemplateValidatorChannel {
  /** Takes one `TemplateValidationRequest` per synth and answers one `TemplateValidatorAnswer`. */
  readonly port: MessagePort;
  /** One Int32 that the validator increments (Atomics.notify) after each answer it posts. */
  readonly answered: SharedArrayBuffer;
}

type ValidationReport = ReturnType<IPolicyValidationPlugin['validate']>;

/**
 * CDK's validation context without the construct tree, which stays in the synth's thread. Written
 * out rather than derived: aws-cdk-lib releases before the built-in validation (2.260) lack the
 * per-stack fields, and these sources type-check against that minimum.
 */
export interface TemplateValidationRequest {
  readonly templatePaths: string[];
  readonly stackTemplates: readonly object[];
  readonly accountId?: string;
  readonly region?: string;
}

/**
 * The validator's answer. `engine` is the plugin's version and rule ids, which CDK reads after
 * `validate` for the report: taken from the answer, they spare the synth's thread loading the 9 MB
 * engine just to name it (~0.3 s of CPU at the end of every AWS synth).
 */
export type TemplateValidatorAnswer = { readonly report: ValidationReport; readonly engine?: ValidatorEngine } | { readonly error: string };

/** What names the engine that validated: CDK's plugin `version` and `ruleIds`. */
export interface ValidatorEngine {
  readonly version?: string;
  readonly ruleIds?: string[];
}

/** Longest the synth waits for the validator, by default, before validating in its own thread instead. */
const VALIDATOR_TIMEOUT_MS = 2 * 60_000;

type ValidatePluginClass = new () => IPolicyValidationPlugin;

/**
 * Whether CDK would validate templates with its built-in plugin: it exists in this aws-cdk-lib and is
 * not turned off with `CDK_VALIDATION=false` (CDK's own switch, which the moved plugin obeys too).
 */
export function cdkValidatesTemplates(): boolean {
  return process.env.CDK_VALIDATION !== 'false' && validatePluginClass() !== undefined;
}

function validatePluginClass(): ValidatePluginClass | undefined {
  return (require('aws-cdk-lib') as { CloudFormationValidatePlugin?: ValidatePluginClass }).CloudFormationValidatePlugin;
}

/** CDK's template validation, moved to the validator thread. */
export interface MovedTemplateValidation extends IPolicyValidationPlugin {
  /**
   * `plugin`, starting this validation when it starts: registered before this one (as cdk-nag is),
   * it then runs while the validator thread works. Same name, version, rules and report as `plugin`.
   */
  runningBeside(plugin: IPolicyValidationPlugin): IPolicyValidationPlugin;
}

/**
 * CDK's own CloudFormation validation plugin, run by the validator thread. Being a
 * CloudFormationValidatePlugin it takes the place of the one CDK registers by default, with the same
 * name, rules and report, so acknowledgements, strict mode and `validation-report.json` are unchanged.
 * When the validator does not answer, it validates in this thread as CDK would have. Undefined when
 * CDK would not validate (`cdkValidatesTemplates`): there is nothing to move.
 */
export function validatedInAnotherThread(channel: TemplateValidatorChannel, timeoutMs = VALIDATOR_TIMEOUT_MS): MovedTemplateValidation | undefined {
  const Base = validatePluginClass();
  if (!Base || !cdkValidatesTemplates()) return undefined;
  const counter = new Int32Array(channel.answered);
  let line: TemplateValidatorChannel | undefined = channel;
  let posted: { readonly key: string; readonly answersBefore: number } | undefined;
  /** Named by the validator's last answer; undefined until then, or when this thread validated. */
  let engine: ValidatorEngine | undefined;

  /** Sends the request once; a different one (other stacks) first collects the answer to the earlier. */
  const post = (context: IPolicyValidationContext): void => {
    if (!line) return;
    const request = requestOf(context);
    const key = JSON.stringify(request);
    if (posted?.key === key) return;
    if (posted) collect();
    if (!line) return;
    posted = { key, answersBefore: Atomics.load(counter, 0) };
    line.port.postMessage(request);
  };
  /** Blocks until the validator answers what was posted; undefined (and no more asking) after the timeout. */
  const collect = (): TemplateValidatorAnswer | undefined => {
    if (!line || !posted) return undefined;
    const { answersBefore } = posted;
    posted = undefined;
    if (Atomics.wait(counter, 0, answersBefore, timeoutMs) === 'timed-out') {
      line = undefined;
      return undefined;
    }
    return receiveMessageOnPort(line.port)?.message as TemplateValidatorAnswer | undefined;
  };

  return new (class extends Base implements MovedTemplateValidation {
    public validate(context: IPolicyValidationContext): ValidationReport {
      post(context);
      const answer = collect();
      if (!answer) {
        line = undefined;
        engine = undefined;
        return super.validate(context);
      }
      if ('error' in answer) throw new Error(answer.error);
      engine = answer.engine;
      return answer.report;
    }

    public get version(): string | undefined {
      return engine ? engine.version : super.version;
    }

    public get ruleIds(): string[] | undefined {
      return engine ? engine.ruleIds : super.ruleIds;
    }

    public runningBeside(plugin: IPolicyValidationPlugin): IPolicyValidationPlugin {
      return {
        get name() {
          return plugin.name;
        },
        get version() {
          return plugin.version;
        },
        get ruleIds() {
          return plugin.ruleIds;
        },
        validate(context: IPolicyValidationContext): ValidationReport {
          post(context);
          return plugin.validate(context);
        },
      };
    }
  })();
}

/** The context without the construct tree, as plain data that can cross to the validator thread. */
function requestOf(context: IPolicyValidationContext): TemplateValidationRequest {
  const full = context as IPolicyValidationContext & Partial<TemplateValidationRequest>;
  return {
    templatePaths: [...full.templatePaths],
    stackTemplates: (full.stackTemplates ?? []).map((s) => ({ ...s })),
    accountId: full.accountId,
    region: full.region,
  };
}
