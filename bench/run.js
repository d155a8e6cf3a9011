// `npm run bench`: every benchmark under bench/, one after another (they share 2 cores: never in parallel).
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const benches = ['synth.js', 'router.js', 'guard.js', 'ingest.js'].filter((f) => existsSync(join(__dirname, f)));
let failed = 0;
for (const bench of benches) {
  console.log(`\n### bench/${bench}`);
  const result = spawnSync(process.execPath, [join(__dirname, bench)], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
