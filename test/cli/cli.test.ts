import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/ai-stack.yaml');

const run = runCli;

const INVALID = readFileSync(EXAMPLE, 'utf8')
  .replace('capacity: { min: 2, max: 10, expectedAverage: 4 }', 'capacity: { min: 4, max: 2 }')
  .replace('accelerator: nvidia-l40s', 'accelerator: nvidia-b300');

describe('ai-stack CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-cli-'));

  // synth of every cloud, its files and its report: test/cli/determinism.test.ts (which synthesizes twice anyway).

  test('an invalid design exits 1, names every problem, and leaves no output directory', () => {
    const design = join(dir, 'invalid.yaml');
    writeFileSync(design, INVALID);
    const out = join(dir, 'never');
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', join(ROOT, 'lib/cli/main.ts'), 'synth', design, '--out', out], { encoding: 'utf8', cwd: ROOT });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('endpoints[0].capacity.max: must be >= capacity.min (2 < 4)');
    expect(result.stderr).toContain("endpoints[1].accelerator: unknown accelerator 'nvidia-b300'");
    expect(result.stderr).toMatch(/invalid.yaml:\d+: endpoints\[0\]\.capacity\.max/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('staging'))).toEqual([]);
  });

  test('a failed synth leaves an existing output directory unchanged', async () => {
    const out = join(dir, 'kept');
    expect((await run(['synth', EXAMPLE, '--cloud', 'gcp', '--out', out])).code).toBe(0);
    const before = readFileSync(join(out, 'gcp/stacks/support-ai/cdk.tf.json'), 'utf8');
    const design = join(dir, 'invalid2.yaml');
    writeFileSync(design, INVALID);
    expect((await run(['synth', design, '--cloud', 'gcp', '--out', out])).code).toBe(1);
    expect(readFileSync(join(out, 'gcp/stacks/support-ai/cdk.tf.json'), 'utf8')).toBe(before);
  });

  test('synth refuses to replace a directory or file that is not an earlier synth output', async () => {
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'keep.txt'), 'precious');
    const result = await run(['synth', EXAMPLE, '--cloud', 'gcp', '--out', project]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--out .*project: holds keep\.txt, so it is not an earlier synth output and will not be replaced; choose an empty or new directory/);
    expect(readFileSync(join(project, 'keep.txt'), 'utf8')).toBe('precious');
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect((await run(['synth', EXAMPLE, '--cloud', 'gcp', '--out', file])).stderr).toMatch(/exists and is not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(readdirSync(dir).filter((f) => f.includes('staging'))).toEqual([]);
  });

  test('check exits 0 on a valid design and 1 on an invalid one', async () => {
    expect((await run(['check', EXAMPLE])).code).toBe(0);
    const design = join(dir, 'invalid3.yaml');
    writeFileSync(design, INVALID);
    const result = await run(['check', design]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('endpoints[0].capacity.max');
  });

  test('estimate prints a table, or JSON with --json', async () => {
    const table = await run(['estimate', EXAMPLE, '--cloud', 'aws']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/== aws: estimated monthly cost of support-ai/);
    expect(table.stdout).toMatch(/gpu-fleet\s+endpoint llama-8b \(g6\.xlarge\) spot/);
    const json = await run(['estimate', EXAMPLE, '--json']);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.clouds.map((c: { cloud: string }) => c.cloud)).toEqual(['aws', 'gcp', 'azure']);
  });

  test('usage errors exit 2', async () => {
    expect((await run(['synth', EXAMPLE, '--cloud', 'mars'])).code).toBe(2);
    expect((await run(['synth', EXAMPLE, '--bogus'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});
