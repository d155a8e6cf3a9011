#!/usr/bin/env node
// Bundles the router runtime into one folder per cloud, the code assets of the router constructs
// (and the budget's stop function the same way into dist/budget/<cloud>, see BUDGET_TARGETS, and the
// vector store's ingestion into dist/ingest/<cloud>, see INGEST_TARGETS):
//   dist/router/aws/index.js    Lambda (Node.js 20+): exports `handler`; the AWS SDK v3 is left out
//                               because the Lambda runtime ships it (Bedrock, DynamoDB, Secrets Manager)
//   dist/router/gcp/index.js    Cloud Run: `node index.js` serves HTTP on $PORT (and exports `handler`
//                               for Cloud Functions); everything bundled
//   dist/router/azure/          a Flex Consumption function app (v4 programming model): index.js with
//                               @azure/functions bundled, package.json, host.json; and the same as
//                               dist/router/azure.zip, a deterministic package zip
// Each bundle leaves out the store and secret SDKs of the other clouds (their code paths refuse with
// a message). Usage: node scripts/build-router.js [--out DIR]   (npm run build:router)
'use strict';

const { build } = require('esbuild');
const { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const { crc32, deflateRawSync, gzipSync } = require('node:zlib');

const ROOT = resolve(__dirname, '..');
/** The Lambda bundle must stay small: it is loaded on every cold start. */
const AWS_LIMIT_BYTES = 1024 * 1024;

/** SDKs of the stores and secrets of a cloud, left out of the other clouds' bundles. */
const AWS_ONLY = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-secrets-manager'];
const AZURE_ONLY = ['@azure/data-tables'];

const TARGETS = [
  { cloud: 'aws', entry: 'lib/router/handlers/aws-entry.ts', external: ['@aws-sdk/*', '@smithy/*', ...AZURE_ONLY], limit: AWS_LIMIT_BYTES },
  { cloud: 'gcp', entry: 'lib/router/handlers/gcp-entry.ts', external: [...AWS_ONLY, ...AZURE_ONLY] },
  // @azure/functions-core is the Functions worker's own module; @azure/functions is bundled.
  { cloud: 'azure', entry: 'lib/router/handlers/azure-entry.ts', external: ['@azure/functions-core', ...AWS_ONLY], functionApp: 'ai-stack-router' },
];

/**
 * The budget's stop function (lib/budget/handlers), one bundle per cloud in dist/budget/: it writes
 * the spend-stop record into the router's store and scales the GPU fleets (AWS: Auto Scaling and
 * SNS from the Lambda runtime's SDK; GCP and Azure: REST).
 */
const BUDGET_TARGETS = [
  { cloud: 'aws', entry: 'lib/budget/handlers/aws-entry.ts', external: ['@aws-sdk/*', '@smithy/*', ...AZURE_ONLY], limit: AWS_LIMIT_BYTES },
  { cloud: 'gcp', entry: 'lib/budget/handlers/gcp-entry.ts', external: [...AWS_ONLY, ...AZURE_ONLY] },
  { cloud: 'azure', entry: 'lib/budget/handlers/azure-entry.ts', external: ['@azure/functions-core', ...AWS_ONLY], functionApp: 'ai-stack-budget-stop' },
];

/**
 * The vector store's ingestion (lib/ingest), one bundle per cloud in dist/ingest/: on GCP a Cloud Run
 * job (`node index.js run|probe`), on Azure a function app with two timer functions, on AWS the
 * freshness probe of the Bedrock knowledge base (Bedrock ingests; the Lambda runtime ships the SDK).
 */
const INGEST_TARGETS = [
  { cloud: 'aws', entry: 'lib/ingest/aws/entry.ts', external: ['@aws-sdk/*', '@smithy/*', ...AZURE_ONLY], limit: AWS_LIMIT_BYTES },
  { cloud: 'gcp', entry: 'lib/ingest/gcp/entry.ts', external: [...AWS_ONLY, ...AZURE_ONLY] },
  { cloud: 'azure', entry: 'lib/ingest/azure/entry.ts', external: ['@azure/functions-core', ...AWS_ONLY], functionApp: 'ai-stack-ingest' },
];

/** The function app's host.json: the v4 extension bundle (HTTP triggers need no other extension). */
const AZURE_HOST_JSON = {
  version: '2.0',
  extensionBundle: { id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' },
};

/** The function app's package.json: the worker loads `main`; every dependency is in the bundle. */
function azurePackageJson(name) {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const what = { 'ai-stack-router': 'model router', 'ai-stack-budget-stop': 'budget stop function', 'ai-stack-ingest': 'vector store ingestion' }[name];
  return { name, version, private: true, description: `ai-stack-constructs ${what} (Azure Functions v4, bundled)`, main: 'index.js' };
}

/** 1980-01-01 00:00:00, the earliest MS-DOS date: every entry's time, so the zip depends only on its content. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/**
 * A zip of `files` ([name, Buffer]), byte-for-byte a function of them: entries sorted by name,
 * deflated, fixed timestamps, no extra fields, no comment, Unix mode 0644.
 */
function deterministicZip(files) {
  const sorted = [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of sorted) {
    const nameBytes = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); // local file header
    local.writeUInt16LE(20, 4); // version needed: 2.0
    local.writeUInt16LE(0x0800, 6); // flags: UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8); // stored or deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // no extra field
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); // central directory header
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Completes <dir>/azure/ as a function app and writes its package zip beside it. */
function writeFunctionApp(dir, name) {
  const app = join(dir, 'azure');
  writeFileSync(join(app, 'host.json'), `${JSON.stringify(AZURE_HOST_JSON, null, 2)}\n`);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(azurePackageJson(name), null, 2)}\n`);
  const files = readdirSync(app).map((name) => [name, readFileSync(join(app, name))]);
  const zip = deterministicZip(files);
  const file = join(dir, 'azure.zip');
  writeFileSync(file, zip);
  return { file: relative(process.cwd(), file), bytes: zip.length, entries: files.map(([n]) => n).sort() };
}

function outDir(argv) {
  const i = argv.indexOf('--out');
  if (i < 0) return join(ROOT, 'dist', 'router');
  if (!argv[i + 1]) throw new Error('--out needs a directory');
  return resolve(argv[i + 1]);
}

async function bundle(target, dir) {
  const outfile = join(dir, target.cloud, 'index.js');
  rmSync(join(dir, target.cloud), { recursive: true, force: true });
  mkdirSync(join(dir, target.cloud), { recursive: true });
  await build({
    entryPoints: [join(ROOT, target.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    external: target.external,
    // License texts of bundled packages go to index.js.LEGAL.txt beside the bundle.
    legalComments: 'external',
    logLevel: 'warning',
  });
  const bytes = readFileSync(outfile);
  const result = { cloud: target.cloud, file: relative(process.cwd(), outfile), bytes: bytes.length, gzip: gzipSync(bytes).length, limit: target.limit, external: target.external };
  if (target.functionApp) result.zip = writeFunctionApp(dir, target.functionApp);
  return result;
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const dir = outDir(process.argv.slice(2));
  const results = [];
  for (const t of TARGETS) results.push(await bundle(t, dir));
  // The stop function beside the router: dist/budget (or <DIR>-budget with --out DIR).
  const budgetDir = process.argv.includes('--out') ? `${dir}-budget` : join(ROOT, 'dist', 'budget');
  for (const t of BUDGET_TARGETS) results.push(await bundle(t, budgetDir));
  const ingestDir = process.argv.includes('--out') ? `${dir}-ingest` : join(ROOT, 'dist', 'ingest');
  for (const t of INGEST_TARGETS) results.push(await bundle(t, ingestDir));
  const rows = [['bundle', 'size', 'gzip', 'left out'], ...results.map((r) => [r.file, kib(r.bytes), kib(r.gzip), r.external.join(', ') || '-'])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
  for (const r of results) if (r.zip) console.log(`${r.zip.file}: ${kib(r.zip.bytes)} (${r.zip.entries.join(', ')})`);
  const over = results.filter((r) => r.limit && r.bytes > r.limit);
  for (const r of over) console.error(`${r.file} is ${kib(r.bytes)}, over its ${kib(r.limit)} limit: find what grew with esbuild --metafile and keep it out of the handler`);
  return over.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`build-router: ${err.message}`);
      process.exit(1);
    },
  );
}

module.exports = { TARGETS, BUDGET_TARGETS, bundle, deterministicZip, AZURE_HOST_JSON };
