import { spawnSync } from 'node:child_process';

/**
 * The V8 flags `ai-stack synth` runs under. A synth of all clouds keeps three JavaScript threads busy
 * (the Terraform clouds, the AWS synth, CDK's template validator; parallel-synth.ts) on as few as two
 * cores. V8's parallel and concurrent garbage-collection helpers then compete with those threads for
 * the same cores, and on the example they cost more than they save: see docs/cli.md for the figures.
 * V8 reads these flags only when a process starts, so the CLI starts again with them.
 */
export const SYNTH_V8_FLAGS: readonly string[] = ['--single-threaded-gc'];

/**
 * Flags with which the user is looking into this very process (a debugger, a profiler): a second
 * process would take the inspector's port or leave the profile empty, so the command runs here.
 */
const INSTRUMENTED = /^--(inspect|cpu-prof|heap-prof|prof\b)/;

/**
 * Runs this CLI again, in a Node.js started with `flags` (and the caller's own), unless it already
 * was. Returns the exit code to end with, or undefined when the command is to run in this process
 * (already flagged, instrumented, or no child could be started).
 */
export function relaunchWith(flags: readonly string[], script: string, argv: readonly string[]): number | undefined {
  const missing = flags.filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0 || process.execArgv.some((arg) => INSTRUMENTED.test(arg))) return undefined;
  const child = spawnSync(process.execPath, [...process.execArgv, ...missing, script, ...argv], { stdio: 'inherit' });
  if (child.error) return undefined;
  // A child ended by a signal (Ctrl-C) ends this process the same way.
  if (child.signal) process.kill(process.pid, child.signal);
  return child.status ?? 1;
}
