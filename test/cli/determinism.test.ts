import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../../lib/cli/main';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/ai-stack.yaml');

/** Every file under `dir`, relative to it, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** Synthesizes the example for every cloud with `cwd` as the working directory and `out` as given; returns the report. */
async function synthIn(cwd: string, out: string): Promise<string> {
  const before = process.cwd();
  const printed: string[] = [];
  const err: string[] = [];
  process.chdir(cwd);
  try {
    const code = await main(['synth', EXAMPLE, '--cloud', 'all', '--out', out], (s) => printed.push(s), (s) => err.push(s));
    expect({ code, stderr: err.join('\n') }).toEqual({ code: 0, stderr: '' });
    return printed.join('\n');
  } finally {
    process.chdir(before);
  }
}

describe('synth of every cloud', () => {
  // Nothing is normalized: every output file must be byte-identical, whatever the directory.
  test('writes every cloud, and is deterministic: synthesized from two directories (different cwd and --out) the files are byte-identical and hold no absolute path', async () => {
    const a = mkdtempSync(join(tmpdir(), 'ai-stack-det-a-'));
    const b = mkdtempSync(join(tmpdir(), 'ai-stack-det-b-'));
    mkdirSync(join(b, 'build'));
    const report = await synthIn(a, 'synth.out');
    await synthIn(b, 'build/elsewhere');
    const outA = join(a, 'synth.out');
    const outB = join(b, 'build/elsewhere');
    // What one synth writes and prints.
    expect(readdirSync(outA).sort()).toEqual(['aws', 'azure', 'gcp']);
    for (const cloud of ['aws', 'gcp', 'azure']) expect(report).toMatch(new RegExp(`^== ${cloud}: \\d+ resources in synth.out/${cloud} `, 'm'));
    expect(report).toMatch(/purchase mix saves \$[\d,.]+\/month/);
    expect(readdirSync(a).filter((f) => f.includes('staging'))).toEqual([]);
    const listA = files(outA);
    expect(listA).toEqual(files(outB));
    expect(listA).toEqual(expect.arrayContaining(['aws/support-ai.template.json', 'aws/manifest.json', 'aws/tree.json', 'gcp/stacks/support-ai/cdk.tf.json', 'gcp/manifest.json', 'azure/stacks/support-ai/cdk.tf.json']));
    const differing = listA.filter((f) => !readFileSync(join(outA, f)).equals(readFileSync(join(outB, f))));
    expect(differing).toEqual([]);
    const leaks = listA.flatMap((f) => {
      const text = readFileSync(join(outA, f), 'utf8');
      return [a, outA, ROOT].filter((p) => text.includes(p)).map((p) => `${f} contains ${p === ROOT ? 'the checkout path' : relative(tmpdir(), p)}`);
    });
    expect(leaks).toEqual([]);
  });
});
