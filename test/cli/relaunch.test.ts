// `ai-stack synth` runs again in a Node.js started with SYNTH_V8_FLAGS (lib/cli/relaunch.ts), since
// V8 reads its GC flags only at start; the other commands run where they were started. The relaunch
// must pass the exit code, output and arguments through unchanged.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const BIN = join(ROOT, 'dist/lib/cli/main.js');
/* eslint-disable-next-line @typescript-eslint/no-require-imports */
const { SYNTH_V8_FLAGS } = require(join(ROOT, 'dist/lib/cli/relaunch.js')) as typeof import('../../lib/cli/relaunch');

/** Runs the compiled CLI with a preload that records each Node.js process it runs in, and its flags. */
function runRecorded(args: string[], nodeFlags: readonly string[] = []): { status: number | null; stdout: string; stderr: string; processes: string[][] } {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-relaunch-'));
  const log = join(dir, 'processes.jsonl');
  const preload = join(dir, 'record.js');
  writeFileSync(log, '');
  writeFileSync(preload, `require('node:fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.execArgv.filter((a) => a.startsWith('--') && a !== '--require')) + '\\n');`);
  const run = spawnSync(process.execPath, [...nodeFlags, '--require', preload, BIN, ...args], { cwd: dir, encoding: 'utf8' });
  const processes = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as string[]);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, processes };
}

describe('ai-stack synth relaunches with its V8 flags', () => {
  test('the flags are the single-threaded GC', () => {
    expect(SYNTH_V8_FLAGS).toEqual(['--single-threaded-gc']);
  });

  test('synth runs in a second process started with the flags; its output and exit code come through', () => {
    const run = runRecorded(['synth', 'missing.yaml']);
    expect(run.processes).toEqual([[], [...SYNTH_V8_FLAGS]]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/missing\.yaml/);
  });

  test('a synth started with the flags already runs in that process', () => {
    const run = runRecorded(['synth', '--help'], SYNTH_V8_FLAGS);
    expect(run.processes).toEqual([[...SYNTH_V8_FLAGS]]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: ai-stack synth/m);
  });

  test('a synth under a profiler or debugger runs in that process, so the profile is of the synth', () => {
    const profiles = mkdtempSync(join(tmpdir(), 'ai-stack-relaunch-prof-'));
    const run = runRecorded(['synth', '--help'], ['--cpu-prof', `--cpu-prof-dir=${profiles}`]);
    expect(run.processes).toEqual([['--cpu-prof', `--cpu-prof-dir=${profiles}`]]);
    expect(run.status).toBe(0);
  });

  test('check is not relaunched', () => {
    const run = runRecorded(['check', 'missing.yaml']);
    expect(run.processes).toEqual([[]]);
    expect(run.status).toBe(1);
  });
});
