import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

/** Loads a module in a fresh Node process and lists the packages that loading pulled in. */
function loadedPackages(request: string): string[] {
  const script = `require(${JSON.stringify(request)}); console.log(JSON.stringify(Object.keys(require.cache)))`;
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  const files = JSON.parse(result.stdout) as string[];
  return [...new Set(files.map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => !!p))];
}

describe('package entry points', () => {
  test('the design entry point loads neither aws-cdk-lib nor cdktf nor any provider', () => {
    const packages = loadedPackages('./lib/index.ts');
    expect(packages).not.toContain('aws-cdk-lib');
    expect(packages).not.toContain('cdktf');
    expect(packages.filter((p) => p.startsWith('@cdktf/'))).toEqual([]);
    expect(packages.filter((p) => p !== 'yaml' && p !== 'tsx' && p !== 'get-tsconfig' && p !== 'esbuild' && p !== 'resolve-pkg-maps')).toEqual([]);
  });

  test('the aws entry point loads no cdktf', () => {
    const packages = loadedPackages('./lib/aws/index.ts');
    expect(packages).toContain('aws-cdk-lib');
    expect(packages.filter((p) => p === 'cdktf' || p.startsWith('@cdktf/'))).toEqual([]);
  });

  test('the gcp and azure entry points load no aws-cdk-lib', () => {
    for (const entry of ['./lib/gcp/index.ts', './lib/azure/index.ts']) {
      const packages = loadedPackages(entry);
      expect(packages).toContain('cdktf');
      expect(packages).not.toContain('aws-cdk-lib');
    }
  });

  test('the package name resolves to the built design entry point', () => {
    const result = spawnSync(process.execPath, ['-e', "const m = require('ai-stack-constructs'); console.log(typeof m.validateDesign, Object.keys(require.cache).some((f) => /aws-cdk-lib|cdktf/.test(f)))"], { cwd: ROOT, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function false');
  });
});

describe('provider imports', () => {
  test('no file under lib/ imports a provider package by its root', () => {
    const result = spawnSync('grep', ['-rnE', "from '@cdktf/provider-(google|azurerm)'|require\\('@cdktf/provider-(google|azurerm)'\\)", join(ROOT, 'lib')], { encoding: 'utf8' });
    expect(result.stdout).toBe('');
  });
});
