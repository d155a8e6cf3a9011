#!/usr/bin/env node
// Bundles the router runtime into one file per cloud, the code assets of the router constructs:
//   dist/router/aws/index.js    Lambda (Node.js 20+): exports `handler`; the AWS SDK v3 is left out
//                               because the Lambda runtime ships it
//   dist/router/gcp/index.js    Cloud Functions gen2: entry point `handler`; everything bundled
//   dist/router/azure/index.js  Azure Functions v4: registers the HTTP function when the app provides
//                               @azure/functions; everything else bundled
// Usage: node scripts/build-router.js [--out DIR]   (npm run build:router)
'use strict';

const { build } = require('esbuild');
const { mkdirSync, readFileSync, rmSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const { gzipSync } = require('node:zlib');

const ROOT = resolve(__dirname, '..');
/** The Lambda bundle must stay small: it is loaded on every cold start. */
const AWS_LIMIT_BYTES = 1024 * 1024;

const TARGETS = [
  { cloud: 'aws', entry: 'lib/router/handlers/aws-entry.ts', external: ['@aws-sdk/*', '@smithy/*'], limit: AWS_LIMIT_BYTES },
  { cloud: 'gcp', entry: 'lib/router/handlers/gcp-entry.ts', external: [] },
  { cloud: 'azure', entry: 'lib/router/handlers/azure-entry.ts', external: ['@azure/functions'] },
];

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
  return { cloud: target.cloud, file: relative(process.cwd(), outfile), bytes: bytes.length, gzip: gzipSync(bytes).length, limit: target.limit, external: target.external };
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

async function main() {
  const dir = outDir(process.argv.slice(2));
  const results = [];
  for (const t of TARGETS) results.push(await bundle(t, dir));
  const rows = [['bundle', 'size', 'gzip', 'left out'], ...results.map((r) => [r.file, kib(r.bytes), kib(r.gzip), r.external.join(', ') || '-'])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '));
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

module.exports = { TARGETS, bundle };
