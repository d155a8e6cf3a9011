// The AWS synth in a worker thread, so that it runs beside the Terraform clouds' synth on another core
// (see parallel-synth.ts). Loaded from the compiled package only (dist/lib/cli/aws-synth-worker.js).
import { workerData, type MessagePort } from 'node:worker_threads';
import type { AiStackDesign } from '../design';
import type { CloudSynthResult } from '../synth/result';
import type { TemplateValidatorChannel } from '../synth/template-validation';

/** What the worker is given: the design, where to write, and how to answer. */
export interface AwsSynthJob {
  readonly design: AiStackDesign;
  readonly outdir: string;
  /** Receives one message, `AwsSynthAnswer`, before `done` is set. */
  readonly port: MessagePort;
  /** One Int32: 0 while the synth runs, 1 once the answer is posted (Atomics.notify). */
  readonly done: SharedArrayBuffer;
  /** Where the template is validated (parallel-synth.ts), when the CLI started a validator. */
  readonly validator?: TemplateValidatorChannel;
}

export type AwsSynthAnswer = { readonly result: CloudSynthResult } | { readonly error: string };

function answer(job: AwsSynthJob, message: AwsSynthAnswer): void {
  job.port.postMessage(message);
  const flag = new Int32Array(job.done);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

const job = workerData as AwsSynthJob;
try {
  const { synthAws } = require('../synth/aws') as typeof import('../synth/aws');
  answer(job, { result: synthAws(job.design, job.outdir, { templateValidator: job.validator }) });
} catch (error) {
  answer(job, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
