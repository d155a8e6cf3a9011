import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { deployedConfig, hash, KEYS } from './support/config';

// bundle() is what `npm run build:router` runs for each cloud, here into temporary directories.
const { TARGETS, bundle } = require('../../../scripts/build-router.js') as {
  TARGETS: { cloud: string }[];
  bundle: (target: unknown, dir: string) => Promise<{ file: string; bytes: number; zip?: { file: string; bytes: number; entries: string[] } }>;
};

interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
  readonly method: number;
  readonly time: number;
  readonly date: number;
  readonly localExtra: number;
  readonly centralExtra: number;
  readonly mode: number;
}

/** Reads a zip from its central directory, checking each local header and CRC against it. */
function readZip(zip: Buffer): ZipEntry[] {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  expect(zip.readUInt16LE(end + 20)).toBe(0); // no comment
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const compressed = zip.readUInt32LE(p + 20);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const centralExtra = zip.readUInt16LE(p + 30);
    const offset = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    expect(zip.readUInt32LE(offset)).toBe(0x04034b50);
    const localExtra = zip.readUInt16LE(offset + 28);
    const start = offset + 30 + zip.readUInt16LE(offset + 26) + localExtra;
    const raw = zip.subarray(start, start + compressed);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    expect({ name, size: data.length, crc: crc32(data) }).toEqual({ name, size, crc });
    entries.push({ name, data, method, time: zip.readUInt16LE(p + 12), date: zip.readUInt16LE(p + 14), localExtra, centralExtra, mode: zip.readUInt32LE(p + 38) >>> 16 });
    p += 46 + nameLength + centralExtra + zip.readUInt16LE(p + 32);
  }
  return entries;
}

const azure = TARGETS.find((t) => t.cloud === 'azure');
const dirs = [mkdtempSync(join(tmpdir(), 'router-azure-a-')), mkdtempSync(join(tmpdir(), 'router-azure-b-'))];
let built: Awaited<ReturnType<typeof bundle>>;

beforeAll(async () => {
  built = await bundle(azure, dirs[0]);
  await bundle(azure, dirs[1]);
}, 120_000);

describe('the Azure bundle: a Flex Consumption function app', () => {
  test('dist/router/azure/ is a complete function app: index.js, package.json (main, no dependencies), host.json (extension bundle v4)', () => {
    const app = join(dirs[0], 'azure');
    expect(readdirSync(app).sort()).toEqual(['host.json', 'index.js', 'index.js.LEGAL.txt', 'package.json']);
    expect(JSON.parse(readFileSync(join(app, 'host.json'), 'utf8'))).toEqual({ version: '2.0', extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' } });
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('index.js');
    expect(pkg.dependencies).toBeUndefined();
    // @azure/functions is inside the bundle; only the worker's own module stays outside.
    const code = readFileSync(join(app, 'index.js'), 'utf8');
    expect(code).not.toMatch(/require\("@azure\/functions"\)/);
    expect(code).toMatch(/require\("@azure\/functions-core"\)/);
  });

  test('azure.zip is the same bytes on every build and holds exactly the folder: sorted, fixed time, no extra fields', () => {
    const zips = dirs.map((d) => readFileSync(join(d, 'azure.zip')));
    expect(zips[0].equals(zips[1])).toBe(true);
    expect(built.zip).toMatchObject({ bytes: zips[0].length, entries: ['host.json', 'index.js', 'index.js.LEGAL.txt', 'package.json'] });
    const entries = readZip(zips[0]);
    expect(entries.map((e) => e.name)).toEqual(['host.json', 'index.js', 'index.js.LEGAL.txt', 'package.json']);
    for (const e of entries) {
      expect(e.data.equals(readFileSync(join(dirs[0], 'azure', e.name)))).toBe(true);
      expect({ name: e.name, time: e.time, date: e.date, localExtra: e.localExtra, centralExtra: e.centralExtra, mode: e.mode }).toEqual({ name: e.name, time: 0, date: 33, localExtra: 0, centralExtra: 0, mode: 0o100644 });
    }
    expect(entries.find((e) => e.name === 'index.js')!.method).toBe(8);
    // A zip tool agrees, where one is installed.
    const unzip = spawnSync('unzip', ['-tq', join(dirs[0], 'azure.zip')], { encoding: 'utf8' });
    if (!unzip.error) expect(unzip.stdout).toMatch(/No errors detected/);
  });

  test('inside the Functions worker it registers one anonymous HTTP function on every path, with HTTP streams', () => {
    // The worker injects @azure/functions-core; a stand-in records what the bundled @azure/functions registers.
    const fake = join(dirs[0], 'fake-worker.js');
    writeFileSync(
      fake,
      `const Module = require('module');
const load = Module._load;
const calls = [];
const core = {
  setProgrammingModel: (m) => { calls.push(['setProgrammingModel', m.name]); globalThis.model = m; },
  registerFunction: (metadata, callback) => { calls.push(['registerFunction', metadata]); globalThis.registered = callback; return { dispose() {} }; },
  registerHook: (name) => { calls.push(['registerHook', name]); return { dispose() {} }; },
  log: () => undefined,
};
Module._load = function (request, ...rest) { return request === '@azure/functions-core' ? core : load.call(this, request, ...rest); };
process.on('exit', () => process.stdout.write(JSON.stringify(calls)));`,
    );
    // The worker asks the programming model for its capabilities at start: HttpUri means HTTP streams.
    const script = `const m = require(${JSON.stringify(join(dirs[0], 'azure', 'index.js'))});
console.error('same handler: ' + (globalThis.registered === m.handler));
globalThis.model.getCapabilities({}).then((c) => { console.error('capabilities: ' + JSON.stringify(c)); process.exit(0); });`;
    const r = spawnSync(process.execPath, ['-r', fake, '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('same handler: true');
    expect(r.stderr).toMatch(/capabilities: \{"HttpUri":"http:\/\/localhost:\d+\/"\}/);
    const calls = JSON.parse(r.stdout) as [string, unknown][];
    expect(calls[0]).toEqual(['setProgrammingModel', '@azure/functions']);
    const registered = calls.filter(([c]) => c === 'registerFunction').map(([, m]) => m as { name: string; bindings: Record<string, Record<string, unknown>> });
    expect(registered).toHaveLength(1);
    expect(registered[0].name).toBe('router');
    const trigger = Object.values(registered[0].bindings).find((b) => b.type === 'httpTrigger');
    expect(trigger).toMatchObject({ direction: 'in', authLevel: 'anonymous', route: '{*path}', methods: ['GET', 'POST'] });
  });

  test('outside the worker it only exports handler (no registration, no warning), and serves through it', () => {
    const config = JSON.stringify(deployedConfig({ targets: [], routes: [] }));
    const hashes = join(dirs[0], 'hashes.json');
    writeFileSync(hashes, JSON.stringify({ 'team-a': [hash(KEYS.a1)] }));
    const script = `const { handler } = require(${JSON.stringify(join(dirs[0], 'azure', 'index.js'))});
const req = (path) => ({ method: 'GET', url: 'https://r.azurewebsites.net/api' + path, headers: new Headers({ authorization: 'Bearer ${KEYS.a1}' }), text: async () => '' });
(async () => {
  const h = await handler(req('/healthz'), { invocationId: 'a' });
  const m = await handler(req('/v1/models'), { invocationId: 'b' });
  console.log(JSON.stringify([h.status, m.status]));
})();`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', AI_STACK_ROUTER_CONFIG: config, AI_STACK_KEY_HASHES: `file:${hashes}`, AI_STACK_ROUTER_STORE: 'memory' } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual([200, 200]);
    expect(r.stderr).not.toMatch(/WARNING|test mode/);
  });
});
