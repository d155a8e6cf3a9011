#!/usr/bin/env node
// Records in package-lock.json every optional dependency that `npm install` left out because the
// registry did not serve it (platform binaries such as @swc/core-darwin-arm64 that the mirror this
// project is built behind lacks). Without these entries `npm ci` refuses the lock as out of sync
// (npm/cli#4828); with them it installs the binary for the current platform and skips the rest.
// Run after every `npm install`: `npm run lock:complete`. `--check` only reports (exit 1 if incomplete).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const file = join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

/** Optional dependencies no lock entry satisfies (bundled dependencies are the bundler's business). */
function missingOptional() {
  const missing = {};
  for (const [path, info] of Object.entries(packages)) {
    if (info.inBundle) continue;
    for (const [name, range] of Object.entries(info.optionalDependencies ?? {})) {
      const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
      if (!(nested in packages) && !(`node_modules/${name}` in packages) && !(name in missing)) missing[name] = range;
    }
  }
  return missing;
}

const missing = missingOptional();
const names = Object.keys(missing).sort();
if (process.argv.includes('--check')) {
  if (names.length > 0) {
    console.error(`package-lock.json lacks ${names.length} optional package(s): ${names.join(', ')}\nrun: npm run lock:complete`);
    process.exit(1);
  }
  console.log('package-lock.json records every optional dependency');
  process.exit(0);
}
for (const name of names) packages[`node_modules/${name}`] = { version: missing[name].replace(/^[\^~]/, ''), optional: true };
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
lock.packages = sorted;
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(names.length > 0 ? `recorded ${names.length} optional package(s): ${names.join(', ')}` : 'nothing to record');
