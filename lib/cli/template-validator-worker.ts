// aws-cdk-lib's CloudFormation template validation in a thread of its own (see
// lib/synth/template-validation.ts). Its engine's first start costs seconds, so the thread starts it
// at once (validator-warm-up.ts), while the synth builds the stack, then answers the synth's one
// request. Compiled package only.
import { setFlagsFromString } from 'node:v8';
import { workerData } from 'node:worker_threads';
import type { IPolicyValidationContext, IPolicyValidationPlugin } from 'aws-cdk-lib';
import type { TemplateValidationRequest, TemplateValidatorAnswer, TemplateValidatorChannel } from '../synth/template-validation';
import { warmUp } from './validator-warm-up';

// The engine is 9 MB of WebAssembly. V8's optimizing tier would recompile it in background threads,
// seconds of CPU on the cores the synth needs, for a validation that runs once. Only wasm code is
// affected (the process runs no other), and only in the CLI, which started this thread.
setFlagsFromString('--liftoff-only');

const channel = workerData as TemplateValidatorChannel;
// Undefined in aws-cdk-lib releases without the built-in validation (2.260, the oldest supported,
// has none): the synth then asks nothing of this thread (template-validation.ts).
const { CloudFormationValidatePlugin } = require('aws-cdk-lib') as { CloudFormationValidatePlugin?: new () => IPolicyValidationPlugin };
if (CloudFormationValidatePlugin) serve(new CloudFormationValidatePlugin());

function serve(plugin: IPolicyValidationPlugin): void {
  warmUp(plugin);
  channel.port.on('message', (request: TemplateValidationRequest) => {
    let answer: TemplateValidatorAnswer;
    try {
      const report = plugin.validate(asContext(request));
      answer = { report, engine: { version: plugin.version, ruleIds: plugin.ruleIds && [...plugin.ruleIds] } };
    } catch (error) {
      answer = { error: error instanceof Error ? error.message : String(error) };
    }
    channel.port.postMessage(answer);
    const counter = new Int32Array(channel.answered);
    Atomics.add(counter, 0, 1);
    Atomics.notify(counter, 0);
  });
}

function asContext(request: TemplateValidationRequest): IPolicyValidationContext {
  return request as unknown as IPolicyValidationContext;
}
