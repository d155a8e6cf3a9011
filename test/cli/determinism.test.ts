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

/** Synthesizes the example for every cloud with `cwd` as the working directory and `out` as given. */
async function synthIn(cwd: string, out: string): Promise<void> {
  const before = process.cwd();
  const err: string[] = [];
  process.chdir(cwd);
  try {
    const code = await main(['synth', EXAMPLE, '--cloud', 'all', '--out', out], () => undefined, (s) => err.push(s));
    expect({ code, stderr: err.join('\n') }).toEqual({ code: 0, stderr: '' });
  } finally {
    process.chdir(before);
  }
}

describe('synth is deterministic across checkouts', () => {
  // Nothing is normalized: every output file must be byte-identical, whatever the directory.
  test('the example synthesized from two directories (different cwd and --out) is byte-identical, and holds neither absolute path', async () => {
    const a = mkdtempSync(join(tmpdir(), 'ai-stack-det-a-'));
    const b = mkdtempSync(join(tmpdir(), 'ai-stack-det-b-'));
    mkdirSync(join(b, 'build'));
    await synthIn(a, 'synth.out');
    await synthIn(b, 'build/elsewhere');
    const outA = join(a, 'synth.out');
    const outB = join(b, 'build/elsewhere');
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
