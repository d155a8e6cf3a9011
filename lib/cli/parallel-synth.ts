import { existsSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { AiStackDesign } from '../design';
import type { CloudSynthResult } from '../synth/result';
import { cdkValidatesTemplates, type TemplateValidatorChannel } from '../synth/template-validation';
import type { AwsSynthAnswer, AwsSynthJob } from './aws-synth-worker';

/** Longest an AWS synth may take before the CLI gives up on its worker. */
const AWS_WORKER_TIMEOUT_MS = 5 * 60_000;

/** A synth running elsewhere; `wait()` blocks until it ends and returns what it made. */
export interface PendingSynth {
  wait(): CloudSynthResult;
}

/** A compiled worker script beside this file, or undefined under the TypeScript sources (tests). */
function compiledWorker(name: string): string | undefined {
  const script = join(__dirname, `${name}.js`);
  return __filename.endsWith('.js') && existsSync(script) ? script : undefined;
}

/** The template validator's thread, and the channel that the AWS synth asks it through. */
export interface TemplateValidator {
  readonly channel: TemplateValidatorChannel;
  stop(): void;
}

/**
 * Starts aws-cdk-lib's CloudFormation template validation in a thread of its own
 * (template-validator-worker.ts), or returns undefined without a compiled worker (CDK then validates
 * in the synth's thread) or when CDK would not validate at all (`CDK_VALIDATION=false`, or an
 * aws-cdk-lib without the built-in validation). Started before the AWS synth, its engine (seconds to start) is ready when the
 * template is written.
 */
export function startTemplateValidator(): TemplateValidator | undefined {
  const script = compiledWorker('template-validator-worker');
  if (!script || !cdkValidatesTemplates()) return undefined;
  const { port1, port2 } = new MessageChannel();
  const answered = new SharedArrayBuffer(4);
  const workerSide: TemplateValidatorChannel = { port: port2, answered };
  const worker = new Worker(script, { workerData: workerSide, transferList: [port2] });
  worker.unref();
  // A validator that fails is replaced by validation in the synth's thread (template-validation.ts).
  worker.on('error', () => undefined);
  return {
    channel: { port: port1, answered },
    stop() {
      // Closing a port that went to the AWS synth's worker does nothing here; that worker has ended.
      port1.close();
      void worker.terminate();
    },
  };
}

/**
 * Starts the AWS synth in a worker thread, or returns undefined where there is no compiled worker (the
 * TypeScript sources under test): the caller then synthesizes in process. The AWS synth is the long
 * one, so it runs while the caller synthesizes the other clouds; `wait()` blocks with Atomics.wait, so
 * the caller stays synchronous. With a `validator`, its channel goes to the worker.
 */
export function startAwsSynth(design: AiStackDesign, outdir: string, validator?: TemplateValidatorChannel): PendingSynth | undefined {
  const script = compiledWorker('aws-synth-worker');
  if (!script) return undefined;
  const { port1, port2 } = new MessageChannel();
  const done = new SharedArrayBuffer(4);
  const job: AwsSynthJob = { design, outdir, port: port2, done, validator };
  const worker = new Worker(script, { workerData: job, transferList: validator ? [port2, validator.port] : [port2] });
  let failure: Error | undefined;
  // An error the worker could not catch (it answers every other one itself) still releases the wait.
  worker.on('error', (error) => {
    failure = error;
  });
  return {
    wait(): CloudSynthResult {
      const flag = new Int32Array(done);
      const state = Atomics.wait(flag, 0, 0, AWS_WORKER_TIMEOUT_MS);
      const message = receiveMessageOnPort(port1)?.message as AwsSynthAnswer | undefined;
      port1.close();
      void worker.terminate();
      if (!message) throw failure ?? new Error(state === 'timed-out' ? `the AWS synth did not finish within ${AWS_WORKER_TIMEOUT_MS / 60_000} minutes` : 'the AWS synth worker stopped without an answer');
      if ('error' in message) throw new Error(message.error);
      return message.result;
    },
  };
}

/**
 * How much lower the calling thread runs than the workers, in nice steps: at 5 the Linux scheduler
 * gives it about a third of a worker's share of a busy core.
 */
const PRIORITY_STEP = 5;

/**
 * Lowers the calling thread's scheduling priority, once the workers are started (a thread takes the
 * priority of the one that creates it). The template validator and the AWS synth are the long path of
 * a synth; the Terraform clouds' synth on the calling thread has seconds of slack, so on two cores it
 * should take the CPU they leave. Linux only: there a nice value belongs to one thread, elsewhere to
 * the whole process, where lowering it would change nothing between the threads.
 */
export function yieldToWorkers(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(Math.min(19, getPriority() + PRIORITY_STEP));
  } catch {
    // A priority the system refuses to change is only slower.
  }
}
