import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

/** Loads a module in a fresh Node process and lists the packages that loading pulled in. */
function loadedPackages(request: string, then = ''): string[] {
  const script = `const m = require(${JSON.stringify(request)}); (async () => { ${then}; console.log(JSON.stringify(Object.keys(require.cache))); })().catch((e) => { console.error(e); process.exit(1); })`;
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  const files = JSON.parse(result.stdout.trim().split('\n').pop()!) as string[];
  return [...new Set(files.map((f) => /node_modules\/((@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter((p): p is string => !!p))];
}

describe('ai-stack-constructs/router exports the stores, secrets and the deployment contract', () => {
  test('importing it loads no store, secret or provider SDK (they are optional peers, loaded when used)', () => {
    const packages = loadedPackages('./lib/router/index.ts', "for (const n of ['DynamoDbLedger', 'AzureTablesLedger', 'FirestoreLedger', 'storesFromEnv', 'deployedRouter', 'RefreshingSecret', 'awsSecretsManagerReader', 'ROUTER_ENV', 'deployedRouterConfig', 'parseKeyHashes']) if (!m[n]) throw new Error('missing export ' + n)");
    expect(packages.filter((p) => p !== 'tsx' && p !== 'esbuild' && p !== 'get-tsconfig' && p !== 'resolve-pkg-maps' && p !== 'yaml')).toEqual([]);
  });

  test('a DynamoDB store loads its SDK on first use', () => {
    const packages = loadedPackages(
      './lib/router/index.ts',
      "const l = new m.DynamoDbLedger({ client: { send: async () => ({}) }, tableName: 't' }); if (Object.keys(require.cache).some((f) => f.includes('client-dynamodb'))) throw new Error('loaded too early'); await l.spent('t', '2026-12')",
    );
    expect(packages).toContain('@aws-sdk/client-dynamodb');
  });

  test('the store and secret SDKs are optional peer dependencies with the ranges of the dev dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    for (const name of ['@aws-sdk/client-dynamodb', '@azure/data-tables', '@aws-sdk/client-secrets-manager']) {
      expect({ name, peer: pkg.peerDependencies[name], optional: pkg.peerDependenciesMeta[name] }).toEqual({ name, peer: pkg.devDependencies[name], optional: { optional: true } });
    }
  });
});
