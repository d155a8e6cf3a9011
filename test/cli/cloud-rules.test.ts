// The rendering contract seen from the CLI: every problem a cloud's constructs would raise at synth
// is found by `ai-stack check`, with its design path and file line, and synth refuses the same list.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const EXAMPLE = join(__dirname, '../../examples/ai-stack.yaml');

const run = runCli;

/** Line (1-based) of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
}

// One rule that only AWS has (CloudFormation's 500 resources), one only GCP has (a peak window shorter
// than a scaling schedule's 5 minutes), one only Azure has (automatic repair needs 10+ minutes).
const yaml = readFileSync(EXAMPLE, 'utf8')
  .replace('offPeak: { start: "0 20 * * 1-5", end: "0 7 * * 1-5", min: 1, timeZone: America/New_York }', 'offPeak: { start: "2 7 * * 1-5", end: "0 7 * * 1-5", min: 1, timeZone: America/New_York }')
  .replace('    rootVolumeGiB: 400', '    rootVolumeGiB: 400\n    startupGraceSeconds: 300');
const manyEndpoints = Array.from({ length: 30 }, (_, i) => `  - { name: extra-${i}, accelerator: nvidia-l4, acceleratorOverrides: { azure: nvidia-a10g }, server: { image: "vllm/vllm-openai:v0.6.3", model: m }, capacity: { min: 1, max: 2 } }`).join('\n');
const design = yaml.replace('\nrouter:\n', `\n${manyEndpoints}\n\nrouter:\n`);

describe('cloud rules are design rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-stack-cloud-rules-'));
  const file = join(dir, 'design.yaml');
  writeFileSync(file, design);
  const expected = [
    `${file}:${lineOf(design, 'endpoints:')}: endpoints: 32 endpoints make`,
    `${file}:${lineOf(design, 'offPeak:')}: endpoints[0].scaling.offPeak.start: leaves a peak window of 2 minutes`,
    `${file}:${lineOf(design, 'startupGraceSeconds')}: endpoints[1].startupGraceSeconds: must be between 600 and 5400 seconds on Azure`,
  ];

  test('check finds each cloud-only problem with its path and line, and exits 1', async () => {
    const { code, stderr } = await run(['check', file]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\(3 problems\)/);
    for (const line of expected) expect(stderr).toContain(line);
  });

  test('synth refuses the same list and writes nothing', async () => {
    const out = join(dir, 'synth.out');
    const { code, stderr } = await run(['synth', file, '--out', out]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\(3 problems\)/);
    for (const line of expected) expect(stderr).toContain(line);
    expect(existsSync(out)).toBe(false);
  });

  test('each problem belongs to its cloud only: checking one cloud reports just its rule', async () => {
    const lines = async (cloud: string) => (await run(['check', file, '--cloud', cloud])).stderr.split('\n').filter((l) => l.startsWith('  - '));
    expect(await lines('aws')).toEqual([expect.stringContaining(expected[0])]);
    expect(await lines('gcp')).toEqual([expect.stringContaining(expected[1])]);
    expect(await lines('azure')).toEqual([expect.stringContaining(expected[2])]);
  });
});
