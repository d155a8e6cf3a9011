// The compiled CLI synthesizes AWS in a worker thread beside the other clouds (lib/cli/parallel-synth.ts);
// the TypeScript sources under test synthesize in process. Both must write the same bytes, and a
// failure in the worker must reach the caller. Needs `npm run build` (npm test builds first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

const ROOT = join(__dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/ai-stack.yaml');
const COMPILED = join(ROOT, 'dist/lib/cli');

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

describe('AWS synth in a worker thread', () => {
  test('the compiled CLI (worker) writes byte for byte what the in-process synth writes, and the same report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-stack-parallel-'));
    const compiled = spawnSync(process.execPath, [join(COMPILED, 'main.js'), 'synth', EXAMPLE, '--cloud', 'aws,gcp', '--out', 'worker'], { cwd: dir, encoding: 'utf8' });
    expect({ status: compiled.status, stderr: compiled.stderr }).toEqual({ status: 0, stderr: '' });
    const before = process.cwd();
    process.chdir(dir);
    let inProcess;
    try {
      inProcess = await runCli(['synth', EXAMPLE, '--cloud', 'aws,gcp', '--out', 'in-process']);
    } finally {
      process.chdir(before);
    }
    expect(inProcess.code).toBe(0);
    const a = join(dir, 'worker');
    const b = join(dir, 'in-process');
    expect(files(a)).toEqual(files(b));
    expect(files(a).some((f) => f.startsWith('aws/') && f.endsWith('.template.json'))).toBe(true);
    for (const f of files(a)) expect({ f, same: readFileSync(join(a, f)).equals(readFileSync(join(b, f))) }).toEqual({ f, same: true });
    expect(compiled.stdout.trim().replaceAll('worker', 'OUT')).toBe(inProcess.stdout.trim().replaceAll('in-process', 'OUT'));
  }, 120_000);

  test("an error in the worker's synth (here AiStack refusing a design) is thrown by wait(), with its message", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startAwsSynth } = require(join(COMPILED, 'parallel-synth.js')) as typeof import('../../lib/cli/parallel-synth');
    const pending = startAwsSynth({ name: 'broken' } as never, mkdtempSync(join(tmpdir(), 'ai-stack-parallel-bad-')));
    expect(pending).toBeDefined();
    expect(() => pending!.wait()).toThrow(/invalid design \(4 problems\)[\s\S]*region: is required/);
  }, 60_000);

  test('the TypeScript sources have no compiled worker, so they synthesize in process', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startAwsSynth } = require('../../lib/cli/parallel-synth') as typeof import('../../lib/cli/parallel-synth');
    expect(startAwsSynth({ name: 'x' } as never, tmpdir())).toBeUndefined();
  });
});
