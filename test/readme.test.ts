import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The TypeScript code blocks of the README, with package imports pointed at the sources. */
function snippets(): string[] {
  return [...README.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((code) => code.includes('new GpuEndpoint'))
    .map((code) => code.replace(/from 'ai-stack-constructs\/(aws|gcp|azure)'/g, (_, cloud) => `from '${join(ROOT, 'lib', cloud)}'`));
}

describe('README quick start', () => {
  test('has a snippet per cloud', () => {
    expect(snippets()).toHaveLength(3);
  });

  test.each(snippets().map((code, i) => [i, code]))('snippet %i runs and synthesizes', (i, code) => {
    // Inside the repository (git-ignored) so the snippet resolves the project's node_modules.
    mkdirSync(join(ROOT, '.test-tmp'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.test-tmp', 'readme-'));
    const file = join(dir, `snippet-${i}.ts`);
    writeFileSync(file, code);
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', file], { cwd: dir, encoding: 'utf8' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
