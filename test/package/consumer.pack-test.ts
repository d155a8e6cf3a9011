/**
 * The packaging test (`npm run test:package`; kept out of `npm test` for its time budget, run by
 * .ci/run after it): `npm pack`, then install the tarball into fresh folders beside the declared
 * minimum of each peer (an AWS-only app without cdktf, a GCP-only and an Azure-only app without
 * aws-cdk-lib), type-check the README snippet of that cloud with TypeScript 5.9 under several
 * `moduleResolution` settings, run it, and run the CLI from node_modules/.bin. It proves the lower
 * bounds in package.json's peerDependencies. Installs reuse the npm cache (`--prefer-offline`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { README, readmeSnippets } from './readme-snippets';

const ROOT = join(__dirname, '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; peerDependencies: Record<string, string> };
const WORK = mkdtempSync(join(tmpdir(), 'ai-stack-pack-'));
/** The consumer's TypeScript: 5.x, since TypeScript 7 has no `node10` resolution. */
const TYPESCRIPT = '~5.9.0';

/** The lowest version a declared range admits (`^2.260.0` -> `2.260.0`). */
function minimum(name: string): string {
  const m = /^(?:\^|~|>=)?(\d+\.\d+\.\d+)$/.exec(PKG.peerDependencies[name]);
  if (!m) throw new Error(`peerDependencies.${name} (${PKG.peerDependencies[name]}) is not a simple range with a lower bound`);
  return m[1];
}

/** The environment of a consumer's processes: no npm_* variables from the `npm test` that runs us. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without blocking, so the consumers' installs, type-checks and synths overlap. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...ENV, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function runSync(cmd: string, args: string[], cwd: string): Ran {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Consumer {
  readonly cloud: 'aws' | 'gcp' | 'azure';
  readonly dependencies: Record<string, string>;
  /** Resolution settings type-checked besides node10 (which also emits the JavaScript that runs). */
  readonly alsoChecked: { module: string; moduleResolution: string };
  readonly dir: string;
}

const CONSUMERS: Consumer[] = [
  {
    cloud: 'aws',
    // aws-cdk-lib 2.260 itself asks for constructs ^10.5.0.
    dependencies: { 'aws-cdk-lib': minimum('aws-cdk-lib'), constructs: '10.5.0' },
    alsoChecked: { module: 'nodenext', moduleResolution: 'nodenext' },
    dir: join(WORK, 'aws-only'),
  },
  {
    cloud: 'gcp',
    dependencies: { cdktf: minimum('cdktf'), '@cdktf/provider-google': minimum('@cdktf/provider-google'), constructs: minimum('constructs') },
    alsoChecked: { module: 'esnext', moduleResolution: 'bundler' },
    dir: join(WORK, 'gcp-only'),
  },
  {
    cloud: 'azure',
    dependencies: { cdktf: minimum('cdktf'), '@cdktf/provider-azurerm': minimum('@cdktf/provider-azurerm'), constructs: minimum('constructs') },
    alsoChecked: { module: 'node16', moduleResolution: 'node16' },
    dir: join(WORK, 'azure-only'),
  },
];

const SHIPPED = 'node_modules/ai-stack-constructs/examples/ai-stack.yaml';

/** What each step in a consumer folder gave; the tests only read these. */
interface Outcome {
  install: Ran;
  versions: Record<string, string | undefined>;
  typecheck: Record<string, Ran>;
  snippet?: Ran;
  version?: Ran;
  noDesign?: Ran;
  synth?: Ran;
  missingSynth?: Ran;
  missingEntry?: Ran;
  designEntry?: Ran;
  nagInstall?: Ran;
  nagSynth?: Ran;
  /** The library's own sources type-checked against the installed minimum peers. */
  sources?: Ran;
}

const other = (c: Consumer) => (c.cloud === 'aws' ? 'gcp' : 'aws');

/**
 * Type-checks this cloud's construct sources (every code path, not only the ones the example takes)
 * against the peers installed in the consumer folder, with the consumer's TypeScript 5.9.
 */
function checkSources(c: Consumer): Promise<Ran> {
  cpSync(join(ROOT, 'lib'), join(c.dir, 'src/lib'), { recursive: true });
  const compilerOptions = {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['ES2022'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    esModuleInterop: true,
    resolveJsonModule: true,
    typeRoots: [join(ROOT, 'node_modules/@types')],
    types: ['node'],
  };
  writeFileSync(join(c.dir, 'tsconfig.sources.json'), JSON.stringify({ compilerOptions, include: [`src/lib/${c.cloud}/**/*.ts`, `src/lib/synth/${c.cloud}.ts`] }));
  return run(process.execPath, [join(c.dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.sources.json'], c.dir);
}

async function exercise(c: Consumer, tarball: string): Promise<Outcome> {
  mkdirSync(c.dir);
  const dependencies = { 'ai-stack-constructs': `file:${tarball}`, ...c.dependencies, typescript: TYPESCRIPT };
  writeFileSync(join(c.dir, 'package.json'), JSON.stringify({ name: `consumer-${c.cloud}`, version: '1.0.0', private: true, dependencies }, null, 2));
  const npmInstall = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];
  const install = await run('npm', npmInstall, c.dir);
  const version = (name: string) => {
    const file = join(c.dir, 'node_modules', name, 'package.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : undefined;
  };
  const outcome: Outcome = { install, versions: Object.fromEntries(['aws-cdk-lib', 'cdktf', ...Object.keys(c.dependencies)].map((n) => [n, version(n)])), typecheck: {} };
  if (install.status !== 0) return outcome;

  const snippet = readmeSnippets().find((s) => s.cloud === c.cloud);
  writeFileSync(join(c.dir, 'app.ts'), snippet?.code ?? '');
  const base = { target: 'ES2022', strict: true, skipLibCheck: true, types: [] as string[] };
  const settings: Record<string, object> = {
    node10: { module: 'commonjs', moduleResolution: 'node10', outDir: 'out' },
    [c.alsoChecked.moduleResolution]: { ...c.alsoChecked, noEmit: true },
  };
  const tsc = join(c.dir, 'node_modules/typescript/bin/tsc');
  const bin = join(c.dir, 'node_modules/.bin/ai-stack');
  const out = join(c.dir, 'snippet.out');
  await Promise.all([
    (async () => {
      await Promise.all(
        Object.entries(settings).map(async ([name, options]) => {
          writeFileSync(join(c.dir, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['app.ts'] }));
          outcome.typecheck[name] = await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], c.dir);
        }),
      );
      if (outcome.typecheck.node10.status === 0) outcome.snippet = await run(process.execPath, ['out/app.js'], c.dir, { CDK_OUTDIR: out, CDKTF_OUTDIR: out });
    })(),
    (async () => {
      [outcome.version, outcome.noDesign, outcome.missingSynth, outcome.missingEntry, outcome.designEntry] = await Promise.all([
        run(bin, ['--version'], c.dir),
        run(bin, ['check'], c.dir),
        run(bin, ['synth', SHIPPED, '--cloud', other(c), '--out', 'never.out'], c.dir),
        run(process.execPath, ['-e', `require('ai-stack-constructs/${other(c)}')`], c.dir),
        run(process.execPath, ['-e', "console.log(typeof require('ai-stack-constructs').validateDesign)"], c.dir),
      ]);
      outcome.synth = await run(bin, ['synth', SHIPPED, '--cloud', c.cloud, '--out', 'synth.out'], c.dir);
    })(),
  ]);
  // AWS: after cdk-nag is installed below (lib/synth/aws.ts names its types).
  if (c.cloud !== 'aws') outcome.sources = await checkSources(c);
  if (c.cloud === 'aws') {
    // cdk-nag 3 asks for constructs ^10.5.1, so it is added after everything above ran on constructs 10.5.0.
    outcome.nagInstall = await run('npm', [...npmInstall, 'cdk-nag@3.0.2', 'constructs@10.5.1'], c.dir);
    if (outcome.nagInstall.status === 0) outcome.nagSynth = await run(bin, ['synth', SHIPPED, '--cloud', 'aws', '--out', 'nag.out'], c.dir);
    outcome.sources = await checkSources(c);
  }
  return outcome;
}

let packed: string[] = [];
const outcomes = new Map<string, Outcome>();

/** True when dist/lib is at least as new as every file under lib/ (the build `npm test` ran first). */
function distIsFresh(): boolean {
  const built = join(ROOT, 'dist/lib/index.js');
  if (!existsSync(built)) return false;
  const newest = readdirSync(join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' }).reduce((m, f) => Math.max(m, statSync(join(ROOT, 'lib', f)).mtimeMs), 0);
  return statSync(built).mtimeMs >= newest;
}

beforeAll(async () => {
  // tsc emits even with type errors (`npm run typecheck` reports those); the router bundles are made here.
  if (!distIsFresh()) runSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], ROOT);
  const bundles = runSync(process.execPath, [join(ROOT, 'scripts/build-router.js')], ROOT);
  if (bundles.status !== 0) throw new Error(`build:router failed:\n${bundles.stderr}`);
  // --ignore-scripts: prepack would build again.
  const pack = runSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', WORK], ROOT);
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  packed = info.files.map((f) => f.path);
  // The example at this repository's (newest) provider versions, to compare the minimum's output with.
  const reference = runSync(process.execPath, [join(ROOT, 'dist/lib/cli/main.js'), 'synth', join(ROOT, 'examples/ai-stack.yaml'), '--cloud', 'gcp,azure', '--out', join(WORK, 'reference')], ROOT);
  if (reference.status !== 0) throw new Error(`reference synth failed:\n${reference.stderr}`);
  await Promise.all(CONSUMERS.map(async (c) => outcomes.set(c.cloud, await exercise(c, join(WORK, info.filename)))));
}, 600000);

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('npm pack', () => {
  test('the tarball holds LICENSE (Apache-2.0), README, the example design, every doc README links and the built entry points', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/^ +Apache License\n +Version 2\.0, January 2004\n/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    const linkedDocs = [...README.matchAll(/\]\((docs\/[^)#\s]+\.md)\)/g)].map((m) => m[1]);
    expect(linkedDocs.length).toBeGreaterThan(5);
    const entries = ['index', 'aws/index', 'gcp/index', 'azure/index', 'router/index', 'cli/main'].flatMap((e) => [`dist/lib/${e}.js`, `dist/lib/${e}.d.ts`]);
    for (const file of ['LICENSE', 'README.md', 'package.json', 'examples/ai-stack.yaml', ...new Set(linkedDocs), ...entries]) expect({ file, packed: packed.includes(file) }).toEqual({ file, packed: true });
  });

  test('every dist/router/<cloud> bundle README promises is in the tarball', () => {
    const promised = [...README.matchAll(/dist\/router\/(aws|gcp|azure|<cloud>)/g)].flatMap((m) => (m[1] === '<cloud>' ? ['aws', 'gcp', 'azure'] : [m[1]]));
    expect(promised.length).toBeGreaterThan(0);
    for (const cloud of new Set(promised)) expect({ cloud, packed: packed.includes(`dist/router/${cloud}/index.js`) }).toEqual({ cloud, packed: true });
  });

  test('no test, source map or TypeScript source is shipped', () => {
    expect(packed.filter((f) => /(^|\/)test\/|\.map$|(?<!\.d)\.ts$/.test(f))).toEqual([]);
  });
});

describe.each(CONSUMERS)('a $cloud-only app installs the tarball beside the declared minimum peers', (c) => {
  const outcome = () => outcomes.get(c.cloud)!;

  test("npm install succeeds with no ERESOLVE, and only this cloud's construct library is installed", () => {
    const { install, versions } = outcome();
    expect({ status: install.status, eresolve: /ERESOLVE|peer dep/i.test(install.stdout + install.stderr) }).toEqual({ status: 0, eresolve: false });
    expect(versions['aws-cdk-lib'] !== undefined).toBe(c.cloud === 'aws');
    expect(versions.cdktf !== undefined).toBe(c.cloud !== 'aws');
    for (const [name, version] of Object.entries(c.dependencies)) expect({ name, version: versions[name] }).toEqual({ name, version });
  });

  test(`the README snippet type-checks under node10 and ${c.alsoChecked.moduleResolution}, runs, and synthesizes into the user's network`, () => {
    const { typecheck, snippet } = outcome();
    expect(Object.keys(typecheck).sort()).toEqual(['node10', c.alsoChecked.moduleResolution].sort());
    for (const [setting, r] of Object.entries(typecheck)) expect({ setting, status: r.status, output: r.stdout + r.stderr }).toEqual({ setting, status: 0, output: '' });
    expect({ status: snippet?.status, stderr: snippet?.stderr }).toEqual({ status: 0, stderr: '' });
    const out = join(c.dir, 'snippet.out');
    if (c.cloud === 'aws') {
      const template = JSON.parse(readFileSync(join(out, 'TeamInference.template.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
      const types = Object.values(template.Resources).map((x) => x.Type);
      expect(types.filter((t) => t === 'AWS::AutoScaling::AutoScalingGroup')).toHaveLength(1);
      expect(types.filter((t) => t === 'AWS::EC2::VPC')).toHaveLength(1); // the app's own
    } else {
      const json = JSON.parse(readFileSync(join(out, 'stacks/team-inference/cdk.tf.json'), 'utf8')) as { resource: Record<string, unknown> };
      const fleet = c.cloud === 'gcp' ? 'google_compute_region_instance_group_manager' : 'azurerm_orchestrated_virtual_machine_scale_set';
      const network = c.cloud === 'gcp' ? 'google_compute_network' : 'azurerm_virtual_network';
      expect({ fleet: fleet in json.resource, network: network in json.resource }).toEqual({ fleet: true, network: false });
    }
  });

  test("the library's own sources type-check against the minimum peers (every code path, not only the example's)", () => {
    const { sources } = outcome();
    expect({ status: sources?.status, output: `${sources?.stdout}${sources?.stderr}` }).toEqual({ status: 0, output: '' });
  });

  if (c.cloud !== 'aws') {
    test('at the minimum provider the example synthesizes the same Terraform JSON as at the newest, but for the provider version pin', () => {
      const file = `${c.cloud}/stacks/support-ai/cdk.tf.json`;
      const unpinned = (path: string) => {
        const json = JSON.parse(readFileSync(path, 'utf8')) as { terraform: { required_providers: Record<string, { version?: string }> } };
        for (const p of Object.values(json.terraform.required_providers)) delete p.version;
        return json;
      };
      expect(unpinned(join(c.dir, 'synth.out', file))).toEqual(unpinned(join(WORK, 'reference', file)));
    });
  }

  test('the CLI from node_modules/.bin: --version, the shipped example, and synth of this cloud', () => {
    const { version, noDesign, synth } = outcome();
    expect(version).toMatchObject({ status: 0, stdout: `${PKG.version}\n` });
    expect(noDesign?.status).toBe(2);
    expect(noDesign?.stderr).toContain(`cp ${SHIPPED} ./ai-stack.yaml`);
    expect({ status: synth?.status, stderr: synth?.stderr }).toEqual({ status: 0, stderr: '' });
    expect(synth?.stdout).toMatch(new RegExp(`^== ${c.cloud}: \\d+ resources`, 'm'));
    expect(readdirSync(join(c.dir, 'synth.out'))).toEqual([c.cloud]);
  });

  test('a cloud whose peers are missing: the CLI and the entry point name the packages and the npm i that installs them', () => {
    const { missingSynth, missingEntry, designEntry } = outcome();
    const needs = other(c) === 'gcp' ? 'cdktf and @cdktf/provider-google, which are' : 'aws-cdk-lib, which is';
    const install =
      other(c) === 'gcp'
        ? `npm i cdktf@${PKG.peerDependencies.cdktf} @cdktf/provider-google@${PKG.peerDependencies['@cdktf/provider-google']}`
        : `npm i aws-cdk-lib@${PKG.peerDependencies['aws-cdk-lib']}`;
    // One line, no stack trace.
    expect({ status: missingSynth?.status, stderr: missingSynth?.stderr }).toEqual({ status: 1, stderr: `ai-stack: ai-stack synth --cloud ${other(c)} needs ${needs} not installed; install with: ${install}\n` });
    expect(existsSync(join(c.dir, 'never.out'))).toBe(false);
    expect(missingEntry?.status).toBe(1);
    expect(missingEntry?.stderr).toContain(`MissingPeerError: ai-stack-constructs/${other(c)} needs ${needs} not installed; install with: ${install}`);
    // The design entry point needs no construct library at all.
    expect(designEntry).toMatchObject({ status: 0, stdout: 'function\n' });
  });

  if (c.cloud === 'aws') {
    test('on aws-cdk-lib 2.260 the whole example stack passes cdk-nag: every acknowledgement holds on the oldest supported version', () => {
      const { nagInstall, nagSynth } = outcome();
      expect({ status: nagInstall?.status, eresolve: /ERESOLVE/.test(`${nagInstall?.stdout}${nagInstall?.stderr}`) }).toEqual({ status: 0, eresolve: false });
      // aws-cdk-lib 2.260 prints its (successful) validation report on stderr.
      expect({ status: nagSynth?.status, failure: /failure|Error/.test(nagSynth?.stderr ?? '') }).toEqual({ status: 0, failure: false });
      expect(nagSynth?.stdout).toContain('cdk-nag AwsSolutions checks ran');
      expect(nagSynth?.stdout).toMatch(/^== aws: \d+ resources/m);
    });
  }
});
