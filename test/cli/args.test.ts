import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/ai-stack.yaml');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs the CLI in this process with `cwd` as the working directory. */
async function cli(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const before = process.cwd();
  const out: string[] = [];
  const err: string[] = [];
  process.chdir(cwd);
  try {
    const status = await main(args, (s) => out.push(s + '\n'), (s) => err.push(s + '\n'));
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.chdir(before);
  }
}

/** Runs the CLI in its own process (TypeScript through tsx), with a time limit: for what could hang. */
function spawnCli(args: string[], cwd: string, timeoutMs: number) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), join(ROOT, 'lib/cli/main.ts'), ...args], { cwd, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

describe('ai-stack CLI: arguments, defaults and output directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-args-'));

  test('--version prints the package version', async () => {
    for (const flag of ['--version', '-v']) expect(await cli([flag], dir)).toMatchObject({ status: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  test('--help per command: its usage and options, exit 0', async () => {
    const synth = await cli(['synth', '--help'], dir);
    expect(synth.status).toBe(0);
    expect(synth.stdout).toMatch(/^usage: ai-stack synth \[design\]/);
    for (const option of ['--cloud', '--out DIR', '--strict']) expect(synth.stdout).toContain(option);
    const check = await cli(['check', '-h'], dir);
    expect(check.stdout).toMatch(/^usage: ai-stack check \[design \.\.\.\]/);
    expect((await cli(['estimate', '--help'], dir)).stdout).toContain('--json');
    expect((await cli(['help', 'estimate'], dir)).stdout).toMatch(/^usage: ai-stack estimate/);
  });

  test('with no design argument and no ./ai-stack.yaml: says how to pass one and where the shipped example is', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    for (const command of ['check', 'synth', 'estimate']) {
      const r = await cli([command], empty);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`ai-stack: no design file given and there is no ./ai-stack.yaml here; pass one (ai-stack ${command} path/to/design.yaml) or start from the shipped example: cp ${EXAMPLE} ./ai-stack.yaml`);
      expect(r.stderr).not.toMatch(/ENOENT|at .*\.ts:\d+/);
    }
  });

  test('with no design argument, ./ai-stack.yaml is used', async () => {
    const project = mkdtempSync(join(dir, 'project-'));
    copyFileSync(EXAMPLE, join(project, 'ai-stack.yaml'));
    expect(await cli(['check'], project)).toMatchObject({ status: 0, stdout: "ai-stack.yaml: design 'support-ai' is valid\n" });
  });

  test('check checks every file given and exits 1 when any is invalid', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, readFileSync(EXAMPLE, 'utf8').replace('capacity: { min: 2, max: 10, expectedAverage: 4 }', 'capacity: { min: 4, max: 2 }'));
    const r = await cli(['check', EXAMPLE, bad], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${EXAMPLE}: design 'support-ai' is valid\n`);
    expect(r.stderr).toContain('endpoints[0].capacity.max: must be >= capacity.min (2 < 4)');
    expect(r.stderr).toContain('bad.yaml');
    const both = await cli(['check', bad, join(dir, 'missing.yaml')], dir);
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('capacity.max');
    expect(both.stderr).toContain('cannot read');
    expect((await cli(['check', EXAMPLE, EXAMPLE], dir)).stdout.split('\n').filter(Boolean)).toHaveLength(2);
  });

  test('synth and estimate refuse extra design files with a usage error', async () => {
    for (const command of ['synth', 'estimate']) {
      const r = await cli([command, EXAMPLE, 'b.yaml'], dir);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`ai-stack: ${command} takes one design file, got 2 (${EXAMPLE}, b.yaml); run ${command} once per design`);
    }
    expect(existsSync(join(dir, 'synth.out'))).toBe(false);
  });

  test('--out under /proc fails quickly with a clear message (no endless recursive mkdir)', () => {
    const r = spawnCli(['synth', EXAMPLE, '--cloud', 'gcp', '--out', '/proc/x/out'], dir, 20000);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('ai-stack: --out /proc/x/out: cannot create the directory /proc/x (ENOENT: the file system does not allow creating it); choose a directory you can write to, such as synth.out\n');
    expect(r.ms).toBeLessThan(15000);
  });

  test('--out inside a file names the file as given, not an absolute path or a raw EEXIST', async () => {
    const project = mkdtempSync(join(dir, 'file-'));
    writeFileSync(join(project, 'file.txt'), 'x');
    const r = await cli(['synth', EXAMPLE, '--cloud', 'gcp', '--out', 'file.txt/sub'], project);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('ai-stack: --out file.txt/sub: file.txt is a file, not a directory; choose an output directory outside it, such as synth.out\n');
    const deeper = await cli(['synth', EXAMPLE, '--cloud', 'gcp', '--out', 'file.txt/a/b'], project);
    expect(deeper.stderr).toContain('ai-stack: --out file.txt/a/b: file.txt is a file, not a directory');
    expect(readFileSync(join(project, 'file.txt'), 'utf8')).toBe('x');
  });

  test('--out creates missing parent directories', async () => {
    const project = mkdtempSync(join(dir, 'parents-'));
    mkdirSync(join(project, 'build'));
    const r = await cli(['synth', EXAMPLE, '--cloud', 'gcp', '--out', 'build/a/b/out'], project);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(existsSync(join(project, 'build/a/b/out/gcp/stacks/support-ai/cdk.tf.json'))).toBe(true);
  });
});
