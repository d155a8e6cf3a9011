// Benchmark: wall time and peak memory of `ai-stack synth` on the example design, per cloud and for
// all clouds, each in a fresh process (as a user runs it). Run with `npm run bench` (builds first).
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
// The flags the CLI relaunches `synth` with (lib/cli/relaunch.ts); synth-child.js calls main() itself.
const { SYNTH_V8_FLAGS } = require('../dist/lib/cli/relaunch');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DESIGN = process.env.BENCH_DESIGN ?? join(ROOT, 'examples/ai-stack.yaml');

function once(cloud) {
  const out = mkdtempSync(join(tmpdir(), 'ai-stack-bench-'));
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [...SYNTH_V8_FLAGS, join(__dirname, 'synth-child.js'), 'synth', DESIGN, '--cloud', cloud, '--out', join(out, 'synth.out')], { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  rmSync(out, { recursive: true, force: true });
  if (child.status !== 0) throw new Error(`synth --cloud ${cloud} failed:\n${child.stderr}`);
  const { maxRssKiB } = JSON.parse(child.stdout.trim().split('\n').pop());
  return { ms, maxRssMiB: maxRssKiB / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = [];
for (const cloud of ['aws', 'gcp', 'azure', 'all']) {
  let runs;
  try {
    runs = Array.from({ length: RUNS }, () => once(cloud));
  } catch (err) {
    console.error(err.message);
    rows.push({ cloud, failed: true });
    continue;
  }
  rows.push({ cloud, medianMs: median(runs.map((r) => r.ms)), minMs: Math.min(...runs.map((r) => r.ms)), peakMiB: Math.max(...runs.map((r) => r.maxRssMiB)) });
}

console.log(`synth benchmark: ${DESIGN.replace(ROOT + '/', '')}, ${RUNS} runs each, fresh process per run`);
console.log('cloud   median ms   min ms   peak RSS MiB');
for (const r of rows) {
  if (r.failed) {
    console.log(`${r.cloud.padEnd(6)}  synth failed (see above)`);
    process.exitCode = 1;
    continue;
  }
  console.log(`${r.cloud.padEnd(6)}  ${r.medianMs.toFixed(0).padStart(9)}  ${r.minMs.toFixed(0).padStart(7)}  ${r.peakMiB.toFixed(0).padStart(13)}`);
}
