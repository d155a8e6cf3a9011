import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { AiStackDesign } from '../design';
import type { CloudSynthResult } from '../synth/result';
import type { AwsSynthAnswer, AwsSynthJob } from './aws-synth-worker';

/** Longest an AWS synth may take before the CLI gives up on its worker. */
const AWS_WORKER_TIMEOUT_MS = 5 * 60_000;

/** A synth running elsewhere; `wait()` blocks until it ends and returns what it made. */
export interface PendingSynth {
  wait(): CloudSynthResult;
}

/**
 * Starts the AWS synth in a worker thread, or returns undefined where there is no compiled worker (the
 * TypeScript sources under test): the caller then synthesizes in process. The AWS synth is the long
 * one (aws-cdk-lib's CloudFormation validation alone takes seconds), so it runs while the caller
 * synthesizes the other clouds; `wait()` blocks with Atomics.wait, so the caller stays synchronous.
 */
export function startAwsSynth(design: AiStackDesign, outdir: string): PendingSynth | undefined {
  const script = join(__dirname, 'aws-synth-worker.js');
  if (!__filename.endsWith('.js') || !existsSync(script)) return undefined;
  const { port1, port2 } = new MessageChannel();
  const done = new SharedArrayBuffer(4);
  const job: AwsSynthJob = { design, outdir, port: port2, done };
  const worker = new Worker(script, { workerData: job, transferList: [port2] });
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
